"""The registry's pure rules: intervals, overlap, status as of a date, the chair's rotation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import IntervalOverlap, InvalidInput, UnknownStatus
from collsec.registry import chairmanship, model

D = dt.date
days = st.dates(min_value=D(1990, 1, 1), max_value=D(2040, 12, 31))


@st.composite
def intervals(draw: st.DrawFn) -> model.Interval:
    start = draw(days)
    length = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=5000)))
    return model.Interval(start, None if length is None else start + dt.timedelta(days=length))


def test_an_interval_is_half_open() -> None:
    i = model.Interval(D(2012, 6, 28), D(2013, 1, 1))
    assert i.contains(D(2012, 6, 28))
    assert i.contains(D(2012, 12, 31))
    assert not i.contains(D(2013, 1, 1))
    assert not i.contains(D(2012, 6, 27))


def test_it_rejects_an_interval_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput):
        model.Interval(D(2020, 1, 1), D(2020, 1, 1))


@given(intervals(), intervals(), days)
def test_overlap_means_a_shared_day(a: model.Interval, b: model.Interval, day: D) -> None:
    if a.contains(day) and b.contains(day):
        assert a.overlaps(b) and b.overlaps(a)
    if not a.overlaps(b):
        assert not (a.contains(day) and b.contains(day))


@given(intervals(), intervals())
def test_overlap_is_symmetric(a: model.Interval, b: model.Interval) -> None:
    assert a.overlaps(b) == b.overlaps(a)


def test_adjacent_intervals_do_not_overlap() -> None:
    assert not model.Interval(D(2006, 8, 16), D(2012, 6, 28)).overlaps(
        model.Interval(D(2012, 6, 28)))


def _m(state: str, status: str, start: D, end: D | None = None) -> model.Membership:
    return model.Membership("CSTO", state, status, model.Interval(start, end))


def test_it_refuses_a_second_status_on_the_same_day() -> None:
    existing = [_m("UZ", "member", D(2006, 8, 16), D(2012, 6, 28))]
    with pytest.raises(IntervalOverlap, match="UZ"):
        model.check_no_overlap(existing, _m("UZ", "observer", D(2010, 1, 1)))
    model.check_no_overlap(existing, _m("UZ", "participation_suspended", D(2012, 6, 28)))
    model.check_no_overlap(existing, _m("KZ", "member", D(2010, 1, 1)))


STATUSES = {
    "member": model.StatusRule("member", True, True, True, "Member", "Член"),
    "participation_suspended": model.StatusRule("participation_suspended", False, False, False,
                                                "Suspended", "Приостановлено"),
}


def test_unknown_status_names_the_known_ones() -> None:
    with pytest.raises(UnknownStatus, match="member"):
        model.require_status("associate", STATUSES)


def test_a_suspended_state_is_not_counted_as_member() -> None:
    ms = [_m("UZ", "member", D(2006, 8, 16), D(2012, 6, 28)),
          _m("UZ", "participation_suspended", D(2012, 6, 28)),
          _m("KZ", "member", D(2002, 10, 7))]
    assert {m.state for m in model.members_as_of(ms, "CSTO", D(2011, 6, 1), STATUSES)} == {
        "UZ", "KZ"}
    assert {m.state for m in model.members_as_of(ms, "CSTO", D(2013, 1, 1), STATUSES)} == {"KZ"}


ORDER = ["AM", "BY", "KZ", "KG", "RU", "TJ"]


def _rule(recorded: dict[int, str]) -> model.RotationRule:
    return model.RotationRule(order=ORDER, recorded={
        y: model.Chair(y, s, "recorded") for y, s in recorded.items()})


def test_a_recorded_chair_wins_over_the_rotation() -> None:
    chair = model.chair_for_year(2024, _rule({2024: "KZ"}), lambda s, d: True)
    assert chair is not None and (chair.state, chair.basis) == ("KZ", "recorded")


def test_the_rotation_counts_forward_from_the_nearest_record() -> None:
    rule = _rule({2024: "KZ"})
    got = [model.chair_for_year(y, rule, lambda s, d: True) for y in (2025, 2026, 2027, 2028)]
    assert [c.state for c in got if c] == ["KG", "RU", "TJ", "AM"]
    assert all(c and c.basis == "computed" for c in got)


def test_the_rotation_skips_a_state_that_does_not_take_part() -> None:
    frozen_from = D(2024, 2, 22)

    def takes_part(state: str, day: D) -> bool:
        return not (state == "AM" and day >= frozen_from)

    chair = model.chair_for_year(2028, _rule({2024: "KZ"}), takes_part)
    assert chair is not None and chair.state == "BY"


def test_the_rotation_counts_backward_when_no_earlier_record_exists() -> None:
    chair = model.chair_for_year(2017, _rule({2019: "KG"}), lambda s, d: True)
    assert chair is not None and chair.state == "BY"


def test_no_record_gives_no_chair() -> None:
    assert model.chair_for_year(2020, _rule({}), lambda s, d: True) is None


# -- the chairmanship's periods (registry/chairmanship.py) -----------------------------

def _periods() -> list[chairmanship.Period]:
    return [chairmanship.Period(dt.date(2003, 1, 1), dt.date(2024, 1, 1), "regular_session"),
            chairmanship.Period(dt.date(2024, 1, 1), None, "calendar_year")]


def _rules(handovers: list[chairmanship.Handover],
           recorded: dict[int, str]) -> chairmanship.Rules:
    return chairmanship.Rules(_periods(), handovers, _rule(recorded))


def test_a_session_that_leaves_the_chair_where_it_was_starts_no_new_term() -> None:
    rules = _rules([chairmanship.Handover(dt.date(2022, 11, 23), "AM", "BY"),
                    chairmanship.Handover(dt.date(2023, 11, 23), "BY")], {2024: "KZ"})
    term = chairmanship.chair_on(dt.date(2023, 12, 1), rules, lambda s, d: True)
    assert (term.state, term.since, term.until) == ("BY", dt.date(2022, 11, 24),
                                                   dt.date(2024, 1, 1))


def test_the_outgoing_chair_presides_over_the_session_where_it_hands_over() -> None:
    rules = _rules([chairmanship.Handover(dt.date(2012, 12, 19), "RU", "KG")], {})
    on_the_day = chairmanship.chair_on(dt.date(2012, 12, 19), rules, lambda s, d: True)
    assert on_the_day.state is None  # no earlier session in this small record
    after = chairmanship.chair_on(dt.date(2012, 12, 20), rules, lambda s, d: True)
    assert (after.state, after.since) == ("KG", dt.date(2012, 12, 20))


def test_the_rotation_never_runs_back_into_a_period_with_another_rule() -> None:
    # A record of 2024 only: 2023 belongs to the sessions' period, which has none.
    rules = _rules([], {2024: "KZ"})
    term = chairmanship.chair_on(dt.date(2023, 6, 1), rules, lambda s, d: True)
    assert term.state is None and term.why == "no_session_yet"
    assert chairmanship.chair_on(dt.date(2025, 6, 1), rules, lambda s, d: True).state == "KG"


def test_outside_every_period_the_chair_is_unknown() -> None:
    term = chairmanship.chair_on(dt.date(2002, 6, 1), _rules([], {}), lambda s, d: True)
    assert (term.state, term.basis, term.why) == (None, "unknown", "no_rule")


def test_a_year_lists_each_term_that_touched_it() -> None:
    rules = _rules([chairmanship.Handover(dt.date(2012, 12, 19), "RU", "KG"),
                    chairmanship.Handover(dt.date(2013, 9, 23), "RU")], {})
    terms = chairmanship.chairs_in_year(2013, rules, lambda s, d: True)
    assert [(t.state, t.basis) for t in terms] == [("KG", "recorded"), ("RU", "host")]
