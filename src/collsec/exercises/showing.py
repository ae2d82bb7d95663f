"""The exercises as the API, the command line and the pages give them: plain dicts in
both languages, with each exercise's status on the day asked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from collsec.exercises.service import Exercise

# The series and statuses as a reader of each language reads them.
SERIES = {"interaction": ("Interaction", "«Взаимодействие»"), "search": ("Search", "«Поиск»"),
          "echelon": ("Echelon", "«Эшелон»"),
          "indestructible_brotherhood": ("Indestructible Brotherhood", "«Нерушимое братство»"),
          "combat_brotherhood": ("Combat Brotherhood", "«Боевое братство»"),
          "rubezh": ("Rubezh", "«Рубеж»"), "cobalt": ("Cobalt", "«Кобальт»"),
          "grom": ("Grom", "«Гром»"), "barrier": ("Barrier", "«Барьер»"),
          "rock": ("Rock", "«Скала»"), "snap_check": ("Snap readiness check",
                                                     "Внезапная проверка готовности"),
          "crc_training": ("Crisis Response Centre training",
                           "Тренировка Кризисного центра")}
STATUSES = {"planned": ("planned", "запланировано"), "held": ("held", "проведено"),
            "moved": ("moved", "перенесено"), "postponed": ("postponed", "отложено"),
            "cancelled": ("cancelled", "отменено")}


def series_name(code: str, lang: str = "en") -> str:
    names = SERIES.get(code)
    return code if names is None else names[1] if lang == "ru" else names[0]


def status_name(code: str, lang: str = "en") -> str:
    names = STATUSES.get(code)
    return code if names is None else names[1] if lang == "ru" else names[0]


def _day(d: dt.date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _value(v: float | None) -> float | int | None:
    return None if v is None else int(v) if float(v).is_integer() else v


def exercise(e: Exercise, on: dt.date, *, full: bool = False) -> dict[str, Any]:
    r = e.row
    out: dict[str, Any] = {
        "code": r.code, "series": r.series, "year": r.year,
        "name": {"en": r.name_en, "ru": r.name_ru}, "kind": {"en": r.kind_en, "ru": r.kind_ru},
        "forces": r.forces.split(), "host": r.host,
        "range": {"en": r.range_en, "ru": r.range_ru}, "start": _day(r.start),
        "end": _day(r.end), "precision": r.precision, "part_of": r.part_of,
        "status": r.status, "status_on": e.status_on(on), "on": on.isoformat(),
        "participants": [{"state": p.state, "personnel": _value(p.personnel),
                          "qual": p.qual, "note": {"en": p.note_en, "ru": p.note_ru}}
                         for p in e.participants],
        "observer_states": r.observer_states.split(),
        "personnel": _value(r.personnel), "personnel_qual": r.personnel_qual,
        "sources": r.sources.split(), "confidence": r.confidence,
        "note": {"en": r.note_en, "ru": r.note_ru}, "record": r.origin == "default"}
    if full:
        out["decisions"] = [{"date": d.date.isoformat(), "precision": d.precision,
                             "status": d.status,
                             "decided_by": {"en": d.decided_by_en, "ru": d.decided_by_ru},
                             "reason": {"en": d.reason_en, "ru": d.reason_ru},
                             "sources": list(d.sources), "recorded_by": d.recorded_by,
                             "note": {"en": d.note_en, "ru": d.note_ru}}
                            for d in e.decisions]
        out["details"] = e.details
    return out
