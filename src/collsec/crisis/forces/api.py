"""JSON API for the collective forces: contingents, missions, offers, deployment status,
timeline and totals. Members-level information: never public."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field, StrictInt

from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.core.times import parse_time
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments
from collsec.crisis.forces import missions as mission_service
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import date_field, time_field, time_query

router = APIRouter(prefix="/api/v1", tags=["collective forces"])
MISSION = Path(min_length=1, max_length=forces.MAX_CODE, description="mission code")
OFFER_ID = Path(ge=1, le=2**31 - 1, description="offer id")
COUNT = Field(ge=0, le=2**31 - 1)


@router.get("/contingents")
def contingents(guard: Guard = Depends(Requires("read")),
                force: str | None = Query(None, max_length=20)) -> dict[str, Any]:
    """The catalogue of national contingents of the collective forces."""
    rows = forces.contingents.run(guard.ctx, force=force)
    return {"contingents": [forces.contingent_dict(r) for r in rows]}


class ContingentIn(Body):
    force: str = Field(max_length=20)
    state: str = Field(max_length=2)
    unit_type: str = Field(max_length=80)
    personnel: StrictInt = COUNT
    readiness_hours: StrictInt = COUNT
    home_lon: float
    home_lat: float
    home_base: str = Field("", max_length=200)
    since: dt.date | None = None
    sources: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list,
                                                                 max_length=20)
    confidence: Literal["high", "medium", "low"] = "high"


@router.post("/contingents", status_code=201)
def register_contingent(body: ContingentIn, guard: Guard = Depends(Requires("edit_registry"))
                        ) -> dict[str, Any]:
    """Add a national contingent to a force's catalogue (role with `edit_registry`)."""
    return forces.register_contingent.answer(
        forces.contingent_dict, guard.ctx, force=body.force, state=body.state,
        unit_type=body.unit_type,
        personnel=body.personnel, readiness_hours=body.readiness_hours,
        home_lon=body.home_lon, home_lat=body.home_lat, home_base=body.home_base,
        since=body.since, sources=body.sources, confidence=body.confidence)


@router.get("/missions")
def missions(guard: Guard = Depends(Requires("read"))) -> dict[str, Any]:
    """Missions of the collective forces, newest decision first (members-level)."""
    return {"missions": [mission_service.mission_dict(m)
                         for m in mission_service.list_missions.run(guard.ctx)]}


@router.get("/missions/{code}")
def mission(code: str = MISSION, guard: Guard = Depends(Requires("read")),
            as_of: str | None = time_query()
            ) -> dict[str, Any]:
    """A mission with its offers, its timeline and its totals as of a time (default now)."""
    when = parse_time(as_of, "as_of", end_of_day=True) or guard.now
    view = deployments.mission_view.run(guard.ctx, code, when)
    return {**mission_service.mission_dict(view.mission),
            "offers": [deployments.offer_dict(o) for o in view.offers],
            "timeline": [deployments.event_dict(e) for e in view.timeline.events],
            "totals": deployments.totals_dict(view.totals)}


class MissionIn(Body):
    code: str = Field(max_length=forces.MAX_CODE)
    title_en: str = Field(max_length=300)
    title_ru: str = Field("", max_length=300)
    host_state: str = Field(max_length=2)
    mandate_en: str = Field("", max_length=forces.MAX_TEXT)
    mandate_ru: str = Field("", max_length=forces.MAX_TEXT)
    area: dict[str, Any] | None = None
    decided_on: str = date_field()
    decision_item_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)


@router.post("/missions", status_code=201)
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
    state: str = Field(max_length=2)
    personnel: StrictInt = COUNT
    contingent_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)


@router.post("/missions/{code}/offers", status_code=201)
def offer(body: OfferIn, code: str = MISSION, guard: Guard = Depends(Requires("read"))
          ) -> dict[str, Any]:
    """Offer a state's personnel (its delegation's representative or duty officer)."""
    return deployments.offer.answer(deployments.offer_dict, guard.ctx, code, state=body.state,
                                    personnel=body.personnel,
                                    contingent_id=body.contingent_id)


@router.post("/missions/{code}/offers/{offer_id}/accept")
def accept_offer(code: str = MISSION, offer_id: int = OFFER_ID,
                 guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """The mission accepts an offer: the state's commitment (role with `manage_missions`)."""
    return deployments.decide_offer.answer(deployments.offer_dict, guard.ctx, code, offer_id,
                                           accept=True)


@router.post("/missions/{code}/offers/{offer_id}/decline")
def decline_offer(code: str = MISSION, offer_id: int = OFFER_ID,
                  guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """The mission declines an offer (role with `manage_missions`)."""
    return deployments.decide_offer.answer(deployments.offer_dict, guard.ctx, code, offer_id,
                                           accept=False)


class DeploymentIn(Body):
    state: str = Field(max_length=2)
    status: str = Field(max_length=20)
    personnel: StrictInt = COUNT
    at: str | None = time_field(None, "ISO time with its zone (default now)")


@router.post("/missions/{code}/status", status_code=201)
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


class WithdrawalIn(Body):
    at: str | None = time_field(None, "ISO time with its zone (default now)")
    note: str = Field("", max_length=2000)


@router.post("/missions/{code}/withdrawal")
def order_withdrawal(body: WithdrawalIn, code: str = MISSION,
                     guard: Guard = Depends(Requires("manage_missions"))) -> dict[str, Any]:
    """Record the order to withdraw the mission (a body's decision or the organization's
    announcement), once, at `at` (default now); 409 when closed or already ordered."""
    when = parse_time(body.at, "at") or guard.now
    return deployments.order_withdrawal.answer(mission_service.mission_dict, guard.ctx, code,
                                               at=when, note=body.note)


@router.post("/missions/{code}/close")
def close_mission(code: str = MISSION, guard: Guard = Depends(Requires("manage_missions"))
                  ) -> dict[str, Any]:
    """Close a mission once every accepted contingent has returned (`manage_missions`)."""
    return deployments.close_mission.answer(mission_service.mission_dict, guard.ctx, code)
