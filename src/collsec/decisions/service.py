"""Charter-engine use cases: who sits on a matter on a date, and what the positions decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from collsec.core import i18n
from collsec.core.commands import query
from collsec.decisions import model
from collsec.registry import service as registry

REASONS = {
    "consensus_objection": "not adopted: {states} {object}; consensus is required for {matter} "
                           "of the {body}",
    "consensus_non_participation": "not adopted: {states} {take} no part, and for {matter} of "
                                   "the {body} that blocks a decision",
    "consensus_no_support": "not adopted: no state supports it; consensus on {matter} of the "
                            "{body} needs at least one supporting state",
    "adopted_consensus": "adopted by consensus ({matter} of the {body})",
    "no_quorum": "not adopted: {present} of {seats} seats take part, below the quorum of "
                 "{quorum}",
    "simple_majority_failed": "not adopted: {yes} for, {no} against; {matter} of the {body} "
                              "need a simple majority of the votes cast",
    "qualified_majority_failed": "not adopted: {yes} for, {no} against; {matter} of the {body} "
                                 "need {fraction} of the votes cast",
    "adopted_simple_majority": "adopted: {yes} for, {no} against (simple majority, {matter} of "
                               "the {body})",
    "adopted_qualified_majority": "adopted: {yes} for, {no} against ({fraction} majority, "
                                  "{matter} of the {body})",
    "no_seats": "not adopted: no state holds a seat on {matter} of the {body} on that date",
}
NOT_BOUND = "; not binding on {states}, which declared non-participation"
ABSENT = "; no position from {states}"
# A decision some seated members took no part in (declared or silent) binds only the rest.
LIMITED = "; taken in a limited format, it binds {states}"


def decision_rules(org: str) -> Mapping[str, object]:
    return registry.charter_for(org).raw.get("decision_rules", {})


@query()
def entitled_states(session: Session, org: str, on: dt.date) -> list[str]:
    """States holding a seat in the organization's bodies on `on` (their status says so)."""
    charter = registry.charter_for(org)
    return sorted(v.state.code for v in registry.members(session, org, on, every_status=True)
                  if charter.statuses[v.status.code].sits_in_bodies)


@dataclass(frozen=True)
class Evaluation:
    rule: model.MatterRule
    seated: tuple[str, ...]
    outcome: model.Outcome


@query()
def evaluate(session: Session, *, org: str, body: str, matter: str, on: dt.date,
             positions: Mapping[str, str], subject: str | None = None) -> Evaluation:
    """Apply the charter's rule for (body, matter) to `positions`, with the seats as of `on`."""
    org_code = registry.get_organization(session, org).code
    registry.body(session, org_code, body)
    rule = model.rule_for(decision_rules(org_code), body.upper(), matter)
    seated = model.seats(rule, entitled_states(session, org_code, on),
                         subject.upper() if subject else None)
    normalized = {state.upper(): pos for state, pos in positions.items()}
    for state in normalized:
        registry.get_state(session, state)
    return Evaluation(rule, seated, model.decide(rule, seated, normalized))


@query()
def explain(session: Session, evaluation: Evaluation, lang: str, org: str) -> str:
    """The outcome and the rule that decided it, in words, in English or Russian."""
    _ = i18n.gettext_for(lang)
    o = evaluation.outcome
    states = {s.code: s for s in registry.list_states(session)}
    body = registry.body(session, org, evaluation.rule.body)
    matters = decision_rules(org).get("matters", {})
    matter_names = matters.get(evaluation.rule.matter, {}).get("name", {})  # type: ignore[union-attr]

    def names(codes: tuple[str, ...]) -> str:
        return ", ".join(states[c].name_ru if lang == "ru" else states[c].name_en for c in codes)

    params = dict(o.params)
    params["body"] = body.name_ru if lang == "ru" else body.name_en
    params["matter"] = matter_names.get(lang, evaluation.rule.matter)
    many = len(params.get("states", ())) > 1
    params["object"] = _("object") if many else _("objects")
    params["take"] = _("take") if many else _("takes")
    if "states" in params:
        params["states"] = names(params["states"])
    text = _(REASONS[o.reason]).format(**params)
    if o.adopted and o.params.get("not_bound"):
        text += _(NOT_BOUND).format(states=names(o.params["not_bound"]))
    if o.params.get("absent"):
        text += _(ABSENT).format(states=names(o.params["absent"]))
    if limited_format(o):
        text += _(LIMITED).format(states=names(o.bound))
    return text


def limited_format(o: model.Outcome) -> bool:
    """Adopted while some seated members took no part: it binds only those that did."""
    return o.adopted and bool(o.params.get("not_bound") or o.params.get("absent"))
