"""JSON API for the collective forces: contingents, missions, offers, deployment status,
timeline and totals. Members-level information: never public."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from collsec.core import paging
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.core.times import parse_time
from collsec.crisis.forces import answers, deployments
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import missions as mission_service
from collsec.crisis.model import DEPLOYMENT_STATES
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import (
    PAGE_CURSOR,
    PAGE_LIMIT,
    date_field,
    following,
    time_field,
    time_query,
)
from collsec.web.shapes import Count, Positive, one_of

router = APIRouter(prefix="/api/v1", tags=["collective forces"])
MISSION = Path(min_length=1, max_length=forces.MAX_CODE, description="mission code")
OFFER_ID = Path(ge=1, le=2**31 - 1, description="offer id")


@router.get("/contingents", response_model=answers.Contingents)
def contingents(request: Request, guard: Guard = Depends(Requires("read")),
                force: str | None = Query(None, max_length=20), limit: int = PAGE_LIMIT,
                cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """The catalogue of national contingents of the collective forces, by force and state,
    a page at a time: `next` is the link to the following page, null on the last."""
    after = paging.after_keyed("contingents", cursor, 3) if cursor else None
    rows = forces.contingents.run(guard.ctx, force=force, limit=limit + 1, after=after)
    last = rows[limit - 1] if len(rows) > limit else None
    nxt = paging.cursor("contingents", last.force, last.state, last.id) if last else None
    return {"contingents": [forces.contingent_dict(r) for r in rows[:limit]],
            **following(request, nxt)}


class ContingentIn(Body):
    force: str = Field(min_length=1, max_length=20)
    state: str = Field(min_length=1, max_length=2)
    unit_type: str = Field(min_length=1, max_length=80)
    personnel: Count
    readiness_hours: Count
    home_lon: float = Field(ge=-180, le=180)
    home_lat: float = Field(ge=-90, le=90)
    home_base: str = Field("", max_length=200)
    since: dt.date | None = None
    sources: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list,
                                                                 max_length=20)
    confidence: Literal["high", "medium", "low"] = "high"


@router.post("/contingents", status_code=201, response_model=answers.Contingent)
def register_contingent(body: ContingentIn, guard: Guard = Depends(Requires("edit_registry"))
                        ) -> dict[str, Any]:
    """Add a national contingent to a force's catalogue (role with `edit_registry`)."""
    return forces.register_contingent.answer(
        forces.contingent_dict, guard.ctx, force=body.force, state=body.state,
        unit_type=body.unit_type,
        personnel=body.personnel, readiness_hours=body.readiness_hours,
        home_lon=body.home_lon, home_lat=body.home_lat, home_base=body.home_base,
        since=body.since, sources=body.sources, confidence=body.confidence)


@router.get("/missions", response_model=answers.Missions)
def missions(request: Request, guard: Guard = Depends(Requires("read")),
             limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """Missions of the collective forces, newest decision first (members-level), a page at
    a time: `next` is the link to the following page, null on the last."""
    after = paging.after_dated("missions", cursor) if cursor else None
    rows = mission_service.list_missions.run(guard.ctx, limit=limit + 1, after=after)
    return {"missions": [mission_service.mission_dict(m) for m in rows[:limit]],
            **following(request, paging.page_of(rows, limit, "missions", "decided_on"))}


TIMELINE_PAGE = 100  # the events a mission's answer carries; the rest are a page away


def _timeline_page(timeline: Any, limit: int, after: Any
                   ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of events and the cursor of the next (None on the last)."""
    events, last = timeline.page(after, limit)
    nxt = paging.cursor("timeline", last[0].isoformat(), last[1]) if last else None
    return [deployments.event_dict(e) for e in events], nxt


@router.get("/missions/{code}", response_model=answers.MissionDetail)
def mission(request: Request, code: str = MISSION, guard: Guard = Depends(Requires("read")),
            as_of: str | None = time_query()
            ) -> dict[str, Any]:
    """A mission with its offers, the first TIMELINE_PAGE events of its timeline
    (`timeline_next` links to the rest) and its totals as of a time (default now)."""
    when = parse_time(as_of, "as_of", end_of_day=True) or guard.now
    view = deployments.mission_view.run(guard.ctx, code, when)
    events, nxt = _timeline_page(view.timeline, TIMELINE_PAGE, None)
    rest = request.url_for("mission_timeline", code=view.mission.code).include_query_params(
        limit=TIMELINE_PAGE, cursor=nxt) if nxt else None
    return {**mission_service.mission_dict(view.mission),
            "offers": [deployments.offer_dict(o) for o in view.offers],
            "timeline": events, "timeline_next": str(rest) if rest else None,
            "totals": deployments.totals_dict(view.totals)}


@router.get("/missions/{code}/timeline", name="mission_timeline",
            response_model=answers.MissionTimeline)
def mission_timeline(request: Request, code: str = MISSION,
                     guard: Guard = Depends(Requires("read")), limit: int = PAGE_LIMIT,
                     cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """A mission's timeline oldest first, a page at a time: `next` links to the following
    page, null on the last."""
    after = paging.after_timed("timeline", cursor) if cursor else None
    events, nxt = _timeline_page(deployments.timeline.run(guard.ctx, code), limit, after)
    return {"mission": code.upper(), "timeline": events, **following(request, nxt)}


class MissionIn(Body):
    code: str = Field(min_length=1, max_length=forces.MAX_CODE)
    title_en: str = Field(min_length=1, max_length=300)
    title_ru: str = Field("", max_length=300)
    host_state: str = Field(min_length=1, max_length=2)
    mandate_en: str = Field("", max_length=forces.MAX_TEXT)
    mandate_ru: str = Field("", max_length=forces.MAX_TEXT)
    area: dict[str, Any] | None = None
    decided_on: str = date_field()
    decision_item_id: Positive | None = None


@router.post("/missions", status_code=201, response_model=answers.Mission)
def open_mission(body: MissionIn, guard: Guard = Depends(Requires("open_mission"))
                 ) -> dict[str, Any]:
    """Open a mission the organization decided on (role with `open_mission`)."""
    day = parse_date(body.decided_on, field="decided_on")
    if day is None:
        raise InvalidInput("decided_on is required")
    return mission_service.open_mission.answer(
        mission_service.mission_dict, guard.ctx, code=body.code, title_en=body.title_en,
        title_ru=body.title_ru,
        host_state=body.host_state, mandate_en=body.mandate_en, mandate_ru=body.mandate_ru,
        area=body.area, decided_on=day, decision_item_id=body.decision_item_id)


class OfferIn(Body):
    state: str = Field(min_length=1, max_length=2)
    personnel: Count
    contingent_id: Positive | None = None


@router.post("/missions/{code}/offers", status_code=201, response_model=answers.Offer)
def offer(body: OfferIn, code: str = MISSION, guard: Guard = Depends(Requires("read"))
          ) -> dict[str, Any]:
    """Offer a state's personnel (its delegation's representative or duty officer)."""
    return deployments.offer.answer(deployments.offer_dict, guard.ctx, code, state=body.state,
                                    personnel=body.personnel,
                                    contingent_id=body.contingent_id)


@router.post("/missions/{code}/offers/{offer_id}/accept", response_model=answers.Offer)
def accept_offer(code: str = MISSION, offer_id: int = OFFER_ID,
                 guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """The mission accepts an offer: the state's commitment (role with `manage_missions`)."""
    return deployments.decide_offer.answer(deployments.offer_dict, guard.ctx, code, offer_id,
                                           accept=True)


@router.post("/missions/{code}/offers/{offer_id}/decline", response_model=answers.Offer)
def decline_offer(code: str = MISSION, offer_id: int = OFFER_ID,
                  guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """The mission declines an offer (role with `manage_missions`)."""
    return deployments.decide_offer.answer(deployments.offer_dict, guard.ctx, code, offer_id,
                                           accept=False)


class DeploymentIn(Body):
    state: str = Field(min_length=1, max_length=2)
    status: str = one_of(DEPLOYMENT_STATES)
    personnel: Count
    at: str | None = time_field(None, "ISO time with its zone (default now)")


@router.post("/missions/{code}/status", status_code=201,
             response_model=answers.StatusReport)
def report_status(body: DeploymentIn, code: str = MISSION,
                  guard: Guard = Depends(Requires("read"))) -> dict[str, Any]:
    """Report a contingent's deployment status (a duty officer of its state, the CRC or the
    Secretariat); going back is 409."""
    when = parse_time(body.at, "at") or guard.now
    return deployments.report_status.answer(
        lambda row: {"mission": code.upper(), "state": row.state, "status": row.status,
                     "personnel": row.personnel, "at": when.isoformat()},
        guard.ctx, code, state=body.state, status=body.status, personnel=body.personnel,
        at=when)


class WithdrawalOrderIn(Body):
    at: str | None = time_field(None, "ISO time with its zone (default now)")
    note: str = Field("", max_length=2000)


@router.post("/missions/{code}/withdrawal", response_model=answers.Mission)
def order_withdrawal(body: WithdrawalOrderIn, code: str = MISSION,
                     guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """Record the order to withdraw the mission (a body's decision or the organization's
    announcement), once, at `at` (default now); 409 when closed or already ordered."""
    when = parse_time(body.at, "at") or guard.now
    return deployments.order_withdrawal.answer(mission_service.mission_dict, guard.ctx, code,
                                               at=when, note=body.note)


@router.post("/missions/{code}/close", response_model=answers.Mission)
def close_mission(code: str = MISSION, guard: Guard = Depends(Requires("manage_missions"))
                  ) -> dict[str, Any]:
    """Close a mission once every accepted contingent has returned (`manage_missions`)."""
    return deployments.close_mission.answer(mission_service.mission_dict, guard.ctx, code)
