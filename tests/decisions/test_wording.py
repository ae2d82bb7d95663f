"""The charter's decision rules said in words (decisions/wording.py), clause by clause."""

from __future__ import annotations

from collsec.decisions import model, wording
from collsec.registry.charter import load_charter


def _rules() -> dict:
    return load_charter("CSTO").raw["decision_rules"]


def test_consensus_says_silence_neither_blocks_nor_binds() -> None:
    rule = model.MatterRule("CSC", "substantive", "consensus")
    texts = [t for t, _ in wording.rule_clauses(rule)]
    assert texts[0].startswith("by consensus")
    assert "it does not block, and the decision does not bind it" in wording.silence_clause(
        rule)[0]


def test_a_majority_names_its_share_and_quorum() -> None:
    rule = model.MatterRule("X", "m", "qualified_majority", fraction=model.fraction("2/3"),
                            quorum=model.fraction("1/2"), absent_is="not_counted")
    clauses = dict(wording.rule_clauses(rule))
    assert clauses["by a majority of {fraction} of the votes cast"] == {"fraction": "2/3"}
    assert clauses["{quorum} of the seats must take part"] == {"quorum": "1/2"}
    assert "a seated delegation that states no position is not counted" in clauses


def test_the_council_decides_every_matter_and_a_council_of_ministers_not_the_reserved() -> None:
    csc = {m.matter for m in wording.body_rules(_rules(), "CSC")}
    cfm = {m.matter for m in wording.body_rules(_rules(), "CFM")}
    assert {"admission", "substantive", "procedural"} <= csc
    assert "admission" not in cfm and "substantive" in cfm
    assert wording.body_rules(_rules(), "SEC") == []  # the Secretariat takes no decisions


def test_session_rules_in_words() -> None:
    clauses = dict(wording.session_clauses(_rules()["sessions"]["CSC"]))
    assert clauses["regular sessions: at least {n} a year, convened by the chair"] == {"n": 1}
