"""`collsec agreement ...` as a user runs it: a real process on a real database."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.decisions import agreement_service as service
from collsec.decisions.tables import DepositRow
from tests.test_cli import run

D = dt.date
EDITOR = auth.Actor(1, "editor", Principal("organ", "SEC"), frozenset({"editor"}), "cli")


def _register() -> None:
    with db.write_session() as s:
        c = auth.clearance(s, EDITOR, D(2025, 6, 1), "CSTO")
        service.register_agreement(s, c, EDITOR, code="CLI-NTH", title_en="CLI agreement",
                                   signed_on=D(2020, 1, 10),
                                   signatories=[(x, None) for x in ("AM", "BY", "KZ", "KG",
                                                                    "RU", "TJ")],
                                   rule="nth_instrument", n=3)


def _deposits() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(DepositRow)) or 0


def test_in_force_answers_yes_or_no_and_exits_0_either_way(csto_db: str) -> None:
    _register()
    for state, day in (("RU", "2020-03-01"), ("BY", "2020-05-01"), ("KZ", "2020-07-01")):
        done = run("agreement", "deposit", "CLI-NTH", state, "--on", day,
                   "--instrument", f"law of {state}")
        assert done.returncode == 0, done.stderr
        assert f"recorded {state}'s deposit" in done.stdout
    no = run("agreement", "in-force", "CLI-NTH", "KZ", "--on", "2020-06-30")
    assert no.returncode == 0, no.stderr
    assert no.stdout.startswith("no")
    yes = run("agreement", "in-force", "cli-nth", "kz", "--on", "2020-07-01")
    assert yes.returncode == 0, yes.stderr
    assert yes.stdout.startswith("yes") and "since 2020-07-01" in yes.stdout
    data = json.loads(run("agreement", "in-force", "CLI-NTH", "RU", "--on", "2021-01-01",
                          "--json").stdout)
    assert data["in_force"] is True and data["since"] == "2020-07-01"
    assert data["rule"]["kind"] == "nth_instrument"


def test_the_embedded_charter_is_in_force_from_its_recorded_entry_date(use_db: str) -> None:
    result = run("agreement", "in-force", "CHARTER-2002", "KZ", "--on", "2010-01-01")
    assert result.returncode == 0 and result.stdout.startswith("yes")
    before = run("agreement", "in-force", "CHARTER-2002", "KZ", "--on", "2003-09-17")
    assert before.stdout.startswith("no")
    shown = run("agreement", "show", "CHARTER-2002", "--as-of", "2010-01-01")
    assert shown.returncode == 0 and "18 September 2003" in shown.stdout
    data = json.loads(run("agreement", "show", "CHARTER-2002", "--json").stdout)
    assert data["signed_on"] == "2002-10-07" and len(data["states"]) == 6
    listed = run("agreement", "list")
    assert listed.returncode == 0 and "PEACEKEEPING-PROTOCOL-2021" in listed.stdout


def test_bad_input_is_one_error_line_exit_2_and_nothing_written(csto_db: str) -> None:
    _register()
    assert run("agreement", "deposit", "CLI-NTH", "RU", "--on", "2020-03-01").returncode == 0
    before = _deposits()
    for args in (("agreement", "deposit", "CLI-NTH", "UZ", "--on", "2020-03-01"),
                 ("agreement", "deposit", "CLI-NTH", "RU", "--on", "2020-04-01"),
                 ("agreement", "deposit", "NO-SUCH", "KZ", "--on", "2020-04-01"),
                 ("agreement", "deposit", "CLI-NTH", "KZ", "--on", "2024-13-01"),
                 ("agreement", "in-force", "CLI-NTH", "KZ", "--on", "2024-13-01"),
                 ("agreement", "show", "NO-SUCH")):
        result = run(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error:") and len(result.stderr.splitlines()) == 1
    assert _deposits() == before
