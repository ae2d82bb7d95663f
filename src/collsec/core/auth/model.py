"""The access rules, pure: who a principal is, what it may read and do as of a date.

A clearance is computed once per request from the registry (the principal's
status as of the date) and the role policy; every decision and every query
filter is derived from it, so lists and detail pages cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MARKINGS = ("public", "observers", "members", "restricted")
PRINCIPAL_KINDS = ("delegation", "organ", "external")
ROLES = ("viewer", "analyst", "duty_officer", "representative", "editor", "admin")


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


@dataclass(frozen=True)
class Clearance:
    """What one actor may read and do on one date."""

    principal: str | None  # principal key; None for an anonymous reader
    user: str | None
    levels: frozenset[str]
    actions: frozenset[str]
    reason: str = ""  # why the levels are what they are, for refusals in words

    @property
    def in_good_standing(self) -> bool:
        """Able to receive restricted material at all (more than public reading)."""
        return bool(self.levels - {"public"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def actions_for(self, roles: Iterable[str]) -> frozenset[str]:
        out: set[str] = set()
        for role in roles:
            out |= self.roles.get(role, frozenset())
        return frozenset(out)


def may_read(c: Clearance, m: Marking) -> Decision:
    """The one read rule; `narrow` in the service expresses the same rule in SQL."""
    if m.level != "restricted":
        if m.level in c.levels:
            return Decision(True, f"marked {m.level}")
        return Decision(False, f"marked {m.level}; {c.reason or 'not cleared for it'}")
    if c.principal is None:
        return Decision(False, "restricted material needs a signed-in principal")
    if not c.in_good_standing:
        return Decision(False, f"restricted; {c.reason}")
    if c.principal == m.owner or c.principal in m.released_to:
        return Decision(True, "released to this principal")
    return Decision(False, "restricted and not released to this principal")


def may(c: Clearance, action: str, m: Marking | None = None) -> Decision:
    """May the actor do `action` (on an object marked `m`, which it must also be able to read)?"""
    if action not in c.actions:
        who = c.user or "an anonymous reader"
        return Decision(False, f"{who} may not {action.replace('_', ' ')}")
    if m is not None:
        return may_read(c, m)
    return Decision(True, f"role allows {action}")
