"""JSON API for escalation: requests for consultations and for collective assistance, and
putting a request before the Council. Members-level information: never public."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from collsec.core import paging
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.crisis.escalation import answers
from collsec.crisis.escalation import service as escalation
from collsec.decisions.sessions import FORMATS
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import PAGE_CURSOR, PAGE_LIMIT, date_field, following
from collsec.web.shapes import Positive, one_of

router = APIRouter(prefix="/api/v1", tags=["crisis escalation"])
REQUEST_ID = Path(ge=1, le=2**31 - 1, description="request id")
INCIDENTS = Field(default_factory=list, max_length=escalation.MAX_INCIDENTS)


class ConsultationIn(Body):
    state: str = Field(min_length=1, max_length=2)
    on: str | None = date_field(None, "ISO date (default today)")
    subject_en: str = Field(min_length=1, max_length=1000)
    subject_ru: str = Field("", max_length=1000)
    incidents: list[Positive] = INCIDENTS
    format: str = one_of(FORMATS, "video")


@router.post("/consultations", status_code=201, response_model=answers.Consultation)
def request_consultations(body: ConsultationIn,
                          guard: Guard = Depends(Requires("request_assistance"))
                          ) -> dict[str, Any]:
    """A member's delegation asks for consultations (Treaty Art. 2); the extraordinary
    session the charter names is convened in the same transaction."""
    on = parse_date(body.on, field="on") or guard.today
    row = escalation.request_consultations.run(
        guard.ctx, state=body.state.upper(), on=on, subject_en=body.subject_en,
        subject_ru=body.subject_ru, incidents=body.incidents, format=body.format)
    return escalation.consultation_dict(row)




def _paged(request: Request, name: str, rows: list[Any], shown: list[Any], limit: int,
           day: str) -> dict[str, Any]:
    return {name: shown, **following(request, paging.page_of(rows, limit, name, day))}


@router.get("/consultations", response_model=answers.Consultations)
def consultations(request: Request, guard: Guard = Depends(Requires("read")),
                  limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """Requests for consultations, newest first, with the session each convened, a page at
    a time: `next` is the link to the following page, null on the last."""
    after = paging.after_dated("consultations", cursor) if cursor else None
    rows = escalation.list_consultations.run(guard.ctx, limit=limit + 1, after=after)
    return _paged(request, "consultations", rows,
                  [escalation.consultation_dict(r) for r in rows[:limit]], limit,
                  "requested_on")


@router.get("/consultations/{consultation_id}", response_model=answers.Consultation)
def consultation(consultation_id: int = Path(ge=1, le=paging.MAX_ID),
                 guard: Guard = Depends(Requires("read"))) -> dict[str, Any]:
    """One request for consultations and the session it convened."""
    row = escalation.read_consultation.run(guard.ctx, consultation_id)
    return escalation.consultation_dict(row)


class NeedIn(Body):
    kind: str = Field(min_length=1, max_length=40)
    personnel: Positive | None = None
    note: str = Field("", max_length=2000)


class RequestIn(Body):
    state: str = Field(min_length=1, max_length=2)
    basis: str = Field(min_length=1, max_length=30)
    needs: list[NeedIn] = Field(min_length=1, max_length=20)
    summary_en: str = Field(min_length=1, max_length=20000)
    summary_ru: str = Field("", max_length=20000)
    area: dict[str, Any] | None = None
    incidents: list[Positive] = INCIDENTS
    consultation_id: Positive | None = None
    on: str | None = date_field(None, "ISO date (default today)")


@router.post("/assistance-requests", status_code=201,
             response_model=answers.AssistanceRequest)
def submit_request(body: RequestIn, guard: Guard = Depends(Requires("request_assistance"))
                   ) -> dict[str, Any]:
    """The affected member's request for collective assistance, naming basis and need."""
    on = parse_date(body.on, field="on") or guard.today
    row = escalation.submit_request.run(
        guard.ctx, state=body.state.upper(), basis=body.basis,
        needs=[n.model_dump() for n in body.needs], summary_en=body.summary_en,
        summary_ru=body.summary_ru, area=body.area, incidents=body.incidents,
        consultation_id=body.consultation_id, on=on)
    return escalation.request_dict.run(guard.ctx, row)  # as committed


@router.get("/assistance-requests", response_model=answers.AssistanceRequests)
def requests_list(request: Request, guard: Guard = Depends(Requires("read")),
                  limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """Requests for assistance, newest first, with their status and any mission, a page
    at a time: `next` is the link to the following page, null on the last."""
    after = paging.after_dated("requests", cursor) if cursor else None
    with reading(guard.ctx) as read:
        rows = read(escalation.list_requests, limit=limit + 1, after=after)
        shown = [read(escalation.request_dict, r) for r in rows[:limit]]
    return _paged(request, "requests", rows, shown, limit, "submitted_on")


@router.get("/assistance-requests/{request_id}", response_model=answers.AssistanceRequest)
def request_one(request_id: int = REQUEST_ID, guard: Guard = Depends(Requires("read"))
                ) -> dict[str, Any]:
    with reading(guard.ctx) as read:
        return read(escalation.request_dict, read(escalation.read_request, request_id))


class TableIn(Body):
    session_id: Positive
    title_en: str = Field("", max_length=300)
    title_ru: str = Field("", max_length=300)
    mission: dict[str, Any] = Field(description="code, title_en, mandate_en, area, ends_on or "
                                    "end_condition_en, ...: what the decision would define")


@router.post("/assistance-requests/{request_id}/agenda", status_code=201,
             response_model=answers.Tabled)
def table_request(body: TableIn, request_id: int = REQUEST_ID,
                  guard: Guard = Depends(Requires("manage_sessions"))) -> dict[str, Any]:
    """Put the request before a session of the Council as a draft decision defining a
    mission; the session's positions and closing decide it."""
    item = escalation.table_request.run(
        guard.ctx, request_id, session_id=body.session_id, mission=body.mission,
        title_en=body.title_en, title_ru=body.title_ru)
    with reading(guard.ctx) as read:  # the request as the command left it
        request = read(escalation.request_dict, read(escalation.get_request, request_id))
    return {"request": request,
            "agenda_item": {"id": item.id, "session_id": item.session_id,
                            "matter": item.matter}}


@router.post("/assistance-requests/{request_id}/withdrawal",
             response_model=answers.AssistanceRequest)
def withdraw_request(request_id: int = REQUEST_ID,
                     guard: Guard = Depends(Requires("request_assistance"))) -> dict[str, Any]:
    """The requesting state withdraws its request before the Council decides it."""
    row = escalation.withdraw_request.run(guard.ctx, request_id)
    return escalation.request_dict.run(guard.ctx, row)  # as committed
