"""What the registry's API answers (`registry.api`), as the OpenAPI document declares it.

A fact carries its sources, the confidence in it and a note (`Sourced`); the other
answers of the API that show registry facts (agreements, contingents) use the same."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from collsec.registry.chairmanship import BASES, TERMS
from collsec.registry.model import (
    CONFIDENCE,
    EVENT_KINDS,
    PRECISIONS,
    RELATION_KINDS,
    SESSION_FORMATS,
    SESSION_KINDS,
    SESSION_STATUSES,
)
from collsec.web.shapes import Day, Page, Words, one_of


class Named(BaseModel):
    """A state, a body or an office, by its code and its names."""

    code: str
    name_en: str
    name_ru: str


class Sourced(BaseModel):
    """A fact's backing: the sources' ids, how sure they make it, a note."""

    sources: list[str]
    confidence: str = one_of(CONFIDENCE)
    note: Words


class Organization(BaseModel):
    code: str
    kind: str
    name_en: str
    name_ru: str
    founded: Day | None
    sources: list[str]
    confidence: str = one_of(CONFIDENCE)


class Membership(Sourced):
    """A state's status in an organization over an interval (`valid_to` exclusive)."""

    organization: str
    state: Named
    status: str
    status_name: Words
    counted_as_member: bool
    takes_part: bool
    valid_from: Day
    valid_to: Day | None


class Members(BaseModel):
    organization: str
    as_of: Day
    members: list[Membership]


class Body(BaseModel):
    code: str
    kind: str
    parent: str | None
    name_en: str
    name_ru: str
    composition_en: str
    composition_ru: str
    founded: Day | None
    sources: list[str]
    confidence: str = one_of(CONFIDENCE)


class Bodies(BaseModel):
    organization: str
    as_of: Day
    bodies: list[Body]


class OfficeTerm(Sourced):
    office: str
    office_name: Words
    holder: Words
    state: str | None
    valid_from: Day
    valid_to: Day | None


class Offices(BaseModel):
    organization: str
    as_of: Day | None  # null: every term, not only those in force
    terms: list[OfficeTerm]


class SessionRecord(Sourced):
    """A session of a body as the register has it; `chair` the state that took the chair
    there, when the record names one, with its own sources."""

    id: int
    organization: str
    body: str
    date: Day
    kind: str = one_of(SESSION_KINDS)
    format: str = one_of(SESSION_FORMATS)
    status: str = one_of(SESSION_STATUSES)
    city: Words
    host: Named | None
    documents: Words
    chair: Named | None
    chair_source: Sourced | None
    absent: list[str] = Field(description="members the record says stayed away")


class SessionRecords(Page):
    organization: str
    sessions: list[SessionRecord]


class ChairTerm(Sourced):
    """Who held the chair from `since` to `until` (exclusive) and why. `basis`: recorded (a
    session or a year's record names the state), host (the charter's default, the host of
    the regular session, when no source says who took it), computed (the rotation) or
    unknown (`state` null). `rule`: the charter's term for the period; `rule_source` its
    sources. `session`: the regular session the term began at."""

    state: Named | None
    since: Day | None
    until: Day | None
    basis: str = one_of(BASES)
    rule: str | None = one_of((*TERMS, None))
    year: int | None
    session: SessionRecord | None
    next_session: Day | None
    reason: Words
    rule_source: Sourced


class Chair(ChairTerm):
    organization: str
    on: Day


class StateEvent(Sourced):
    """A dated step in a member's course; `when` is the date as exactly as it is known
    (a day, a month: 2024-03, a year: 2024)."""

    id: int
    organization: str
    state: str
    date: Day
    precision: str = one_of(PRECISIONS)
    when: str
    kind: str = one_of(EVENT_KINDS)
    actor: Named
    title: Words


class Course(Page):
    """A member's course up to `as_of`: its status that day (null: none), the events up to
    it newest first, the sessions it was recorded absent from."""

    organization: str
    state: str
    as_of: Day
    status: Membership | None
    events: list[StateEvent]
    absences: list[SessionRecord]


class Relation(Sourced):
    id: int
    organization: str
    partner: Named
    kind: str = one_of(RELATION_KINDS)
    date: Day
    title: Words


class Relations(Page):
    organization: str
    relations: list[Relation]


class ChairsOfYear(BaseModel):
    organization: str
    year: int
    chairs: list[ChairTerm]


class TimelineEntry(Sourced):
    date: Day
    kind: Literal["event", "status", "relation", "office"]
    title: Words
    state: str | None


class OrganizationTimeline(BaseModel):
    organization: str
    entries: list[TimelineEntry]


class State(BaseModel):
    """A state with its statuses as of a day and its whole history."""

    code: str
    name_en: str
    name_ru: str
    as_of: Day
    statuses: list[Membership]
    history: list[Membership]


class Source(BaseModel):
    id: str
    title: str
    publisher: str
    date: Day | None
    url: str | None
    note: str


class RecordedMembership(BaseModel):
    id: int
    organization: str
    state: str
    status: str
    valid_from: Day
    valid_to: Day | None
    sources: list[str]
    confidence: str = one_of(CONFIDENCE)
