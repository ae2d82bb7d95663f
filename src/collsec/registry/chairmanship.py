"""Pure rules of the chairmanship: which rule holds on a date, and who chaired under it.

A charter gives the chair's term period by period. Under `regular_session` the chair is
taken over at each regular session of the presiding body (the host's head by default, or
the state the session recorded when the body decided otherwise): the outgoing chair
presides over that session, so the new term runs from the next day to the day of the next
regular session, which it presides in turn. Under `calendar_year` a chair holds one year
from its first day, recorded or counted by the rotation from the nearest record of the
same period. Before the first period and
where the data says nothing the answer is unknown, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from collsec.registry.model import RotationRule, chair_for_year

REGULAR_SESSION = "regular_session"
CALENDAR_YEAR = "calendar_year"
TERMS = (REGULAR_SESSION, CALENDAR_YEAR)
BASES = ("recorded", "host", "computed", "unknown")


@dataclass(frozen=True)
class Period:
    """A span of days (`end` exclusive, None: open) in which one rule gives the chair."""

    start: dt.date
    end: dt.date | None
    term: str

    def holds(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Handover:
    """A regular session of the presiding body: where, under `regular_session`, the chair
    passes. `chair` is the state the session records taking the chair; None leaves the
    host's head, as the charter's default."""

    date: dt.date
    host: str | None
    chair: str | None = None
    key: int = 0  # the session's record, for its sources


@dataclass(frozen=True)
class Term:
    """Who chaired from `since` to `until` (exclusive), and why.

    `basis`: `recorded` (a session or a year's record names the state), `host` (the
    charter's default: the host of the regular session), `computed` (the rotation from the
    record of `counted_from`) or `unknown` (`state` None; `why` says what is missing)."""

    state: str | None
    since: dt.date | None
    until: dt.date | None
    basis: str
    period: Period | None
    handover: Handover | None = None
    next_handover: Handover | None = None
    year: int | None = None
    counted_from: int | None = None
    why: str = ""


@dataclass(frozen=True)
class Rules:
    periods: Sequence[Period]
    handovers: Sequence[Handover] = ()  # regular sessions of the presiding body, any order
    rotation: RotationRule = field(default_factory=lambda: RotationRule(order=()))


def period_on(day: dt.date, periods: Sequence[Period]) -> Period | None:
    return next((p for p in periods if p.holds(day)), None)


def chair_on(day: dt.date, rules: Rules, takes_part: Callable[[str, dt.date], bool]) -> Term:
    """The chair on `day` under the period's rule."""
    period = period_on(day, rules.periods)
    if period is None:
        return Term(None, None, None, "unknown", None, why="no_rule")
    if period.term == REGULAR_SESSION:
        return _by_session(day, period, rules.handovers)
    return _by_year(day, period, rules, takes_part)


def chairs_in_year(year: int, rules: Rules,
                   takes_part: Callable[[str, dt.date], bool]) -> list[Term]:
    """Every term that held the chair on some day of `year`, in order; unknown spans
    are terms with no state."""
    return terms_between(dt.date(year, 1, 1), dt.date(year, 12, 31), rules, takes_part)


def terms_between(first: dt.date, last: dt.date, rules: Rules,
                  takes_part: Callable[[str, dt.date], bool]) -> list[Term]:
    """Every term that held the chair on some day from `first` to `last`, in order."""
    day = first
    out: list[Term] = []
    while day <= last:
        term = chair_on(day, rules, takes_part)
        out.append(term)
        nxt = _end_of(term, day, rules.periods)
        if nxt is None:
            break
        day = nxt
    return out


def _end_of(term: Term, day: dt.date, periods: Sequence[Period]) -> dt.date | None:
    """The first day after `term`: its end, or for an unknown span the next rule's start."""
    if term.until is not None:
        return term.until
    if term.period is not None:
        return term.period.end
    later = [p.start for p in periods if p.start > day]
    return min(later) if later else None


def _by_session(day: dt.date, period: Period, handovers: Sequence[Handover]) -> Term:
    """The term running on `day`: from the session where the chair was taken to the next
    session that gives it to another state (a session that leaves it where it was, as
    Minsk 2023 did, does not start a new term)."""
    inside = sorted((h for h in handovers if period.holds(h.date)), key=lambda h: h.date)
    runs: list[list[Handover]] = []
    for h in inside:
        if runs and _taker(runs[-1][0]) == _taker(h) is not None:
            runs[-1].append(h)
        else:
            runs.append([h])
    held = [r for r in runs if r[0].date < day]
    if not held:
        first = _after(inside[0].date) if inside else period.end
        return Term(None, period.start, first, "unknown", period, why="no_session_yet")
    run = held[-1]
    later = runs[len(held)] if len(held) < len(runs) else None
    nxt = later[0] if later else None
    until = _after(nxt.date) if nxt else period.end
    start, since = run[0], _after(run[0].date)
    if start.chair is not None:
        return Term(start.chair, since, until, "recorded", period, start, nxt)
    if start.host is not None:
        return Term(start.host, since, until, "host", period, start, nxt)
    return Term(None, since, until, "unknown", period, start, nxt, why="no_host")


def _after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1) if day < dt.date.max else day


def _taker(h: Handover) -> str | None:
    """Who a regular session gives the chair to: the state it records, else its host."""
    return h.chair if h.chair is not None else h.host


def _by_year(day: dt.date, period: Period, rules: Rules,
             takes_part: Callable[[str, dt.date], bool]) -> Term:
    """A calendar year's chair, counted only from records of the same period: a rotation
    never runs back into a period that gave the chair otherwise."""
    year = day.year
    since = max(dt.date(year, 1, 1), period.start)
    until: dt.date | None = dt.date(year + 1, 1, 1) if year < dt.MAXYEAR else None
    if period.end is not None:
        until = period.end if until is None else min(until, period.end)
    first, last = period.start.year, None if period.end is None else period.end.year
    recorded = {y: c for y, c in rules.rotation.recorded.items()
                if y >= first and (last is None or y <= last)}
    rule = RotationRule(order=rules.rotation.order, reference_day=rules.rotation.reference_day,
                        recorded=recorded, declined=rules.rotation.declined)
    chair = chair_for_year(year, rule, takes_part)
    if chair is None:
        return Term(None, since, until, "unknown", period, year=year, why="no_record")
    return Term(chair.state, since, until, chair.basis, period, year=year,
                counted_from=chair.counted_from)
