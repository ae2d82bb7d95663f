"""A scenario and its play, pure: the timeline of injects exercise staff wrote, which of
them are due at a moment of a run, and how the reactions they drew were scored.

An inject is sent to one team (a crisis centre, a delegation: a principal key) a number
of minutes after the run starts. It is a message, an incident (which appears in the run's
own situation picture) or a request for assistance (a message the team must answer as it
would a member's request: the charter engine's decisions are never exercised). Each inject
names what the staff expect of the team, with the points each expectation is worth; the
staff score every expectation of every inject sent, and the debrief sums the scores per
team and for the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collsec.core.auth.model import Principal
from collsec.core.errors import InvalidInput, OneOf, Phrase

KINDS = ("message", "incident", "request")
RUN_STATUSES = ("running", "ended", "removed")
MAX_INJECTS = 200
MAX_MINUTES = 14 * 24 * 60  # a command-post exercise runs for two weeks at most
MAX_POINTS = 100
MAX_EXPECTED = 10
MAX_TITLE = 300
MAX_BODY = 5000
MAX_CODE = 40


@dataclass(frozen=True)
class Expectation:
    """What the staff expect a team to do on an inject, and what doing it is worth."""

    text: str
    points: int


@dataclass(frozen=True)
class Inject:
    number: int  # its place in the timeline, from 1
    minutes: int  # after the run's start
    kind: str
    team: str  # principal key
    title: str
    body: str
    expected: tuple[Expectation, ...]
    incident: Mapping[str, Any] | None = None  # for an incident: type, severity, place

    @property
    def points(self) -> int:
        return sum(e.points for e in self.expected)


@dataclass(frozen=True)
class Scenario:
    code: str
    name_en: str
    name_ru: str
    injects: tuple[Inject, ...]

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(sorted({i.team for i in self.injects}))


def _text(value: object, field: str, limit: int, *, number: int | None = None,
          required: bool = True) -> str:
    """A text of the scenario (`field` names it, worded on its own), or of inject `number`."""
    if value is None and not required:
        return ""
    named: dict[str, object] = {"field": Phrase(field)}
    at = "" if number is None else "inject {number}: "
    if number is not None:
        named["number"] = number
    if not isinstance(value, str):
        raise InvalidInput(at + "{field} must be text", **named)
    text = value.strip()
    if required and not text:
        raise InvalidInput(at + "{field} is missing", **named)
    if len(text) > limit:
        raise InvalidInput(at + "{field} is longer than {limit} characters", limit=limit,
                           **named)
    return text


def _whole(value: object, template: str, low: int, high: int, **params: object) -> int:
    """A whole number from `low` to `high`, or the refusal `template` words."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(template, low=low, high=high, **params)
    return value


def _team(value: object, number: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput("inject {number}: the team must be a principal such as "
                           "delegation:KZ or organ:CRC", number=number)
    try:
        return Principal.parse(value.strip()).key
    except ValueError:
        raise InvalidInput("inject {number}: '{team}' is not a principal such as "
                           "delegation:KZ or organ:CRC", number=number,
                           team=value[:60]) from None


def load_scenario(data: object) -> Scenario:
    """A scenario as exercise staff write it (YAML or JSON): a code, names in English and
    Russian, and its injects in the order of their minutes, each checked here."""
    if not isinstance(data, Mapping):
        raise InvalidInput("a scenario is an object with code, name_en, name_ru and injects")
    unknown = sorted(str(k) for k in data if k not in ("code", "name_en", "name_ru", "injects"))
    if unknown:
        raise InvalidInput("unknown field(s) of a scenario: {unknown}", unknown=", ".join(unknown))
    code = _text(data.get("code"), "the scenario's code", MAX_CODE)
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise InvalidInput("a scenario's code holds Latin letters, digits, - and _ only")
    raw = data.get("injects")
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("a scenario needs a list of injects")
    if len(raw) > MAX_INJECTS:
        raise InvalidInput("a scenario holds at most {most} injects", most=MAX_INJECTS)
    injects = tuple(_inject(one, n) for n, one in enumerate(raw, start=1))
    for before, after in zip(injects, injects[1:], strict=False):
        if after.minutes < before.minutes:
            raise InvalidInput("inject {number} comes at minute {minutes}, before inject "
                               "{previous}: list the injects in the order they are sent",
                               number=after.number, minutes=after.minutes,
                               previous=before.number)
    return Scenario(code, _text(data.get("name_en"), "the English name", MAX_TITLE),
                    _text(data.get("name_ru"), "the Russian name", MAX_TITLE), injects)


_INJECT_FIELDS = ("minutes", "kind", "team", "title", "body", "expected", "incident")


def _inject(data: object, number: int) -> Inject:
    if not isinstance(data, Mapping):
        raise InvalidInput("inject {number} is not an object", number=number)
    unknown = sorted(str(k) for k in data if k not in _INJECT_FIELDS)
    if unknown:
        raise InvalidInput("inject {number}: unknown field(s) {unknown}", number=number,
                           unknown=", ".join(unknown))
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidInput("inject {number}: the kind is one of {kinds}", number=number,
                           kinds=OneOf(KINDS))
    incident = data.get("incident")
    if kind == "incident":
        if not isinstance(incident, Mapping) or not {"type", "lon", "lat"} <= set(incident):
            raise InvalidInput("inject {number}: an incident inject gives the incident's "
                               "type, lon and lat", number=number)
    elif incident is not None:
        raise InvalidInput("inject {number}: only an incident inject describes an incident",
                           number=number)
    expected = data.get("expected") or []
    if not isinstance(expected, list) or len(expected) > MAX_EXPECTED:
        raise InvalidInput("inject {number}: expected is a list of at most {most} "
                           "expectations", number=number, most=MAX_EXPECTED)
    return Inject(
        number, _whole(data.get("minutes"), "inject {number}: the minute it is sent must be "
                       "a whole number from {low} to {high}", 0, MAX_MINUTES, number=number),
        str(kind), _team(data.get("team"), number),
        _text(data.get("title"), "the title", MAX_TITLE, number=number),
        _text(data.get("body"), "the body", MAX_BODY, number=number, required=False),
        tuple(_expectation(e, number) for e in expected),
        dict(incident) if isinstance(incident, Mapping) else None)


def _expectation(data: object, number: int) -> Expectation:
    if not isinstance(data, Mapping) or set(data) - {"text", "points"}:
        raise InvalidInput("inject {number}: an expectation has a text and its points",
                           number=number)
    return Expectation(_text(data.get("text"), "the expectation", MAX_TITLE, number=number),
                       _whole(data.get("points", 1), "inject {number}: the points must be a "
                              "whole number from {low} to {high}", 1, MAX_POINTS,
                              number=number))


def as_data(s: Scenario) -> dict[str, Any]:
    """The scenario as `load_scenario` takes it (what the database keeps)."""
    return {"code": s.code, "name_en": s.name_en, "name_ru": s.name_ru, "injects": [
        {"minutes": i.minutes, "kind": i.kind, "team": i.team, "title": i.title,
         "body": i.body, "expected": [{"text": e.text, "points": e.points}
                                      for e in i.expected],
         **({"incident": dict(i.incident)} if i.incident is not None else {})}
        for i in s.injects]}


def due(scenario: Scenario, elapsed_minutes: float, sent: Iterable[int]) -> list[Inject]:
    """The injects whose minute has come `elapsed_minutes` into a run and that were not
    sent yet (`sent`: their numbers), in timeline order."""
    done = set(sent)
    return [i for i in scenario.injects if i.minutes <= elapsed_minutes and i.number not in done]


@dataclass(frozen=True)
class Score:
    inject: int
    expectation: int  # its index in the inject's expected, from 0
    points: int


def check_score(scenario: Scenario, inject: int, expectation: int, points: object) -> Score:
    """A score the staff give: an expectation the inject has, within its points."""
    found = next((i for i in scenario.injects if i.number == inject), None)
    if found is None:
        raise InvalidInput("the scenario has no inject {number}", number=inject)
    if not 0 <= expectation < len(found.expected):
        raise InvalidInput("inject {number} has no expectation {expectation}",
                           number=inject, expectation=expectation + 1)
    most = found.expected[expectation].points
    return Score(inject, expectation, _whole(points, "the score must be a whole number from "
                                             "{low} to {high}", 0, most))


@dataclass(frozen=True)
class Tally:
    """Points scored against points possible, for the injects sent to a team (or all)."""

    scored: int
    possible: int
    unscored: int  # expectations of sent injects the staff have not scored yet

    @property
    def share(self) -> float | None:
        return None if not self.possible else self.scored / self.possible


def tally(scenario: Scenario, sent: Iterable[int], scores: Sequence[Score],
          team: str | None = None) -> Tally:
    """The run's tally (or one team's): every expectation of an inject sent counts as
    possible; the newest score given to it counts as scored."""
    sent_set = set(sent)
    latest = {(s.inject, s.expectation): s.points for s in scores}
    scored = possible = unscored = 0
    for i in scenario.injects:
        if i.number not in sent_set or (team is not None and i.team != team):
            continue
        for n, e in enumerate(i.expected):
            possible += e.points
            got = latest.get((i.number, n))
            if got is None:
                unscored += 1
            else:
                scored += got
    return Tally(scored, possible, unscored)
