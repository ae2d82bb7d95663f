"""The collective forces' pure rules: each contingent's deployment state machine, the order
of a mission's events, mission totals and the mission timeline. Times come in as
arguments; the state and event names are those of the crisis taxonomy
(`collsec.crisis.model`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from collsec.core.errors import Conflict, InvalidInput, Named, OneOf, Phrase, UnknownStatus
from collsec.crisis.model import DEPLOYMENT_STATES, EVENT_KINDS, IN_THEATRE


@dataclass(frozen=True)
class Contingent:
    """A state's committed contribution to a mission (EDXL-RM: commit)."""

    state: str  # ISO 3166 alpha-2 of the contributing state
    committed: int  # the strength its government committed

    def __post_init__(self) -> None:
        if isinstance(self.committed, bool) or not isinstance(self.committed, int) \
                or self.committed < 0:
            raise InvalidInput("committed strength of {state} must be a non-negative whole "
                               "number, got {committed!r}", state=self.state,
                               committed=self.committed)


@dataclass(frozen=True)
class DeploymentReport:
    """One report of a contingent's deployment status (EDXL-RM: report deployment status)."""

    state: str  # the contributing state; one national contingent per state per mission
    status: str
    at: dt.datetime
    personnel: int


def _rank(status: str) -> int:
    if status not in DEPLOYMENT_STATES:
        raise UnknownStatus("unknown deployment state '{status}'; states: {states}",
                            status=status, states=", ".join(DEPLOYMENT_STATES))
    return DEPLOYMENT_STATES.index(status)


def report_deployment_status(contingent: Contingent, history: Sequence[DeploymentReport],
                             report: DeploymentReport) -> tuple[DeploymentReport, ...]:
    """The contingent's history with `report` added, or an error and nothing changed.

    `history` is taken as already checked (it was built by this function).
    """
    rank = _rank(report.status)
    if report.state != contingent.state:
        raise InvalidInput("a report for {state} cannot go on the contingent of {contingent}",
                           state=report.state, contingent=contingent.state)
    if report.at.tzinfo is None or report.at.utcoffset() is None:
        raise InvalidInput("the time {at} must carry a time zone", at=report.at.isoformat())
    p = report.personnel
    if isinstance(p, bool) or not isinstance(p, int) or p < 0:
        raise InvalidInput("personnel must be a non-negative whole number, got {personnel!r}",
                           personnel=p)
    if p > contingent.committed:
        raise Conflict("{state} reports {personnel} personnel, more than the {committed} it "
                       "committed", state=contingent.state, personnel=p,
                       committed=contingent.committed)
    if history:
        last = history[-1]
        if last.status == "returned":
            raise Conflict("the contingent of {state} has returned; no later report is taken",
                           state=contingent.state)
        if rank < _rank(last.status):
            raise Conflict("the contingent of {state} cannot go back from {last} to {status}",
                           state=contingent.state, last=last.status, status=report.status)
        if report.at < last.at:
            raise Conflict("report time {at} is before the last report of {state} ({last})",
                           at=report.at.isoformat(), state=contingent.state,
                           last=last.at.isoformat())
    return (*history, report)


# -- the order of a mission's events ------------------------------------------------------
#
# Two clocks run in a mission. Offers, their acceptance and the closing carry the time
# they were recorded (the command's `now`); deployment reports and the withdrawal order
# carry the time they tell of (`at`, at or before `now`), so either can be entered after
# the fact. A rule compares times of one clock, or bounds an event by the decision's day,
# which both clocks follow: a report is not checked against its offer's acceptance, nor
# the withdrawal order against the last acceptance, since a report or order entered after
# the fact would be refused by the time it was typed in.

@dataclass(frozen=True)
class MissionCourse:
    """What the order of a mission's events is checked against: its code, the day it was
    decided on and, once ordered, the time of its withdrawal order."""

    code: str
    decided_on: dt.date
    withdrawal_ordered_at: dt.datetime | None = None

    @property
    def decided_at(self) -> dt.datetime:
        return decision_time(self.decided_on)


def decision_time(day: dt.date) -> dt.datetime:
    """The instant a decision of `day` takes on a timeline: the start of the day, UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def check_offer(mission: MissionCourse, personnel: object) -> None:
    """Refuse an offer the mission cannot take.

    - An offer is of one person or more: an offer of none (or fewer) commits nothing.
    - No offer once the withdrawal is ordered: the mission is ending and takes no new
      forces. An order is never dated after it is recorded, so an offer recorded after
      the order always comes after it.
    """
    if isinstance(personnel, bool) or not isinstance(personnel, int) or personnel < 1:
        raise InvalidInput("an offer is of one person or more: personnel must be a whole "
                           "number of at least 1, got {personnel!r}", personnel=personnel)
    if mission.withdrawal_ordered_at is not None:
        raise Conflict("the withdrawal of mission {mission} was ordered at {at}; a mission "
                       "takes no offer once its withdrawal is ordered", mission=mission.code,
                       at=mission.withdrawal_ordered_at.isoformat())


def check_offer_decision(mission: MissionCourse, offer: int, offered_at: dt.datetime,
                         at: dt.datetime, *, accept: bool) -> None:
    """Refuse deciding an offer out of order.

    - An offer is decided no earlier than it was made (both times as recorded).
    - No offer is accepted once the withdrawal is ordered: that would commit forces to a
      mission that is ending. Declining stays open, to settle the offers left.
    """
    if at < offered_at:
        raise Conflict("offer {offer} was made at {offered}; it cannot be decided earlier, "
                       "at {at}", offer=offer, offered=offered_at.isoformat(),
                       at=at.isoformat())
    if accept and mission.withdrawal_ordered_at is not None:
        raise Conflict("the withdrawal of mission {mission} was ordered at {at}; no offer "
                       "is accepted once the withdrawal is ordered", mission=mission.code,
                       at=mission.withdrawal_ordered_at.isoformat())


def check_report_time(mission: MissionCourse, at: dt.datetime, now: dt.datetime) -> None:
    """Refuse a deployment report dated where no report of the mission can be.

    - Not in the future: a report tells what has happened.
    - Not before the decision on the mission: no contingent deploys for a mission that
      is not decided. The bound is the decision's day and not the acceptance of the
      state's offer, which carries the time it was recorded (see above).

    That a contingent's reports go forward in time is `report_deployment_status`'s rule.
    """
    if at > now:
        raise InvalidInput("the report time {at} is in the future", at=at.isoformat())
    if at < mission.decided_at:
        raise InvalidInput("the report time {at} is before the decision on mission "
                           "{mission} ({day}); a contingent reports on a mission only from "
                           "the day it was decided", at=at.isoformat(), mission=mission.code,
                           day=mission.decided_on)


def check_withdrawal_order(mission: MissionCourse, at: dt.datetime, now: dt.datetime) -> None:
    """Refuse a withdrawal order given twice, dated in the future or dated before the
    decision on the mission (the order ends what the decision began)."""
    if mission.withdrawal_ordered_at is not None:
        raise Conflict("the withdrawal of mission {mission} was already ordered at {at}",
                       mission=mission.code, at=mission.withdrawal_ordered_at.isoformat())
    if at > now:
        raise InvalidInput("the withdrawal time {at} is in the future", at=at.isoformat())
    if at < mission.decided_at:
        raise InvalidInput("the withdrawal time {at} is before the decision on the mission "
                           "({day})", at=at.isoformat(), day=mission.decided_on)


def check_closing(mission: MissionCourse, reports: Iterable[DeploymentReport],
                  now: dt.datetime) -> None:
    """Refuse closing a mission at a time before the events it ends: its withdrawal order
    and its contingents' last reports (the release is the last event of its timeline).
    The pages and the API close at the clock's now, after anything recorded before; a
    close given its time (a replay's step at noon, after a report of that evening) can
    come before one."""
    if mission.withdrawal_ordered_at is not None and now < mission.withdrawal_ordered_at:
        raise Conflict("mission {mission} cannot close at {at}, before its withdrawal "
                       "order of {ordered}; a mission closes after its last event",
                       mission=mission.code, at=now.isoformat(),
                       ordered=mission.withdrawal_ordered_at.isoformat())
    later = [r for r in reports if r.at > now]
    if later:
        last = max(later, key=lambda r: r.at)
        raise Conflict("mission {mission} cannot close at {at}, before the report of "
                       "{state} of {last}; a mission closes after its last event",
                       mission=mission.code, at=now.isoformat(), state=last.state,
                       last=last.at.isoformat())


@dataclass(frozen=True)
class MissionTotals:
    as_of: dt.datetime
    by_state: Mapping[str, int]  # personnel in theatre per contributing state
    total: int


def mission_totals(reports: Iterable[DeploymentReport], as_of: dt.datetime) -> MissionTotals:
    """Personnel deployed (in theatre: deployed or withdrawing) as of a time.

    Each state's latest report at or before `as_of` counts; with two at the same
    instant, the later one given wins. A state whose latest report is not in
    theatre counts 0 and still appears, so the table lists every contributor.
    """
    latest: dict[str, DeploymentReport] = {}
    for r in reports:
        before = latest.get(r.state)
        if r.at <= as_of and (before is None or r.at >= before.at):
            latest[r.state] = r
    by_state = {s: (r.personnel if r.status in IN_THEATRE else 0)
                for s, r in sorted(latest.items())}
    return MissionTotals(as_of, by_state, sum(by_state.values()))


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    kind: str  # one of EVENT_KINDS
    actor: str  # a state code, a body code or the centre
    status: str | None = None  # the deployment state, for deployment_status events
    personnel: int | None = None
    note: str = ""  # in English, as journaled; pages and the CLI word it per language
    ref: int | None = None  # the number of the request or offer the event stems from

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise InvalidInput("unknown timeline event '{kind}'; kinds: {kinds}", kind=self.kind,
                               kinds=", ".join(EVENT_KINDS))
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidInput("the time {at} must carry a time zone", at=self.at.isoformat())


@dataclass(frozen=True)
class MissionTimeline:
    """A mission's events ordered by time; same-instant events in lifecycle order."""

    events: tuple[TimelineEvent, ...] = ()

    def add(self, *events: TimelineEvent) -> MissionTimeline:
        merged = [*self.events, *events]
        # sorted() is stable: same time and kind keep the order they were added in.
        ordered = sorted(merged, key=lambda e: (e.at, EVENT_KINDS.index(e.kind)))
        return MissionTimeline(tuple(ordered))

    def add_reports(self, reports: Iterable[DeploymentReport]) -> MissionTimeline:
        return self.add(*(TimelineEvent(r.at, "deployment_status", r.state, r.status, r.personnel)
                          for r in reports))

    def between(self, start: dt.datetime, end: dt.datetime) -> tuple[TimelineEvent, ...]:
        """Events in [start, end)."""
        return tuple(e for e in self.events if start <= e.at < end)

    def page(self, after: TimelinePlace | None, limit: int
             ) -> tuple[tuple[TimelineEvent, ...], TimelinePlace | None]:
        """Up to `limit` events after the place `after` (oldest first), and the place of the
        last one when more follow. A place is an event's time and its rank among the events
        of that same instant, so a page ends between two events of one instant and the next
        page starts at the second; an event recorded later at an earlier time is not in
        the pages after it (it is in a fresh walk)."""
        ranked: list[tuple[TimelinePlace, TimelineEvent]] = []
        for e in self.events:
            same = ranked[-1][0][1] + 1 if ranked and ranked[-1][1].at == e.at else 0
            ranked.append(((e.at, same), e))
        rest = [(p, e) for p, e in ranked if after is None or _later(p, after)]
        shown = rest[:limit]
        return tuple(e for _, e in shown), (shown[-1][0] if len(rest) > limit else None)


TimelinePlace = tuple[dt.datetime, int]  # an event's time, its rank at that instant


def _later(place: TimelinePlace, after: TimelinePlace) -> bool:
    return place[0] > after[0] or (place[0] == after[0] and place[1] > after[1])


@dataclass(frozen=True)
class DecisionItem:
    """An agenda item as the mission rule sees it."""

    item_id: int
    org: str
    body: str  # the body whose session holds the item
    matter: str
    closed: bool
    adopted: bool | None


@dataclass(frozen=True)
class MissionRule:
    """From the charter data: a mission opens only on an adopted decision, on one of the
    `matters`, of the body each matter is reserved to."""

    matters: Mapping[str, Named]  # matter -> its name in each language
    reserved_to: Mapping[str, str]  # matter -> the body that alone decides it
    body_names: Mapping[str, Named] = field(default_factory=dict)  # body -> its name

    def matters_words(self) -> OneOf:
        """The matters a mission is decided as, each with the body deciding it, worded in
        the reader's language where the refusal is read."""
        def body(code: str) -> object:
            found = self.reserved_to.get(code, "?")
            return self.body_names.get(found, found)
        return OneOf(Phrase("{matter} (decided by the {body})", matter=name, body=body(code))
                     for code, name in self.matters.items())


def check_mission_decision(rule: MissionRule, org: str, item: DecisionItem | None) -> None:
    """Refuse a mission whose decision is missing, open, not adopted, of another body or on
    another matter; the refusal says the rule."""
    if not rule.matters:
        raise InvalidInput("the charter names no matter a mission is decided as "
                           "(crisis_response.missions.decided_as)")
    matters = rule.matters_words()
    if item is None:
        raise InvalidInput("a mission opens only on an adopted decision on {matters}: name "
                           "the agenda item of that decision", matters=matters)
    if item.org != org:
        raise Conflict("a mission opens only on an adopted decision on {matters}: agenda "
                       "item {item} is of {org}", matters=matters, item=item.item_id,
                       org=item.org)
    if item.matter not in rule.matters:
        raise Conflict("a mission opens only on an adopted decision on {matters}: agenda "
                       "item {item} is a {matter} matter", matters=matters,
                       item=item.item_id, matter=item.matter)
    body = rule.reserved_to.get(item.matter)
    if body is not None and item.body != body:
        raise Conflict("a mission opens only on an adopted decision on {matters}: agenda "
                       "item {item} is before the {body}", matters=matters,
                       item=item.item_id, body=item.body)
    if not item.closed:
        raise Conflict("a mission opens only on an adopted decision on {matters}: agenda "
                       "item {item} is still open", matters=matters, item=item.item_id)
    if not item.adopted:
        raise Conflict("a mission opens only on an adopted decision on {matters}: agenda "
                       "item {item} was not adopted", matters=matters, item=item.item_id)
