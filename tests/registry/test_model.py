"""The registry's pure rules: intervals, overlap, status as of a date, the chair's rotation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import IntervalOverlap, InvalidInput, UnknownStatus
from collsec.registry import model

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
