"""A scenario's rules, pure: how staff write one, which injects are due, how a run's
reactions are tallied; and the read rule of exercise mode in the decision point's model."""

from __future__ import annotations

from typing import Any

import pytest

from collsec.core import i18n
from collsec.core.auth.model import Clearance, Marking, may_read
from collsec.core.errors import InvalidInput
from collsec.exercises import scenario as model
from tests.exercises.test_runs import scenario


def _with(change: dict[str, Any], at: int = 0) -> dict[str, Any]:
    data = scenario()
    data["injects"][at].update(change)
    return data


@pytest.mark.parametrize(("data", "words"), [
    (_with({"kind": "rumour"}), "the kind is one of"),
    (_with({"minutes": -1}), "from 0 to"),
    (_with({"minutes": 45}), "inject 2 comes at minute 30, before inject 1"),
    (_with({"team": "KZ"}), "'KZ' is not a principal"),
    (_with({"incident": None}, 1), "an incident inject gives"),
    (_with({"incident": {"type": "x", "lon": 1, "lat": 2}}), "only an incident inject"),
    (_with({"expected": [{"text": "x", "points": 0}]}), "points must be a whole number"),
    (_with({"expected": [{"text": "x", "score": 1}]}), "has a text and its points"),
    (_with({"title": " "}), "title is missing"),
    (_with({"when": 3}), "unknown field"),
    ({**scenario(), "code": "Border CPX"}, "Latin letters"),
    ({**scenario(), "injects": []}, "needs a list of injects"),
])
def test_a_scenario_that_breaks_a_rule_is_refused_in_words(data: dict[str, Any],
                                                           words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        model.load_scenario(data)


def test_a_scenario_reads_back_as_it_was_written() -> None:
    s = model.load_scenario(scenario())
    assert model.load_scenario(model.as_data(s)) == s
    assert s.teams == ("delegation:KZ", "delegation:TJ") and s.injects[1].points == 8


def test_the_injects_due_are_those_whose_minute_came_and_not_yet_sent() -> None:
    s = model.load_scenario(scenario())
    assert [i.number for i in model.due(s, 0, [])] == [1]
    assert [i.number for i in model.due(s, 59.9, [1])] == [2]
    assert [i.number for i in model.due(s, 600, [1, 2, 3])] == []


def test_the_tally_counts_the_newest_score_of_each_expectation_of_injects_sent() -> None:
    s = model.load_scenario(scenario())
    scores = [model.Score(2, 0, 1), model.Score(2, 0, 3), model.Score(2, 1, 5)]
    t = model.tally(s, [1, 2], scores)
    assert (t.scored, t.possible, t.unscored) == (8, 10, 1) and t.share == 0.8
    assert model.tally(s, [1, 2], scores, "delegation:KZ").share is None
    with pytest.raises(InvalidInput, match="from 0 to 3"):
        model.check_score(s, 2, 0, 4)
    with pytest.raises(InvalidInput, match="no inject 9"):
        model.check_score(s, 9, 0, 1)


def _reader(exercise: int | None) -> Clearance:
    return Clearance("delegation:KZ", "kz", frozenset({"public", "members"}), frozenset({"read"}),
                     exercise=exercise)


def test_an_exercised_object_is_read_in_its_own_run_only() -> None:
    real, played = Marking("members", exercised=True), Marking("members", exercised=True,
                                                               exercise=7)
    assert may_read(_reader(None), real).allowed and not may_read(_reader(None), played).allowed
    assert may_read(_reader(7), played).allowed and not may_read(_reader(8), played).allowed
    assert not may_read(_reader(7), real).allowed
    # the refusals are worded in Russian too
    assert i18n.translated("ru", may_read(_reader(None), played).template)
    assert i18n.translated("ru", may_read(_reader(7), real).template)
    # a kind never exercised (a document) reads alike in and out of a run
    assert may_read(_reader(7), Marking("members")).allowed
