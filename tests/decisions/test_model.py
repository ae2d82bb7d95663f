"""The charter engine's pure rules, against the CSTO's decision rules as data."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import InvalidInput
from collsec.decisions import model
from collsec.registry.charter import load_charter

RULES = load_charter("CSTO").raw["decision_rules"]
STATES = ("AM", "BY", "KG", "KZ", "RU", "TJ")
positions = st.dictionaries(st.sampled_from(STATES), st.sampled_from(model.POSITIONS))


def csc(matter: str) -> model.MatterRule:
    return model.rule_for(RULES, "CSC", matter)


@given(positions)
def test_a_substantive_matter_with_an_objection_is_never_adopted(pos: dict[str, str]) -> None:
    outcome = model.decide(csc("substantive"), STATES, pos)
    if "object" in pos.values():
        assert not outcome.adopted
        assert outcome.reason == "consensus_objection"
        assert set(outcome.params["states"]) == {s for s, p in pos.items() if p == "object"}


@given(positions)
def test_non_participation_never_blocks_where_the_charter_allows_it(pos: dict[str, str]) -> None:
    rule = csc("substantive")
    assert not rule.non_participation_blocks
    outcome = model.decide(rule, STATES, pos)
    supporters = [s for s, p in pos.items() if p == "support"]
    objectors = [s for s, p in pos.items() if p == "object"]
    assert outcome.adopted == (bool(supporters) and not objectors)
    for s, p in pos.items():
        if p == "not_participating":
            assert s not in outcome.bound


@given(positions)
def test_a_procedural_matter_follows_the_majority(pos: dict[str, str]) -> None:
    rule = csc("procedural")
    outcome = model.decide(rule, STATES, pos)
    yes = sum(p == "support" for p in pos.values())
    no = sum(p == "object" for p in pos.values())
    present = sum(p != "not_participating" for p in pos.values())
    quorate = Fraction(present, len(STATES)) >= (rule.quorum or 0)
    assert outcome.adopted == (quorate and yes > no)


@given(st.sampled_from(["AZ", "UZ", "GE", "CN"]), st.sampled_from(model.POSITIONS))
def test_a_state_without_a_seat_can_never_record_a_position(state: str, position: str) -> None:
    with pytest.raises(model.NotEntitled):
        model.decide(csc("substantive"), STATES, {state: position})


def test_the_state_a_suspension_concerns_holds_no_seat_on_it() -> None:
    rule = csc("suspension")
    seated = model.seats(rule, (*STATES, "UZ"), subject="UZ")
    assert "UZ" not in seated
    with pytest.raises(model.NotEntitled):
        model.decide(rule, seated, {"UZ": "object"})


def test_a_qualified_majority_needs_its_share_of_votes_cast() -> None:
    rule = model.MatterRule("X", "m", "qualified_majority", fraction=Fraction(2, 3))
    assert model.decide(rule, STATES, {"AM": "support", "BY": "support", "KG": "object"}).adopted
    assert not model.decide(rule, STATES, {"AM": "support", "KG": "object"}).adopted


def test_membership_matters_are_reserved_to_the_council() -> None:
    with pytest.raises(model.NotEntitled, match="reserved to the CSC"):
        model.rule_for(RULES, "CFM", "admission")


def test_unknown_matters_and_rules_are_refused() -> None:
    with pytest.raises(model.UnknownMatter):
        model.rule_for(RULES, "CSC", "war")
    with pytest.raises(InvalidInput):
        model.MatterRule("CSC", "x", "lottery")
    with pytest.raises(InvalidInput):
        model.fraction("3/2")


def test_an_unknown_position_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown position"):
        model.decide(csc("substantive"), STATES, {"KZ": "maybe"})
