"""The charter's decision rules in words: each clause an English msgid with its values, so
every interface says them in its reader's language (Russian in messages.po). Pure: reads
the rule objects and the charter's `decision_rules` mapping, nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collsec.decisions import model

Clause = tuple[str, Mapping[str, object]]  # a msgid and the values of its placeholders


def rule_clauses(rule: model.MatterRule) -> list[Clause]:
    """How `rule` decides, clause by clause."""
    out: list[Clause] = []
    if rule.rule == "consensus":
        out.append(("by consensus: adopted when no seated member objects and one at least "
                    "supports", {}))
        out.append(("a member that declares it does not take part blocks the decision", {})
                   if rule.non_participation_blocks else
                   ("a member may declare it does not take part without blocking; the "
                    "decision then does not bind it", {}))
    elif rule.rule == "simple_majority":
        out.append(("by a simple majority of the votes cast", {}))
    else:
        out.append(("by a majority of {fraction} of the votes cast",
                    {"fraction": str(rule.fraction)}))
    if rule.quorum is not None:
        out.append(("{quorum} of the seats must take part", {"quorum": str(rule.quorum)}))
    out.append(silence_clause(rule))
    if not rule.subject_votes:
        out.append(("the state the matter concerns holds no position on it", {}))
    return out


def silence_clause(rule: model.MatterRule) -> Clause:
    """What the charter makes of a seated delegation that states no position."""
    if rule.absent_is == "not_participating":
        if rule.rule == "consensus" and not rule.non_participation_blocks:
            return ("a seated delegation that states no position counts as not taking part: "
                    "it does not block, and the decision does not bind it", {})
        return ("a seated delegation that states no position counts as not taking part", {})
    return ("a seated delegation that states no position is not counted", {})


def session_clauses(spec: Mapping[str, Any]) -> list[Clause]:
    """How a body's sessions are convened (`decision_rules.sessions.<body>`)."""
    out: list[Clause] = []
    if "regular_min_per_year" in spec:
        out.append(("regular sessions: at least {n} a year, convened by the chair"
                    if spec.get("regular_convened_by", "chair") == "chair" else
                    "regular sessions: at least {n} a year", {"n": spec["regular_min_per_year"]}))
    if "extraordinary_requests_needed" in spec:
        out.append(("an extraordinary session: convened when {n} of the members ask for it",
                    {"n": spec["extraordinary_requests_needed"]}))
    return out


@dataclass(frozen=True)
class MatterWords:
    matter: str
    name_en: str
    name_ru: str
    clauses: list[Clause]

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_en


def body_rules(data: Mapping[str, Any], body: str) -> list[MatterWords]:
    """Every kind of matter `body` decides, with its rule in clauses; none for a body that
    takes no decisions. A matter reserved to another body is left out."""
    if body not in data.get("deciding_bodies", []):
        return []
    out = []
    for matter, spec in data.get("matters", {}).items():
        try:
            rule = model.rule_for(data, body, matter)
        except model.NotEntitled:  # reserved to another body
            continue
        names = spec.get("name", {})
        out.append(MatterWords(matter, names.get("en", matter), names.get("ru", matter),
                               rule_clauses(rule)))
    return out
