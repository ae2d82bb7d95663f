"""How a body decides, pure: from the charter's rule, the seats and the positions to an outcome.

No organization's rule is written here: the rule (consensus, simple or qualified
majority, quorum, whether non-participation blocks) comes from the charter data.
The outcome carries its reason as a key and parameters, so every interface can
say it in its own language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from collsec.core.errors import InvalidInput, NotFound

POSITIONS = ("support", "object", "abstain", "not_participating")
RULES = ("consensus", "simple_majority", "qualified_majority")


class NotEntitled(InvalidInput):
    status = 403
    title = "Not entitled"
    type_slug = "not-entitled"


class UnknownMatter(NotFound):
    title = "Unknown matter"
    type_slug = "unknown-matter"


@dataclass(frozen=True)
class MatterRule:
    """How one body decides one kind of matter."""

    body: str
    matter: str
    rule: str
    fraction: Fraction | None = None  # qualified majority share of votes cast
    quorum: Fraction | None = None  # share of seats that must take part
    non_participation_blocks: bool = False
    absent_is: str = "not_participating"  # or "not_counted"
    subject_votes: bool = True  # may the state a matter concerns take part?

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise InvalidInput("unknown decision rule '{rule}'; rules: {rules}", rule=self.rule,
                               rules=", ".join(RULES))
        if self.rule == "qualified_majority" and self.fraction is None:
            raise InvalidInput("a qualified majority needs its fraction, e.g. 2/3")


@dataclass(frozen=True)
class Outcome:
    adopted: bool
    reason: str  # a key: "consensus_objection", "adopted_consensus", ...
    params: Mapping[str, Any] = field(default_factory=dict)
    tally: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bound: tuple[str, ...] = ()  # states the decision binds


def fraction(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        raise InvalidInput("'{text}' is not a fraction such as 2/3", text=text) from None
    if not 0 < value <= 1:
        raise InvalidInput("fraction {text} must lie in (0, 1]", text=text)
    return value


def rule_for(data: Mapping[str, Any], body: str, matter: str) -> MatterRule:
    """Read the rule for (body, matter) from the charter's `decision_rules`."""
    matters = data.get("matters", {})
    if matter not in matters:
        raise UnknownMatter("unknown kind of matter '{matter}'; kinds: {kinds}", matter=matter,
                            kinds=", ".join(matters))
    if body not in data.get("deciding_bodies", []):
        raise NotEntitled("the body {body} takes no decisions under the charter data", body=body)
    for owner, reserved in data.get("reserved_to", {}).items():
        if matter in reserved and owner != body:
            raise NotEntitled("{matter} is reserved to the {owner}", matter=matter, owner=owner)
    spec = {**data.get("default", {}).get(matter, {}),
            **data.get("bodies", {}).get(body, {}).get(matter, {})}
    return MatterRule(body=body, matter=matter, rule=spec.get("rule", "consensus"),
                      fraction=fraction(spec.get("fraction")), quorum=fraction(spec.get("quorum")),
                      non_participation_blocks=bool(spec.get("non_participation_blocks", False)),
                      absent_is=spec.get("absent_is", "not_participating"),
                      subject_votes=bool(matters[matter].get("subject_votes", True)))


def seats(rule: MatterRule, entitled: Sequence[str], subject: str | None) -> tuple[str, ...]:
    """Who holds a position on this matter: the entitled states, less the subject if it may not."""
    return tuple(s for s in entitled if rule.subject_votes or s != subject)


def check_positions(rule: MatterRule, seated: Sequence[str], positions: Mapping[str, str]) -> None:
    for state, position in positions.items():
        if state not in seated:
            raise NotEntitled("{state} holds no seat on this matter of the {body} and "
                              "cannot record a position", state=state, body=rule.body)
        if position not in POSITIONS:
            raise InvalidInput("unknown position '{position}'; positions: {positions}",
                               position=position, positions=", ".join(POSITIONS))


def decide(rule: MatterRule, seated: Sequence[str], positions: Mapping[str, str]) -> Outcome:
    """The outcome of a matter given the seated states and the positions recorded so far."""
    check_positions(rule, seated, positions)
    effective = {s: positions.get(s) or "absent" for s in seated}
    tally = {p: tuple(sorted(s for s, q in effective.items() if q == p))
             for p in (*POSITIONS, "absent")}
    base = {"body": rule.body, "matter": rule.matter}
    if not seated:
        return Outcome(False, "no_seats", base, tally)
    if rule.rule == "consensus":
        return _consensus(rule, tally, base)
    return _majority(rule, seated, tally, base)


def _consensus(rule: MatterRule, tally: Mapping[str, tuple[str, ...]],
               base: dict[str, Any]) -> Outcome:
    if tally["object"]:
        return Outcome(False, "consensus_objection", {**base, "states": tally["object"]}, tally)
    abstaining = tally["not_participating"] + (
        tally["absent"] if rule.absent_is == "not_participating" else ())
    if rule.non_participation_blocks and abstaining:
        return Outcome(False, "consensus_non_participation",
                       {**base, "states": tuple(sorted(abstaining))}, tally)
    if not tally["support"]:
        return Outcome(False, "consensus_no_support", base, tally)
    # A state that abstains is bound; one that declared non-participation is not.
    bound = tuple(sorted(tally["support"] + tally["abstain"]))
    return Outcome(True, "adopted_consensus", {**base, "not_bound": tally["not_participating"],
                                               "absent": tally["absent"]}, tally, bound)


def _majority(rule: MatterRule, seated: Sequence[str], tally: Mapping[str, tuple[str, ...]],
              base: dict[str, Any]) -> Outcome:
    present = len(seated) - len(tally["absent"]) - len(tally["not_participating"])
    if rule.quorum is not None and Fraction(present, len(seated)) < rule.quorum:
        return Outcome(False, "no_quorum", {**base, "present": present, "seats": len(seated),
                                            "quorum": str(rule.quorum)}, tally)
    yes, no = len(tally["support"]), len(tally["object"])
    cast = yes + no
    need = rule.fraction if rule.rule == "qualified_majority" else None
    passed = cast > 0 and (Fraction(yes, cast) >= need if need is not None else yes > no)
    params = {**base, "yes": yes, "no": no, "fraction": str(need) if need else "1/2"}
    if not passed:
        return Outcome(False, f"{rule.rule}_failed", params, tally)
    return Outcome(True, f"adopted_{rule.rule}", {**params, "absent": tally["absent"]}, tally,
                   tuple(sorted(set(seated) - set(tally["not_participating"])
                                - set(tally["absent"]))))
