"""The organization's exercises, pure: an exercise of a series (Interaction, Search,
Echelon...), its forces, host, range and dates, the states taking part with personnel
where reported, and its status with the decisions that changed it (held, planned, moved,
postponed, cancelled), checked as the embedded data gives them (exercises.yaml).

Figures are kept as their sources state them (as given, more than, about), each with its
own source; two readings of one exercise are both kept and nothing reconciles them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collsec.core import facts

SERIES = ("interaction", "search", "echelon", "indestructible_brotherhood",
          "combat_brotherhood", "rubezh", "cobalt", "grom", "barrier", "rock", "snap_check",
          "crc_training")
STATUSES = ("planned", "held", "moved", "postponed", "cancelled")
QUALIFIERS = ("=", ">", "~")
PRECISIONS = ("day", "month", "year")
CONFIDENCE = facts.CONFIDENCE
Wording = facts.Wording


@dataclass(frozen=True)
class Participant:
    state: str
    personnel: float | None = None
    qual: str = "="
    note: Wording | None = None


@dataclass(frozen=True)
class Count:
    """A reported number of personnel, as one source gives it."""

    value: float
    qual: str
    sources: tuple[str, ...]
    stated: dt.date | None = None
    note: Wording | None = None


@dataclass(frozen=True)
class Decision:
    """A change of an exercise's status: when, to what, by whom and why."""

    date: dt.date
    precision: str
    status: str
    sources: tuple[str, ...]
    decided_by: Wording | None = None
    reason: Wording | None = None
    note: Wording | None = None


@dataclass(frozen=True)
class Exercise:
    code: str
    series: str
    name: Wording
    year: int
    status: str
    sources: tuple[str, ...]
    confidence: str
    kind: Wording | None = None
    forces: tuple[str, ...] = ()
    host: str | None = None
    range: Wording | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    precision: str = "year"
    dates_note: Wording | None = None
    part_of: str | None = None
    participants: tuple[Participant, ...] = ()
    observer_states: tuple[str, ...] = ()
    observers: Wording | None = None
    personnel: tuple[Count, ...] = ()
    equipment: Wording | None = None
    decisions: tuple[Decision, ...] = ()
    note: Wording | None = None

    def personnel_on_record(self) -> Count | None:
        """The first reading of its personnel (the data lists the one it prefers first)."""
        return self.personnel[0] if self.personnel else None


@dataclass(frozen=True)
class Known:
    states: frozenset[str]
    sources: frozenset[str]
    forces: frozenset[str]


def _one_of(raw: Any, allowed: tuple[str, ...], where: str, what: str) -> str:
    if raw not in allowed:
        raise ValueError(f"{where}: {what} {raw!r} is not one of {', '.join(allowed)}")
    return str(raw)


def _sources(known: Known, raw: Any, where: str) -> tuple[str, ...]:
    return facts.sources(known.sources, raw, where)


def _state(known: Known, raw: Any, where: str) -> str:
    code = str(raw)
    if code not in known.states:
        raise ValueError(f"{where}: unknown state {code}")
    return code


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise ValueError(f"{where}: personnel is a number not below zero")
    return float(raw)


def _participants(known: Known, raw: Any, where: str) -> tuple[Participant, ...]:
    out, seen = [], set()
    for n, p in enumerate(raw or ()):
        at = f"{where}.participants[{n}]"
        state = _state(known, p.get("state"), at)
        if state in seen:
            raise ValueError(f"{at}: {state} is listed twice")
        seen.add(state)
        people = p.get("personnel")
        out.append(Participant(state, _number(people, at) if people is not None else None,
                               _one_of(p.get("qual", "="), QUALIFIERS, at, "qual"),
                               facts.wording(p.get("note"), f"{at}.note")))
    return tuple(out)


def _counts(known: Known, raw: Any, where: str) -> tuple[Count, ...]:
    return tuple(Count(_number(c.get("value"), f"{where}.personnel[{n}]"),
                       _one_of(c.get("qual", "="), QUALIFIERS, f"{where}.personnel[{n}]",
                               "qual"),
                       _sources(known, c.get("sources"), f"{where}.personnel[{n}]"),
                       facts.date(c.get("stated"), f"{where}.personnel[{n}].stated"),
                       facts.wording(c.get("note"), f"{where}.personnel[{n}].note"))
                 for n, c in enumerate(raw or ()))


def _decisions(known: Known, raw: Any, where: str) -> tuple[Decision, ...]:
    out = []
    for n, d in enumerate(raw or ()):
        at = f"{where}.decisions[{n}]"
        day = facts.date(d.get("date"), f"{at}.date")
        if day is None:
            raise ValueError(f"{at}: a decision has its date")
        out.append(Decision(day, _one_of(d.get("precision", "day"), PRECISIONS, at,
                                         "precision"),
                            _one_of(d.get("status"), STATUSES, at, "status"),
                            _sources(known, d.get("sources"), at),
                            facts.wording(d.get("decided_by"), f"{at}.decided_by"),
                            facts.wording(d.get("reason"), f"{at}.reason"),
                            facts.wording(d.get("note"), f"{at}.note")))
    return tuple(sorted(out, key=lambda d: d.date))


def exercise_from(known: Known, raw: Mapping[str, Any], where: str) -> Exercise:
    code = str(raw.get("code") or "")
    if not code:
        raise ValueError(f"{where}: every exercise needs its code")
    where = f"{where} ({code})"
    year = raw.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ValueError(f"{where}: year is a year")
    start, end = facts.date(raw.get("start"), f"{where}.start"), facts.date(raw.get("end"),
                                                                 f"{where}.end")
    if start is not None and end is not None and end < start:
        raise ValueError(f"{where}: it ends before it starts")
    if start is not None and start.year != year:
        raise ValueError(f"{where}: it starts in {start.year}, not in its year {year}")
    forces = tuple(str(f) for f in raw.get("forces") or ())
    unknown = sorted(set(forces) - known.forces)
    if unknown:
        raise ValueError(f"{where}: unknown force(s) {', '.join(unknown)}")
    name = facts.wording(raw.get("name"), f"{where}.name", required=True)
    assert name is not None
    host = raw.get("host")
    return Exercise(
        code, _one_of(raw.get("series"), SERIES, where, "series"), name, year,
        _one_of(raw.get("status"), STATUSES, where, "status"),
        _sources(known, raw.get("sources"), where),
        _one_of(raw.get("confidence"), CONFIDENCE, where, "confidence"),
        facts.wording(raw.get("kind"), f"{where}.kind"), forces,
        _state(known, host, where) if host is not None else None,
        facts.wording(raw.get("range"), f"{where}.range"), start, end,
        _one_of(raw.get("precision", "day" if start else "year"), PRECISIONS, where,
                "precision"),
        facts.wording(raw.get("dates_note"), f"{where}.dates_note"),
        str(raw["part_of"]) if raw.get("part_of") else None,
        _participants(known, raw.get("participants"), where),
        tuple(_state(known, s, where) for s in raw.get("observer_states") or ()),
        facts.wording(raw.get("observers"), f"{where}.observers"),
        _counts(known, raw.get("personnel"), where),
        facts.wording(raw.get("equipment"), f"{where}.equipment"),
        _decisions(known, raw.get("decisions"), where),
        facts.wording(raw.get("note"), f"{where}.note"))


def exercises_from(items: Iterable[Mapping[str, Any]], known: Known) -> tuple[Exercise, ...]:
    """The embedded exercises, checked; an umbrella (`part_of`) must be one of them."""
    out = [exercise_from(known, raw, f"exercises.yaml[{n}]") for n, raw in enumerate(items)]
    codes = [e.code for e in out]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"exercises.yaml: code(s) used twice: {', '.join(twice)}")
    missing = sorted({e.part_of for e in out if e.part_of and e.part_of not in codes})
    if missing:
        raise ValueError(f"exercises.yaml: part_of names no exercise: {', '.join(missing)}")
    return tuple(out)


def status_on(e: Exercise, day: dt.date) -> str:
    """Its status as known on `day`: a held exercise is planned until it is over (or what
    the latest decision by then made it); another is what the latest decision by then made
    it (planned before the first), else its recorded status."""
    decided = [d for d in e.decisions if d.date <= day]
    if e.status == "held":
        over = e.end or e.start or dt.date(e.year, 12, 31)
        if over > day:
            return decided[-1].status if decided else "planned"
        return "held"
    if decided:
        return decided[-1].status
    return "planned" if e.decisions else e.status  # before its first decision: as planned


def series_of(exercises: Iterable[Exercise], series: str) -> list[Exercise]:
    """Every exercise of one series since the first, oldest first."""
    return sorted((e for e in exercises if e.series == series),
                  key=lambda e: (e.year, e.start or dt.date(e.year, 1, 1), e.code))
