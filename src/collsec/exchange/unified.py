"""The unified list's rule, pure: whether an organization is on the list on a day.

The list is built from the member states' own decisions (designations), each a dated step
(`listed`, `delisted`) of one state. The charter data says how many members' designations
put an organization on the list (`exchange.unified_list.rule`: `any_member`,
`all_members`, or `min_members` with `min`) and which kinds count (`terrorist`, and
`extremist` if the rule says so). Where a source records the list's own step for an
entry (proposed, listed, delisted), that record answers instead, as of its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RULES = ("any_member", "all_members", "min_members")
STATUSES = ("proposed", "listed", "delisted")
KINDS = ("terrorist", "extremist")


@dataclass(frozen=True)
class Rule:
    rule: str
    least: int  # for min_members
    kinds: tuple[str, ...]


def rule_from(raw: Mapping[str, Any]) -> Rule:
    rule = str(raw.get("rule", "any_member"))
    if rule not in RULES:
        raise ValueError(f"exchange.unified_list.rule: {rule!r} is not one of {RULES}")
    kinds = tuple(raw.get("kinds", ["terrorist"]))
    if set(kinds) - set(KINDS):
        raise ValueError(f"exchange.unified_list.kinds: only {KINDS}")
    least = int(raw.get("min", 1))
    if rule == "min_members" and least < 1:
        raise ValueError("exchange.unified_list.min: at least 1")
    return Rule(rule, least, kinds)


@dataclass(frozen=True)
class Step:
    """A dated step: of one state's designation (`state` set) or of the list itself."""

    on: dt.date
    status: str
    state: str | None = None
    kind: str = "terrorist"


@dataclass(frozen=True)
class Standing:
    status: str | None  # listed, delisted, proposed; None: never on it
    basis: str  # recorded (the list's own step), rule (from the designations), none
    since: dt.date | None
    states: tuple[str, ...]  # the members whose designation holds that day


def designating(steps: Iterable[Step], members: Iterable[str], day: dt.date,
                kinds: Sequence[str]) -> tuple[str, ...]:
    """The member states whose latest step on or before `day` lists the organization."""
    latest: dict[str, Step] = {}
    for s in sorted((s for s in steps if s.state is not None and s.on <= day),
                    key=lambda s: s.on):
        assert s.state is not None
        latest[s.state] = s
    wanted = set(members)
    return tuple(sorted(st for st, s in latest.items()
                        if st in wanted and s.status == "listed" and s.kind in kinds))


def holds(rule: Rule, designated: Sequence[str], members: Sequence[str]) -> bool:
    if rule.rule == "any_member":
        return bool(designated)
    if rule.rule == "all_members":
        return bool(members) and set(members) <= set(designated)
    return len(designated) >= rule.least


def standing_on(rule: Rule, steps: Sequence[Step], members: Sequence[str], day: dt.date
                ) -> Standing:
    """The organization's place on the list on `day`: the list's own latest recorded step
    if there is one by then, else what the rule makes of the designations (with the day
    the answer last changed)."""
    states = designating(steps, members, day, rule.kinds)
    recorded = [s for s in steps if s.state is None and s.on <= day]
    if recorded:
        last = max(recorded, key=lambda s: s.on)
        return Standing(last.status, "recorded", last.on, states)
    if holds(rule, states, members):
        return Standing("listed", "rule", _since(rule, steps, members, day, True), states)
    ever = any(holds(rule, designating(steps, members, s.on, rule.kinds), members)
               for s in steps if s.state is not None and s.on <= day)
    if ever:
        return Standing("delisted", "rule", _since(rule, steps, members, day, False), states)
    return Standing(None, "none", None, states)


def _since(rule: Rule, steps: Sequence[Step], members: Sequence[str], day: dt.date,
           listed: bool) -> dt.date | None:
    """The first day of the stretch up to `day` in which the rule gave the same answer
    (the members taken as of `day`)."""
    days = sorted({s.on for s in steps if s.state is not None and s.on <= day})
    since = None
    for d in days:
        now = holds(rule, designating(steps, members, d, rule.kinds), members)
        if now == listed and since is None:
            since = d
        elif now != listed:
            since = None
    return since
