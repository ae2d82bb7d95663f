"""What the exchange's API answers (`exchange.api`), as the OpenAPI document declares it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from collsec.core.auth.model import MARKINGS
from collsec.exchange.model import STATUSES
from collsec.web.shapes import Page, one_of


class Releasability(BaseModel):
    scope: str = Field(description="originator, states, members, members_and_partners, "
                                   "observers or public (the charter's `exchange`)")
    states: list[str] = Field(description="the states named, for `states`; else empty")


class Step(BaseModel):
    at: str
    by: str
    kind: str = Field(description="written, edited, attached, detached, submitted, returned, "
                                  "verified, released, widened or narrowed")
    note: str
    releasability: Releasability | None = Field(
        description="the releasability the step set or kept; null for the others")


class Read(BaseModel):
    at: str
    principal: str | None
    username: str | None
    via: str


class ReportSummary(BaseModel):
    id: int
    organization: str
    title: str
    tlp: str
    releasability: Releasability
    classification: str
    status: str = one_of(STATUSES)
    originator: str = Field(description="the principal whose service wrote it")
    visibility: str = one_of(MARKINGS)
    created_at: str
    released_at: str | None


class Subject(BaseModel):
    kind: str = Field(description="organization, person, place or incident")
    ref: str | None = Field(description="a list entry's code, an incident's number")
    name: str | None
    geometry: dict[str, Any] | None = Field(None, description="a place's GeoJSON geometry")


class Attachment(BaseModel):
    id: int
    name: str
    media_type: str = Field(description="sniffed from the file's bytes")
    size: int
    sha256: str
    added_at: str
    added_by: str


class Report(ReportSummary):
    body: str = Field(description="Markdown")
    author: str
    released_to: list[str] = Field(description="the principals a report released to named "
                                               "states reaches (its delegations)")
    history: list[Step]
    reads: list[Read] | None = Field(description="who read it (the audit), for its "
                                                 "originator; null for anyone else")
    subjects: list[Subject]
    attachments: list[Attachment]


class Reports(Page):
    reports: list[ReportSummary]


class Withdrawal(BaseModel):
    report: int
    at: str
    by: str
    note: str


class Withdrawals(BaseModel):
    withdrawals: list[Withdrawal]


class Changed(BaseModel):
    report: Report
    withdrawn_from: list[str] = Field(description="the principals that had read it and "
                                                  "read it no more")


class Designation(BaseModel):
    state: str | None = Field(description="the member state; null for the list's own step")
    date: str
    precision: str = Field(description="day, month or year: how much of the date is known")
    status: str = Field(description="listed or delisted (a state's); proposed, listed or "
                                    "delisted (the list's own)")
    kind: str = Field(description="terrorist or extremist")
    authority: dict[str, str] = Field(description="who decided it, {en, ru}")
    basis: dict[str, str] = Field(description="the legal basis, {en, ru}")
    sources: list[str]
    confidence: str


class Standing(BaseModel):
    status: str | None = Field(description="listed, delisted or proposed on the day asked; "
                                           "null: never on the list by then")
    basis: str = Field(description="recorded (the list's own step), rule (the charter's "
                                   "rule applied to the designations) or none")
    since: str | None
    states: list[str] = Field(description="the members whose designation holds that day")


class Entry(BaseModel):
    code: str
    name: dict[str, str]
    aliases: list[str]
    on: str = Field(description="the day the standing is for")
    standing: Standing
    score: float | None = Field(description="for a search: how well a name matched (1 "
                                            "exact); null otherwise")
    sources: list[str]
    confidence: str
    note: dict[str, str]


class EntryDetail(Entry):
    steps: list[Designation]


class Entries(BaseModel):
    rule: str = Field(description="the charter's rule: any_member, all_members or "
                                  "min_members")
    entries: list[Entry]


class ObjectResult(BaseModel):
    id: str
    result: str = Field(description="added, updated (a later version) or skipped (held "
                                    "already in that version or a later one)")


class ImportResult(BaseModel):
    added: int
    updated: int
    skipped: int
    reports: list[int] = Field(description="the reports the bundle's reports became")
    objects: list[ObjectResult]
