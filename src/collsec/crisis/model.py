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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collsec.core.errors import Conflict, InvalidInput, NotFound, OneOf, UnknownStatus

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
    citable: frozenset[str] = frozenset()  # statuses in which a member's request may cite it
    # the earliest time a report may give for its incident (crisis.yaml's
    # `earliest_occurred_at`): a time before it is a slip of the keyboard, not a report
    earliest: dt.datetime | None = None

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


def _names(entry: Mapping[str, Any], refusal: str, /, **params: object) -> tuple[str, str]:
    """The entry's names in en and ru; else `refusal` (a template) with its params."""
    name = entry.get("name") or {}
    if not name.get("en") or not name.get("ru"):
        raise InvalidInput(refusal, **params)
    return str(name["en"]), str(name["ru"])


def load_taxonomy(data: Mapping[str, Any]) -> Taxonomy:
    """Read `crisis.yaml`'s content; refuse a taxonomy that contradicts itself."""
    severities: dict[int, Severity] = {}
    for s in data.get("severities", []):
        level = s.get("level")
        if isinstance(level, bool) or not isinstance(level, int):
            raise InvalidInput("severity level {level} must be an integer", level=repr(level))
        severities[level] = Severity(level, *_names(
            s, "severity {level} needs a name in en and ru", level=level))
    if not severities:
        raise InvalidInput("the taxonomy defines no severity scale")
    types: dict[str, IncidentType] = {}
    for t in data.get("incident_types", []):
        code = str(t.get("code", ""))
        if not code or code in types:
            raise InvalidInput("incident type code {code} is empty or repeated", code=repr(code))
        hint = t.get("severity_hint")
        if hint not in severities:
            raise InvalidInput("incident type {code}: severity hint {hint} is not on the scale",
                               code=code, hint=repr(hint))
        types[code] = IncidentType(code, *_names(
            t, "incident type {code} needs a name in en and ru", code=code),
            severity_hint=hint, sources=tuple(t.get("sources", ())))
    transitions = {str(s["code"]): tuple(s.get("next", ())) for s in
                   data.get("incident_statuses", [])} or dict(INCIDENT_TRANSITIONS)
    for status, targets in transitions.items():
        for target in targets:
            if target not in transitions:
                raise InvalidInput("incident status {status} leads to unknown status {target}",
                                   status=status, target=str(target))
    labels = {str(s["code"]): _names(s, "deployment state {state} needs a name in en and ru",
                                     state=str(s["code"]))
              for s in data.get("deployment_states", [])}
    if labels and tuple(labels) != DEPLOYMENT_STATES:
        raise InvalidInput("deployment states must be, in order: {states}",
                           states=", ".join(DEPLOYMENT_STATES))
    events = {str(e["code"]): _names(e, "timeline event {event} needs a name in en and ru",
                                     event=str(e["code"]))
              for e in data.get("timeline_events", [])}
    if events and set(events) != set(EVENT_KINDS):
        raise InvalidInput("timeline events must name each of: {kinds}",
                           kinds=", ".join(EVENT_KINDS))
    by_request = frozenset(str(st["code"]) for st in data.get("incident_statuses", [])
                           if st.get("by_request"))
    citable = frozenset(str(st["code"]) for st in data.get("incident_statuses", [])
                        if st.get("citable"))
    earliest = data.get("earliest_occurred_at")
    if earliest is not None and not isinstance(earliest, dt.date):
        raise InvalidInput("earliest_occurred_at must be a date, not {earliest}",
                           earliest=repr(earliest))
    floor = (None if earliest is None else
             dt.datetime.combine(earliest, dt.time(), tzinfo=dt.UTC))
    return Taxonomy(types, severities, transitions, labels, events, by_request, citable,
                    floor)


def check_type(code: str, taxonomy: Taxonomy) -> IncidentType:
    if code not in taxonomy.types:
        raise UnknownIncidentType("unknown incident type '{code}'; types: {types}",
                                  code=code, types=", ".join(sorted(taxonomy.types)))
    return taxonomy.types[code]


def check_severity(level: object, taxonomy: Taxonomy) -> Severity:
    if isinstance(level, bool) or not isinstance(level, int) or level not in taxonomy.severities:
        scale = ", ".join(str(lvl) for lvl in sorted(taxonomy.severities))
        raise InvalidInput("severity {level} is not on the scale ({scale})", level=repr(level),
                           scale=scale)
    return taxonomy.severities[level]


def advance_incident(current: str, new: str,
                     transitions: Mapping[str, tuple[str, ...]] = INCIDENT_TRANSITIONS) -> str:
    """The incident's next status, or a Conflict saying why the move is refused."""
    for status in (current, new):
        if status not in transitions:
            raise UnknownStatus("unknown incident status '{status}'; statuses: {statuses}",
                                status=status, statuses=", ".join(transitions))
    if new in transitions[current]:
        return new
    if not transitions[current]:
        raise Conflict("the incident is {status}; a closed incident is final "
                       "(report a new one that cites it)", status=current)
    if current == new:
        raise Conflict("the incident is already {status}", status=current)
    raise Conflict("an incident cannot go from {current} to {new}; from {current} it may go to "
                   "{allowed}", current=current, new=new,
                   allowed=OneOf(transitions[current]))
