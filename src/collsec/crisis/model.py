"""The Crisis Response Centre's pure rules: taxonomy, incident workflow, deployments.

Nothing here touches a database, a framework or the clock: times come in as
arguments. The incident types, the severity scale and the labels are data
(`data/<org>/crisis.yaml`); the workflows are tables below, so a reader sees
every allowed move in one place. Names follow OASIS EDXL-RM where it fits
(request resource, response to request, commit, release, report deployment
status), though we do not emit its XML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collsec.core.errors import Conflict, InvalidInput, NotFound, UnknownStatus

# An incident is triaged, then maybe escalated, and always ends closed. A report
# found to be a false alarm may be closed from `reported` or `assessed`. Nothing
# goes back: a reopened case is a new incident that cites the old one.
INCIDENT_TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "reported": ("assessed", "closed"),
    "assessed": ("escalated", "closed"),
    "escalated": ("closed",),
    "closed": (),
}

# A contingent's life in a mission, in order. A report may skip forward (an
# airlift lands before anyone filed `en_route`; a late report finds the unit
# already home): a deployment status report records what is true, and a missed
# report must not block the truth. Going back is always refused, and `returned`
# is final. The same state may be reported again with a new personnel figure.
DEPLOYMENT_STATES = ("alerted", "en_route", "deployed", "withdrawing", "returned")
IN_THEATRE = ("deployed", "withdrawing")  # personnel that count as deployed now

# Lifecycle order of timeline events, used only to order events at the same instant.
# `assistance_request`: the member's own request that the mission answers.
EVENT_KINDS = ("assistance_request", "request_resource", "response_to_request", "decision",
               "commit", "deployment_status", "withdrawal", "release")


class UnknownIncidentType(NotFound):
    title = "Unknown incident type"
    type_slug = "unknown-incident-type"


@dataclass(frozen=True)
class Severity:
    level: int
    name_en: str
    name_ru: str


@dataclass(frozen=True)
class IncidentType:
    code: str
    name_en: str
    name_ru: str
    severity_hint: int  # a default the reporting centre may override
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The incident types, severity scale and labels an organization's data defines."""

    types: Mapping[str, IncidentType]
    severities: Mapping[int, Severity]
    incident_transitions: Mapping[str, tuple[str, ...]]
    deployment_labels: Mapping[str, tuple[str, str]]  # state -> (en, ru)
    event_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # kind -> (en, ru)
    by_request: frozenset[str] = frozenset()  # statuses only a member's request reaches

    def deployment_label(self, status: str, lang: str) -> str:
        return _pick(self.deployment_labels.get(status), lang, status)

    def event_label(self, kind: str, lang: str) -> str:
        return _pick(self.event_labels.get(kind), lang, kind)

    def type_label(self, code: str, lang: str) -> str:
        t = self.types.get(code)
        return _pick((t.name_en, t.name_ru) if t else None, lang, code)

    def severity_label(self, level: int, lang: str) -> str:
        s = self.severities.get(level)
        return _pick((s.name_en, s.name_ru) if s else None, lang, str(level))


def _pick(names: tuple[str, str] | None, lang: str, code: str) -> str:
    """The name in `lang` (ru or en); an unnamed code is shown as itself, never hidden."""
    if names is None:
        return code
    return names[1] if lang == "ru" else names[0]


def _names(entry: Mapping[str, Any], what: str) -> tuple[str, str]:
    name = entry.get("name") or {}
    if not name.get("en") or not name.get("ru"):
        raise InvalidInput(f"{what} needs a name in en and ru")
    return str(name["en"]), str(name["ru"])


def load_taxonomy(data: Mapping[str, Any]) -> Taxonomy:
    """Read `crisis.yaml`'s content; refuse a taxonomy that contradicts itself."""
    severities: dict[int, Severity] = {}
    for s in data.get("severities", []):
        level = s.get("level")
        if isinstance(level, bool) or not isinstance(level, int):
            raise InvalidInput(f"severity level {level!r} must be an integer")
        severities[level] = Severity(level, *_names(s, f"severity {level}"))
    if not severities:
        raise InvalidInput("the taxonomy defines no severity scale")
    types: dict[str, IncidentType] = {}
    for t in data.get("incident_types", []):
        code = str(t.get("code", ""))
        if not code or code in types:
            raise InvalidInput(f"incident type code {code!r} is empty or repeated")
        hint = t.get("severity_hint")
        if hint not in severities:
            raise InvalidInput(f"incident type {code}: severity hint {hint!r} is not on the scale")
        types[code] = IncidentType(code, *_names(t, f"incident type {code}"), severity_hint=hint,
                                   sources=tuple(t.get("sources", ())))
    transitions = {str(s["code"]): tuple(s.get("next", ())) for s in
                   data.get("incident_statuses", [])} or dict(INCIDENT_TRANSITIONS)
    for status, targets in transitions.items():
        for target in targets:
            if target not in transitions:
                raise InvalidInput(f"incident status {status} leads to unknown status {target}")
    labels = {str(s["code"]): _names(s, f"deployment state {s['code']}")
              for s in data.get("deployment_states", [])}
    if labels and tuple(labels) != DEPLOYMENT_STATES:
        raise InvalidInput(f"deployment states must be, in order: {', '.join(DEPLOYMENT_STATES)}")
    events = {str(e["code"]): _names(e, f"timeline event {e['code']}")
              for e in data.get("timeline_events", [])}
    if events and set(events) != set(EVENT_KINDS):
        raise InvalidInput(f"timeline events must name each of: {', '.join(EVENT_KINDS)}")
    by_request = frozenset(str(st["code"]) for st in data.get("incident_statuses", [])
                           if st.get("by_request"))
    return Taxonomy(types, severities, transitions, labels, events, by_request)


def check_type(code: str, taxonomy: Taxonomy) -> IncidentType:
    if code not in taxonomy.types:
        raise UnknownIncidentType(f"unknown incident type '{code}'; types: "
                                  f"{', '.join(sorted(taxonomy.types))}")
    return taxonomy.types[code]


def check_severity(level: object, taxonomy: Taxonomy) -> Severity:
    if isinstance(level, bool) or not isinstance(level, int) or level not in taxonomy.severities:
        scale = ", ".join(str(lvl) for lvl in sorted(taxonomy.severities))
        raise InvalidInput(f"severity {level!r} is not on the scale ({scale})")
    return taxonomy.severities[level]


def advance_incident(current: str, new: str,
                     transitions: Mapping[str, tuple[str, ...]] = INCIDENT_TRANSITIONS) -> str:
    """The incident's next status, or a Conflict saying why the move is refused."""
    for status in (current, new):
        if status not in transitions:
            raise UnknownStatus(f"unknown incident status '{status}'; statuses: "
                                f"{', '.join(transitions)}")
    if new in transitions[current]:
        return new
    if not transitions[current]:
        raise Conflict(f"the incident is {current}; a closed incident is final "
                       "(report a new one that cites it)")
    if current == new:
        raise Conflict(f"the incident is already {current}")
    raise Conflict(f"an incident cannot go from {current} to {new}; from {current} it may go to "
                   f"{' or '.join(transitions[current])}")


@dataclass(frozen=True)
class Contingent:
    """A state's committed contribution to a mission (EDXL-RM: commit)."""

    state: str  # ISO 3166 alpha-2 of the contributing state
    committed: int  # the strength its government committed

    def __post_init__(self) -> None:
        if isinstance(self.committed, bool) or not isinstance(self.committed, int) \
                or self.committed < 0:
            raise InvalidInput(f"committed strength of {self.state} must be a non-negative "
                               f"whole number, got {self.committed!r}")


@dataclass(frozen=True)
class DeploymentReport:
    """One report of a contingent's deployment status (EDXL-RM: report deployment status)."""

    state: str  # the contributing state; one national contingent per state per mission
    status: str
    at: dt.datetime
    personnel: int


def _rank(status: str) -> int:
    if status not in DEPLOYMENT_STATES:
        raise UnknownStatus(f"unknown deployment state '{status}'; states: "
                            f"{', '.join(DEPLOYMENT_STATES)}")
    return DEPLOYMENT_STATES.index(status)


def report_deployment_status(contingent: Contingent, history: Sequence[DeploymentReport],
                             report: DeploymentReport) -> tuple[DeploymentReport, ...]:
    """The contingent's history with `report` added, or an error and nothing changed.

    `history` is taken as already checked (it was built by this function).
    """
    rank = _rank(report.status)
    if report.state != contingent.state:
        raise InvalidInput(f"a report for {report.state} cannot go on the contingent of "
                           f"{contingent.state}")
    if report.at.tzinfo is None or report.at.utcoffset() is None:
        raise InvalidInput(f"the time {report.at.isoformat()} must carry a time zone")
    p = report.personnel
    if isinstance(p, bool) or not isinstance(p, int) or p < 0:
        raise InvalidInput(f"personnel must be a non-negative whole number, got {p!r}")
    if p > contingent.committed:
        raise Conflict(f"{contingent.state} reports {p} personnel, more than the "
                       f"{contingent.committed} it committed")
    if history:
        last = history[-1]
        if last.status == "returned":
            raise Conflict(f"the contingent of {contingent.state} has returned; "
                           "no later report is taken")
        if rank < _rank(last.status):
            raise Conflict(f"the contingent of {contingent.state} cannot go back from "
                           f"{last.status} to {report.status}")
        if report.at < last.at:
            raise Conflict(f"report time {report.at.isoformat()} is before the last report of "
                           f"{contingent.state} ({last.at.isoformat()})")
    return (*history, report)


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
            raise InvalidInput(f"unknown timeline event '{self.kind}'; kinds: "
                               f"{', '.join(EVENT_KINDS)}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidInput(f"the time {self.at.isoformat()} must carry a time zone")


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
