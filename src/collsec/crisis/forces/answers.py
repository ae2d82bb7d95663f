"""What the collective forces' API answers (`crisis.forces.api`), as the OpenAPI document
declares it: contingents, missions with their offers, timeline and totals."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from collsec.crisis.model import DEPLOYMENT_STATES, EVENT_KINDS
from collsec.registry.answers import Sourced
from collsec.web.shapes import Day, Moment, Page, Words, one_of

# A mission's area as its decision drew it: a GeoJSON geometry (RFC 7946), kept as given.
AREA = Field(description="a GeoJSON geometry (RFC 7946), or null")


class Point(BaseModel):
    """A GeoJSON point: longitude, then latitude."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2)


class Contingent(Sourced):
    id: int
    force: str
    state: str
    unit_type: str
    personnel: int | None = Field(description="null where no source reports the strength")
    readiness_hours: int
    readiness_default: bool = Field(description="true where no source gives the readiness: "
                                    "`readiness_hours` is then collsec's default")
    home: Point
    home_base: str
    since: Day | None
    origin: str  # "default" (the embedded data) or "user"


class Contingents(Page):
    contingents: list[Contingent]


class MissionEnd(BaseModel):
    on: Day | None
    condition: Words


class Withdrawal(BaseModel):
    ordered_at: Moment
    note: str


class Mission(BaseModel):
    code: str
    organization: str
    title: Words
    host_state: str
    mandate: Words
    area: dict[str, Any] | None = AREA
    decided_on: Day
    decision_item_id: int | None
    ends: MissionEnd
    status: Literal["open", "closed"]
    opened_at: Moment
    closed_at: Moment | None
    withdrawal: Withdrawal | None  # null until the withdrawal is ordered


class Missions(Page):
    missions: list[Mission]


class Offer(BaseModel):
    id: int
    state: str
    contingent_id: int | None
    personnel: int
    offered_at: Moment
    offered_by: str
    status: Literal["offered", "accepted", "declined"]
    decided_at: Moment | None


class Event(BaseModel):
    """One event of a mission's timeline."""

    at: Moment
    kind: str = one_of(EVENT_KINDS)
    actor: str  # a state, a body or the organization
    status: str | None = one_of((*DEPLOYMENT_STATES, None))  # a deployment status report's
    personnel: int | None
    note: str
    ref: int | None  # the request or offer the event stems from


class Totals(BaseModel):
    as_of: Moment
    by_state: dict[str, int]  # personnel in theatre per contributing state
    total: int


class MissionDetail(Mission):
    offers: list[Offer]
    timeline: list[Event]
    timeline_next: str | None = Field(description="the link to the rest of the timeline")
    totals: Totals


class MissionTimeline(Page):
    mission: str
    timeline: list[Event]


class StatusReport(BaseModel):
    mission: str
    state: str
    status: str = one_of(DEPLOYMENT_STATES)
    personnel: int
    at: Moment
