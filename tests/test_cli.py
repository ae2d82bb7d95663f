"""The `collsec` command as a user runs it: a real process on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from collsec.core import db, journal
from collsec.registry.tables import MembershipRow

COLLSEC = str(Path(sys.executable).parent / "collsec")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, env=env,
                          timeout=120)


def members_json(as_of: str) -> dict:
    result = run("members", "--as-of", as_of, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_members_in_2011_include_uzbekistan(use_db: str) -> None:
    codes = {m["state"]["code"] for m in members_json("2011-06-01")["members"]}
    assert codes == {"AM", "BY", "KZ", "KG", "RU", "TJ", "UZ"}


def test_members_in_2013_do_not_list_uzbekistan(use_db: str) -> None:
    codes = {m["state"]["code"] for m in members_json("2013-01-01")["members"]}
    assert "UZ" not in codes and len(codes) == 6


def test_the_members_table_shows_statuses_and_sources(use_db: str) -> None:
    result = run("members", "--as-of", "2024-06-01")
    assert result.returncode == 0
    assert "Member, participation frozen" in result.stdout
    assert "am-freeze-2024" in result.stdout


def test_the_members_table_speaks_russian(use_db: str) -> None:
    result = run("members", "--lang", "ru")
    assert "Казахстан" in result.stdout and "Государство" in result.stdout


@pytest.mark.parametrize("year,name,basis", [
    ("2019", "Kyrgyzstan", "recorded"), ("2020", "Russia", "recorded"),
    ("2021", "Tajikistan", "recorded"), ("2024", "Kazakhstan", "recorded"),
    ("2025", "Kyrgyzstan", "computed"), ("2026", "Russia", "computed"),
])
def test_chair_names_the_state_and_its_basis(use_db: str, year: str, name: str,
                                             basis: str) -> None:
    result = run("chair", year)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and basis in result.stdout


@pytest.mark.parametrize("day,name,basis", [
    ("2012-12-19", "Kazakhstan", "recorded"), ("2012-12-20", "Kyrgyzstan", "recorded"),
    ("2013-09-22", "Kyrgyzstan", "recorded"), ("2013-09-24", "Russia", "recorded"),
    ("2023-12-31", "Belarus", "recorded"), ("2024-01-01", "Kazakhstan", "recorded"),
    ("2026-12-03", "Russia", "computed"), ("2003-06-01", "Tajikistan", "presumed"),
])
def test_chair_as_of_a_date_names_the_state_the_rule_and_the_sources(
        use_db: str, day: str, name: str, basis: str) -> None:
    result = run("chair", "--as-of", day)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and basis in result.stdout
    assert "rule:" in result.stdout and "sources:" in result.stdout


def test_chair_of_a_year_lists_each_chair_and_json_says_why(use_db: str) -> None:
    text = run("chair", "2015").stdout
    assert text.index("Tajikistan") < text.index("Armenia")
    data = json.loads(run("chair", "--as-of", "2015-10-01", "--json").stdout)
    assert (data["state"]["code"], data["rule"], data["since"]) == (
        "AM", "regular_session", "2015-09-16")
    assert data["reason"]["ru"] and data["sources"] and data["session"]["city"]["en"] == "Dushanbe"
    unknown = json.loads(run("chair", "--as-of", "2002-06-01", "--json").stdout)
    assert unknown["state"] is None and unknown["basis"] == "unknown"


def test_chair_refuses_a_year_and_a_date_together(use_db: str) -> None:
    result = run("chair", "2015", "--as-of", "2015-10-01")
    assert result.returncode != 0 and "not both" in result.stderr


def test_offices_on_a_date_say_unknown_where_no_term_is_recorded(use_db: str) -> None:
    data = json.loads(run("offices", "--as-of", "2003-06-01", "--json").stdout)
    by_office = {d["office"]: d["holder"] for d in data}
    assert by_office["SG"] == "Nikolai Bordyuzha"
    assert None in by_office.values()  # e.g. the press secretary, first attested in 2012
    assert "unknown" in run("offices", "--as-of", "2003-06-01").stdout


def test_state_shows_history_across_organizations(use_db: str) -> None:
    result = run("state", "uz", "--json")
    data = json.loads(result.stdout)
    assert {(h["organization"], h["status"]) for h in data["history"]} >= {
        ("CSTO", "member"), ("CSTO", "participation_suspended"), ("CST", "withdrawn")}


def test_bodies_and_offices_list(use_db: str) -> None:
    assert "Collective Security Council" in run("bodies").stdout
    offices = run("offices", "--as-of", "2021-06-01").stdout
    assert "Stanislav Zas" in offices


def _snapshot() -> tuple[int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(MembershipRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


@pytest.mark.parametrize("args,needle", [
    (("state", "XX"), "unknown state code 'XX'"),
    (("members", "--as-of", "2024-13-01"), "not a valid date"),
    (("members", "--org", "NATO"), "unknown organization 'NATO'"),
    (("membership", "add", "KZ", "--status", "member", "--from", "2010-01-01"), "overlaps"),
    (("membership", "add", "CN", "--status", "associate", "--from", "2030-01-01"),
     "unknown status 'associate'"),
    (("membership", "add", "CN", "--status", "observer", "--from", "2030-02-30"),
     "not a valid date"),
    (("membership", "add", "ZZ", "--status", "observer", "--from", "2030-01-01"),
     "unknown state code"),
])
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(csto_db: str, args: tuple,
                                                            needle: str) -> None:
    before = _snapshot()
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert _snapshot() == before


def test_a_good_membership_is_recorded_and_journaled(csto_db: str) -> None:
    before = _snapshot()
    result = run("membership", "add", "CN", "--status", "observer", "--from", "2030-01-01",
                 "--source", "seed-000", "--confidence", "low")
    assert result.returncode == 0, result.stderr
    assert _snapshot() == (before[0] + 1, before[1] + 1)


def test_load_default_twice_changes_nothing(csto_db: str) -> None:
    result = run("db", "load-default")
    assert result.returncode == 0 and "nothing changed" in result.stdout


def test_journal_verify_passes_then_names_an_edited_entry(csto_db: str) -> None:
    assert run("membership", "add", "CN", "--status", "observer", "--from",
               "2030-01-01").returncode == 0
    ok = run("journal", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    _edit_journal_row(csto_db, seq=1)
    broken = run("journal", "verify")
    assert broken.returncode == 1
    assert "entry 1" in broken.stderr


def _edit_journal_row(url: str, seq: int) -> None:
    """Edit a row behind collsec's back: with the sqlite3 module on SQLite, SQL on PostgreSQL."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("UPDATE journal SET actor = 'intruder' WHERE seq = ?", (seq,))
        conn.commit()
        conn.close()
    else:
        with db.engine().begin() as conn:
            conn.execute(text("UPDATE journal SET actor = 'intruder' WHERE seq = :s"),
                         {"s": seq})


def test_a_query_before_setup_says_what_to_do(empty_db: str, tmp_path: Path) -> None:
    env_url = f"sqlite:///{tmp_path / 'none.db'}"
    result = subprocess.run([COLLSEC, "members"], capture_output=True, text=True,
                            env={**os.environ, "COLLSEC_DATABASE_URL": env_url})
    assert result.returncode == 2 and "collsec db init" in result.stderr


def test_a_state_declines_its_turn_and_the_chair_passes_on(csto_db: str) -> None:
    assert "Tajikistan" in run("chair", "2027").stdout
    before = _snapshot()
    declined = run("chair", "2027", "--decline", "TJ", "--on", "2026-11-20")
    assert declined.returncode == 0 and "Belarus" in declined.stdout
    assert _snapshot()[1] == before[1] + 1  # journaled
    wrong = run("chair", "2030", "--decline", "AM")  # Armenia takes no part: never its turn
    assert wrong.returncode == 2 and "turn" in wrong.stderr
