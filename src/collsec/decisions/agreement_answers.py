"""What the agreements' API answers (`decisions.agreement_api`), as the OpenAPI document
declares it: an agreement's rule of entry into force and each signatory's ratification."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from collsec.decisions.agreements import ENTRY_RULES
from collsec.registry.answers import Named, Sourced
from collsec.web.shapes import Day, Words, one_of


class Rule(BaseModel):
    """The rule of entry into force, and the same in words."""

    kind: str = one_of(ENTRY_RULES)
    n: int | None  # for nth_instrument: which instrument decides
    delay_days: int
    text: Words


class Ratification(BaseModel):
    """One signatory's signature, deposit and the day the agreement binds it."""

    state: Named
    signed_on: Day
    signed: bool
    deposited_on: Day | None
    instrument: str
    deposit_sources: list[str]
    in_force_from: Day | None
    basis: Literal["deposits", "recorded"]  # computed by the rule, or a source says so
    in_force: bool
    answer: Literal["yes", "no", "unknown"]  # unknown: no deposit recorded, none stated


class AgreementSummary(Sourced):
    code: str
    organization: str
    title: Words
    signed_on: Day
    place: Words
    rule: Rule
    as_of: Day
    general_entry: Day | None
    in_force: bool  # for at least one state
    answer: Literal["yes", "no", "unknown"]  # unknown: the record cannot tell
    bound: list[str]
    signatories: int
    deposits: int


class Agreement(AgreementSummary):
    states: list[Ratification]


class Agreements(BaseModel):
    as_of: Day
    agreements: list[AgreementSummary]


class InForce(BaseModel):
    agreement: str
    state: str
    on: Day
    in_force: bool
    answer: Literal["yes", "no", "unknown"]  # unknown: no deposit recorded, none stated
    since: Day | None
    rule: Rule


class Deposit(BaseModel):
    agreement: str
    state: str
    deposited_on: Day
    instrument: str
    sources: list[str]
    in_force_on_deposit: bool
    in_force_from: Day | None
