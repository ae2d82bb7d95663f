"""Scenario files, pure: from a parsed YAML mapping to frozen, validated steps and checks.

A scenario is a title, its sources, a `base` (how the fresh database starts), a
list of `steps` and a list of `checks`. Each step is one dated command:

    - on: 2012-12-19          # the day the command happens (also its clock)
      do: close_item          # the command, looked up in a registry of handlers
      as: organ:SEC           # optional: the principal acting
      item: suspension        # the command's own arguments
      expect: {adopted: true} # optional: what must hold right after the step

Which commands and checks exist, and which arguments each takes, is not written
here: the runner passes its registry of specs, so a new feature adds a handler
and its spec and this module reads it without change. Every error names the
step (or check) and the field it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collsec.core.auth.model import Principal
from collsec.core.errors import InvalidInput, OneOf

CONFIDENCE = ("high", "medium", "low")
ARG_TYPES = ("str", "int", "bool", "date", "time", "state", "states", "strs", "state_map",
             "ref", "name", "data")
STEP_KEYS = ("on", "do", "as", "expect", "sources", "confidence", "note")
TOP_KEYS = ("format", "title", "description", "sources", "base", "steps", "checks")
BASE_KEYS = ("load_default", "until")
STATE_CODE = re.compile(r"^[A-Za-z]{2}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


class ScenarioError(InvalidInput):
    """The scenario file itself is wrong: a user's mistake, reported before anything runs."""

    title = "Invalid scenario"
    type_slug = "invalid-scenario"


@dataclass(frozen=True)
class Arg:
    """One argument a command or check takes.

    `type` is one of ARG_TYPES. A `ref` names an object an earlier step defined
    (with `kind`); a `name` defines one for later steps.
    """

    name: str
    type: str = "str"
    required: bool = False
    kind: str = ""
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in ARG_TYPES:
            raise ValueError(f"argument {self.name}: unknown type {self.type}")
        if self.type in ("ref", "name") and not self.kind:
            raise ValueError(f"argument {self.name}: a {self.type} needs the kind it names")


@dataclass(frozen=True)
class CommandSpec:
    """What a command (or a check) accepts.

    `alternatives`: groups of arguments of which exactly one group is given in full
    (e.g. `state` + `position`, or `positions`). `gives_outcome`: the command
    yields a decision outcome, so a step may expect `adopted`, `reason`, `bound`,
    `limited_format`.
    """

    name: str
    args: tuple[Arg, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()
    gives_outcome: bool = False
    summary: str = ""

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)


# What a step may expect besides the checks (which it may use with `as_of` defaulting
# to the step's own date).
OUTCOME_EXPECT = (Arg("adopted", "bool"), Arg("reason"), Arg("bound", "states"),
                  Arg("limited_format", "bool"))
OTHER_EXPECT = (Arg("error"), Arg("members_include", "states"),
                Arg("members_exclude", "states"))


@dataclass(frozen=True)
class Base:
    """How the fresh database starts: the embedded default, whole or up to `until`."""

    org: str
    until: dt.date | None = None


@dataclass(frozen=True)
class Check:
    """A check at the end (or, inside `expect`, right after a step)."""

    number: int
    kind: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    number: int
    on: dt.date
    do: str
    args: Mapping[str, Any]
    principal: Principal | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)
    expect_checks: tuple[Check, ...] = ()
    sources: tuple[str, ...] = ()
    confidence: str = "high"
    note: str = ""

    @property
    def label(self) -> str:
        return f"step {self.number} ({self.do})"


@dataclass(frozen=True)
class Scenario:
    title: str
    description: str
    sources: tuple[str, ...]
    base: Base
    steps: tuple[Step, ...]
    checks: tuple[Check, ...]

    @property
    def org(self) -> str:
        return self.base.org

    def all_sources(self) -> list[str]:
        """Every source id the scenario cites, scenario-wide and per step, in order."""
        seen: dict[str, None] = dict.fromkeys(self.sources)
        for step in self.steps:
            seen.update(dict.fromkeys(step.sources))
        return list(seen)


# -- values ---------------------------------------------------------------------------

def parse_day(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ScenarioError("{where}: '{value}' is a time; give a date YYYY-MM-DD",
                            where=where, value=str(value))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScenarioError("{where}: '{value}' is not a date; use YYYY-MM-DD, e.g. 2012-06-28",
                        where=where, value=str(value))


def parse_time(value: object, where: str) -> dt.datetime:
    """An ISO time with its zone: whose clock a naive time follows, a scenario cannot say."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise ScenarioError("{where}: '{value}' is not a time with its zone; use e.g. "
                        "2022-01-06T08:00:00+06:00 or 2022-01-06T02:00:00Z",
                        where=where, value=str(value))


def _plain(value: object, where: str) -> object:
    """Structured data (a GeoJSON geometry, a list of needs) as YAML gives it: mappings,
    lists, text, numbers, booleans and null; the service that takes it checks its shape."""
    if isinstance(value, dict):
        return {_text(k, where): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ScenarioError("{where}: unexpected value {value}", where=where, value=repr(value))


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError("{where}: expected text, got {value}", where=where,
                            value=repr(value))
    return value.strip()


def _state(value: object, where: str) -> str:
    if not isinstance(value, str) or not STATE_CODE.match(value):
        raise ScenarioError("{where}: '{value}' is not a state code (ISO 3166 alpha-2, "
                            "e.g. KZ)", where=where, value=str(value))
    return value.upper()


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ScenarioError("{where}: expected a list, got {value}", where=where,
                            value=repr(value))
    return list(value)


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ScenarioError("{where}: expected a mapping of names to values, got {value}",
                            where=where, value=repr(value))
    return dict(value)


def coerce(arg: Arg, value: object, where: str) -> object:
    """The value of one argument, checked against its type."""
    where = f"{where}: {arg.name}"
    if arg.type in ("str", "ref", "name"):
        text = _text(value, where)
        if arg.choices and text not in arg.choices:
            raise ScenarioError("{where}: '{value}' is not one of {choices}", where=where,
                                value=text, choices=", ".join(arg.choices))
        return text
    if arg.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError("{where}: expected a whole number, got {value}", where=where,
                                value=repr(value))
        return value
    if arg.type == "bool":
        if not isinstance(value, bool):
            raise ScenarioError("{where}: expected true or false, got {value}", where=where,
                                value=repr(value))
        return value
    if arg.type == "date":
        return parse_day(value, where)
    if arg.type == "time":
        return parse_time(value, where)
    if arg.type == "data":
        return _plain(value, where)
    if arg.type == "state":
        return _state(value, where)
    if arg.type == "states":
        return tuple(_state(v, where) for v in _list(value, where))
    if arg.type == "strs":
        return tuple(_text(v, where) for v in _list(value, where))
    # state_map: {KZ: support, RU: object}
    out = {}
    for key, item in _mapping(value, where).items():
        text = _text(item, f"{where}.{key}")
        if arg.choices and text not in arg.choices:
            raise ScenarioError("{where}: '{value}' is not one of {choices}",
                                where=f"{where}.{key}", value=text,
                                choices=", ".join(arg.choices))
        out[_state(key, where)] = text
    return out


def parse_args(spec: CommandSpec, raw: Mapping[str, object], where: str) -> dict[str, object]:
    """Check a command's (or check's) arguments against its spec; unknown ones are refused."""
    known = {a.name for a in spec.args}
    unknown = sorted(set(raw) - known)
    if unknown:
        listing = ", ".join(a.name for a in spec.args) or "none"
        raise ScenarioError("{where}: unknown argument '{arg}'; {command} takes: {known}",
                            where=where, arg=unknown[0], command=spec.name, known=listing)
    args = {a.name: coerce(a, raw[a.name], where) for a in spec.args if a.name in raw}
    for a in spec.args:
        if a.required and a.name not in args:
            raise ScenarioError("{where}: missing required argument '{arg}'", where=where,
                                arg=a.name)
    if spec.alternatives:
        full = [g for g in spec.alternatives if all(n in args for n in g)]
        touched = [g for g in spec.alternatives if any(n in args for n in g)]
        if len(full) != 1 or len(touched) != 1:
            groups = OneOf(" + ".join(g) for g in spec.alternatives)
            raise ScenarioError("{where}: give exactly one of: {groups}", where=where,
                                groups=groups)
    return args


def parse_principal(value: object, where: str) -> Principal:
    text = _text(value, f"{where}: as")
    try:
        principal = Principal.parse(text)
    except ValueError as exc:
        raise ScenarioError("{where}: as: unknown principal; {error}", where=where,
                            error=str(exc)) from None
    if principal.kind == "delegation" and not STATE_CODE.match(principal.code):
        raise ScenarioError("{where}: as: '{value}' names no state; use delegation:KZ",
                            where=where, value=text)
    if not CODE.match(principal.code):
        raise ScenarioError("{where}: as: '{value}' is not a principal code", where=where,
                            value=text)
    return principal


# -- the scenario ----------------------------------------------------------------------

def parse_base(raw: object) -> Base:
    data = _mapping(raw, "base")
    unknown = sorted(set(data) - set(BASE_KEYS))
    if unknown:
        raise ScenarioError("base: unknown key '{key}'; keys: {keys}", key=unknown[0],
                            keys=", ".join(BASE_KEYS))
    if "load_default" not in data:
        raise ScenarioError("base: say which embedded organization to load, e.g. "
                            "{load_default: CSTO}")
    org = _text(data["load_default"], "base: load_default")
    if not CODE.match(org):
        raise ScenarioError("base: load_default: '{org}' is not an organization code",
                            org=org)
    until = parse_day(data["until"], "base: until") if "until" in data else None
    return Base(org.upper(), until)


def _sources(value: object, where: str) -> tuple[str, ...]:
    return tuple(_text(v, where) for v in _list(value, where))


def parse_check(raw: object, number: int, checks: Mapping[str, CommandSpec],
                where: str | None = None, default_as_of: dt.date | None = None) -> Check:
    where = where or f"check {number}"
    data = _mapping(raw, where)
    if len(data) != 1:
        raise ScenarioError("{where}: a check is one mapping such as {{members: {{...}}}}; "
                            "got keys {keys}", where=where, keys=", ".join(data) or "none")
    kind, body = next(iter(data.items()))
    spec = checks.get(kind)
    if spec is None:
        raise ScenarioError("{where}: unknown check '{check}'; checks: {checks}", where=where,
                            check=kind, checks=", ".join(checks))
    raw_args = _mapping(body, f"{where} ({kind})")
    if default_as_of is not None and spec.arg("as_of") and "as_of" not in raw_args:
        raw_args["as_of"] = default_as_of
    return Check(number, kind, parse_args(spec, raw_args, f"{where} ({kind})"))


def _expectations(raw: object, step_where: str, day: dt.date, spec: CommandSpec,
                  checks: Mapping[str, CommandSpec]) -> tuple[dict[str, object], tuple[Check, ...]]:
    where = f"{step_where}: expect"
    data = _mapping(raw, where)
    plain: dict[str, object] = {}
    nested: list[Check] = []
    simple = {a.name: a for a in (*OUTCOME_EXPECT, *OTHER_EXPECT)}
    for key, value in data.items():
        if key in simple:
            if key in {a.name for a in OUTCOME_EXPECT} and not spec.gives_outcome:
                raise ScenarioError("{where}: {key}: {command} gives no decision outcome "
                                    "to expect", where=where, key=key, command=spec.name)
            plain[key] = coerce(simple[key], value, where)
        elif key in checks:
            nested.append(parse_check({key: value}, len(nested) + 1, checks,
                                      f"{where} {key}", day))
        else:
            known = [*simple, *checks]
            raise ScenarioError("{where}: unknown expectation '{key}'; expectations: "
                                "{known}", where=where, key=key, known=", ".join(known))
    return plain, tuple(nested)


def parse_step(raw: object, number: int, commands: Mapping[str, CommandSpec],
               checks: Mapping[str, CommandSpec], defined: dict[str, str]) -> Step:
    """One step; `defined` maps names earlier steps gave to objects to their kind."""
    where = f"step {number}"
    data = _mapping(raw, where)
    if "do" not in data:
        raise ScenarioError("{where}: missing 'do' (the command to run)", where=where)
    do = _text(data["do"], f"{where}: do")
    spec = commands.get(do)
    if spec is None:
        raise ScenarioError("{where}: unknown command '{command}'; commands: {commands}",
                            where=where, command=do, commands=", ".join(sorted(commands)))
    where = f"step {number} ({do})"
    if "on" not in data:
        raise ScenarioError("{where}: missing 'on' (the date the command happens)",
                            where=where)
    on = parse_day(data["on"], f"{where}: on")
    principal = parse_principal(data["as"], where) if "as" in data else None
    args = parse_args(spec, {k: v for k, v in data.items() if k not in STEP_KEYS}, where)
    for a in spec.args:
        if a.name not in args:
            continue
        name = str(args[a.name])
        if a.type == "ref":
            if name not in defined:
                raise ScenarioError("{where}: {arg}: '{name}' is not named by an earlier "
                                    "step (a {kind} needs `id: {name}` where it is made)",
                                    where=where, arg=a.name, name=name, kind=a.kind)
            if defined[name] != a.kind:
                raise ScenarioError("{where}: {arg}: '{name}' names a {named}, not a {kind}",
                                    where=where, arg=a.name, name=name, named=defined[name],
                                    kind=a.kind)
        elif a.type == "name":
            if name in defined:
                raise ScenarioError("{where}: {arg}: '{name}' is already used by an "
                                    "earlier step", where=where, arg=a.name, name=name)
            defined[name] = a.kind
    plain, nested = _expectations(data.get("expect", {}), where, on, spec, checks)
    confidence = _text(data.get("confidence", "high"), f"{where}: confidence")
    if confidence not in CONFIDENCE:
        raise ScenarioError("{where}: confidence: '{value}' is not one of {choices}",
                            where=where, value=confidence, choices=", ".join(CONFIDENCE))
    note = _text(data["note"], f"{where}: note") if "note" in data else ""
    sources = _sources(data["sources"], f"{where}: sources") if "sources" in data else ()
    return Step(number, on, do, args, principal, plain, nested, sources, confidence, note)


def parse_scenario(data: object, commands: Mapping[str, CommandSpec],
                   checks: Mapping[str, CommandSpec]) -> Scenario:
    """Validate a whole scenario against the registries of commands and checks."""
    top = _mapping(data, "scenario")
    unknown = sorted(set(top) - set(TOP_KEYS))
    if unknown:
        raise ScenarioError("scenario: unknown key '{key}'; keys: {keys}", key=unknown[0],
                            keys=", ".join(TOP_KEYS))
    if top.get("format", 1) != 1:
        raise ScenarioError("scenario: format {format} is not known; this collsec "
                            "reads format 1", format=repr(top["format"]))
    for key in ("title", "sources", "base", "steps"):
        if key not in top:
            raise ScenarioError("scenario: missing '{key}'", key=key)
    title = _text(top["title"], "scenario: title")
    description = _text(top["description"], "scenario: description") \
        if "description" in top else ""
    sources = _sources(top["sources"], "scenario: sources")
    if not sources:
        raise ScenarioError("scenario: sources: name at least one source the replay rests on")
    base = parse_base(top["base"])
    defined: dict[str, str] = {}
    steps: list[Step] = []
    for i, raw in enumerate(_list(top["steps"], "scenario: steps"), start=1):
        step = parse_step(raw, i, commands, checks, defined)
        if steps and step.on < steps[-1].on:
            raise ScenarioError("{step}: on {day} comes before step {before}'s {before_day}; "
                                "steps run in date order", step=step.label, day=step.on,
                                before=steps[-1].number, before_day=steps[-1].on)
        if base.until is not None and step.on < base.until:
            raise ScenarioError("{step}: on {day} is before base.until {until}; the base "
                                "already holds that time", step=step.label, day=step.on,
                                until=base.until)
        steps.append(step)
    final = [parse_check(raw, i, checks)
             for i, raw in enumerate(_list(top.get("checks", []), "scenario: checks"), start=1)]
    return Scenario(title, description, sources, base, tuple(steps), tuple(final))


def unknown_source(scenario: Scenario, known: Sequence[str]) -> ScenarioError | None:
    """The error naming the first cited source id that `known` lacks, and where it is
    cited."""
    have = set(known)
    for sid in scenario.sources:
        if sid not in have:
            return ScenarioError("scenario: sources: unknown source id '{source}'", source=sid)
    for step in scenario.steps:
        for sid in step.sources:
            if sid not in have:
                return ScenarioError("{step}: sources: unknown source id '{source}'",
                                     step=step.label, source=sid)
    return None


def missing_sources(scenario: Scenario, known: Sequence[str]) -> str | None:
    """The first cited source id that `known` lacks, said with where it is cited."""
    problem = unknown_source(scenario, known)
    return problem.detail if problem is not None else None
