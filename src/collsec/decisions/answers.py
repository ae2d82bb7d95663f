"""What the charter engine's API answers (`decisions.api`), as the OpenAPI document
declares it: sessions, agenda items and their outcomes (built by `outcomes.py`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from collsec.core.i18n import LANGUAGES
from collsec.decisions.model import POSITIONS, RULES
from collsec.decisions.outcomes import POSITION_ORDER
from collsec.decisions.service import REASONS
from collsec.decisions.sessions import DRAFT_KINDS, FORMATS, KINDS
from collsec.registry.answers import Named
from collsec.web.shapes import Day, Moment, Page, Words, one_of


class Outcome(BaseModel):
    """What the positions decide under the charter's rule, and why."""

    adopted: bool
    reason: str = one_of(REASONS)
    explanation: str
    final: bool  # frozen by the item's closing; else live from the positions
    rule: str = one_of(RULES)
    seated: list[str]
    bound: list[str]
    limited_format: bool = Field(description="adopted while some seated members took no "
                                 "part (declared or silent): it binds only `bound`")
    tally: dict[str, list[str]] = Field(
        description="the states of each position, and those absent",
        json_schema_extra={"propertyNames": {"enum": list(POSITION_ORDER)},
                           "required": list(POSITION_ORDER)})


class Position(BaseModel):
    state: str
    position: str = one_of(POSITIONS)
    reservation: str
    recorded_at: Moment | None
    by_proxy: bool = Field(description="recorded by the Secretariat on the delegation's "
                           "written instruction, not yet confirmed by the delegation")
    instruction: str = Field(description="the written instruction a proxy rests on; kept "
                             "after the delegation confirms or overrides it")


class Item(BaseModel):
    """An agenda item with its outcome and the positions recorded on it."""

    id: int
    session_id: int
    number: int
    title: Words
    draft_kind: str = one_of(DRAFT_KINDS)
    matter: str
    subject_state: str | None
    status: Literal["open", "closed"]
    closed_at: Moment | None
    document_id: int | None  # the public document an adopted draft became
    outcome: Outcome
    positions: list[Position]


class SessionSummary(BaseModel):
    id: int
    organization: str
    body: Named
    kind: str = one_of(KINDS)
    format: str = one_of(FORMATS)
    date: Day
    host_state: str | None
    city: Words
    chair_state: str | None
    status: Literal["open", "closed"]
    requested_by: list[str]
    sources: list[str]


class ListedSession(SessionSummary):
    items: int  # how many agenda items


class Sessions(Page):
    organization: str
    sessions: list[ListedSession]


class Participant(BaseModel):
    state: str
    represented_by: str


class Session(SessionSummary):
    """A session with its delegations, its agenda and the names of the states it names."""

    participants: list[Participant]
    items: list[Item]
    state_names: dict[str, Words]
    lang: str = one_of(LANGUAGES)


class Seated(BaseModel):
    id: int
    session_id: int
    state: str
    represented_by: str


class RecordedPosition(BaseModel):
    item: int
    state: str
    position: str = one_of(POSITIONS)
    reservation: str
    outcome: Outcome


class Decided(Outcome):
    """What hypothetical positions would decide, on a day."""

    on: Day
    body: str
    matter: str


class WithdrawalNotice(BaseModel):
    id: int
    organization: str
    state: str
    notice_on: Day
    effective_on: Day
    sources: list[str]
