"""The access rules, pure: who a principal is, what it may read and do as of a date.

A clearance is computed once per request from the registry (the principal's
status as of the date) and the role policy; every decision and every query
filter is derived from it, so lists and detail pages cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from collsec.core.errors import OneOf, Phrase

# Widest first: observers-level material reaches observers, partners and members;
# partners-level, partners and members (a report "for members and partners").
MARKINGS = ("public", "observers", "partners", "members", "restricted")
PRINCIPAL_KINDS = ("delegation", "organ", "external")
ROLES = ("viewer", "analyst", "duty_officer", "representative", "editor", "admin",
         "reporting_analyst", "verifier", "releasing_officer", "national_coordinator")


@dataclass(frozen=True)
class Principal:
    """On whose behalf a user acts: a state's delegation, an organ, an external organization."""

    kind: str
    code: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    @classmethod
    def parse(cls, text: str) -> Principal:
        kind, sep, code = text.partition(":")
        if not sep or kind not in PRINCIPAL_KINDS or not code:
            raise ValueError(f"'{text}' is not a principal; use delegation:KZ, organ:SEC or "
                             "external:OSCE")
        return cls(kind, code.upper())


@dataclass(frozen=True)
class Marking:
    """How an object is marked: its level, who originated it, and whom it is released to."""

    level: str
    owner: str | None = None  # principal key of the originator
    released_to: frozenset[str] = frozenset()  # principal keys
    # Exercise mode: `exercised` kinds (incidents) are made in exercises too, and one made
    # during an exercise run names it in `exercise`; a kind never exercised reads alike in
    # and out of an exercise (the documents a player looks up are the real ones).
    exercised: bool = False
    exercise: int | None = None  # the exercise run it was made in; None: the real world


@dataclass(frozen=True)
class Clearance:
    """What one actor may read and do on one date."""

    principal: str | None  # principal key; None for an anonymous reader
    user: str | None
    levels: frozenset[str]
    actions: frozenset[str]
    reason: str = ""  # why the levels are what they are, for refusals in words
    via: str = ""  # the interface the actor came through (web, api, cli), for the audit
    parts: frozenset[str] = frozenset()  # charter roles its organ plays (secretariat, ...)
    # the organization it holds in: a clearance computed for one organization's registry
    # acts in that one only ("" for one made by hand, which names its organization)
    org: str = ""
    # the reason as a message template and its parameters (codes: `state`, `organ`,
    # `external`, `status`, `org`), so a page words it with names in its language
    # (`reason` is it in English); not part of the clearance
    reason_template: str = field(default="", compare=False)
    reason_params: Mapping[str, object] = field(default_factory=dict, compare=False)
    # the exercise run the actor plays in (set at the edge from the actor's choice); None
    # is the real world. What it makes is marked with it, and it reads only that run's
    # exercised objects, as a real-world reader never reads any run's.
    exercise: int | None = None

    @property
    def in_good_standing(self) -> bool:
        """Able to receive restricted material at all (more than public reading)."""
        return bool(self.levels - {"public"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # the reason as a message template and its parameters, so a refusal is worded in the
    # reader's language at the edge (`reason` is it in English); not part of the decision
    template: str = field(default="", compare=False)
    params: Mapping[str, object] = field(default_factory=dict, compare=False)


def _decided(allowed: bool, template: str, /, **params: object) -> Decision:
    return Decision(allowed, template.format(**params) if params else template, template,
                    params)


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    in_good_standing: frozenset[str] = frozenset()  # actions only a principal in good standing

    def actions_for(self, roles: Iterable[str]) -> frozenset[str]:
        out: set[str] = set()
        for role in roles:
            out |= self.roles.get(role, frozenset())
        return frozenset(out)


def may_read(c: Clearance, m: Marking) -> Decision:
    """The one read rule; `narrow` in the service expresses the same rule in SQL."""
    if m.exercised and m.exercise != c.exercise:
        if m.exercise is None:
            return _decided(False, "real-world material is not shown during an exercise")
        return _decided(False, "made during exercise run {run}", run=m.exercise)
    if m.level != "restricted":
        if m.level in c.levels:
            return _decided(True, "marked {level}", level=m.level)
        if not c.reason:
            return _decided(False, "marked {level}; not cleared for it", level=m.level)
        return _decided(False, "marked {level}; {why}", level=m.level, why=c.reason)
    if c.principal is None:
        return _decided(False, "restricted material needs a signed-in principal")
    if not c.in_good_standing:
        return _decided(False, "restricted; {why}", why=c.reason)
    if c.principal == m.owner or c.principal in m.released_to:
        return _decided(True, "released to this principal")
    return _decided(False, "restricted and not released to this principal")


def action_words(action: str) -> str:
    """An action as messages and pages name it: its key in words ("request assistance")."""
    return action.replace("_", " ")


def _words(action: str) -> Phrase:
    """An action in a message, worded in the reader's language."""
    return Phrase(action_words(action))


# Who a condition of policy.yaml lets act, as a refusal names them (each worded in the
# reader's language; the charter roles the CSTO's charter gives, else the role's key).
_CHARTER_ROLES = {"crisis_centre": "the crisis centre", "secretariat": "the secretariat",
                  "joint_staff": "the joint staff"}


def _who(condition: str, state: str | None, originator: str | None) -> Phrase:
    if condition == "own_delegation":
        return Phrase("delegation:{state}", state=state)
    if condition == "delegation":
        return Phrase("a delegation")
    if condition == "originator":
        return Phrase("its originator ({originator})", originator=originator)
    if condition in _CHARTER_ROLES:
        return Phrase(_CHARTER_ROLES[condition])
    return Phrase("the {role}", role=condition.replace("_", " "))


def may(c: Clearance, action: str, m: Marking | None = None) -> Decision:
    """May the actor do `action` (on an object marked `m`, which it must also be able to read)?"""
    if action not in c.actions:
        if not c.user:
            return _decided(False, "an anonymous reader may not {action}",
                            action=_words(action))
        return _decided(False, "{user} may not {action}", user=c.user,
                        action=_words(action))
    if m is not None:
        return may_read(c, m)
    return _decided(True, "role allows {action}", action=action)


# The conditions policy.yaml may name besides charter roles, and the fact each needs.
FACTS = {"own_delegation": "state", "originator": "originator", "delegation": None}


def meets(c: Clearance, action: str, conditions: Iterable[str], *, state: str | None = None,
          originator: str | None = None, standing: bool = False) -> Decision:
    """Is the act open to this principal by the action's conditions (policy.yaml)? Each
    condition is a fact of the act or a charter role; with `standing`, a principal not in
    good standing (reading public material only) meets none. A condition whose fact the
    caller did not give is a programming error."""
    wanted = tuple(conditions)
    for cond in wanted:
        fact = FACTS.get(cond)
        if fact == "state" and state is None or fact == "originator" and originator is None:
            raise TypeError(f"the conditions of {action} need the {fact} of the act")
    if c.principal is None:
        return _decided(False, "{action} needs a signed-in principal",
                        action=_words(action))
    held = [cond for cond in wanted if
            (cond == "own_delegation" and c.principal == f"delegation:{state}")
            or (cond == "delegation" and c.principal.startswith("delegation:"))
            or (cond == "originator" and c.principal == originator)
            or cond in c.parts]
    if not held:
        return _decided(False, "only {whom} may {action}; {user} acts for {principal}",
                        whom=OneOf(_who(cond, state, originator) for cond in wanted),
                        action=_words(action),
                        user=c.user, principal=c.principal)
    if standing and not c.in_good_standing:
        return _decided(False, "{principal} may not {action}: {why}", principal=c.principal,
                        action=_words(action), why=c.reason)
    return _decided(True, "{part} may {action}", part=held[0].replace("_", " "),
                    action=_words(action))
