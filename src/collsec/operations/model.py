"""Standing regional operations, pure: the indicators national reports give figures for
(charter data, `operations.indicators`), an operation with its stages, the figures
published for a stage or for a span of years, and the totals a statistics page shows.

A figure is kept as its source states it: a value, a qualifier (as given, more than,
about), whose territory it covers (all the states taking part, or one state's or region's
part) and whether it was preliminary. Sources disagree; each figure keeps its own source
and date, and nothing here reconciles them. Only figures of all the states taking part
are added into totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collsec.core import facts

QUALIFIERS = ("=", ">", "~")  # as given, more than, about
CONFIDENCE = facts.CONFIDENCE
Wording = facts.Wording
PRECISIONS = ("day", "month", "year")
ALL = "all"  # a figure of every state taking part


@dataclass(frozen=True)
class Indicator:
    code: str
    unit: str
    name: Wording
    operations: tuple[str, ...]


def indicators_from(raw: Mapping[str, Any]) -> dict[str, Indicator]:
    """The charter's `operations.indicators`, checked."""
    out = {}
    for code, spec in (raw.get("indicators") or {}).items():
        where = f"operations.indicators.{code}"
        if not isinstance(spec, Mapping) or not spec.get("unit"):
            raise ValueError(f"{where}: needs its unit")
        name = facts.wording(spec.get("name"), f"{where}.name", required=True)
        assert name is not None
        ops = tuple(str(o) for o in spec.get("operations") or ())
        if not ops:
            raise ValueError(f"{where}: name the operations that use it")
        out[str(code)] = Indicator(str(code), str(spec["unit"]), name, ops)
    return out


@dataclass(frozen=True)
class Figure:
    indicator: str
    value: float
    qual: str
    scope: str  # ALL, a state's code, or "region"
    sources: tuple[str, ...]
    confidence: str
    preliminary: bool = False
    region: Wording | None = None
    covers: tuple[int, int] | None = None  # the years of a figure not of one stage
    stated: dt.date | None = None
    note: Wording | None = None


@dataclass(frozen=True)
class Stage:
    year: int
    sources: tuple[str, ...]
    confidence: str
    number: int | None = None
    name: Wording | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    precision: str = "day"
    headquarters: Wording | None = None
    states: tuple[str, ...] = ()
    observer_states: tuple[str, ...] = ()
    observers_other: tuple[Wording, ...] = ()
    note: Wording | None = None
    figures: tuple[Figure, ...] = ()

    @property
    def closes(self) -> dt.date:
        """The day by which the stage is over, as far as its dates are known."""
        if self.end is not None:
            return self.end
        if self.start is not None and self.precision == "day":
            return self.start
        return dt.date(self.year, 12, 31)


@dataclass(frozen=True)
class Operation:
    code: str
    name: Wording
    purpose: Wording
    started: int | None  # the year of its first stage (None: unknown)
    sources: tuple[str, ...]
    confidence: str
    standing_since: dt.date | None = None
    standing_precision: str = "day"
    coordinator: Wording | None = None
    basis: Wording | None = None
    note: Wording | None = None
    stages: tuple[Stage, ...] = ()
    figures: tuple[Figure, ...] = field(default=())


@dataclass(frozen=True)
class Known:
    """What the embedded facts may refer to."""

    indicators: Mapping[str, Indicator]
    states: frozenset[str]
    sources: frozenset[str]


def check_figure(known: Known, operation: str, indicator: str, value: Any, where: str
                 ) -> float:
    """A figure's indicator must be one the operation reports, its value a number not
    below zero."""
    spec = known.indicators.get(indicator)
    if spec is None:
        raise ValueError(f"{where}: unknown indicator {indicator!r}")
    if operation not in spec.operations:
        raise ValueError(f"{where}: the operation {operation} does not report {indicator}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: the value of {indicator} is a number")
    if value < 0:
        raise ValueError(f"{where}: the value of {indicator} cannot be negative")
    return float(value)


def _sources(known: Known, raw: Any, where: str) -> tuple[str, ...]:
    return facts.sources(known.sources, raw, where)


def _states(known: Known, raw: Any, where: str) -> tuple[str, ...]:
    codes = tuple(str(s) for s in raw or ())
    unknown = sorted(set(codes) - known.states)
    if unknown:
        raise ValueError(f"{where}: unknown state(s) {', '.join(unknown)}")
    return codes


def _figure(known: Known, operation: str, raw: Mapping[str, Any], where: str) -> Figure:
    indicator = str(raw.get("indicator", ""))
    value = check_figure(known, operation, indicator, raw.get("value"), where)
    qual = str(raw.get("qual", "="))
    if qual not in QUALIFIERS:
        raise ValueError(f"{where}: qual is one of {' '.join(QUALIFIERS)}")
    scope = str(raw.get("scope", ALL))
    if scope not in (ALL, "region"):
        _states(known, [scope], where)
    covers = None
    if "from" in raw or "until" in raw:
        first, last = int(raw.get("from", raw.get("until"))), int(raw.get("until", raw["from"]))
        if last < first:
            raise ValueError(f"{where}: from {first} is after until {last}")
        covers = (first, last)
    return Figure(indicator, value, qual, scope, _sources(known, raw.get("sources"), where),
                  facts.confidence(raw.get("confidence"), where), bool(raw.get("preliminary")),
                  facts.wording(raw.get("region"), f"{where}.region"), covers,
                  facts.date(raw.get("stated"), f"{where}.stated"),
                  facts.wording(raw.get("note"), f"{where}.note"))


def _stage(known: Known, operation: str, started: int | None, raw: Mapping[str, Any],
           where: str) -> Stage:
    year = int(raw.get("year", 0))
    if started is None:
        raise ValueError(f"{where}: an operation with stages says when it began (started)")
    if year < started:
        raise ValueError(f"{where}: a stage of {year} is before the operation began "
                         f"({started})")
    start, end = facts.date(raw.get("start"), f"{where}.start"), facts.date(raw.get("end"),
                                                                 f"{where}.end")
    if start is not None and end is not None and end < start:
        raise ValueError(f"{where}: it ends before it starts")
    precision = str(raw.get("precision", "day"))
    if precision not in PRECISIONS:
        raise ValueError(f"{where}: precision is one of {', '.join(PRECISIONS)}")
    return Stage(
        year, _sources(known, raw.get("sources"), where),
        facts.confidence(raw.get("confidence"), where),
        int(raw["number"]) if raw.get("number") is not None else None,
        facts.wording(raw.get("name"), f"{where}.name"), start, end, precision,
        facts.wording(raw.get("headquarters"), f"{where}.headquarters"),
        _states(known, raw.get("states"), f"{where}.states"),
        _states(known, raw.get("observer_states"), f"{where}.observer_states"),
        tuple(w for n, o in enumerate(raw.get("observers_other") or ())
              if (w := facts.wording(o, f"{where}.observers_other[{n}]")) is not None),
        facts.wording(raw.get("note"), f"{where}.note"),
        tuple(_figure(known, operation, f, f"{where}.figures[{n}]")
              for n, f in enumerate(raw.get("figures") or ())))


def operations_from(items: Iterable[Mapping[str, Any]], known: Known) -> tuple[Operation, ...]:
    """The embedded operations (operations.yaml), checked: each figure's indicator is one
    its operation reports and not negative, each stage within its operation's years, each
    source and state known."""
    out = []
    seen: set[str] = set()
    for n, raw in enumerate(items):
        code = str(raw.get("code", ""))
        where = f"operations.yaml[{n}] ({code})"
        if not code or code in seen:
            raise ValueError(f"{where}: every operation needs a code of its own")
        seen.add(code)
        started = int(raw["started"]) if raw.get("started") is not None else None
        name = facts.wording(raw.get("name"), f"{where}.name", required=True)
        purpose = facts.wording(raw.get("purpose"), f"{where}.purpose", required=True)
        assert name is not None and purpose is not None
        out.append(Operation(
            code, name, purpose, started, _sources(known, raw.get("sources"), where),
            facts.confidence(raw.get("confidence"), where),
            facts.date(raw.get("standing_since"), f"{where}.standing_since"),
            str(raw.get("standing_precision", "day")),
            facts.wording(raw.get("coordinator"), f"{where}.coordinator"),
            facts.wording(raw.get("basis"), f"{where}.basis"),
            facts.wording(raw.get("note"), f"{where}.note"),
            tuple(_stage(known, code, started, s, f"{where}.stages[{k}]")
                  for k, s in enumerate(raw.get("stages") or ())),
            tuple(_figure(known, code, f, f"{where}.figures[{k}]")
                  for k, f in enumerate(raw.get("figures") or ()))))
    return tuple(out)


@dataclass(frozen=True)
class Total:
    """A sum of stage figures: `qual` is "~" if any was about, else ">" if any was a lower
    bound; `stages` how many stages gave a figure."""

    indicator: str
    value: float
    qual: str
    stages: int
    preliminary: bool


def totals(stages: Sequence[Stage], *, on: dt.date) -> dict[str, Total]:
    """Each indicator's total over the stages over by `on`, from the figures of every state
    taking part (a stage with two such figures of one indicator, from two sources, counts
    the first)."""
    sums: dict[str, list[Figure]] = {}
    for stage in stages:
        if stage.closes > on:
            continue
        taken: set[str] = set()
        for f in stage.figures:
            if f.scope == ALL and f.indicator not in taken:
                taken.add(f.indicator)
                sums.setdefault(f.indicator, []).append(f)
    out = {}
    for code, figures in sums.items():
        quals = {f.qual for f in figures}
        qual = "~" if "~" in quals else ">" if ">" in quals else "="
        out[code] = Total(code, sum(f.value for f in figures), qual, len(figures),
                          any(f.preliminary for f in figures))
    return out
