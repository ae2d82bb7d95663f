"""JSON API of agreements: ratification status per state and entry into force, as of a date.

Reads are public (agreements are public acts); recording an agreement or a deposit needs
the `edit_registry` action (roles `editor`, `admin`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.decisions import agreement_answers as answers
from collsec.decisions import agreement_service as service
from collsec.decisions.agreements import ENTRY_RULES
from collsec.registry.model import CONFIDENCE
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import date_field, date_query
from collsec.web.shapes import one_of

router = APIRouter(prefix="/api/v1", tags=["agreements"])

PUBLIC = Depends(Requires("read", public=True))
EDIT = Depends(Requires("edit_registry"))
AS_OF = date_query("ISO date (YYYY-MM-DD); default today", examples=["2010-01-01"])


def _day(guard: Guard, value: str | None, field: str) -> dt.date:
    return parse_date(value, field=field) or guard.today


def _required(value: str | None, field: str) -> dt.date:
    day = parse_date(value, field=field)
    if day is None:
        raise InvalidInput("{field} is required", field=field)
    return day


@router.get("/agreements", response_model=answers.Agreements)
def agreements(guard: Guard = PUBLIC, as_of: str | None = AS_OF) -> dict[str, Any]:
    """Agreements of the organization with their status as of a date (each signatory's is
    in the agreement's own answer; `answers.AgreementSummary` leaves it out here)."""
    day = _day(guard, as_of, "as_of")
    with reading(guard.ctx) as read:
        items = [service.as_dict(read(service.status, r.code, day))
                 for r in read(service.list_agreements)]
    return {"as_of": day.isoformat(), "agreements": items}


@router.get("/agreements/{code}", response_model=answers.Agreement)
def agreement(code: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF) -> dict[str, Any]:
    """One agreement: its rule, the general entry into force and each signatory's
    signature, deposit and the day the agreement binds it, as of a date."""
    return service.as_dict(service.status.run(guard.ctx, code, _day(guard, as_of, "as_of")))


@router.get("/agreements/{code}/in-force/{state}", response_model=answers.InForce)
def in_force(code: str, state: str, guard: Guard = PUBLIC,
             on: str | None = date_query("ISO date; default today")
             ) -> dict[str, Any]:
    """Is the agreement in force for `state` on a date? `since` is the day it binds the
    state, from the deposits made by that date (null when they do not bind it yet)."""
    day = _day(guard, on, "on")
    with reading(guard.ctx) as read:
        bound, since, rule = read(service.entry, code, state, day)
        said = read(service.in_force_answer, code, state, day)
        row = read(service.get_agreement, code)
    return {"agreement": row.code, "state": state.upper(), "on": day.isoformat(),
            "in_force": bound, "answer": said, "since": since.isoformat() if since else None,
            "rule": service.rule_dict(rule)}


class SignatoryIn(Body):
    state: str = Field(min_length=1)
    signed_on: str | None = date_field(None, "ISO date; default: the agreement's date")


# An agreement's code as `agreement_service.CODE` takes it, before it strips and upper-cases it.
CODE = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{0,39}\s*$"


class AgreementIn(Body):
    code: str = Field(pattern=CODE, examples=["PEACEKEEPING-2007"])
    title_en: str = Field(min_length=1)
    title_ru: str = ""
    signed_on: str = date_field()
    place_en: str = Field("", max_length=service.PLACE_MAX)
    place_ru: str = Field("", max_length=service.PLACE_MAX)
    rule: str = one_of(ENTRY_RULES)
    n: int | None = Field(None, ge=1, le=service.NUMBER_MAX,
                          description="for nth_instrument (required there): which instrument "
                                      "decides")
    delay_days: int = Field(0, ge=0, le=service.NUMBER_MAX)
    signatories: list[SignatoryIn] = Field(min_length=1)
    sources: list[str] = []
    confidence: str = one_of(CONFIDENCE, "high")
    note_en: str = ""
    note_ru: str = ""


@router.post("/agreements", status_code=201, response_model=answers.Agreement)
def register(body: AgreementIn, guard: Guard = EDIT) -> dict[str, Any]:
    """Record an agreement with its entry-into-force rule and signatories (roles `editor`,
    `admin`)."""
    signed_on = _required(body.signed_on, "signed_on")
    signatories = [(x.state, parse_date(x.signed_on, field=f"signatories[{x.state}].signed_on"))
                   for x in body.signatories]
    row = service.register_agreement.run(
        guard.ctx, code=body.code, title_en=body.title_en, title_ru=body.title_ru,
        signed_on=signed_on, place_en=body.place_en, place_ru=body.place_ru, rule=body.rule,
        n=body.n, delay_days=body.delay_days, signatories=signatories, sources=body.sources,
        confidence=body.confidence, note_en=body.note_en, note_ru=body.note_ru)
    return service.as_dict(service.status.run(guard.ctx, row.code, guard.today))


class DepositIn(Body):
    state: str = Field(min_length=1)
    deposited_on: str = date_field()
    instrument: str = ""
    sources: list[str] = []


@router.post("/agreements/{code}/deposits", status_code=201, response_model=answers.Deposit)
def deposit(code: str, body: DepositIn, guard: Guard = EDIT) -> dict[str, Any]:
    """Record that the depositary received a signatory's instrument (roles `editor`,
    `admin`). A non-signatory, a second deposit or a date before the signature is refused."""
    day = _required(body.deposited_on, "deposited_on")
    dep = service.record_deposit.run(guard.ctx, code=code, state=body.state,
                                     deposited_on=day, instrument=body.instrument,
                                     sources=body.sources)
    with reading(guard.ctx) as read:  # what the deposit changed, as committed
        bound, since, _rule = read(service.entry, code, dep.state, day)
        a_code = read(service.get_agreement, code).code
    return {"agreement": a_code, "state": dep.state,
            "deposited_on": dep.deposited_on.isoformat(), "instrument": dep.instrument,
            "sources": dep.sources.split(), "in_force_on_deposit": bound,
            "in_force_from": since.isoformat() if since else None}
