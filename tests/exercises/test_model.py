"""The exercises' pure model: what an exercise of the record must say, and its status as
known on a day from the decisions on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from collsec.exercises import model

KNOWN = model.Known(frozenset({"AM", "BY", "KZ", "KG", "RU", "TJ"}), frozenset({"src-a"}),
                    frozenset({"CRRF", "CPF"}))


def _raw(**more: Any) -> dict[str, Any]:
    return {"code": "INT-2020", "series": "interaction", "year": 2020,
            "name": {"en": "Interaction-2020", "ru": "«Взаимодействие-2020»"},
            "status": "planned", "sources": ["src-a"], "confidence": "high", **more}


def test_a_postponed_exercise_is_planned_until_the_decision() -> None:
    e = model.exercise_from(KNOWN, _raw(status="postponed", decisions=[
        {"date": "2020-10-06", "status": "postponed", "sources": ["src-a"],
         "reason": {"en": "COVID-19", "ru": "COVID-19"}}]), "x")
    assert model.status_on(e, dt.date(2020, 10, 5)) == "planned"
    assert model.status_on(e, dt.date(2020, 10, 6)) == "postponed"


def test_a_held_exercise_is_planned_until_it_is_over() -> None:
    e = model.exercise_from(KNOWN, _raw(status="held", start="2020-09-01",
                                        end="2020-09-05"), "x")
    assert model.status_on(e, dt.date(2020, 9, 4)) == "planned"
    assert model.status_on(e, dt.date(2020, 9, 5)) == "held"


@pytest.mark.parametrize(("more", "words"), [
    ({"series": "parade"}, "series 'parade' is not one of"),
    ({"status": "rumoured"}, "status 'rumoured'"),
    ({"start": "2020-09-05", "end": "2020-09-01"}, "ends before it starts"),
    ({"start": "2021-01-05"}, "starts in 2021"),
    ({"forces": ["NATO"]}, "unknown force"),
    ({"host": "XX"}, "unknown state XX"),
    ({"sources": ["nowhere"]}, "unknown source"),
    ({"participants": [{"state": "KZ"}, {"state": "KZ"}]}, "listed twice"),
    ({"personnel": [{"value": -5, "sources": ["src-a"]}]}, "not below zero"),
    ({"personnel": [{"value": 5, "qual": "?", "sources": ["src-a"]}]}, "qual"),
    ({"decisions": [{"status": "moved", "sources": ["src-a"]}]}, "has its date"),
])
def test_bad_data_is_refused_with_the_place_named(more: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        model.exercise_from(KNOWN, _raw(**more), "exercises.yaml[0]")


def test_a_series_is_every_exercise_of_it_oldest_first_and_umbrellas_must_exist() -> None:
    items = [_raw(code="INT-2021", year=2021), _raw(), _raw(code="SRC-2020", series="search")]
    found = model.exercises_from(items, KNOWN)
    assert [e.code for e in model.series_of(found, "interaction")] == ["INT-2020", "INT-2021"]
    with pytest.raises(ValueError, match="used twice"):
        model.exercises_from([_raw(), _raw()], KNOWN)
    with pytest.raises(ValueError, match="part_of names no exercise"):
        model.exercises_from([_raw(part_of="CB-2020")], KNOWN)
