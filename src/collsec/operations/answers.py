"""What the operations' API answers (`operations.api`), as the OpenAPI document declares
it, and the bodies it takes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from collsec.operations.model import QUALIFIERS
from collsec.operations.service import BY, MAX_NOTE
from collsec.web.body import Body
from collsec.web.params import date_field
from collsec.web.shapes import Page, one_of


class Words(BaseModel):
    en: str
    ru: str


class FigureOut(BaseModel):
    indicator: str
    value: float
    qual: str = one_of(QUALIFIERS)
    scope: str = Field(description="all (every state taking part), a state's code, or region")
    region: Words
    covers: list[int] | None = Field(description="first and last year, for a figure of the "
                                                 "operation over years")
    stated: str | None = Field(description="the day the source published it")
    preliminary: bool
    sources: list[str]
    confidence: str
    note: Words


class Result(BaseModel):
    value: float
    qual: str = one_of(QUALIFIERS)
    preliminary: bool


class StageOut(BaseModel):
    id: int
    year: int
    number: int | None
    name: Words
    start: str | None
    end: str | None
    precision: str
    headquarters: Words
    states: list[str]
    observer_states: list[str]
    observers_other: list[dict[str, str]]
    sources: list[str]
    confidence: str
    note: Words
    status: str = one_of(("open", "closed"))
    closed_at: str | None
    record: bool = Field(description="a stage of the embedded record, closed with what the "
                                     "sources published")
    published: list[FigureOut]
    released: dict[str, dict[str, float]] = Field(
        description="the released summary: each state's figures, per indicator")
    results: dict[str, Result] = Field(description="what counts for the stage, per indicator")


class TotalOut(BaseModel):
    indicator: str
    value: float
    qual: str = one_of(QUALIFIERS)
    stages: int = Field(description="how many stages gave a figure")
    preliminary: bool


class OperationSummary(BaseModel):
    code: str
    name: Words
    purpose: Words
    started: int | None
    standing_since: str | None
    coordinator: Words
    basis: Words
    sources: list[str]
    confidence: str
    note: Words
    stages: int
    open_stages: int
    on: str
    totals: list[TotalOut]


class Operations(BaseModel):
    operations: list[OperationSummary]


class OperationDetail(OperationSummary, Page):
    stage_list: list[StageOut] = Field(description="a page of its stages, the newest first")
    figures: list[FigureOut] = Field(description="published for the operation over years")


class StatRow(BaseModel):
    key: str = Field(description="the stage's id, the year, the state or empty (by indicator)")
    label: str | None = None
    indicator: str
    value: float
    qual: str = one_of(QUALIFIERS)
    stages: int


class Statistics(BaseModel):
    operation: str
    by: str = one_of(BY)
    on: str
    rows: list[StatRow]


class ReportOut(BaseModel):
    id: int
    stage: int
    state: str
    version: int
    current: bool
    submitted_at: str
    submitted_by: str
    note: str
    figures: dict[str, float]


class Reports(BaseModel):
    reports: list[ReportOut]


class StageIn(Body):
    start: str = date_field(description="first day (YYYY-MM-DD)")
    end: str = date_field(description="last day (YYYY-MM-DD), in the same year")
    states: list[str] = Field(min_length=1, max_length=30,
                              description="codes of the states taking part")
    name_en: str = Field("", max_length=300)
    name_ru: str = Field("", max_length=300)
    headquarters_en: str = Field("", max_length=300)
    headquarters_ru: str = Field("", max_length=300)


class ReportIn(Body):
    state: str = Field(min_length=2, max_length=8, description="the reporting state's code")
    figures: dict[str, Any] = Field(description="indicator code: value (a number from 0)",
                                    max_length=100)
    note: str = Field("", max_length=MAX_NOTE)
