"""`collsec session ...` and `collsec withdrawal` as a user runs them: a real subprocess on a
real database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from collsec.core import clock, db, journal
from collsec.core.auth import service as auth
from collsec.decisions import sessions
from collsec.decisions.tables import AgendaItemRow, PositionRow, SessionRow

COLLSEC = str(Path(sys.executable).parent / "collsec")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", "COLLSEC_TODAY": "2025-06-01"})


def ok(*args: str) -> str:
    r = run(*args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def show(session_id: int, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok("session", "show", str(session_id), "--json", *extra))
    return data


def count(table: Any) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_convene_seat_item_position_close_and_show(csto_db: str) -> None:
    out = ok("session", "convene", "--body", "CSC", "--date", "2022-11-23", "--host", "AM",
             "--city-en", "Yerevan", "--city-ru", "Ереван")
    assert "convened session 1" in out and "chair AM" in out
    assert "seated AM at session 1" in ok("session", "seat", "1", "AM",
                                          "--represented-by", "Prime Minister")
    assert "item 1 is number 1" in ok("session", "item", "1", "--title-en", "Declaration",
                                      "--title-ru", "Декларация", "--draft-kind",
                                      "declaration")

    supported = ok("session", "position", "1", "RU", "support", "--reservation",
                   "subject to ratification")
    assert "recorded RU: support" in supported and "adopted by consensus" in supported
    objected = ok("session", "position", "1", "AM", "object", "--lang", "ru")
    assert "не принято: Армения возражает" in objected

    data = show(1)
    assert data["chair_state"] == "AM" and data["participants"][0]["represented_by"] == \
        "Prime Minister"
    (item,) = data["items"]
    assert item["outcome"]["reason"] == "consensus_objection" and not item["outcome"]["final"]
    assert {p["state"]: p["reservation"] for p in item["positions"]} == {
        "AM": "", "RU": "subject to ratification"}
    text = ok("session", "show", "1")
    assert "not adopted: Armenia objects" in text and "Russia (RU): support" in text

    ok("session", "position", "1", "AM", "not_participating")
    closed = json.loads(ok("session", "close", "1", "--json"))
    assert closed["status"] == "closed" and closed["outcome"]["adopted"]
    assert closed["document_id"] is not None and closed["outcome"]["bound"] == ["RU"]
    assert "final outcome" in ok("session", "show", "1")
    listed = json.loads(ok("session", "list", "--body", "CSC", "--year", "2022", "--json"))
    assert [(s["id"], s["items"]) for s in listed] == [(1, 1)]
    assert "Yerevan" in ok("session", "list")

    with db.read_session() as s:
        actors = {e.actor for e in journal.entries(s, limit=20)
                  if e.command.startswith("decisions.")}
        recorded = {p.state: p.recorded_by for p in s.execute(select(PositionRow)).scalars()}
    assert len(actors) == 1 and next(iter(actors)).startswith("cli:")
    assert set(recorded) == {"AM", "RU"}


def _prepare_two_sessions() -> None:
    """In process, through the services, as the CLI would: session 1 in 2013 (Uzbekistan
    holds no seat) with open item 1; session 2 with item 2, closed."""
    from collsec import cli
    from collsec.decisions import cli as session_cli

    cli._acting["user"] = None  # the operator, whoever an earlier in-process run acted as
    operator = cli.operator()
    russia = session_cli.delegation("RU")
    now = clock.now()
    with db.write_session() as s:
        c = auth.clearance(s, operator, clock.today(), "CSTO")
        for day, title in ((dt.date(2013, 5, 1), "Statement"), (dt.date(2024, 11, 28), "Closed")):
            sid = sessions.convene(s, c, operator, org="CSTO", body="CSC", kind="regular",
                                   date=day).id
            sessions.add_item(s, c, operator, session_id=sid, title_en=title,
                              draft_kind="statement", matter="substantive")
        sessions.record_position(s, auth.clearance(s, russia, clock.today(), "CSTO"), russia,
                                 item_id=2, state="RU", position="support", now=now)
        sessions.close_item(s, c, operator, item_id=2, now=now)


def test_seat_all_and_a_proxy_position_the_delegation_then_overrides(csto_db: str) -> None:
    """Issue 12, point 7 at the command line: every entitled delegation seated in one
    command; a proxy marked as such in `session show` until the delegation speaks."""
    ok("session", "convene", "--body", "CSC", "--date", "2025-11-27", "--host", "KG")
    assert ok("session", "seat", "1", "--all") == \
        "seated AM, BY, KG, KZ, RU, TJ at session 1\n"
    assert "already seated" in ok("session", "seat", "1", "--all")
    ok("session", "item", "1", "--title-en", "Budget for 2026")
    for state in ("BY", "KG", "KZ", "RU", "TJ"):
        ok("session", "position", "1", state, "support")
    proxied = ok("session", "proxy", "1", "AM", "not_participating", "--instruction",
                 "note 12/34 of 25 November")
    assert "by proxy on note 12/34 of 25 November" in proxied
    assert "limited format" in proxied
    assert "[by proxy, on note 12/34 of 25 November]" in ok("session", "show", "1")
    as_json = json.loads(ok("session", "proxy", "1", "AM", "abstain", "--instruction",
                            "note 12/35", "--json"))
    assert as_json["by_proxy"] and as_json["outcome"]["adopted"]
    ok("session", "position", "1", "AM", "support")  # the delegation's own, over the proxy
    text = ok("session", "show", "1", "--lang", "ru")
    assert "сначала записано по поручению, на основании: note 12/35" in text
    refused = run("session", "proxy", "1", "AM", "object", "--instruction", "note 9")
    assert refused.returncode == 2 and "stated its position itself" in refused.stderr
    with db.read_session() as s:
        seat_entries = [e for e in journal.entries(s, limit=50)
                        if e.command == "decisions.seat_delegations"]
    assert len(seat_entries) == 1  # six seats, one command, one entry


def test_bad_input_exits_2_with_one_line_and_writes_nothing(csto_db: str) -> None:
    _prepare_two_sessions()
    with db.read_session() as s:
        before = s.scalar(select(func.count()).select_from(journal.JournalEntry))
    sessions_before, items_before, positions_before = (count(SessionRow), count(AgendaItemRow),
                                                       count(PositionRow))
    for args, needle in [
        (("session", "position", "1", "UZ", "support"), "holds no seat"),
        (("session", "position", "2", "AM", "object"), "closed"),
        (("session", "position", "1", "RU", "perhaps"), "unknown position"),
        (("session", "convene", "--body", "XYZ", "--date", "2024-01-01"), "unknown body"),
        (("session", "convene", "--body", "CSC", "--date", "2024-13-01"), "not a valid date"),
        (("session", "convene", "--body", "CSC", "--date", "2024-01-01", "--kind",
          "extraordinary"), "needs 1 request"),
        (("session", "item", "1", "--title-en", "War", "--matter", "war"),
         "unknown kind of matter"),
        (("session", "seat", "1", "UZ"), "cannot sit"),
        (("session", "seat", "1"), "name one state or give --all"),
        (("session", "seat", "1", "KZ", "--all"), "name one state or give --all"),
        (("session", "seat", "1", "--all", "--represented-by", "x"), "seat that delegation"),
        (("session", "proxy", "1", "KZ", "support", "--instruction", " "),
         "needs the written instruction"),
        (("session", "proxy", "2", "KZ", "support", "--instruction", "note 1"), "closed"),
        (("session", "close", "2"), "already closed"),
        (("session", "show", "42"), "unknown session 42"),
        (("withdrawal", "CN", "--notice-on", "2031-01-01"), "not a member"),
    ]:
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert needle in r.stderr, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(journal.JournalEntry)) == before
    assert (count(SessionRow), count(AgendaItemRow), count(PositionRow)) == (
        sessions_before, items_before, positions_before)


def test_a_withdrawal_notice(csto_db: str) -> None:
    out = ok("withdrawal", "KZ", "--notice-on", "2031-03-15")
    assert "KZ gave notice on 2031-03-15; it withdraws from CSTO on 2031-09-15" in out
    r = run("withdrawal", "KZ", "--notice-on", "2031-04-01")
    assert r.returncode == 2 and "already given notice" in r.stderr
