"""What the escalation API answers (`crisis.escalation.api`), as the OpenAPI document
declares it: requests for consultations and for collective assistance."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from collsec.crisis.escalation.model import REQUEST_TRANSITIONS
from collsec.web.shapes import Day, Page, Words, one_of


class Consultation(BaseModel):
    id: int
    organization: str
    state: str
    requested_on: Day
    subject: Words
    incidents: list[int]
    session_id: int  # the session the request convened
    requested_by: str
    sources: list[str]


class Consultations(Page):
    consultations: list[Consultation]


class Need(BaseModel):
    kind: str  # one of the charter's need kinds
    personnel: int | None
    note: str


class AgendaItemRef(BaseModel):
    id: int
    session_id: int


class AssistanceRequest(BaseModel):
    id: int
    organization: str
    state: str
    basis: str  # one of the charter's bases
    needs: list[Need]
    summary: Words
    area: dict[str, Any] | None = Field(description="a GeoJSON geometry (RFC 7946), or null")
    incidents: list[int]
    consultation_id: int | None
    submitted_on: Day
    submitted_by: str
    status: str = one_of(REQUEST_TRANSITIONS)
    outcome: str | None  # the reason of the decision that answered it, once decided
    agenda_item: AgendaItemRef | None
    mission: str | None  # the code of the mission the decision defined
    sources: list[str]


class AssistanceRequests(Page):
    requests: list[AssistanceRequest]


class TabledItem(AgendaItemRef):
    matter: str


class Tabled(BaseModel):
    request: AssistanceRequest
    agenda_item: TabledItem
