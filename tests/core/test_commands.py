"""The unit of work: one journal entry per user command, with its nested steps and the live
events of what it changed; reads that return restricted incidents are audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import commands, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.auth.tables import AuditRow
from collsec.core.journal import JournalEntry
from collsec.crisis.escalation import service as escalation
from collsec.crisis.incidents import service as incidents
from collsec.crisis.live import model as live
from collsec.replay import runner
from tests.builders import council_decision, representative

DAY = dt.date(2022, 1, 5)
NOW = dt.datetime(2022, 1, 5, 9, tzinfo=dt.UTC)
DUTY_KZ = auth.Actor(2, "duty-kz", Principal.parse("delegation:KZ"),
                     frozenset({"duty_officer"}), "api")
CRC = auth.Actor(3, "crc-duty", Principal.parse("organ:CRC"), frozenset({"duty_officer"}), "api")


def _act(who: auth.Actor, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, DAY, "CSTO"), who, *args, **kwargs)


def _entries(after: int = 0) -> list[JournalEntry]:
    with db.read_session() as s:
        return list(s.execute(select(JournalEntry).where(JournalEntry.seq > after)
                              .order_by(JournalEntry.seq)).scalars())


def _head() -> int:
    found = _entries()
    return found[-1].seq if found else 0


def _assessed(released_to: list[str] | None = None) -> int:
    row = _act(DUTY_KZ, incidents.report_incident, type="mass_unrest", severity=3,
               occurred_at=NOW, geometry={"type": "Point", "coordinates": [76.9, 43.2]},
               title="Unrest", now=NOW, released_to=released_to)
    _act(CRC, incidents.advance, row.id, "assessed", "beyond national means", NOW)
    return int(row.id)


def test_a_request_citing_an_incident_is_one_entry_that_escalates_and_announces_it(
        csto_db: str) -> None:
    incident = _assessed()
    before = _head()
    _act(representative("KZ"), escalation.request_consultations, state="KZ", on=DAY,
         subject_en="Unrest", incidents=[incident], now=NOW)
    new = _entries(before)
    assert [e.command for e in new] == ["crisis.request_consultations"]
    payload = json.loads(new[0].payload)
    assert [s["command"] for s in payload["steps"]] == ["crisis.escalate_incident",
                                                        "decisions.convene"]
    assert new[0].actor == "cli:rep-kz" and new[0].live
    # the live broker reads the escalation from the journal like any other update
    heard = live.from_entry(new[0].seq, new[0].command, new[0].payload, 0.0)
    assert [(a.object_id, a.kind) for a in heard] == [(incident, "updated")]
    with db.read_session() as s:
        assert [u.status_to for u in incidents.updates_of(s, incident)] == ["assessed",
                                                                            "escalated"]
        assert journal.verify(s).ok


def test_closing_an_adopted_request_is_one_entry_with_the_mission_it_opens(
        csto_db: str) -> None:
    council_decision(DAY, code="M-ONE", close=False)
    before = _head()
    item = council_decision(DAY, code="M-TWO")
    closing = _entries(before)[-1]
    assert closing.command == "decisions.close_item"
    steps = [s["command"] for s in json.loads(closing.payload)["steps"]]
    assert sorted(steps) == ["crisis.decide_request", "crisis.open_mission",
                             "documents.create"]
    assert json.loads(closing.payload)["item"] == item


def test_a_rolled_back_command_leaves_no_entry_and_no_event(csto_db: str) -> None:
    before = _head()
    with pytest.raises(RuntimeError), db.write_session() as s:
        journal.record(s, actor="test", command="test.nothing", payload={})
        commands.announce(s, "incident", 1, "updated")
        raise RuntimeError("the command fails after staging")
    assert _head() == before


def test_every_replayed_step_is_one_entry_of_a_registered_command(tmp_path: Path) -> None:
    """The shipped replays drive every kind of command through the services: each step that
    changes something writes exactly one entry, named by a registered command."""
    from tests.conftest import create_database, drop_database

    for name in ("kazakhstan-2022", "bishkek-csc-2019"):
        url = create_database(tmp_path / name)
        (tmp_path / name).mkdir(exist_ok=True)
        try:
            report = runner.run(runner.read_scenario(runner.find(name, "CSTO")), db.engine_for(url))
            assert report.ok
            with db.read_session(db.engine_for(url)) as s:
                entries = list(s.execute(select(JournalEntry.command)).scalars())
            # the base load and the operator account, then one entry per step
            assert len(entries) == 2 + len(report.steps)
            assert set(entries) <= set(commands.COMMANDS), set(entries) - set(commands.COMMANDS)
        finally:
            drop_database(url)


def test_lists_and_the_situation_audit_the_restricted_incidents_they_return(
        csto_db: str) -> None:
    kept = _act(DUTY_KZ, incidents.report_incident, type="mass_unrest", severity=2,
                occurred_at=NOW, geometry={"type": "Point", "coordinates": [76.9, 43.2]},
                title="For RU only", now=NOW, released_to=["delegation:RU"]).id
    ru = auth.Actor(4, "reader-ru", Principal.parse("delegation:RU"), frozenset({"viewer"}),
                    "web")
    with db.read_session() as s:
        c = auth.clearance(s, ru, DAY, "CSTO")
        assert [r.id for r in incidents.list_incidents(s, c, now=NOW)] == [kept]
        assert incidents.situation(s, c, now=NOW).total == 1
    with db.read_session() as s:
        rows = list(s.execute(select(AuditRow).where(AuditRow.username == "reader-ru")
                              .order_by(AuditRow.id)).scalars())
    assert [(r.kind, r.object_type, r.detail, r.via) for r in rows] == [
        ("read", "incident", f"list: {kept}", "web"),
        ("read", "incident", f"situation: {kept}", "web")]


def test_a_command_that_asks_for_an_action_must_take_a_clearance() -> None:
    def no_clearance(session: Session) -> None: ...

    with pytest.raises(TypeError, match="needs an action's clearance: a parameter `c`"):
        commands.command("test.no_clearance", action="read")(no_clearance)
    assert "test.no_clearance" not in commands.COMMANDS


def test_a_plain_query_runs_alone_on_a_connection_and_in_a_reading_on_its_session(
        csto_db: str) -> None:
    from sqlalchemy import Connection

    from collsec.core.context import Context
    from collsec.registry import service as registry

    seen: list[object] = []

    @commands.query(plain=True)
    def units(session: Session | Connection) -> int:
        seen.append(session)
        return int(db.connection_of(session).execute(select(JournalEntry.seq).limit(1))
                   .scalar() or 0)

    ctx = Context("CSTO", registry.charter_for("CSTO"), CRC, None, NOW, DAY)  # type: ignore[arg-type]
    assert units.run(ctx) == 1
    with commands.reading(ctx) as read:
        assert read(units) == 1
    assert isinstance(seen[0], Connection) and isinstance(seen[1], Session)
    assert seen[0].closed and not seen[0].in_transaction()  # back to the pool, its end


def test_a_plain_read_writes_what_it_owes_as_it_ends_and_nothing_when_it_fails(
        csto_db: str) -> None:
    from sqlalchemy import Connection, func

    from collsec.core.context import Context
    from collsec.registry import service as registry

    ctx = Context("CSTO", registry.charter_for("CSTO"), CRC, None, NOW, DAY)  # type: ignore[arg-type]
    with db.read_session() as s:
        c = auth.clearance(s, CRC, DAY, "CSTO")

    @commands.query(plain=True)
    def audited(session: Session | Connection, fail: bool) -> int:
        auth.audit_ids(session, c, "incident", [7, 8], "test", at=NOW)
        if fail:
            raise ValueError("the read fails after its rows")
        return 2

    def rows() -> list[str]:
        with db.read_session() as s:
            return list(s.execute(select(AuditRow.detail).where(
                AuditRow.detail.startswith("test:"))).scalars())

    assert audited.run(ctx, fail=False) == 2
    assert rows() == ["test: 7,8"]
    with pytest.raises(ValueError):
        audited.run(ctx, fail=True)
    assert rows() == ["test: 7,8"]  # a failed read owes nothing
    with db.engine().connect() as conn:  # and leaves nothing owed on the pooled connection
        assert db.AFTER_READ not in conn.info
        assert conn.execute(select(func.count()).select_from(AuditRow)).scalar()
