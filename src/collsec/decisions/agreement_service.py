"""Agreements and their ratification: who signed, who deposited, and when each is bound.

Commands (register an agreement, record a signature, record a deposit) are journaled and
need the `edit_registry` action. Queries answer as of a date: a signature or deposit dated
after that date has not happened yet. When an agreement is in force, and for whom, is
decided by the pure rules in `agreements.py`; nothing here re-states them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import i18n, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.decisions import agreements as rules
from collsec.decisions.tables import AgreementRow, DepositRow, SignatureRow
from collsec.registry import model as registry_model
from collsec.registry import service as registry

ACTION = "edit_registry"
CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")  # agreements.code is 40 characters
PLACE_MAX = 100  # agreements.place_en / place_ru
NUMBER_MAX = 100_000  # far below the integer columns' range


class UnknownAgreement(NotFound):
    title = "Unknown agreement"
    type_slug = "unknown-agreement"


# -- reading -----------------------------------------------------------------------

@query()
def get_agreement(session: Session, code: str) -> AgreementRow:
    key = (code or "").strip().upper()
    row = session.execute(select(AgreementRow).where(AgreementRow.code == key)
                          ).scalar_one_or_none() if CODE.match(key) else None
    if row is None:
        raise UnknownAgreement("unknown agreement '{code}'", code=code)
    return row


@query()
def list_agreements(session: Session, *, org: str) -> list[AgreementRow]:
    """Agreements of an organization, newest signature first. They are public acts."""
    stmt = select(AgreementRow).where(AgreementRow.org == org.upper())
    return list(session.execute(stmt.order_by(AgreementRow.signed_on.desc(), AgreementRow.code))
                .scalars())


@query()
def signatures(session: Session, agreement_id: int) -> list[SignatureRow]:
    return list(session.execute(select(SignatureRow).where(
        SignatureRow.agreement_id == agreement_id).order_by(SignatureRow.state)).scalars())


@query()
def deposits(session: Session, agreement_id: int) -> list[DepositRow]:
    return list(session.execute(select(DepositRow).where(
        DepositRow.agreement_id == agreement_id).order_by(DepositRow.deposited_on,
                                                          DepositRow.state)).scalars())


def rule_of(row: AgreementRow) -> rules.EntryRule:
    return rules.EntryRule(row.entry_rule, row.entry_n, row.delay_days)


RULE_WORDS = {
    "nth_instrument": "in force once the depositary holds {n} instruments: from the day the "
                      "{n}-th arrives for the states that have deposited by then, and for each "
                      "later state from the day of its own deposit",
    "each_on_deposit": "in force for each state on its own, from the day it deposits its "
                       "instrument",
    "all_signatories": "in force for every signatory once all of them have deposited, from "
                       "the day the last instrument arrives",
}
DELAY_WORDS = "; every such day is moved {days} days after the deposit that decides it"


def describe_rule(rule: rules.EntryRule, lang: str = "en") -> str:
    """The entry-into-force rule in words, in English or Russian."""
    _ = i18n.gettext_for(i18n.normalize(lang))
    text = str(_(RULE_WORDS[rule.kind])).format(n=rule.n)
    if rule.delay_days:
        text += str(_(DELAY_WORDS)).format(days=rule.delay_days)
    return text


def rule_dict(rule: rules.EntryRule) -> dict[str, Any]:
    return {"kind": rule.kind, "n": rule.n, "delay_days": rule.delay_days,
            "text": {"en": describe_rule(rule, "en"), "ru": describe_rule(rule, "ru")}}


@dataclass(frozen=True)
class StateStatus:
    """One signatory's ratification as of a date."""

    state: registry.Named
    signed_on: dt.date
    signed: bool  # signed on or before the date asked about
    deposited_on: dt.date | None  # None: no deposit recorded by that date
    instrument: str
    deposit_sources: list[str]
    in_force_from: dt.date | None  # the day it binds this state, from deposits known by then
    in_force: bool
    basis: str = "deposits"  # "deposits": computed by the rule; "recorded": a source says so
    deposit_recorded: bool = False  # the record holds its deposit, of any date

    @property
    def answer(self) -> str:
        """yes, no, or unknown: a signatory whose deposit the record does not hold at all,
        and for which no source states the entry into force, may have deposited
        unrecorded; one whose deposit is dated later was not bound before it."""
        return answer(self.in_force, self.deposit_recorded or self.basis == "recorded")


@dataclass(frozen=True)
class AgreementStatus:
    """An agreement as of a date: its rule, the general entry into force and each state."""

    agreement: AgreementRow
    rule: rules.EntryRule
    on: dt.date
    general_entry: dt.date | None
    in_force: bool  # in force for at least one state on `on`
    states: list[StateStatus] = field(default_factory=list)
    fact: registry.Fact = field(default_factory=registry.Fact)

    @property
    def signed_count(self) -> int:
        return sum(1 for s in self.states if s.signed)

    @property
    def deposited_count(self) -> int:
        return sum(1 for s in self.states if s.deposited_on is not None)

    @property
    def bound(self) -> list[str]:
        return [s.state.code for s in self.states if s.in_force]

    @property
    def answer(self) -> str:
        """In force for some state (yes), for none as far as the record shows (no), or
        unknown when no signed state's standing is known."""
        if self.in_force:
            return "yes"
        signed = [s for s in self.states if s.signed]
        return "no" if signed and all(s.answer == "no" for s in signed) else "unknown"

    @property
    def entry_known(self) -> dt.date | None:
        """The general entry into force, from the deposits or as a source records it."""
        return self.general_entry or self.agreement.in_force_since


def answer(in_force: bool, known: bool) -> str:
    return "yes" if in_force else "no" if known else "unknown"


def _known(session: Session, row: AgreementRow, on: dt.date
           ) -> tuple[list[SignatureRow], dict[str, DepositRow]]:
    """Signatures and deposits made on or before `on`: the record as it stood that day."""
    signed = [s for s in signatures(session, row.id) if s.signed_on <= on]
    made = {d.state: d for d in deposits(session, row.id) if d.deposited_on <= on}
    return signed, made


@query()
def status(session: Session, code: str, on: dt.date) -> AgreementStatus:
    """Ratification status per signatory and the general entry into force, as of `on`."""
    row = get_agreement(session, code)
    rule = rule_of(row)
    states = {s.code: s for s in registry.list_states(session)}
    every = signatures(session, row.id)
    ever = {d.state for d in deposits(session, row.id)}
    signed, made = _known(session, row, on)
    signatories = [s.state for s in signed]
    dates = {state: d.deposited_on for state, d in made.items()}
    general = rules.general_entry(rule, signatories, dates)
    out = []
    for sig in every:
        dep = made.get(sig.state)
        st = states[sig.state]
        since, now_in_force, basis = _for_state(row, rule, signatories, dates, sig.state, on)
        out.append(StateStatus(
            state=registry.Named(st.code, st.name_en, st.name_ru), signed_on=sig.signed_on,
            signed=sig.signed_on <= on, deposited_on=dep.deposited_on if dep else None,
            instrument=dep.instrument if dep else "",
            deposit_sources=dep.sources.split() if dep else [],
            in_force_from=since, in_force=now_in_force, basis=basis,
            deposit_recorded=sig.state in ever))
    return AgreementStatus(row, rule, on, general, any(s.in_force for s in out), out,
                           registry.Fact(sources=row.sources.split(), confidence=row.confidence,
                                         note_en=row.note_en, note_ru=row.note_ru))


def _for_state(row: AgreementRow, rule: rules.EntryRule, signatories: list[str],
               dates: dict[str, dt.date], state: str, on: dt.date
               ) -> tuple[dt.date | None, bool, str]:
    """(in force from, in force on `on`, basis) for one state.

    Deposits decide when they are known; otherwise a sourced statement of entry into
    force for the signatories (`in_force_since`) does, marked `recorded`.
    """
    since = rules.entry_for(rule, signatories, dates, state)
    if since is not None or row.in_force_since is None or state not in signatories:
        return since, rules.in_force_for(rule, signatories, dates, state, on), "deposits"
    return row.in_force_since, row.in_force_since <= on, "recorded"


@query()
def in_force_for(session: Session, code: str, state: str, on: dt.date) -> bool:
    """Is the agreement in force for `state` on `on`, by its rule and the deposits made?"""
    return entry(session, code, state, on)[0]


@query()
def entry(session: Session, code: str, state: str, on: dt.date
          ) -> tuple[bool, dt.date | None, rules.EntryRule]:
    """(in force on `on`, the day it binds `state` from deposits known by `on`, the rule)."""
    row = get_agreement(session, code)
    st = registry.get_state(session, state).code
    rule = rule_of(row)
    signed, made = _known(session, row, on)
    signatories = [s.state for s in signed]
    dates = {s: d.deposited_on for s, d in made.items()}
    since, now_in_force, _ = _for_state(row, rule, signatories, dates, st, on)
    return now_in_force, since, rule


@query()
def in_force_answer(session: Session, code: str, state: str, on: dt.date) -> str:
    """yes, no or unknown (see `StateStatus.answer`)."""
    row = get_agreement(session, code)
    st = registry.get_state(session, state).code
    signed, made = _known(session, row, on)
    signatories = [s.state for s in signed]
    dates = {s: d.deposited_on for s, d in made.items()}
    _, now_in_force, basis = _for_state(row, rule_of(row), signatories, dates, st, on)
    ever = {d.state for d in deposits(session, row.id)}
    return answer(now_in_force, st in ever or basis == "recorded")


def as_dict(s: AgreementStatus) -> dict[str, Any]:
    row = s.agreement
    return {
        "code": row.code, "organization": row.org,
        "title": {"en": row.title_en, "ru": row.title_ru},
        "signed_on": row.signed_on.isoformat(), "place": {"en": row.place_en, "ru": row.place_ru},
        "rule": rule_dict(s.rule), "as_of": s.on.isoformat(),
        "general_entry": s.general_entry.isoformat() if s.general_entry else None,
        "in_force": s.in_force, "answer": s.answer, "bound": s.bound,
        "signatories": s.signed_count, "deposits": s.deposited_count,
        "states": [{
            "state": {"code": x.state.code, "name_en": x.state.name_en,
                      "name_ru": x.state.name_ru},
            "signed_on": x.signed_on.isoformat(), "signed": x.signed,
            "deposited_on": x.deposited_on.isoformat() if x.deposited_on else None,
            "instrument": x.instrument, "deposit_sources": x.deposit_sources,
            "in_force_from": x.in_force_from.isoformat() if x.in_force_from else None,
            "basis": x.basis,
            "in_force": x.in_force, "answer": x.answer} for x in s.states],
        "sources": s.fact.sources, "confidence": s.fact.confidence,
        "note": {"en": s.fact.note_en, "ru": s.fact.note_ru},
    }


# -- commands ------------------------------------------------------------------------

def _check_sources(session: Session, ids: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(ids))
    known = {s.id for s in registry.sources(session, wanted)} if wanted else set()
    missing = [i for i in wanted if i not in known]
    if missing:
        raise InvalidInput("unknown source id(s): {ids}", ids=", ".join(missing))
    return wanted


def _check_code(code: str) -> str:
    key = (code or "").strip().upper()
    if not CODE.match(key):
        raise InvalidInput("an agreement code is 1-40 letters, digits, '.', '_' or '-', "
                           "e.g. PEACEKEEPING-2007")
    return key


@command("decisions.register_agreement", action=ACTION)
def register_agreement(session: Session, c: Clearance, actor: auth.Actor, *, code: str,
                       title_en: str, signed_on: dt.date,
                       signatories: Sequence[tuple[str, dt.date | None]],
                       rule: str, n: int | None = None, delay_days: int = 0,
                       title_ru: str = "", place_en: str = "", place_ru: str = "",
                       sources: Sequence[str] = (), confidence: str = "high",
                       note_en: str = "", note_ru: str = "", org: str | None = None,
                       origin: str = "user") -> AgreementRow:
    """Record an agreement, the rule by which it enters into force and who signed it.

    A signature dated None is taken to be made on the day the agreement was signed; none
    may be dated earlier. Each signatory is a known state and signs once.
    """
    org = auth.org_of(c, org)
    key = _check_code(code)
    org_code = registry.get_organization(session, org).code
    entry_rule = rules.EntryRule(rule, n, delay_days)
    if (entry_rule.n or 0) > NUMBER_MAX or entry_rule.delay_days > NUMBER_MAX:
        raise InvalidInput("n and delay_days are at most {top}", top=NUMBER_MAX)
    if not title_en.strip():
        raise InvalidInput("an agreement needs an English title")
    if len(place_en) > PLACE_MAX or len(place_ru) > PLACE_MAX:
        raise InvalidInput("a place is at most {limit} characters", limit=PLACE_MAX)
    if confidence not in registry_model.CONFIDENCE:
        raise InvalidInput("confidence must be one of {levels}",
                           levels=", ".join(registry_model.CONFIDENCE))
    if not signatories:
        raise InvalidInput("an agreement needs at least one signatory")
    signed: dict[str, dt.date] = {}
    for state, day in signatories:
        st = registry.get_state(session, state).code
        if st in signed:
            raise InvalidInput("{state} is listed twice among the signatories", state=st)
        day = day or signed_on
        if day < signed_on:
            raise InvalidInput("{state} cannot sign on {day}, before the agreement was signed "
                               "({signed_on})", state=st, day=day, signed_on=signed_on)
        signed[st] = day
    ids = _check_sources(session, sources)
    if session.execute(select(AgreementRow.id).where(AgreementRow.code == key)).first():
        raise Conflict("agreement '{code}' already exists", code=key)
    row = AgreementRow(org=org_code, code=key, title_en=title_en.strip(),
                       title_ru=title_ru.strip() or title_en.strip(), signed_on=signed_on,
                       place_en=place_en.strip(), place_ru=place_ru.strip() or place_en.strip(),
                       entry_rule=entry_rule.kind, entry_n=entry_rule.n,
                       delay_days=entry_rule.delay_days, sources=" ".join(ids),
                       confidence=confidence, note_en=note_en, note_ru=note_ru, origin=origin)
    session.add(row)
    session.flush()
    for st, day in sorted(signed.items()):
        session.add(SignatureRow(agreement_id=row.id, state=st, signed_on=day))
    session.flush()
    journal.record(session, actor=actor, command="decisions.register_agreement",
                   payload={"id": row.id, "code": key, "org": org_code,
                            "title": row.title_en, "signed_on": signed_on,
                            "rule": {"kind": entry_rule.kind, "n": entry_rule.n,
                                     "delay_days": entry_rule.delay_days},
                            "signatories": dict(sorted(signed.items())), "sources": ids})
    return row


@command("decisions.record_signature", action=ACTION)
def record_signature(session: Session, c: Clearance, actor: auth.Actor, *, code: str,
                     state: str, signed_on: dt.date) -> SignatureRow:
    """A state signs an agreement after its opening day (never before it)."""
    row = get_agreement(session, code)
    st = registry.get_state(session, state).code
    if signed_on < row.signed_on:
        raise InvalidInput("{state} cannot sign {code} on {day}, before it was signed "
                           "({signed_on})", state=st, code=row.code, day=signed_on,
                           signed_on=row.signed_on)
    if session.execute(select(SignatureRow.id).where(SignatureRow.agreement_id == row.id,
                                                     SignatureRow.state == st)).first():
        raise Conflict("{state} has already signed {code}", state=st, code=row.code)
    sig = SignatureRow(agreement_id=row.id, state=st, signed_on=signed_on)
    session.add(sig)
    session.flush()
    journal.record(session, actor=actor, command="decisions.record_signature",
                   payload={"agreement": row.code, "state": st, "signed_on": signed_on})
    return sig


@command("decisions.record_deposit", action=ACTION)
def record_deposit(session: Session, c: Clearance, actor: auth.Actor, *, code: str,
                   state: str, deposited_on: dt.date, instrument: str = "",
                   sources: Sequence[str] = ()) -> DepositRow:
    """The depositary receives a state's instrument of ratification.

    Only a signatory deposits, once, and not before it signed.
    """
    row = get_agreement(session, code)
    auth.org_of(c, row.org)  # the clearance of the agreement's own organization
    st = registry.get_state(session, state).code
    sig = session.execute(select(SignatureRow).where(SignatureRow.agreement_id == row.id,
                                                     SignatureRow.state == st)
                          ).scalar_one_or_none()
    if sig is None:
        raise InvalidInput("{state} has not signed {code}; only a signatory deposits an "
                           "instrument of ratification", state=st, code=row.code)
    if deposited_on < sig.signed_on:
        raise InvalidInput("{state} cannot deposit on {day}: it signed {code} on {signed_on}",
                           state=st, day=deposited_on, code=row.code, signed_on=sig.signed_on)
    if session.execute(select(DepositRow.id).where(DepositRow.agreement_id == row.id,
                                                   DepositRow.state == st)).first():
        raise Conflict("{state} has already deposited its instrument for {code}", state=st,
                       code=row.code)
    ids = _check_sources(session, sources)
    dep = DepositRow(agreement_id=row.id, state=st, deposited_on=deposited_on,
                     instrument=instrument.strip(), sources=" ".join(ids))
    session.add(dep)
    session.flush()
    journal.record(session, actor=actor, command="decisions.record_deposit",
                   payload={"agreement": row.code, "state": st,
                            "deposited_on": deposited_on, "instrument": dep.instrument,
                            "sources": ids})
    return dep
