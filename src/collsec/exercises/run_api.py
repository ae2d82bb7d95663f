"""JSON API of exercise mode, as its pages work it: the staff (`direct_exercises`) write a
scenario and start a run of it, send what is due, score the teams' reactions, note the
lessons, end the run and, after the debrief, remove what it made; a team's user reacts to
the injects sent to it while it plays in the run (the `Collsec-Exercise: {id}` header).
Every write is one command of `exercises.runs`, journaled."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, BeforeValidator, Field, StrictInt

from collsec.exercises import run_showing as showing
from collsec.exercises import runs
from collsec.exercises import scenario as model
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.shapes import MAX_WHOLE, Count, Moment, Positive, Words, as_whole, one_of

router = APIRouter(prefix="/api/v1", tags=["exercise runs"])
READ = Depends(Requires("read"))  # a run's teams read it too; the service narrows
STAFF = Depends(Requires(runs.STAFF))
RUN_ID = Path(ge=1, le=MAX_WHOLE, description="the exercise run's id")
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
EXERCISE = Query(None, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                 description="the code of the exercise the scenario is written for, e.g. "
                             "INT-2022")
# Whole numbers of a scenario, within what `scenario.load_scenario` takes.
Minutes = Annotated[StrictInt, Field(ge=0, le=model.MAX_MINUTES), BeforeValidator(as_whole)]
Worth = Annotated[StrictInt, Field(ge=1, le=model.MAX_POINTS), BeforeValidator(as_whole)]
Points = Annotated[StrictInt, Field(ge=0, le=model.MAX_POINTS), BeforeValidator(as_whole)]


# -- what it takes -----------------------------------------------------------------------

class ExpectationIn(Body):
    text: str = Field(min_length=1, max_length=model.MAX_TITLE)
    points: Worth = 1


class InjectIncidentIn(Body):
    type: str = Field(min_length=1, max_length=60, description="an incident type of "
                                                                "crisis.yaml")
    severity: Count | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class InjectIn(Body):
    minutes: Minutes = Field(description="after the run's start")
    kind: str = one_of(model.KINDS)
    team: str = Field(min_length=1, max_length=60, description="a principal, e.g. "
                                                                "delegation:KZ")
    title: str = Field(min_length=1, max_length=model.MAX_TITLE)
    body: str = Field("", max_length=model.MAX_BODY)
    expected: list[ExpectationIn] = Field([], max_length=model.MAX_EXPECTED)
    incident: InjectIncidentIn | None = Field(None, description="an incident inject's incident")


class ScenarioIn(Body):
    """A scenario as `collsec exercise-scenario-add` reads it from a file, in JSON."""

    code: str = Field(min_length=1, max_length=model.MAX_CODE, pattern=CODE_PATTERN)
    name_en: str = Field(min_length=1, max_length=model.MAX_TITLE)
    name_ru: str = Field(min_length=1, max_length=model.MAX_TITLE)
    injects: list[InjectIn] = Field(min_length=1, max_length=model.MAX_INJECTS,
                                    description="in the order of their minutes")


class StartIn(Body):
    scenario: str = Field(min_length=1, max_length=model.MAX_CODE, pattern=CODE_PATTERN,
                          description="the scenario's code")
    name: str = Field(min_length=1, max_length=runs.MAX_NAME)


class ReactionIn(Body):
    inject: Positive = Field(description="the number of an inject sent to the caller's team")
    text: str = Field(min_length=1, max_length=runs.MAX_REACTION)


class ScoreIn(Body):
    inject: Positive
    expectation: Positive = Field(description="the inject's expectation, counted from 1")
    points: Points = Field(description="at most the expectation's")
    note: str = Field("", max_length=runs.MAX_NOTE)


class LessonIn(Body):
    text: str = Field(min_length=1, max_length=runs.MAX_REACTION)


class Nothing(Body):
    """No field: the body of a write that takes none ({} or no body at all)."""


NO_BODY = Nothing()


# -- what it answers ---------------------------------------------------------------------

class ExpectationOut(BaseModel):
    text: str
    points: int


class InjectOut(BaseModel):
    number: int = Field(description="its place in the timeline, from 1")
    minutes: int
    kind: str = one_of(model.KINDS)
    team: str
    title: str
    body: str
    points: int = Field(description="what its expectations are worth together")
    expected: list[ExpectationOut]
    incident: dict[str, Any] | None = Field(description="an incident inject's incident: "
                                                        "type, severity, lon, lat")


class ScenarioOut(BaseModel):
    code: str
    name: Words
    exercise: str | None = Field(description="the exercise it was written for")
    teams: list[str]
    written_at: Moment
    written_by: str
    injects: list[InjectOut]


class Scenarios(BaseModel):
    scenarios: list[ScenarioOut]


class RunOut(BaseModel):
    id: int
    name: str
    status: str = one_of(model.RUN_STATUSES)
    director: str = Field(description="the principal that runs it")
    started_at: Moment
    started_by: str
    ended_at: Moment | None
    removed_at: Moment | None


class Runs(BaseModel):
    runs: list[RunOut]


class ScenarioRef(BaseModel):
    code: str
    name: Words


class SentInjectOut(InjectOut):
    sent_at: Moment | None = Field(description="null: not sent yet")
    incident_id: int | None = Field(description="the incident an incident inject made")


class ReactionOut(BaseModel):
    id: int
    inject: int
    team: str
    at: Moment
    by: str
    text: str


class ScoreOut(BaseModel):
    id: int
    inject: int
    expectation: int = Field(description="counted from 1")
    points: int
    note: str
    at: Moment
    by: str


class LessonOut(BaseModel):
    id: int
    at: Moment
    by: str
    text: str


class TallyOut(BaseModel):
    scored: int
    possible: int
    unscored: int = Field(description="expectations of injects sent not scored yet")
    share: float | None = Field(description="scored / possible; null when nothing is")


class TeamTallyOut(TallyOut):
    team: str


class RemovedOut(BaseModel):
    at: Moment
    injects_sent: int
    reactions: int
    incidents: int


class RunDetail(RunOut):
    scenario: ScenarioRef
    teams: list[str]
    injects: list[SentInjectOut] = Field(description="every inject for the staff; for a "
                                                     "team, those sent to it")
    reactions: list[ReactionOut]
    scores: list[ScoreOut] = Field(description="every score given; a later one of an "
                                               "expectation replaces it in the tally")
    lessons: list[LessonOut]
    tally: TallyOut
    removed: RemovedOut | None = Field(description="what the removal took away; the tally "
                                                   "is the one it kept")


class ScoredExpectation(ExpectationOut):
    expectation: int = Field(description="counted from 1")
    score: ScoreOut | None = Field(description="the latest score given to it")


class DebriefStep(BaseModel):
    number: int
    minutes: int
    kind: str = one_of(model.KINDS)
    team: str
    title: str
    sent_at: Moment | None
    reactions: list[ReactionOut]
    expected: list[ScoredExpectation]


class Debrief(RunOut):
    scenario: ScenarioRef
    timeline: list[DebriefStep] = Field(description="empty once the run is removed")
    tally: TallyOut
    by_team: list[TeamTallyOut]
    lessons: list[LessonOut]
    removed: RemovedOut | None


# -- the routes --------------------------------------------------------------------------

def _detail(guard: Guard, run_id: int) -> dict[str, Any]:
    """The run as the caller may see it, read after the command that changed it."""
    return runs.run.present(lambda found: showing.detail(found, guard.clearance), guard.ctx,
                            run_id)


@router.get("/exercise-scenarios", response_model=Scenarios)
def scenarios(guard: Guard = STAFF) -> dict[str, Any]:
    """The organization's scenarios, newest first, with their injects (the staff only: the
    teams must not know them in advance)."""
    return {"scenarios": [showing.scenario(v) for v in runs.scenarios.run(guard.ctx)]}


@router.post("/exercise-scenarios", status_code=201, response_model=ScenarioOut)
def add_scenario(data: ScenarioIn, guard: Guard = STAFF, exercise: str | None = EXERCISE
                 ) -> dict[str, Any]:
    """Keep a scenario: its code, names and injects, each checked (an incident inject as
    a report, its team against the registry)."""
    return runs.add_scenario.answer(
        lambda row: showing.scenario(runs.view(row, exercise)), guard.ctx,
        definition=data.model_dump(exclude_none=True), exercise=exercise)


@router.get("/exercise-runs", response_model=Runs)
def run_list(guard: Guard = READ) -> dict[str, Any]:
    """The runs the caller takes part in (every run, for the staff), newest first."""
    return {"runs": [showing.run(r) for r in runs.runs.run(guard.ctx)]}


@router.post("/exercise-runs", status_code=201, response_model=RunDetail)
def start(data: StartIn, guard: Guard = STAFF) -> dict[str, Any]:
    """Start a run of a scenario; the injects of minute 0 go at once."""
    return runs.start_run.answer(lambda found: showing.detail(found, guard.clearance),
                                 guard.ctx, data.scenario, name=data.name)


@router.get("/exercise-runs/{run_id}", response_model=RunDetail)
def run(run_id: int = RUN_ID, guard: Guard = READ) -> dict[str, Any]:
    """One run: for the staff its whole timeline, for a team the injects sent to it."""
    return _detail(guard, run_id)


@router.get("/exercise-runs/{run_id}/debrief", response_model=Debrief)
def debrief(run_id: int = RUN_ID, guard: Guard = READ) -> dict[str, Any]:
    """The debrief: the timeline with the reactions and scores, the tally overall and per
    team, the lessons."""
    return runs.run.present(lambda found: showing.debrief(found, guard.clearance),
                            guard.ctx, run_id)


@router.post("/exercise-runs/{run_id}/send", response_model=RunDetail)
def send(run_id: int = RUN_ID, nothing: Nothing = NO_BODY, guard: Guard = STAFF
         ) -> dict[str, Any]:
    """Send what is due now (the server's clock does so every few seconds)."""
    runs.send_due.run(guard.ctx, run_id)
    return _detail(guard, run_id)


@router.post("/exercise-runs/{run_id}/end", response_model=RunDetail)
def end(run_id: int = RUN_ID, nothing: Nothing = NO_BODY, guard: Guard = STAFF
        ) -> dict[str, Any]:
    """End the play: nothing more is sent or reacted to; scores and lessons still are."""
    runs.end_run.run(guard.ctx, run_id)
    return _detail(guard, run_id)


@router.post("/exercise-runs/{run_id}/remove", response_model=RunDetail)
def remove(run_id: int = RUN_ID, nothing: Nothing = NO_BODY, guard: Guard = STAFF
           ) -> dict[str, Any]:
    """After the debrief of an ended run, remove what it made; its tally and lessons stay."""
    runs.remove_run.run(guard.ctx, run_id)
    return _detail(guard, run_id)


@router.post("/exercise-runs/{run_id}/reactions", status_code=201, response_model=ReactionOut)
def react(data: ReactionIn, run_id: int = RUN_ID, guard: Guard = READ) -> dict[str, Any]:
    """A team's reaction to an inject sent to it, by one of its users playing in the run
    (`Collsec-Exercise: {run_id}`); 409 without it."""
    return runs.react.answer(showing.reaction, guard.ctx, run_id, data.inject,
                             text=data.text)


@router.post("/exercise-runs/{run_id}/scores", status_code=201, response_model=ScoreOut)
def score(data: ScoreIn, run_id: int = RUN_ID, guard: Guard = STAFF) -> dict[str, Any]:
    """The staff's score of an expectation of an inject sent; a later one replaces it in
    the tally (both are kept)."""
    return runs.score.answer(showing.score, guard.ctx, run_id, data.inject,
                             data.expectation, points=data.points, note=data.note)


@router.post("/exercise-runs/{run_id}/lessons", status_code=201, response_model=LessonOut)
def lesson(data: LessonIn, run_id: int = RUN_ID, guard: Guard = STAFF) -> dict[str, Any]:
    """A lesson the debrief drew; lessons outlive the run's removal."""
    return runs.add_lesson.answer(showing.lesson, guard.ctx, run_id, text=data.text)

