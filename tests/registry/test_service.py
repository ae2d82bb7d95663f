"""Registry use cases on a real database with the embedded CSTO loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import (
    IntervalOverlap,
    InvalidInput,
    UnknownOrganization,
    UnknownState,
    UnknownStatus,
)
from collsec.registry import service
from collsec.registry.tables import ChairDeclineRow, MembershipRow

D = dt.date


def persona(principal: str, role: str, name: str) -> auth.Actor:
    """A signed-in actor of a principal holding one role, as the API would see it."""
    return auth.Actor(1, name, Principal.parse(principal), frozenset({role}), "api")


EDITOR = persona("organ:SEC", "editor", "sec-editor")


def _as(actor: auth.Actor, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a registry command in its own transaction as `actor`, cleared as of today in the
    command's organization."""
    with db.write_session() as s:
        c = auth.clearance(s, actor, D.today(), str(kwargs.get("org", "CSTO")))
        return fn(s, c, actor, **kwargs)


def _codes(views: list[service.MembershipView]) -> set[str]:
    return {v.state.code for v in views}


def test_six_members_today_with_armenia_frozen(use_db: str) -> None:
    with db.read_session() as s:
        views = service.members(s, "CSTO", D(2026, 11, 23))
    assert _codes(views) == {"AM", "BY", "KZ", "KG", "RU", "TJ"}
    armenia = next(v for v in views if v.state.code == "AM")
    assert armenia.status.code == "participation_frozen"
    assert armenia.counted_as_member and not armenia.takes_part


def test_uzbekistan_is_a_member_in_2011_and_suspended_in_2013(use_db: str) -> None:
    with db.read_session() as s:
        assert "UZ" in _codes(service.members(s, "CSTO", D(2011, 6, 1)))
        assert "UZ" not in _codes(service.members(s, "CSTO", D(2013, 1, 1)))
        every = service.members(s, "CSTO", D(2013, 1, 1), every_status=True)
    uz = next(v for v in every if v.state.code == "UZ")
    assert uz.status.code == "participation_suspended" and not uz.takes_part


def test_the_decision_points_status_query_agrees_with_the_full_view(use_db: str) -> None:
    """`status_code_on` (one query, asked by every request's clearance) gives what
    `status_of` gives, on each interval's first day, the day before it and its end day."""
    with db.read_session() as s:
        rows = list(s.execute(select(MembershipRow)).scalars())
        days = sorted({d for r in rows for edge in (r.valid_from, r.valid_to) if edge
                       for d in (edge - dt.timedelta(days=1), edge)})
        asked = 0
        for org, state in sorted({(r.org, r.state) for r in rows}):
            for day in days:
                full = service.status_of(s, org, state, day)
                assert service.status_code_on(s, org, state, day) == (
                    full.status.code if full else None), (org, state, day)
                asked += 1
        assert asked > 100
        assert service.status_code_on(s, "CSTO", "CN", dt.date(2025, 1, 1)) is None


def test_every_membership_names_a_known_source(use_db: str) -> None:
    with db.read_session() as s:
        known = {src.id for src in service.sources(s)}
        for code in ("AM", "UZ", "AZ"):
            for v in service.state_history(s, code):
                assert v.fact.sources and set(v.fact.sources) <= known


@pytest.mark.parametrize("year,state", [(2019, "KG"), (2020, "RU"), (2021, "TJ"),
                                        (2024, "KZ")])
def test_recorded_chairs_come_from_the_seeds(use_db: str, year: int, state: str) -> None:
    with db.read_session() as s:
        c = service.chair(s, "CSTO", year)
    assert (c.state.code, c.basis) == (state, "recorded")
    assert c.fact.sources


def test_an_unrecorded_year_is_computed_by_rotation(use_db: str) -> None:
    with db.read_session() as s:
        assert (service.chair(s, "CSTO", 2025).state.code,
                service.chair(s, "CSTO", 2025).basis) == ("KG", "computed")
        # Armenia does not take part from 2024, so its turn in 2028 passes to Belarus.
        assert service.chair(s, "CSTO", 2028).state.code == "BY"


def test_secretary_general_as_of_dates(use_db: str) -> None:
    with db.read_session() as s:
        def sg(day: D) -> str:
            return next(t.holder_en for t in service.office_terms(s, "CSTO", day)
                        if t.office.code == "SG")
        assert sg(D(2015, 6, 1)) == "Nikolai Bordyuzha"
        assert sg(D(2021, 6, 1)) == "Stanislav Zas"
        assert sg(D(2024, 4, 16)) == "Imangali Tasmagambetov"


def test_bodies_include_working_groups_with_their_parent(use_db: str) -> None:
    with db.read_session() as s:
        bodies = {b.code: b for b in service.bodies(s, "CSTO", D(2024, 1, 1))}
    assert {"CSC", "CFM", "CDM", "CSSC", "PC", "SEC", "JS", "CRC"} <= set(bodies)
    assert bodies["WGA"].parent == "CFM"


def test_bodies_founded_later_are_absent_earlier(use_db: str) -> None:
    with db.read_session() as s:
        assert not [b for b in service.bodies(s, "CSTO", D(2001, 1, 1)) if b.code == "CSC"]


def _counts() -> tuple[int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(MembershipRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


@pytest.mark.parametrize("kwargs,error", [
    (dict(state="KZ", status="member", valid_from=D(2020, 1, 1)), IntervalOverlap),
    (dict(state="CN", status="associate", valid_from=D(2030, 1, 1)), UnknownStatus),
    (dict(state="XX", status="member", valid_from=D(2030, 1, 1)), UnknownState),
    (dict(state="KZ", status="member", valid_from=D(2030, 1, 1), org="NATO"),
     UnknownOrganization),
    (dict(state="CN", status="observer", valid_from=D(2030, 1, 1),
          source_ids=["no-such-source"]), InvalidInput),
])
def test_bad_memberships_are_refused_and_nothing_is_written(
        csto_db: str, kwargs: dict, error: type[Exception]) -> None:
    before = _counts()
    args = {"org": "CSTO", **kwargs}
    with pytest.raises(error):
        _as(EDITOR, service.add_membership, **args)
    assert _counts() == before


def test_a_status_change_closes_one_interval_and_opens_the_next(csto_db: str) -> None:
    _as(EDITOR, service.change_status, org="CSTO", state="KG",
        status="participation_suspended", on=D(2030, 1, 1))
    with db.read_session() as s:
        history = [v for v in service.state_history(s, "KG") if v.org == "CSTO"]
        assert [(v.status.code, v.valid_from, v.valid_to) for v in history] == [
            ("member", D(2002, 10, 7), D(2030, 1, 1)),
            ("participation_suspended", D(2030, 1, 1), None)]
        assert "KG" in _codes(service.members(s, "CSTO", D(2029, 12, 31)))
        assert "KG" not in _codes(service.members(s, "CSTO", D(2030, 1, 1)))


def test_a_change_that_would_rewrite_history_is_refused(csto_db: str) -> None:
    before = _counts()
    with pytest.raises(InvalidInput):
        _as(EDITOR, service.change_status, org="CSTO", state="AM", status="member",
            on=D(2020, 1, 1))
    assert _counts() == before


# -- who may change the registry: roles holding edit_registry (policy.yaml) -------------

# Each registry command with terms it accepts from an editor on the loaded CSTO data.
CHANGES: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "registry.add_membership": (service.add_membership, dict(
        org="CSTO", state="CN", status="observer", valid_from=D(2030, 1, 1))),
    "registry.change_status": (service.change_status, dict(
        org="CSTO", state="KG", status="participation_suspended", on=D(2030, 1, 1))),
    "registry.decline_chair": (service.decline_chair, dict(
        org="CSTO", year=2027, state="TJ", on=D(2026, 11, 1))),
    "registry.end_status": (service.end_status, dict(
        org="CSTO", state="KG", status="member", on=D(2030, 1, 1))),
}


def _registry_state() -> tuple[Any, ...]:
    """Everything these commands can change: intervals (with their ends), declined turns
    and the journal."""
    with db.read_session() as s:
        intervals = sorted(s.execute(select(MembershipRow.id, MembershipRow.valid_to)).all())
        declines = s.scalar(select(func.count()).select_from(ChairDeclineRow)) or 0
        entries = s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0
    return intervals, declines, entries


@pytest.mark.parametrize("command", sorted(CHANGES))
@pytest.mark.parametrize("actor,refusal", [
    (persona("delegation:KZ", "representative", "kz-rep"), auth.NotEntitled),
    (persona("organ:SEC", "viewer", "sec-viewer"), auth.NotEntitled),
    (auth.anonymous("api"), auth.Unauthenticated),
], ids=["representative", "viewer", "anonymous"])
def test_a_change_needs_edit_registry_and_a_refusal_writes_nothing(
        csto_db: str, command: str, actor: auth.Actor, refusal: type[Exception]) -> None:
    fn, terms = CHANGES[command]
    before = _registry_state()
    with pytest.raises(refusal, match="edit registry"):
        _as(actor, fn, **terms)
    assert _registry_state() == before


@pytest.mark.parametrize("command", sorted(CHANGES))
def test_an_editor_changes_the_registry_and_the_journal_names_them(
        csto_db: str, command: str) -> None:
    fn, terms = CHANGES[command]
    _, declines, entries = _registry_state()
    _as(EDITOR, fn, **terms)
    with db.read_session() as s:
        entry = journal.entries(s, limit=1)[0]
        assert s.scalar(select(func.count()).select_from(journal.JournalEntry)) == entries + 1
        assert (s.scalar(select(func.count()).select_from(ChairDeclineRow)) == declines
                + (command == "registry.decline_chair"))
    assert (entry.command, entry.actor) == (command, "api:sec-editor")
