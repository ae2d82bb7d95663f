"""JSON API of the exercises: every exercise (of a series, a year, or a state's), one
with its participants, personnel readings and the decisions on it; the Joint Staff or the
Secretariat plans one and records decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from collsec.core.dates import parse_date
from collsec.exercises import model, service, showing
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import date_field, date_query
from collsec.web.shapes import one_of

router = APIRouter(prefix="/api/v1", tags=["exercises"])
READ = Depends(Requires("read", public=True))  # the record of exercises is public
PLAN = Depends(Requires("plan_exercises"))
ON = date_query("each exercise's status as known on this day (default: today)")
CODE = Path(max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="e.g. INT-2022")


class Words(BaseModel):
    en: str
    ru: str


class ParticipantOut(BaseModel):
    state: str
    personnel: float | None
    qual: str
    note: Words


class ExerciseOut(BaseModel):
    code: str
    series: str = one_of(model.SERIES)
    year: int
    name: Words
    kind: Words
    forces: list[str]
    host: str | None
    range: Words
    start: str | None
    end: str | None
    precision: str
    part_of: str | None = Field(description="the umbrella exercise it was staged within")
    status: str = one_of(model.STATUSES)
    status_on: str = one_of(model.STATUSES)
    on: str
    participants: list[ParticipantOut]
    observer_states: list[str]
    personnel: float | None = Field(description="the first reading of its personnel")
    personnel_qual: str
    sources: list[str]
    confidence: str
    note: Words
    record: bool


class DecisionOut(BaseModel):
    date: str
    precision: str
    status: str = one_of(model.STATUSES)
    decided_by: Words
    reason: Words
    sources: list[str]
    recorded_by: str | None
    note: Words


class ExerciseDetail(ExerciseOut):
    decisions: list[DecisionOut]
    details: dict[str, Any] = Field(description="personnel readings with their sources, "
                                                "equipment, notes on dates and observers")


class Exercises(BaseModel):
    exercises: list[ExerciseOut]


class PlanIn(Body):
    series: str = one_of(model.SERIES)
    year: int = Field(ge=1990, le=2100)
    name_en: str = Field(min_length=1, max_length=service.MAX_TEXT)
    name_ru: str = Field("", max_length=service.MAX_TEXT)
    host: str | None = Field(None, max_length=8)
    start: str | None = date_field(None)
    end: str | None = date_field(None)
    states: list[str] = Field([], max_length=30)
    forces: list[str] = Field([], max_length=5)


class DecisionIn(Body):
    status: str = one_of([s for s in model.STATUSES if s != "planned"])
    on: str = date_field(description="the day it was decided")
    decided_by: str = Field(min_length=1, max_length=service.MAX_TEXT)
    reason: str = Field("", max_length=service.MAX_TEXT)


def _day(text: str | None, guard: Guard) -> dt.date:
    return parse_date(text, field="on") or guard.today


@router.get("/exercises", response_model=Exercises)
def exercises(guard: Guard = READ, on: str | None = ON,
              series: str | None = Query(None, json_schema_extra={"enum": list(model.SERIES)}),
              state: str | None = Query(None, max_length=8, description="hosted or took "
                                                                        "part"),
              year: int | None = Query(None, ge=1990, le=2100)) -> dict[str, Any]:
    """The exercises, oldest first; a series since its first with `series`."""
    day = _day(on, guard)
    found = service.exercises.run(guard.ctx, series=series, state=state, year=year)
    return {"exercises": [showing.exercise(e, day) for e in found]}


@router.get("/exercises/{code}", response_model=ExerciseDetail)
def exercise(code: str = CODE, guard: Guard = READ, on: str | None = ON) -> dict[str, Any]:
    """One exercise with its participants, personnel readings and the decisions on it."""
    return showing.exercise(service.exercise.run(guard.ctx, code), _day(on, guard), full=True)


@router.post("/exercises", status_code=201, response_model=ExerciseDetail)
def plan(data: PlanIn, guard: Guard = PLAN) -> dict[str, Any]:
    """Plan an exercise (the Joint Staff or the Secretariat)."""
    row = service.plan.run(guard.ctx, series=data.series, year=data.year,
                           name_en=data.name_en, name_ru=data.name_ru, host=data.host,
                           start=parse_date(data.start, field="start"),
                           end=parse_date(data.end, field="end"), states=data.states,
                           forces=data.forces)
    return showing.exercise(service.exercise.run(guard.ctx, row.code), guard.today, full=True)


@router.post("/exercises/{code}/decisions", status_code=201, response_model=ExerciseDetail)
def decide(data: DecisionIn, code: str = CODE, guard: Guard = PLAN) -> dict[str, Any]:
    """Record a decision on an exercise: moved, postponed, cancelled (say why) or held."""
    day = parse_date(data.on, field="on")
    assert day is not None
    service.record_decision.run(guard.ctx, code, status=data.status, on=day,
                                decided_by=data.decided_by, reason=data.reason)
    return showing.exercise(service.exercise.run(guard.ctx, code), guard.today, full=True)
