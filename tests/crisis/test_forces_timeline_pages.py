"""A mission's timeline a page at a time (the pure model): pages join without a gap or a
repeat, also when a page ends between two events of one instant."""

from __future__ import annotations

import datetime as dt

from collsec.crisis.forces.model import MissionTimeline, TimelineEvent

T = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


def test_pages_split_an_instant_without_losing_or_repeating_an_event() -> None:
    same = [TimelineEvent(T, "response_to_request", s, personnel=n, ref=n)
            for n, s in enumerate(("RU", "KZ", "BY"))]
    later = TimelineEvent(T + dt.timedelta(hours=1), "commit", "RU", personnel=0, ref=0)
    timeline = MissionTimeline().add(TimelineEvent(T, "decision", "CSTO"), *same, later)
    for size in (1, 2, 3, 4, 5):
        walked, after = [], None
        while True:
            events, after = timeline.page(after, size)
            assert len(events) <= size
            walked += events
            if after is None:
                break
        assert tuple(walked) == timeline.events


def test_a_place_is_a_time_and_its_rank_at_that_instant() -> None:
    timeline = MissionTimeline().add(TimelineEvent(T, "decision", "CSTO"),
                                     TimelineEvent(T, "request_resource", "CSTO"))
    first, after = timeline.page(None, 1)
    # same instant: in lifecycle order (EVENT_KINDS), resources asked before the decision
    assert after == (T, 0) and first[0].kind == "request_resource"
    rest, end = timeline.page(after, 1)
    assert [e.kind for e in rest] == ["decision"] and end is None
