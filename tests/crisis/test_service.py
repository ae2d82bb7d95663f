"""Incident use cases on a real database: marking, narrowing, filters, workflow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow, IncidentUpdateRow

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
MINSK = {"type": "Point", "coordinates": [27.56, 53.9]}


def actor(principal: str, roles: tuple[str, ...] = ("duty_officer",),
          name: str = "duty") -> auth.Actor:
    return auth.Actor(1, name, Principal.parse(principal), frozenset(roles), "cli")


def report(principal: str = "delegation:KZ", *, released_to: list[str] | None = None,
           **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "type": "border_clash", "severity": 3,
        "occurred_at": dt.datetime(2025, 5, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        "geometry": ALMATY, "title": "Shots at the border", "description": ""}
    fields.update(overrides)
    a = actor(principal)
    with db.write_session() as s:
        c = auth.clearance(s, a, TODAY, "CSTO")
        row = service.report_incident(s, c, a, released_to=released_to, now=NOW, **fields)
        return row.id


def visible(principal: str, on: dt.date = TODAY, **filters: Any) -> set[int]:
    with db.read_session() as s:
        c = auth.clearance(s, actor(principal), on, "CSTO")
        return {r.id for r in service.list_incidents(s, c, **filters, now=NOW)}


def counts() -> tuple[int, int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(IncidentRow)) or 0,
                s.scalar(select(func.count()).select_from(IncidentUpdateRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


def test_the_taxonomy_is_read_from_the_data() -> None:
    tax = service.taxonomy("CSTO")
    assert "border_clash" in tax.types and set(tax.severities) == {1, 2, 3, 4}


def test_a_restricted_incident_is_seen_by_its_reporter_and_recipients_only(csto_db: str) -> None:
    inc = report(released_to=["delegation:ru"])
    assert inc in visible("delegation:KZ")
    assert inc in visible("delegation:RU")
    assert inc not in visible("delegation:BY")
    with db.read_session() as s:
        row = s.get(IncidentRow, inc)
        assert row is not None
        assert (row.visibility, row.owner, row.status) == ("restricted", "delegation:KZ",
                                                           "reported")
        assert row.occurred_at.replace(tzinfo=None) == dt.datetime(2025, 5, 1, 5, 30)
    with db.write_session() as s:
        by = actor("delegation:BY", ("viewer",))
        result = service.get_incident(s, auth.clearance(s, by, TODAY, "CSTO"), by, inc, NOW)
    assert result.row is None and result.refusal is not None
    assert result.refusal.status == 404 and result.refusal.detail == f"unknown incident {inc}"
    with db.write_session() as s:
        ru = actor("delegation:RU", ("viewer",))
        seen = service.get_incident(s, auth.clearance(s, ru, TODAY, "CSTO"), ru, inc, NOW)
        assert seen.unwrap().id == inc and seen.released_to == ["delegation:RU"]


def test_an_unreleased_incident_is_seen_by_members_not_a_suspended_state(
        csto_db: str) -> None:
    inc = report()
    for state in ("KZ", "RU", "BY", "AM", "KG", "TJ"):
        assert inc in visible(f"delegation:{state}"), state
    assert inc not in visible("delegation:UZ", on=dt.date(2013, 1, 1))


def test_the_journal_records_each_report_once(csto_db: str) -> None:
    before = counts()
    report()
    after = counts()
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1
    with db.read_session() as s:
        assert [e.command for e in journal.entries(s)].count("crisis.report_incident") == 1


@pytest.mark.parametrize("overrides,error", [
    ({"geometry": {"type": "Circle", "coordinates": [1, 2]}}, InvalidInput),
    ({"geometry": {"type": "Point", "coordinates": [76.0, 95.0]}}, InvalidInput),
    ({"type": "alien_landing"}, NotFound),
    ({"severity": 9}, InvalidInput),
    ({"occurred_at": dt.datetime(2025, 5, 1, 10, 30)}, InvalidInput),
    ({"occurred_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, InvalidInput),
    ({"title": "  "}, InvalidInput),
])
def test_bad_input_writes_nothing(csto_db: str, overrides: dict[str, Any],
                                  error: type[CollsecError]) -> None:
    before = counts()
    with pytest.raises(error):
        report(**overrides)
    assert counts() == before


def test_only_a_crisis_centre_reports(csto_db: str) -> None:
    with pytest.raises(auth.NotEntitled):
        report("organ:SEC")
    assert report("organ:CRC") in visible("delegation:BY")
    with pytest.raises(auth.NotEntitled):  # a viewer has no report_incident
        a = actor("delegation:KZ", ("viewer",))
        with db.write_session() as s:
            service.report_incident(s, auth.clearance(s, a, TODAY, "CSTO"), a, type="border_clash",
                                    severity=None, occurred_at=NOW, geometry=ALMATY,
                                    title="t", now=NOW)


def test_filters_by_box_time_type_and_status(csto_db: str) -> None:
    almaty = report(occurred_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    minsk = report("delegation:BY", geometry=MINSK, type="mass_unrest",
                   occurred_at=dt.datetime(2025, 5, 20, tzinfo=dt.UTC))
    assert visible("delegation:RU") >= {almaty, minsk}
    assert visible("delegation:RU", bbox=service.parse_bbox("70,40,80,45")) == {almaty}
    assert visible("delegation:RU", since=dt.datetime(2025, 5, 10, tzinfo=dt.UTC)) == {minsk}
    assert visible("delegation:RU", until=dt.datetime(2025, 5, 10, tzinfo=dt.UTC)) == {almaty}
    assert visible("delegation:RU", types=["mass_unrest"]) == {minsk}
    assert visible("delegation:RU", state="closed") == set()
    with pytest.raises(NotFound):
        visible("delegation:RU", types=["nonsense"])
    with pytest.raises(InvalidInput):
        service.parse_bbox("80,40,70,45")
    with pytest.raises(InvalidInput):
        service.parse_bbox("1,2,3")


def advance(principal: str, inc: int, status: str) -> str:
    a = actor(principal)
    with db.write_session() as s:
        return service.advance(s, auth.clearance(s, a, TODAY, "CSTO"), a, inc, status, "note",
                               NOW).status


def test_the_owner_advances_its_incident_and_nothing_goes_back(csto_db: str) -> None:
    inc = report()
    assert advance("delegation:KZ", inc, "assessed") == "assessed"
    before = counts()
    with pytest.raises(Conflict):
        advance("delegation:KZ", inc, "reported")
    with pytest.raises(auth.NotEntitled):
        advance("delegation:RU", inc, "closed")
    for centre in ("delegation:KZ", "organ:CRC"):  # escalation is a member's request's act
        with pytest.raises(Conflict, match="only when a member's request"):
            advance(centre, inc, "escalated")
    assert counts() == before
    assert advance("organ:CRC", inc, "closed") == "closed"
    with db.read_session() as s:
        moves = s.execute(select(IncidentUpdateRow.status_from, IncidentUpdateRow.status_to)
                          .where(IncidentUpdateRow.incident_id == inc)
                          .order_by(IncidentUpdateRow.id)).all()
    assert [tuple(m) for m in moves] == [("reported", "assessed"), ("assessed", "closed")]
