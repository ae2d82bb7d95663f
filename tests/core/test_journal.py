"""The journal's hash chain: intact after changes, broken (and named) after tampering."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from collsec.core import db, journal
from collsec.registry import service


def _verify() -> journal.Verdict:
    with db.read_session() as s:
        return journal.verify(s)


def test_a_fresh_load_verifies(csto_db: str) -> None:
    verdict = _verify()
    assert verdict.ok and verdict.entries == 1


def test_each_change_appends_one_chained_entry(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, actor="test", org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.read_session() as s:
        rows = journal.entries(s)
    assert [r.seq for r in rows] == [2, 1]
    assert rows[0].prev_hash == rows[1].hash
    assert _verify().ok


def test_editing_a_payload_breaks_the_chain_at_that_entry(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, actor="test", org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE journal SET payload = replace(payload, 'KZ', 'RU') "
                          "WHERE seq = 2"))
    verdict = _verify()
    assert not verdict.ok
    assert verdict.first_broken == 2


def test_deleting_the_last_entry_is_detected(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, actor="test", org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.engine().begin() as conn:
        conn.execute(text("DELETE FROM journal WHERE seq = 2"))
    assert not _verify().ok


def test_a_failed_command_writes_no_entry(csto_db: str) -> None:
    try:
        with db.write_session() as s:
            service.change_status(s, actor="test", org="CSTO", state="KZ", status="nonsense",
                                  on=dt.date(2030, 1, 1))
    except Exception:
        pass
    assert _verify().entries == 1
