"""The operations as the API, the command line and the pages give them: plain dicts in
both languages, the statistics as CSV, and a stage's label in a reader's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

from collsec.operations import model
from collsec.operations.service import Figure, Operation, ReportVersion, Row, Stage, Total

# The units the charter's indicators are counted in, as a reader of each language reads them.
UNITS = {"kg": ("kg", "кг"), "t": ("t", "т"), "persons": ("persons", "чел."),
         "items": ("items", "ед."), "cases": ("cases", "дел"),
         "operations": ("operations", "операций"), "resources": ("resources", "ресурсов"),
         "rounds": ("rounds", "шт."), "units": ("units", "ед."),
         "violations": ("violations", "нарушений")}


def unit_name(unit: str, lang: str = "en") -> str:
    names = UNITS.get(unit)
    return unit if names is None else names[1] if lang == "ru" else names[0]


def _day(d: dt.date | None) -> str | None:
    return d.isoformat() if d is not None else None


def plain(v: float) -> float | int:
    """A figure as it is written: a whole number without its ".0"."""
    return int(v) if float(v).is_integer() else v


_value = plain


def figure(f: Figure) -> dict[str, Any]:
    return {"indicator": f.indicator, "value": _value(f.value), "qual": f.qual,
            "scope": f.scope, "region": {"en": f.region_en, "ru": f.region_ru},
            "covers": list(f.covers) if f.covers else None, "stated": _day(f.stated),
            "preliminary": f.preliminary, "sources": list(f.sources),
            "confidence": f.confidence, "note": {"en": f.note_en, "ru": f.note_ru}}


def label(stage: Stage, lang: str = "en") -> str:
    """A stage as a reader knows it: its name, else its year and number."""
    name = stage.name_ru if lang == "ru" and stage.name_ru else stage.name_en
    number = f" #{stage.number}" if stage.number is not None else ""
    return f"{stage.year}{number}" + (f" {name}" if name else "")


def stage(s: Stage) -> dict[str, Any]:
    return {"id": s.id, "year": s.year, "number": s.number,
            "name": {"en": s.name_en, "ru": s.name_ru}, "start": _day(s.start),
            "end": _day(s.end), "precision": s.precision,
            "headquarters": {"en": s.headquarters_en, "ru": s.headquarters_ru},
            "states": list(s.states), "observer_states": list(s.observer_states),
            "observers_other": list(s.observers_other), "sources": list(s.sources),
            "confidence": s.confidence, "note": {"en": s.note_en, "ru": s.note_ru},
            "status": "closed" if s.closed else "open",
            "closed_at": s.closed_at.isoformat() if s.closed_at else None,
            "record": s.origin == "default",
            "published": [figure(f) for f in s.published],
            "released": {state: {k: _value(v) for k, v in figures.items()}
                         for state, figures in s.released.items()},
            "results": {k: {"value": _value(v), "qual": q, "preliminary": p}
                        for k, (v, q, p) in sorted(s.results().items())}}


def total(t: Total) -> dict[str, Any]:
    return {"indicator": t.indicator, "value": _value(t.value), "qual": t.qual,
            "stages": t.stages, "preliminary": t.preliminary}


def summary(op: Operation, on: dt.date, totals: Iterable[Total]) -> dict[str, Any]:
    """An operation with its stage counts and `totals` (`service.totals_of`'s)."""
    return {"code": op.code, "name": {"en": op.name_en, "ru": op.name_ru},
            "purpose": {"en": op.purpose_en, "ru": op.purpose_ru}, "started": op.started,
            "standing_since": _day(op.standing_since),
            "coordinator": {"en": op.coordinator_en, "ru": op.coordinator_ru},
            "basis": {"en": op.basis_en, "ru": op.basis_ru}, "sources": list(op.sources),
            "confidence": op.confidence, "note": {"en": op.note_en, "ru": op.note_ru},
            "stages": op.stage_count, "open_stages": op.open_count,
            "on": on.isoformat(), "totals": [total(t) for t in totals]}


def detail(op: Operation, on: dt.date, totals: Iterable[Total],
           stages: Iterable[Stage]) -> dict[str, Any]:
    """An operation with `stages` (a page of them, the newest first)."""
    return {**summary(op, on, totals), "stage_list": [stage(s) for s in stages],
            "figures": [figure(f) for f in op.figures]}


def rows(stages: Mapping[str, Stage], found: Iterable[Row], by: str, lang: str = "en"
         ) -> list[dict[str, Any]]:
    """Statistics lines; grouped by stage, each names the stage too (`stages` by id as
    text: `service.stage_names`)."""
    out = []
    for r in found:
        line: dict[str, Any] = {"key": r.key, "indicator": r.indicator,
                                "value": _value(r.value), "qual": r.qual, "stages": r.stages}
        if by == "stage" and r.key in stages:
            line["label"] = label(stages[r.key], lang)
        out.append(line)
    return out


def report(v: ReportVersion) -> dict[str, Any]:
    return {"id": v.id, "stage": v.stage_id, "state": v.state, "version": v.version,
            "current": v.current, "submitted_at": v.submitted_at.isoformat(),
            "submitted_by": v.submitted_by, "note": v.note,
            "figures": {k: _value(x) for k, x in v.figures.items()}}


def csv_text(lines: Iterable[Mapping[str, Any]], indicators: Mapping[str, model.Indicator],
             by: str) -> str:
    """Statistics as CSV, one line per group and indicator, with the indicator's unit."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([by, "label", "indicator", "unit", "value", "qual", "stages"])
    for line in lines:
        spec = indicators.get(line["indicator"])
        w.writerow([line["key"], line.get("label", ""), line["indicator"],
                    spec.unit if spec else "", line["value"], line["qual"], line["stages"]])
    return buf.getvalue()
