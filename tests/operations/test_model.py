"""The operations' pure rules: what a figure may be, where a stage may fall, and how the
totals of a statistics page add up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from collsec.operations import model

INDICATORS = model.indicators_from({"indicators": {
    "heroin": {"unit": "kg", "name": {"en": "Heroin seized", "ru": "Изъято героина"},
               "operations": ["channel"]},
    "web_blocked": {"unit": "resources", "name": {"en": "Web resources blocked"},
                    "operations": ["proxi"]}}})
KNOWN = model.Known(INDICATORS, frozenset({"KZ", "RU", "AF"}), frozenset({"s1", "s2"}))


def _op(**over: Any) -> dict[str, Any]:
    return {"code": "channel", "name": {"en": "Channel", "ru": "Канал"},
            "purpose": {"en": "Drug routes", "ru": "Наркотрафик"}, "started": 2003,
            "sources": ["s1"], "confidence": "high", **over}


def _stage(year: int, *figures: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"year": year, "sources": ["s1"], "confidence": "medium",
            "figures": list(figures), **over}


def _fig(value: Any, **over: Any) -> dict[str, Any]:
    return {"indicator": "heroin", "value": value, "sources": ["s2"], "confidence": "low",
            **over}


@pytest.mark.parametrize(("figure", "says"), [
    (_fig(-1), "cannot be negative"),
    (_fig(1, indicator="cocaine"), "unknown indicator 'cocaine'"),
    (_fig(1, indicator="web_blocked"), "does not report web_blocked"),
    (_fig("12 t"), "is a number"),
    (_fig(True), "is a number"),
    (_fig(1, qual="<"), "qual is one of"),
    (_fig(1, scope="XX"), "unknown state(s) XX"),
    (_fig(1, sources=["nowhere"]), "unknown source id(s) nowhere"),
    (_fig(1, sources=[]), "name its sources"),
    (_fig(1, confidence="sure"), "confidence is one of"),
])
def test_a_figure_is_a_number_of_an_indicator_its_operation_reports(
        figure: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=f"stages\\[0\\].figures\\[0\\]: .*{says[:12]}"):
        model.operations_from([_op(stages=[_stage(2005, figure)])], KNOWN)


@pytest.mark.parametrize(("stage", "says"), [
    (_stage(2002), "before the operation began"),
    (_stage(2005, start="2005-06-10", end="2005-06-01"), "ends before it starts"),
    (_stage(2005, start="10 June 2005"), "is not a date"),
    (_stage(2005, states=["KZ", "ZZ"]), "unknown state(s) ZZ"),
    (_stage(2005, precision="week"), "precision is one of"),
])
def test_a_stage_falls_within_its_operation_and_names_known_states(
        stage: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match="stages\\[0\\]"):
        model.operations_from([_op(stages=[stage])], KNOWN)
    with pytest.raises(ValueError) as caught:
        model.operations_from([_op(stages=[stage])], KNOWN)
    assert says in str(caught.value)


def test_operations_need_their_codes_names_and_sources() -> None:
    with pytest.raises(ValueError, match="a code of its own"):
        model.operations_from([_op(), _op()], KNOWN)
    with pytest.raises(ValueError, match="says when it began"):
        model.operations_from([_op(started=None, stages=[_stage(2005)])], KNOWN)
    (unknown,) = model.operations_from([_op(started=None)], KNOWN)
    assert unknown.started is None
    with pytest.raises(ValueError, match="English and Russian"):
        model.operations_from([_op(purpose=None)], KNOWN)
    with pytest.raises(ValueError, match="needs its unit"):
        model.indicators_from({"indicators": {"x": {"name": {"en": "X"},
                                                      "operations": ["channel"]}}})
    with pytest.raises(ValueError, match="name the operations"):
        model.indicators_from({"indicators": {"x": {"unit": "kg", "name": {"en": "X"}}}})


def test_totals_add_the_stages_over_by_the_day_from_figures_of_all_taking_part() -> None:
    (op,) = model.operations_from([_op(stages=[
        _stage(2005, _fig(100), _fig(90, sources=["s1"]), _fig(40, scope="KZ"),
               start="2005-06-01", end="2005-06-10"),
        _stage(2006, _fig(50, qual=">", preliminary=True), start="2006-05-01",
               end="2006-05-20"),
        _stage(2007, _fig(10, qual="~")),  # its dates unknown: over at the end of 2007
    ])], KNOWN)
    assert model.totals(op.stages, on=dt.date(2005, 6, 9)) == {}
    first = model.totals(op.stages, on=dt.date(2005, 6, 10))["heroin"]
    assert (first.value, first.qual, first.stages, first.preliminary) == (100, "=", 1, False)
    second = model.totals(op.stages, on=dt.date(2007, 12, 30))["heroin"]
    assert (second.value, second.qual, second.stages, second.preliminary) == (150, ">", 2,
                                                                              True)
    third = model.totals(op.stages, on=dt.date(2008, 1, 1))["heroin"]
    assert (third.value, third.qual) == (160, "~")


def test_a_figure_of_a_span_of_years_keeps_its_span_and_the_day_it_was_stated() -> None:
    (op,) = model.operations_from([_op(figures=[
        _fig(400000, qual=">", **{"from": 2003, "until": 2015}, stated="2015-11-10")])],
        KNOWN)
    (f,) = op.figures
    assert (f.covers, f.stated, f.qual) == ((2003, 2015), dt.date(2015, 11, 10), ">")
    with pytest.raises(ValueError, match="is after until"):
        model.operations_from([_op(figures=[_fig(1, **{"from": 2010, "until": 2009})])],
                              KNOWN)
