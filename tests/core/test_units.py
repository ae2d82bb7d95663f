"""Commands and queries run by an interface: `run(ctx, ...)` owns the unit of work and fills
the service's parameters from the context; a page's `Reading` takes queries only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.auth.tables import AuditRow
from collsec.core.commands import Reading, reading
from collsec.core.context import Context
from collsec.core.errors import CollsecError
from collsec.core.journal import JournalEntry
from collsec.crisis.incidents import service as incidents
from collsec.registry import service as registry

DAY = dt.date(2022, 1, 5)
NOW = dt.datetime(2022, 1, 5, 9, tzinfo=dt.UTC)
DUTY_KZ = auth.Actor(2, "duty-kz", Principal.parse("delegation:KZ"),
                     frozenset({"duty_officer"}), "api")
READER_AM = auth.Actor(4, "am-reader", Principal.parse("delegation:AM"), frozenset({"viewer"}),
                       "api")
POINT = {"type": "Point", "coordinates": [76.9, 43.2]}


def _ctx(actor: auth.Actor, day: dt.date = DAY, now: dt.datetime = NOW) -> Context:
    with db.read_session() as s:
        c = auth.clearance(s, actor, day, "CSTO")
    return Context("CSTO", registry.charter_for("CSTO"), actor, c, now, day, "en")


def _count(model: type) -> int:
    with db.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _report(ctx: Context, **extra: object) -> incidents.IncidentRow:
    values: dict[str, object] = {"type": "mass_unrest", "severity": 3, "occurred_at": NOW,
                                 "geometry": POINT, "title": "Unrest"}
    return incidents.report_incident.run(ctx, **{**values, **extra})


def test_a_command_run_with_a_context_commits_one_entry_by_its_actor_at_its_time(
        csto_db: str) -> None:
    before = _count(JournalEntry)
    row = _report(_ctx(DUTY_KZ))
    assert _count(JournalEntry) == before + 1
    with db.read_session() as s:
        entry = s.scalars(select(JournalEntry).order_by(JournalEntry.seq.desc())).first()
        stored = s.get(incidents.IncidentRow, row.id)
    assert entry is not None and entry.command == "crisis.report_incident"
    assert entry.actor == "api:duty-kz"
    assert stored is not None and stored.owner == "delegation:KZ" and stored.org == "CSTO"


def test_a_refused_command_run_with_a_context_changes_nothing(csto_db: str) -> None:
    before = _count(JournalEntry), _count(incidents.IncidentRow)
    with pytest.raises(CollsecError):
        _report(_ctx(DUTY_KZ), type="no_such_type")
    with pytest.raises(auth.NotEntitled):
        _report(_ctx(READER_AM))  # a viewer reports nothing: the decision point refuses
    assert (_count(JournalEntry), _count(incidents.IncidentRow)) == before


def test_positional_arguments_skip_the_parameters_the_context_fills(csto_db: str) -> None:
    # advance(session, c, actor, incident_id, new_status, note, now, org): the caller's
    # three values land on incident_id, new_status and note; c, actor, now and org are the
    # context's.
    crc = auth.Actor(3, "crc-duty", Principal.parse("organ:CRC"), frozenset({"duty_officer"}),
                     "api")
    row = _report(_ctx(DUTY_KZ))
    later = NOW + dt.timedelta(hours=2)
    moved = incidents.advance.run(_ctx(crc, now=later), row.id, "assessed", "beyond means")
    assert moved.status == "assessed"
    with db.read_session() as s:
        (update,) = incidents.updates_of(s, row.id)
    assert update.by == "crc-duty" and update.note == "beyond means"
    assert update.at.replace(tzinfo=dt.UTC) == later


def test_a_value_passed_by_name_wins_over_the_context(use_db: str) -> None:
    # the registry's public reads name their organization (the CST is in the CSTO's data)
    ctx = _ctx(READER_AM)
    assert {v.org for v in registry.members.run(ctx, org="CST", as_of=DAY)} == {"CST"}
    assert {v.org for v in registry.members.run(ctx, as_of=DAY)} == {"CSTO"}


def test_too_many_positional_arguments_are_an_error_not_a_shift(use_db: str) -> None:
    with pytest.raises(TypeError, match="positional"):
        registry.bodies.run(_ctx(READER_AM), "CSTO", DAY, "extra")


def test_a_reading_runs_queries_only(use_db: str) -> None:
    with reading(_ctx(READER_AM)) as read:
        assert isinstance(read, Reading)
        assert read(registry.get_organization, "CSTO").code == "CSTO"
        with pytest.raises(TypeError, match="not a query"):
            read(incidents.report_incident, type="mass_unrest")  # a command is not a read
        with pytest.raises(TypeError, match="not a query"):
            read(incidents.as_dict, None)  # nor is a plain function


def test_a_query_run_audits_the_restricted_rows_it_returns(csto_db: str) -> None:
    row = _report(_ctx(DUTY_KZ), released_to=["delegation:AM"])
    before = _count(AuditRow)
    found = incidents.list_incidents.run(_ctx(DUTY_KZ))
    assert row.id in {r.id for r in found}
    assert _count(AuditRow) == before + 1  # one row per query, naming the ids


# -- the driver's unit of work (a report run by an interface) ------------------------------

def test_a_report_on_the_driver_reads_back_as_one_stored_in_a_session(csto_db: str) -> None:
    """The same report through a driver unit (`run`) and inside a session: the rows, the
    releases and the journal payloads are the same, times included."""
    ctx = _ctx(DUTY_KZ)
    given = {"type": "mass_unrest", "severity": 3, "occurred_at": NOW - dt.timedelta(hours=2),
             "geometry": POINT, "title": "Unrest", "description": "crowd",
             "released_to": ["delegation:am", "delegation:RU"]}
    on_driver = incidents.report_incident.run(ctx, **given)
    with db.write_session() as s:
        in_session = incidents.report_incident(s, ctx.clearance, DUTY_KZ, now=NOW, **given)
    with db.read_session() as s:
        a, b = (s.get(incidents.IncidentRow, i) for i in (on_driver.id, in_session.id))
        assert a is not None and b is not None
        columns = [c.key for c in incidents.IncidentRow.__table__.columns if c.key != "id"]
        assert {k: getattr(a, k) for k in columns} == {k: getattr(b, k) for k in columns}
        assert incidents.as_dict(a) == incidents.as_dict(on_driver)  # what `run` returned
        assert incidents.released_to(s, a) == incidents.released_to(s, b) == [
            "delegation:AM", "delegation:RU"]
        entries = s.scalars(select(JournalEntry).order_by(JournalEntry.seq.desc()).limit(2)).all()
    payloads = [json.loads(e.payload) for e in entries]
    for p, e in zip(payloads, entries, strict=True):
        assert p.pop("id") == p["live"][0].pop("id") and e.live
    assert payloads[0] == payloads[1]


def test_a_refused_report_on_the_driver_writes_nothing_and_frees_the_database(
        csto_db: str) -> None:
    before = _count(JournalEntry), _count(incidents.IncidentRow)
    with pytest.raises(CollsecError, match="XX"):
        _report(_ctx(DUTY_KZ), released_to=["delegation:XX"])  # no such state: after the row
    assert (_count(JournalEntry), _count(incidents.IncidentRow)) == before
    _report(_ctx(DUTY_KZ))  # the write lock was given back
    assert _count(JournalEntry) == before[0] + 1
