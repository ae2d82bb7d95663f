"""Pure rules of the registry: validity intervals, status as of a date, the chair's rotation.

Nothing here touches a database, a framework or the clock: every function takes
the facts and the date it reasons about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from collsec.core.errors import IntervalOverlap, InvalidInput, UnknownStatus

CONFIDENCE = ("high", "medium", "low")


@dataclass(frozen=True)
class Interval:
    """Half-open [valid_from, valid_to); valid_to None means open-ended."""

    valid_from: dt.date
    valid_to: dt.date | None = None

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise InvalidInput("an interval must end after it starts ({start} .. {end})",
                               start=self.valid_from, end=self.valid_to)

    def contains(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def overlaps(self, other: Interval) -> bool:
        self_before_other_ends = other.valid_to is None or self.valid_from < other.valid_to
        other_before_self_ends = self.valid_to is None or other.valid_from < self.valid_to
        return self_before_other_ends and other_before_self_ends


@dataclass(frozen=True)
class StatusRule:
    """What a membership status means, as the charter data defines it."""

    code: str
    counted_as_member: bool
    takes_part: bool
    bound_by_obligations: bool
    name_en: str
    name_ru: str
    reads: tuple[str, ...] = ("public",)  # markings its delegation may read
    sits_in_bodies: bool = False  # entitled to a seat and a position in the bodies


@dataclass(frozen=True)
class Membership:
    org: str
    state: str
    status: str
    interval: Interval
    source: str | None = None
    confidence: str = "high"
    note: str = ""


def require_status(code: str, statuses: dict[str, StatusRule]) -> StatusRule:
    try:
        return statuses[code]
    except KeyError:
        known = ", ".join(sorted(statuses))
        raise UnknownStatus("unknown status '{code}'; known statuses: {known}", code=code,
                            known=known) from None


def check_no_overlap(existing: Iterable[Membership], new: Membership) -> None:
    """One state holds at most one status in one organization on any day."""
    for m in existing:
        if m.org == new.org and m.state == new.state and m.interval.overlaps(new.interval):
            facts = {"state": new.state, "org": new.org, "status": new.status,
                     "start": new.interval.valid_from, "other": m.status,
                     "other_start": m.interval.valid_from}
            if m.interval.valid_to:
                raise IntervalOverlap(
                    "{state} in {org}: {status} from {start} overlaps {other} from "
                    "{other_start} to {other_end}", **facts, other_end=m.interval.valid_to)
            raise IntervalOverlap("{state} in {org}: {status} from {start} overlaps {other} "
                                  "from {other_start} (open)", **facts)


def status_as_of(memberships: Iterable[Membership], org: str, state: str,
                 as_of: dt.date) -> Membership | None:
    for m in memberships:
        if m.org == org and m.state == state and m.interval.contains(as_of):
            return m
    return None


def in_force(memberships: Iterable[Membership], org: str, as_of: dt.date) -> list[Membership]:
    """Every status any state holds in `org` on `as_of`."""
    return [m for m in memberships if m.org == org and m.interval.contains(as_of)]


def members_as_of(memberships: Iterable[Membership], org: str, as_of: dt.date,
                  statuses: dict[str, StatusRule]) -> list[Membership]:
    """States counted as members on `as_of` (a frozen member counts; a suspended one does not)."""
    return [m for m in in_force(memberships, org, as_of)
            if require_status(m.status, statuses).counted_as_member]


@dataclass(frozen=True)
class Chair:
    year: int
    state: str
    basis: str  # "recorded" or "computed"
    source: str | None = None
    counted_from: int | None = None  # for a computed chair: the recorded year it counts from


@dataclass(frozen=True)
class RotationRule:
    """The chair passes each year to the next state in `order`, skipping non-participants."""

    order: Sequence[str]  # state codes in the charter's order (e.g. Russian alphabetical)
    reference_day: tuple[int, int] = (1, 1)  # participation counts as of this day of the year
    recorded: dict[int, Chair] = field(default_factory=dict)
    declined: dict[int, frozenset[str]] = field(default_factory=dict)  # year -> states passing

    def day(self, year: int) -> dt.date:
        return dt.date(year, *self.reference_day)


def chair_for_year(year: int, rule: RotationRule,
                   takes_part: Callable[[str, dt.date], bool]) -> Chair | None:
    """The recorded chair of `year`, else the one the rotation gives from the nearest record.

    Walks year by year from the nearest recorded chair (forward, or backward when
    no earlier record exists), so a state that stops taking part is skipped from
    the year it stops, and a state that declined its turn passes it to the next.
    """
    if year in rule.recorded:
        return rule.recorded[year]
    earlier = [y for y in rule.recorded if y < year]
    later = [y for y in rule.recorded if y > year]
    if earlier:
        start, step = max(earlier), 1
    elif later:
        start, step = min(later), -1
    else:
        return None
    current = rule.recorded[start].state
    y = start
    while y != year:
        y += step
        if y in rule.recorded:
            current = rule.recorded[y].state
            continue
        day = rule.day(y)

        passing = rule.declined.get(y, frozenset())

        def eligible(state: str, day: dt.date = day, passing: frozenset[str] = passing) -> bool:
            return state not in passing and takes_part(state, day)

        nxt = _next_in_rotation(current, rule.order, eligible, step)
        if nxt is None:
            return None
        current = nxt
    return Chair(year=year, state=current, basis="computed", counted_from=start)


def _next_in_rotation(current: str, order: Sequence[str], eligible: Callable[[str], bool],
                      step: int) -> str | None:
    if current not in order:
        return None
    n = len(order)
    i = order.index(current)
    for k in range(1, n + 1):
        candidate = order[(i + step * k) % n]
        if eligible(candidate):
            return candidate
    return None


# The register of sessions: what kind of session the record says it was, how it met,
# whether it was held or only announced.
SESSION_KINDS = ("regular", "extraordinary", "unclear")
SESSION_FORMATS = ("in_person", "video", "hybrid", "unknown")
SESSION_STATUSES = ("held", "planned")

# A member's course: what kind of step an event is, and how exactly its date is known (a
# date known to the month is the 1st of it, to the year 1 January).
EVENT_KINDS = ("statement", "participation", "absence", "financing", "exercise", "decision")
PRECISIONS = ("day", "month", "year")

# What kind of dealing with another organization a relation records.
RELATION_KINDS = ("observer_status", "observer_status_proposal", "consensus_on_observer_status",
                  "resolution", "memorandum", "joint_declaration", "protocol", "roadmap",
                  "meeting")
