"""The exercises on the embedded CSTO data: a series since its first, a state's part, the
status as known on a day from the decisions on it, and the Joint Staff's or the
Secretariat's decisions (one journal entry each, refused to others and for bad input)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.exercises import service
from tests.operations.conftest import NOW, officer


def _sec(s: Session) -> tuple[auth.Actor, auth.Clearance]:
    return officer(s, "sec-ex", "organ:SEC", ("editor",))


def test_the_interaction_series_runs_from_2009_with_its_readings(tx: Session) -> None:
    _, c = officer(tx, "reader", "external:press", ("viewer",))
    found = service.exercises(tx, c, series="interaction")
    codes = [e.row.code for e in found]
    assert codes[0] == "INT-2009" and "INT-2022" in codes
    years = [e.row.year for e in found]
    assert years == sorted(years)
    first = found[0]
    assert first.row.host == "KZ" and {"RU", "KZ"} <= {p.state for p in first.participants}
    assert first.details["personnel"] and all(r["sources"] for r in first.details["personnel"])


def test_the_2020_interaction_was_planned_then_postponed(tx: Session) -> None:
    _, c = officer(tx, "reader", "external:press", ("viewer",))
    e = service.exercise(tx, c, "INT-2020")
    assert e.row.status == "postponed" and e.decisions
    first = min(d.date for d in e.decisions)
    assert e.status_on(first - dt.timedelta(days=1)) == "planned"
    assert e.status_on(dt.date(2021, 1, 1)) == "postponed"


def test_armenia_hosted_no_exercise_after_2022_and_a_states_part_is_listed(tx: Session) -> None:
    _, c = officer(tx, "reader", "external:press", ("viewer",))
    armenia = service.exercises(tx, c, state="AM")
    assert armenia and not [e for e in armenia if e.row.host == "AM" and e.row.year >= 2023
                            and e.row.status == "held"]
    assert all(e.row.host == "AM" or "AM" in {p.state for p in e.participants}
               for e in armenia)


def test_a_decision_is_recorded_and_a_cancelled_exercise_takes_no_more(tx: Session) -> None:
    actor, c = _sec(tx)
    row = service.plan(tx, c, actor, series="rubezh", year=2027, name_en="Rubezh-2027",
                       host="TJ", states=["TJ", "RU"], now=NOW)
    assert row.code == "RUB-2027" and row.status == "planned"
    with pytest.raises(InvalidInput, match="say why"):
        service.record_decision(tx, c, actor, row.code, status="cancelled", on=NOW.date(),
                                decided_by="CDM", now=NOW)
    with pytest.raises(InvalidInput, match="not taken yet"):
        service.record_decision(tx, c, actor, row.code, status="moved",
                                on=NOW.date() + dt.timedelta(days=1), decided_by="CDM",
                                reason="host", now=NOW)
    service.record_decision(tx, c, actor, row.code, status="cancelled", on=NOW.date(),
                            decided_by="CDM", reason="the host withdrew", now=NOW)
    with pytest.raises(Conflict, match="no further decision"):
        service.record_decision(tx, c, actor, row.code, status="held", on=NOW.date(),
                                decided_by="CDM", now=NOW)
    again = service.plan(tx, c, actor, series="rubezh", year=2027, name_en="Rubezh-2027 bis",
                         now=NOW)
    assert again.code == "RUB-2027-2"


def test_only_the_joint_staff_or_the_secretariat_plans(tx: Session) -> None:
    actor, c = officer(tx, "kz-ed", "delegation:KZ", ("editor",))
    with pytest.raises(auth.NotEntitled, match="joint staff or the secretariat"):
        service.plan(tx, c, actor, series="search", year=2027, name_en="Search-2027", now=NOW)
    js_actor, js = officer(tx, "js-ed", "organ:JS", ("editor",))
    assert service.plan(tx, js, js_actor, series="search", year=2027, name_en="Search-2027",
                        now=NOW).code == "SRC-2027"


@pytest.mark.parametrize(("terms", "words"), [
    ({"series": "parade"}, "series is one of"),
    ({"year": 1900}, "not a year"),
    ({"start": dt.date(2026, 5, 1)}, "cannot start on"),
    ({"start": dt.date(2027, 5, 9), "end": dt.date(2027, 5, 1)}, "ends"),
    ({"name_en": " "}, "needs its name"),
    ({"host": "XX"}, "XX"),
])
def test_a_bad_plan_is_refused(tx: Session, terms: dict[str, object], words: str) -> None:
    actor, c = _sec(tx)
    with pytest.raises((InvalidInput, NotFound), match=words):
        service.plan(tx, c, actor, **{"series": "search", "year": 2027,
                                      "name_en": "Search-2027", **terms}, now=NOW)
