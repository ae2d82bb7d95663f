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
from collsec.registry import chairs, relations, service
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


# Each handover at a regular session 2010-2023 (the register, sessions.yaml), and the
# calendar years after it: (first day of the new term, chair before, chair from that day).
# The outgoing chair presides over the session where it hands over, so a term taken at a
# session begins the next day.
SESSION_HANDOVERS = [
    (D(2010, 12, 10), "RU", "BY"), (D(2011, 12, 20), "BY", "KZ"), (D(2012, 12, 19), "KZ", "KG"),
    (D(2013, 9, 23), "KG", "RU"), (D(2014, 12, 23), "RU", "TJ"), (D(2015, 9, 15), "TJ", "AM"),
    (D(2016, 10, 14), "AM", "BY"), (D(2017, 11, 30), "BY", "KZ"), (D(2018, 11, 8), "KZ", "KG"),
    (D(2019, 11, 28), "KG", "RU"), (D(2020, 12, 2), "RU", "TJ"), (D(2021, 9, 16), "TJ", "AM"),
    (D(2022, 11, 23), "AM", "BY"),
]
HANDOVERS = [(day + dt.timedelta(days=1), a, b) for day, a, b in SESSION_HANDOVERS] + [
    (D(2024, 1, 1), "BY", "KZ"), (D(2025, 1, 1), "KZ", "KG"), (D(2026, 1, 1), "KG", "RU")]


@pytest.mark.parametrize("day,before,after", HANDOVERS, ids=[str(h[0]) for h in HANDOVERS])
def test_the_chair_changes_hands_at_each_handover(use_db: str, day: D, before: str,
                                                  after: str) -> None:
    with db.read_session() as s:
        was = chairs.chair_on(s, "CSTO", day - dt.timedelta(days=1))
        now = chairs.chair_on(s, "CSTO", day)
        later = chairs.chair_on(s, "CSTO", day + dt.timedelta(days=1))
    assert was.state is not None and was.state.code == before
    assert now.state is not None and later.state is not None
    assert (now.state.code, later.state.code) == (after, after)
    assert now.since == day and was.until == day
    assert now.reason_en and now.reason_ru and (now.fact.sources or now.basis == "computed")


def test_a_chair_taken_at_a_session_names_its_rule_the_session_and_its_sources(
        use_db: str) -> None:
    with db.read_session() as s:
        c = chairs.chair_on(s, "CSTO", D(2013, 3, 1))
    assert c.state is not None and c.state.code == "KG" and c.basis == "recorded"
    assert c.rule == "regular_session" and c.session is not None
    assert (c.session.date, c.session.host.code if c.session.host else None) == (
        D(2012, 12, 19), "RU")
    assert (c.since, c.until, c.next_session) == (D(2012, 12, 20), D(2013, 9, 24),
                                                  D(2013, 9, 23))
    assert c.last_day == D(2013, 9, 23)  # it presided over the Sochi session
    assert "2012-12-19" in c.reason_en and "Москва" in c.reason_ru
    assert "web-tass-2012-kg-chair" in c.fact.sources and "charter-2002" in c.rule_fact.sources


def test_without_a_recorded_handover_the_host_is_presumed_with_low_confidence(
        use_db: str) -> None:
    with db.read_session() as s:
        c = chairs.chair_on(s, "CSTO", D(2003, 6, 1))
    assert c.state is not None and (c.state.code, c.basis) == ("TJ", "host")
    assert c.fact.confidence == "low" and c.until == D(2004, 6, 19)


@pytest.mark.parametrize("day", [D(2002, 12, 31), D(2003, 4, 28)])
def test_before_the_first_regular_session_the_chair_is_unknown(use_db: str, day: D) -> None:
    with db.read_session() as s:
        c = chairs.chair_on(s, "CSTO", day)
    assert c.state is None and c.basis == "unknown" and c.reason_en.startswith("unknown")


def test_an_extraordinary_session_hands_nothing_over(use_db: str) -> None:
    with db.read_session() as s:
        c = chairs.chair_on(s, "CSTO", D(2022, 1, 10))  # extraordinary, by video
    assert c.state is not None and c.state.code == "AM" and c.since == D(2021, 9, 17)


def test_the_chairs_of_a_year_are_every_term_that_held_office_in_it(use_db: str) -> None:
    with db.read_session() as s:
        y2013 = chairs.chairs_in_year(s, "CSTO", 2013)
        y2023 = chairs.chairs_in_year(s, "CSTO", 2023)
        y2025 = chairs.chairs_in_year(s, "CSTO", 2025)
    assert [c.state.code for c in y2013 if c.state] == ["KG", "RU"]
    assert [c.state.code for c in y2023 if c.state] == ["BY"]
    assert y2023[0].until == D(2024, 1, 1)
    assert [(c.state.code if c.state else None, c.basis) for c in y2025] == [("KG", "computed")]


def test_an_unrecorded_year_is_computed_by_rotation(use_db: str) -> None:
    with db.read_session() as s:
        c2025 = chairs.chair_on(s, "CSTO", D(2025, 6, 1))
        # Armenia does not take part from 2024, so its turn in 2028 passes to Belarus.
        c2028 = chairs.chair_on(s, "CSTO", D(2028, 6, 1))
    assert c2025.state is not None and (c2025.state.code, c2025.basis) == ("KG", "computed")
    assert c2025.rule == "calendar_year" and "2024" in c2025.reason_en
    assert c2028.state is not None and c2028.state.code == "BY"


def test_the_register_lists_sessions_newest_first_a_page_at_a_time(use_db: str) -> None:
    with db.read_session() as s:
        first, cursor = chairs.session_records(s, "CSTO", body="CSC", limit=5)
        second, _ = chairs.session_records(s, "CSTO", body="CSC", limit=5, cursor=cursor)
        y2022, _ = chairs.session_records(s, "CSTO", year=2022)
    days = [r.date for r in first + second]
    assert days == sorted(days, reverse=True) and len(set(days)) == 10
    assert {r.kind for r in y2022} >= {"regular", "extraordinary"} and len(y2022) == 6


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
    "registry.decline_chair": (chairs.decline_chair, dict(
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


def test_relations_filter_by_partner_kind_and_date_newest_first(use_db: str) -> None:
    with db.read_session() as s:
        un, _ = relations.relations(s, "CSTO", partner="UN")
        resolutions, _ = relations.relations(s, "CSTO", partner="UN", kind="resolution")
        early, _ = relations.relations(s, "CSTO", as_of=D(2005, 1, 1))
        page, cursor = relations.relations(s, "CSTO", limit=3)
        rest, _ = relations.relations(s, "CSTO", limit=500, cursor=cursor)
        with pytest.raises(InvalidInput, match="kind"):
            relations.relations(s, "CSTO", kind="alliance")
    assert un and {r.partner.code for r in un} == {"UN"}
    assert resolutions and {r.kind for r in resolutions} == {"resolution"}
    assert [r.date for r in un] == sorted((r.date for r in un), reverse=True)
    assert [(r.partner.code, r.kind, r.date) for r in early] == [
        ("UN", "observer_status", D(2004, 12, 2))]
    assert len(page) == 3 and not {r.id for r in page} & {r.id for r in rest}
