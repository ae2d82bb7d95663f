"""JSON API of the registry under /api/v1/: every query takes as_of (default today)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from collsec.core import clock
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.registry import answers, chairs, participation, relations, service
from collsec.registry.model import CONFIDENCE, EVENT_KINDS, RELATION_KINDS
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import PAGE_CURSOR, PAGE_LIMIT, date_field, date_query, following
from collsec.web.shapes import one_of

router = APIRouter(prefix="/api/v1", tags=["registry"])

PUBLIC = Depends(Requires("read", public=True))  # registry facts are public
AS_OF = date_query("ISO date (YYYY-MM-DD); default today", examples=["2011-06-01"])


def _as_of(value: str | None) -> dt.date:
    return parse_date(value, field="as_of") or clock.today()


def _membership(v: service.MembershipView) -> dict[str, Any]:
    return {
        "organization": v.org,
        "state": {"code": v.state.code, "name_en": v.state.name_en, "name_ru": v.state.name_ru},
        "status": v.status.code,
        "status_name": {"en": v.status.name_en, "ru": v.status.name_ru},
        "counted_as_member": v.counted_as_member,
        "takes_part": v.takes_part,
        "valid_from": v.valid_from.isoformat(),
        "valid_to": v.valid_to.isoformat() if v.valid_to else None,
        "sources": v.fact.sources,
        "confidence": v.fact.confidence,
        "note": {"en": v.fact.note_en, "ru": v.fact.note_ru},
    }


@router.get("/organizations", response_model=list[answers.Organization])
def organizations(guard: Guard = PUBLIC) -> list[dict[str, Any]]:
    return [{"code": o.code, "kind": o.kind, "name_en": o.name_en, "name_ru": o.name_ru,
             "founded": o.founded.isoformat() if o.founded else None,
             "sources": o.sources.split(), "confidence": o.confidence}
            for o in service.list_organizations.run(guard.ctx)]


@router.get("/organizations/{org}/members", response_model=answers.Members)
def members(org: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF,
            every_status: bool = Query(False, alias="all",
                                       description="include every status, not only members"),
            ) -> dict[str, Any]:
    day = _as_of(as_of)
    views = service.members.run(guard.ctx, org=org, as_of=day, every_status=every_status)
    return {"organization": org.upper(), "as_of": day.isoformat(),
            "members": [_membership(v) for v in views]}


@router.get("/organizations/{org}/bodies", response_model=answers.Bodies)
def bodies(org: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF) -> dict[str, Any]:
    day = _as_of(as_of)
    rows = service.bodies.run(guard.ctx, org=org, as_of=day)
    return {"organization": org.upper(), "as_of": day.isoformat(), "bodies": [
        {"code": b.code, "kind": b.kind, "parent": b.parent, "name_en": b.name_en,
         "name_ru": b.name_ru, "composition_en": b.composition_en,
         "composition_ru": b.composition_ru,
         "founded": b.founded.isoformat() if b.founded else None,
         "sources": b.sources.split(), "confidence": b.confidence} for b in rows]}


@router.get("/organizations/{org}/offices", response_model=answers.Offices)
def offices(org: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF,
            history: bool = Query(False, description="every term, not only those in force"),
            ) -> dict[str, Any]:
    day = _as_of(as_of)
    terms = service.office_terms.run(guard.ctx, org=org, as_of=None if history else day)
    return {"organization": org.upper(), "as_of": None if history else day.isoformat(),
            "terms": [{"office": t.office.code, "office_name": {"en": t.office.name_en,
                                                                "ru": t.office.name_ru},
                       "holder": {"en": t.holder_en, "ru": t.holder_ru}, "state": t.state,
                       "valid_from": t.valid_from.isoformat(),
                       "valid_to": t.valid_to.isoformat() if t.valid_to else None,
                       **_fact(t.fact)} for t in terms]}


def _fact(f: service.Fact) -> dict[str, Any]:
    return {"sources": f.sources, "confidence": f.confidence,
            "note": {"en": f.note_en, "ru": f.note_ru}}


@router.get("/organizations/{org}/chair", response_model=answers.Chair)
def chair(org: str, guard: Guard = PUBLIC,
          on: str | None = date_query("ISO date (YYYY-MM-DD); default today",
                                      examples=["2013-01-15"])) -> dict[str, Any]:
    """The chair on a date: the state, since when and until when, the charter's rule for
    the period and the record it rests on (a session of the register, a year's record or
    the rotation); `state` is null where the data cannot say."""
    day = parse_date(on, field="on") or clock.today()
    view = chairs.chair_on.run(guard.ctx, org=org, on=day)
    return {"organization": org.upper(), "on": day.isoformat(), **view.to_dict()}


@router.get("/organizations/{org}/chairs/{year}", response_model=answers.ChairsOfYear)
def chairs_of_year(org: str, year: int = Path(ge=1900, le=2200), guard: Guard = PUBLIC
                   ) -> dict[str, Any]:
    """Every chair that held office on some day of `year`, in order."""
    views = chairs.chairs_in_year.run(guard.ctx, org=org, year=year)
    return {"organization": org.upper(), "year": year, "chairs": [v.to_dict() for v in views]}


@router.get("/organizations/{org}/session-records", response_model=answers.SessionRecords)
def session_records(request: Request, org: str, guard: Guard = PUBLIC,
                    body: str | None = Query(None, min_length=1, max_length=20,
                                             description="a body's code, e.g. CSC"),
                    year: int | None = Query(None, ge=1900, le=2200),
                    limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR
                    ) -> dict[str, Any]:
    """The register of the bodies' sessions as the public record has them, newest first."""
    rows, nxt = chairs.session_records.run(guard.ctx, org=org, body=body, year=year,
                                           limit=limit, cursor=cursor)
    return {"organization": org.upper(), "sessions": [r.to_dict() for r in rows],
            **following(request, nxt)}


@router.get("/organizations/{org}/relations", response_model=answers.Relations)
def relation_list(request: Request, org: str, guard: Guard = PUBLIC,
                  as_of: str | None = date_query("ISO date (YYYY-MM-DD); default: every "
                                                 "relation recorded"),
                  partner: str | None = Query(None, min_length=1, max_length=20,
                                              description="a partner organization's code"),
                  kind: str | None = Query(None, min_length=1, max_length=40,
                                           json_schema_extra={"enum": list(RELATION_KINDS)}),
                  limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR
                  ) -> dict[str, Any]:
    """The organization's relations with others (observer status, resolutions, memoranda,
    declarations, protocols, roadmaps, meetings of officials), newest first."""
    day = parse_date(as_of, field="as_of")
    rows, nxt = relations.relations.run(guard.ctx, org=org, partner=partner, kind=kind,
                                        as_of=day, limit=limit, cursor=cursor)
    return {"organization": org.upper(), "relations": [r.to_dict() for r in rows],
            **following(request, nxt)}


@router.get("/organizations/{org}/timeline", response_model=answers.OrganizationTimeline)
def timeline(org: str, guard: Guard = PUBLIC) -> dict[str, Any]:
    return {"organization": org.upper(), "entries": [
        {"date": e.date.isoformat(), "kind": e.kind, "title": {"en": e.title_en,
                                                                "ru": e.title_ru},
         "state": e.state, **_fact(e.fact)} for e in service.timeline.run(guard.ctx, org=org)]}


@router.get("/states/{code}", response_model=answers.State)
def state(code: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF) -> dict[str, Any]:
    day = _as_of(as_of)
    with reading(guard.ctx) as read:
        st = read(service.get_state, code)
        history = read(service.state_history, code)
    current = [_membership(v) for v in history
               if v.valid_from <= day and (v.valid_to is None or day < v.valid_to)]
    return {"code": st.code, "name_en": st.name_en, "name_ru": st.name_ru,
            "as_of": day.isoformat(), "statuses": current,
            "history": [_membership(v) for v in history]}


@router.get("/states/{code}/course", response_model=answers.Course)
def course(request: Request, code: str, guard: Guard = PUBLIC, as_of: str | None = AS_OF,
           org: str | None = Query(None, min_length=1, max_length=20,
                                   description="the organization (default the platform's)"),
           kind: str | None = Query(None, min_length=1, max_length=20,
                                    json_schema_extra={"enum": list(EVENT_KINDS)}),
           limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """A member's course up to a date: its status that day, the dated events the record
    knows (statements, presence and absence, financing, exercises, decisions), newest
    first, and the sessions it was recorded absent from."""
    day = _as_of(as_of)
    c = participation.course.run(guard.ctx, org=org or guard.ctx.org, state=code, as_of=day,
                                 kind=kind, limit=limit, cursor=cursor)
    return {"organization": c.org, "state": c.state, "as_of": day.isoformat(),
            "status": None if c.status is None else _membership(c.status),
            "events": [e.to_dict() for e in c.events],
            "absences": [r.to_dict() for r in c.absences], **following(request, c.next_cursor)}


@router.get("/sources/{source_id}", response_model=answers.Source)
def source(source_id: str, guard: Guard = PUBLIC) -> dict[str, Any]:
    src = service.source.run(guard.ctx, source_id)
    return {"id": src.id, "title": src.title, "publisher": src.publisher,
            "date": src.date.isoformat() if src.date else None, "url": src.url,
            "note": src.note}


class MembershipIn(Body):
    state: str = Field(min_length=1)
    status: str = Field(min_length=1)
    valid_from: str = date_field()
    valid_to: str | None = date_field(None, "ISO date, exclusive")
    sources: list[str] = []
    confidence: str = one_of(CONFIDENCE, "high")


@router.post("/organizations/{org}/memberships", status_code=201,
             response_model=answers.RecordedMembership)
def add_membership(org: str, body: MembershipIn,
                   guard: Guard = Depends(Requires("edit_registry"))) -> dict[str, Any]:
    """Record a status interval (role `editor` or `admin`)."""
    valid_from = parse_date(body.valid_from, field="valid_from")
    if valid_from is None:
        raise service.InvalidInput("valid_from is required")
    valid_to = parse_date(body.valid_to, field="valid_to")
    return service.add_membership.answer(
        _recorded, guard.ctx, org=org, state=body.state, status=body.status,
        valid_from=valid_from, valid_to=valid_to, source_ids=body.sources,
        confidence=body.confidence)


def _recorded(row: Any) -> dict[str, Any]:
    return {"id": row.id, "organization": row.org, "state": row.state,
            "status": row.status, "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "sources": row.sources.split(), "confidence": row.confidence}
