"""Scenarios and exercise mode, as exercise staff and teams work them.

The staff (an organ the charter names joint staff, secretariat or crisis centre, with the
action `direct_exercises`) write a scenario, start a run of it, score the teams' reactions,
note lessons, end the run and, after the debrief, remove what it made (journaled). Each
inject is sent when its minute comes (`send_due`: the server's ticker calls it, the staff
may too); an incident inject becomes an incident of the run's own situation picture.

A team's users play by entering the run (`playing`, at the edge): their clearance then
carries the run, so the decision point shows them that run's incidents only, what they
report is marked with it, and every command not declared for exercises refuses them. A
real-world reader never sees a run's incidents (`core.auth`: `narrow`, `may_read`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core import commands, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.auth.tables import ReleaseRow
from collsec.core.commands import command, query
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, Phrase
from collsec.core.text import check as check_text
from collsec.core.times import stored
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.tables import IncidentRow, IncidentUpdateRow
from collsec.exercises import scenario as model
from collsec.exercises.run_tables import (
    LessonRow,
    ReactionRow,
    RunRow,
    ScenarioRow,
    ScoreRow,
    SentInjectRow,
)
from collsec.exercises.tables import ExerciseRow

STAFF = "direct_exercises"
MAX_NAME = 200
MAX_REACTION = 5000
MAX_NOTE = 2000
READS = frozenset({"read", "export"})  # what a player of a run that ended may still do
MAX_SCENARIO = 200_000  # characters of a scenario as the staff wrote it (a form's, a file's)


def read_definition(text: str) -> object:
    """A scenario as the staff wrote it, YAML or JSON (which YAML reads too), for
    `add_scenario` to check."""
    if len(text) > MAX_SCENARIO:
        raise InvalidInput("a scenario is at most {most} characters", most=MAX_SCENARIO)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise InvalidInput("the scenario is neither YAML nor JSON") from None


def _scenario_of(row: ScenarioRow) -> model.Scenario:
    return model.load_scenario(json.loads(row.timeline))


@dataclass(frozen=True)
class ScenarioView:
    row: ScenarioRow
    scenario: model.Scenario
    exercise: str | None  # the code of the exercise it was written for


def view(row: ScenarioRow, exercise: str | None = None) -> ScenarioView:
    """A scenario kept (`add_scenario`'s row) as the staff read it."""
    return ScenarioView(row, _scenario_of(row), exercise)


@query()
def scenarios(session: Session, c: Clearance, *, org: str | None = None) -> list[ScenarioView]:
    """The organization's scenarios, newest first: exercise staff only (a scenario's
    injects are what the teams must not know in advance)."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    rows = session.execute(select(ScenarioRow, ExerciseRow.code).outerjoin(
        ExerciseRow, ExerciseRow.id == ScenarioRow.exercise_id).where(
        ScenarioRow.org == org).order_by(ScenarioRow.id.desc())).all()
    return [view(r, code) for r, code in rows]


@command("exercises.add_scenario", action=STAFF)
def add_scenario(session: Session, c: Clearance, actor: auth.Actor, *, definition: object,
                 exercise: str | None = None, now: dt.datetime,
                 org: str | None = None) -> ScenarioRow:
    """Keep a scenario the staff wrote (`scenario.load_scenario` checks it), for the
    exercise of code `exercise` if given; its incident injects are checked as reports."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    s = model.load_scenario(definition)
    tax = incidents.taxonomy(org)
    for i in s.injects:
        try:
            if i.incident is not None:
                _incident_report(tax, org, i, owner=str(c.principal), by=actor.name,
                                 run=None, now=now)
            auth.release_keys(session, [i.team], org)  # a team the registry lacks is a typo
        except CollsecError as exc:
            raise exc.within("inject {number}", number=i.number) from None
    if session.execute(select(ScenarioRow.id).where(ScenarioRow.org == org,
                                                   ScenarioRow.code == s.code)).first():
        raise Conflict("{org} has a scenario {code} already", org=org, code=s.code)
    exercise_id = None
    if exercise is not None:
        exercise_id = session.execute(select(ExerciseRow.id).where(
            ExerciseRow.org == org, ExerciseRow.code == exercise)).scalar()
        if exercise_id is None:
            raise NotFound("unknown exercise {code}", code=exercise)
    row = ScenarioRow(org=org, code=s.code, name_en=s.name_en, name_ru=s.name_ru,
                      exercise_id=exercise_id, timeline=json.dumps(
                          model.as_data(s), ensure_ascii=False, separators=(",", ":")),
                      written_at=now, written_by=actor.name)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="exercises.add_scenario", payload={
        "id": row.id, "code": s.code, "injects": len(s.injects), "exercise": exercise}, at=now)
    return row


def _incident_report(tax: Any, org: str, i: model.Inject, *, owner: str, by: str,
                     run: int | None,
                     now: dt.datetime) -> incidents.CheckedReport:
    spec = dict(i.incident or {})
    return incidents.check_report(
        tax, org, owner=owner, reported_by=by, type=spec.get("type"),
        severity=spec.get("severity"), occurred_at=now,
        geometry={"type": "Point", "coordinates": [spec.get("lon"), spec.get("lat")]},
        title=i.title, description=i.body, exercise=run, now=now)


@dataclass(frozen=True)
class Run:
    row: RunRow
    scenario: model.Scenario
    sent: dict[int, SentInjectRow]  # inject number -> when it went
    reactions: list[ReactionRow]
    scores: list[ScoreRow]
    lessons: list[LessonRow]

    @property
    def tally(self) -> model.Tally:
        return model.tally(self.scenario, self.sent, self._scores())

    def tally_of(self, team: str) -> model.Tally:
        return model.tally(self.scenario, self.sent, self._scores(), team)

    def _scores(self) -> list[model.Score]:
        return [model.Score(s.inject, s.expectation, s.points) for s in self.scores]

    def score_of(self, inject: int, expectation: int) -> ScoreRow | None:
        found = [s for s in self.scores if s.inject == inject and s.expectation == expectation]
        return found[-1] if found else None

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.row.summary or "{}")
        return data


def _run_row(session: Session, org: str, run_id: int) -> RunRow:
    row = session.get(RunRow, run_id)
    if row is None or row.org != org:
        raise NotFound("unknown exercise run {id}", id=run_id)
    return row


def _load(session: Session, row: RunRow) -> Run:
    scenario = _scenario_of(session.get_one(ScenarioRow, row.scenario_id))

    def of(table: Any) -> list[Any]:
        return list(session.scalars(select(table).where(table.run_id == row.id)
                                    .order_by(table.id)))
    sent = {s.inject: s for s in of(SentInjectRow)}
    return Run(row, scenario, sent, of(ReactionRow), of(ScoreRow), of(LessonRow))


def _staff(c: Clearance) -> bool:
    return auth.allows(c, STAFF).allowed


def _may_see(c: Clearance, teams: tuple[str, ...]) -> bool:
    return _staff(c) or c.principal in teams


@query()
def run(session: Session, c: Clearance, run_id: int, *, org: str | None = None) -> Run:
    """One run with its timeline as sent so far, reactions, scores and lessons: for its
    staff and its teams (a team sees the injects sent to it, `for_team`)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    row = _run_row(session, org, run_id)
    found = _load(session, row)
    if not _may_see(c, found.scenario.teams):
        raise NotFound("unknown exercise run {id}", id=run_id)
    return found


@query()
def runs(session: Session, c: Clearance, *, org: str | None = None) -> list[RunRow]:
    """The runs a reader takes part in (all of them, for the staff), newest first."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    rows = session.execute(select(RunRow, ScenarioRow.timeline).join(
        ScenarioRow, ScenarioRow.id == RunRow.scenario_id).where(
        RunRow.org == org).order_by(RunRow.id.desc())).all()
    if _staff(c):
        return [r for r, _ in rows]
    teams: dict[int, tuple[str, ...]] = {}  # each scenario read once, however many runs
    for r, timeline in rows:
        if r.scenario_id not in teams:
            teams[r.scenario_id] = model.load_scenario(json.loads(timeline)).teams
    return [r for r, _ in rows if c.principal in teams[r.scenario_id]]


def for_team(found: Run, c: Clearance) -> list[model.Inject]:
    """The injects of the run a reader sees: all of them for the staff (with those still
    to come), those sent to its team for a team."""
    if _staff(c):
        return list(found.scenario.injects)
    return [i for i in found.scenario.injects if i.team == c.principal and i.number in found.sent]


@dataclass(frozen=True)
class Mode:
    """The exercise run a request plays in, as its pages' watermark names it."""

    run: int
    name: str
    status: str


@query()
def playing(session: Session, c: Clearance, run_id: int, *, org: str | None = None
            ) -> tuple[Clearance, Mode] | None:
    """The clearance of `c` playing in run `run_id`, and the mode its pages show; None
    when it may not (no such run, not its team and not its staff, or a run removed). A run
    that ended is read, not played: its players keep reading and exporting only."""
    org = auth.org_of(c, org)
    if c.principal is None or c.exercise is not None:
        return None
    row = session.get(RunRow, run_id)
    if row is None or row.org != org or row.status == "removed":
        return None
    scenario = _scenario_of(session.get_one(ScenarioRow, row.scenario_id))
    if not _may_see(c, scenario.teams):
        return None
    actions = c.actions if row.status == "running" else c.actions & READS
    return (dataclasses.replace(c, exercise=row.id, actions=actions),
            Mode(row.id, row.name, row.status))


def _words(value: object, field: str, limit: int, *, line: bool = False) -> str:
    """A text a user typed, as `core.text` takes it, stripped (`field` names it)."""
    if not isinstance(value, str):
        raise InvalidInput("{field} must be text", field=Phrase(field))
    return check_text(value, Phrase(field), limit, line=line).strip()


def _check_name(value: str) -> str:
    name = _words(value, "the run's name", MAX_NAME, line=True)
    if not name:
        raise InvalidInput("a run needs a name")
    return name


@command("exercises.start_run", action=STAFF)
def start_run(session: Session, c: Clearance, actor: auth.Actor, scenario: str, *,
              name: str, now: dt.datetime, org: str | None = None) -> Run:
    """Start a run of the scenario of code `scenario`; the injects of minute 0 go at once."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    srow = session.execute(select(ScenarioRow).where(ScenarioRow.org == org,
                                                     ScenarioRow.code == scenario)).scalar()
    if srow is None:
        raise NotFound("unknown scenario {code}", code=scenario)
    row = RunRow(org=org, scenario_id=srow.id, name=_check_name(name), status="running",
                 director=str(c.principal), started_at=now, started_by=actor.name,
                 summary="{}")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="exercises.start_run", payload={
        "id": row.id, "scenario": srow.code, "name": row.name}, at=now)
    _send(session, actor, row, _scenario_of(srow), now)
    return _load(session, row)


def _send(session: Session, actor: auth.Actor, row: RunRow, s: model.Scenario,
          now: dt.datetime) -> list[int]:
    """Send the run's injects that are due; the numbers sent."""
    sent = session.scalars(select(SentInjectRow.inject).where(SentInjectRow.run_id == row.id))
    elapsed = (now - stored(row.started_at)).total_seconds() / 60
    due = model.due(s, elapsed, sent)
    tax = incidents.taxonomy(row.org) if any(i.kind == "incident" for i in due) else None
    for i in due:
        incident_id = None
        if i.kind == "incident":
            checked = _incident_report(tax, row.org, i, owner=row.director, by=actor.name,
                                       run=row.id, now=now)
            incident_id = incidents.insert_incident(session, checked.values)
            journal.record(session, actor=actor, command="crisis.report_incident",
                           payload=checked.journaled(incident_id), at=now)
            commands.announce(session, incidents.OBJECT, incident_id, "reported")
        session.add(SentInjectRow(run_id=row.id, inject=i.number, sent_at=now,
                                  incident_id=incident_id))
    if due:
        session.flush()
        journal.record(session, actor=actor, command="exercises.send_injects", payload={
            "run": row.id, "injects": [i.number for i in due]}, at=now)
    return [i.number for i in due]


@command("exercises.send_injects", action=STAFF, exercise=True)
def send_due(session: Session, c: Clearance, actor: auth.Actor, run_id: int, *,
             now: dt.datetime, org: str | None = None) -> list[int]:
    """Send what is due of a running run (the ticker's call, or the staff's); the numbers
    of the injects sent, none when nothing is due."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    row = _running(session, org, run_id, c)
    return _send(session, actor, row, _scenario_of(session.get_one(ScenarioRow,
                                                                  row.scenario_id)), now)


def _running(session: Session, org: str, run_id: int, c: Clearance) -> RunRow:
    row = _run_row(session, org, run_id)
    if c.exercise is not None and c.exercise != row.id:
        raise Conflict("you are playing in exercise run {playing}, not {run}",
                       playing=c.exercise, run=row.id)
    if row.status != "running":
        raise Conflict("exercise run {id} is {status}; it takes no more play", id=row.id,
                       status=row.status)
    return row


@command("exercises.react", exercise=True)
def react(session: Session, c: Clearance, actor: auth.Actor, run_id: int, inject: int, *,
          text: str, now: dt.datetime, org: str | None = None) -> ReactionRow:
    """A team's reaction to an inject sent to it, recorded by one of its users while they
    play in the run (so the page they wrote it on bore the watermark)."""
    org = auth.org_of(c, org)
    row = _running(session, org, run_id, c)
    if c.exercise != row.id:
        raise Conflict("enter exercise run {id} to react to its injects", id=row.id)
    s = _scenario_of(session.get_one(ScenarioRow, row.scenario_id))
    found = next((i for i in s.injects if i.number == inject), None)
    sent = session.execute(select(SentInjectRow.id).where(
        SentInjectRow.run_id == row.id, SentInjectRow.inject == inject)).first()
    if found is None or sent is None or found.team != c.principal:
        raise NotFound("no inject {number} was sent to {team} in run {id}", number=inject,
                       team=str(c.principal), id=row.id)
    body = _words(text, "the reaction", MAX_REACTION)
    if not body:
        raise InvalidInput("a reaction needs a text")
    reaction = ReactionRow(run_id=row.id, inject=inject, team=str(c.principal), at=now,
                           by=actor.name, text=body)
    session.add(reaction)
    session.flush()
    journal.record(session, actor=actor, command="exercises.react", payload={
        "run": row.id, "inject": inject, "team": reaction.team, "id": reaction.id}, at=now)
    return reaction


def _staffed(session: Session, c: Clearance, org: str, run_id: int) -> RunRow:
    auth.require_for(c, STAFF)
    row = _run_row(session, org, run_id)
    if c.exercise is not None and c.exercise != row.id:
        raise Conflict("you are playing in exercise run {playing}, not {run}",
                       playing=c.exercise, run=row.id)
    if row.status == "removed":
        raise Conflict("exercise run {id} was removed", id=row.id)
    return row


@command("exercises.score", action=STAFF, exercise=True)
def score(session: Session, c: Clearance, actor: auth.Actor, run_id: int, inject: int,
          expectation: int, *, points: object, note: str = "", now: dt.datetime,
          org: str | None = None) -> ScoreRow:
    """The staff's score of one expectation of an inject sent (`expectation` counts from
    1, as the debrief shows them); a later score of it replaces it, both kept."""
    org = auth.org_of(c, org)
    row = _staffed(session, c, org, run_id)
    s = _scenario_of(session.get_one(ScenarioRow, row.scenario_id))
    checked = model.check_score(s, inject, expectation - 1, points)
    if session.execute(select(SentInjectRow.id).where(
            SentInjectRow.run_id == row.id, SentInjectRow.inject == inject)).first() is None:
        raise Conflict("inject {number} has not been sent yet; score it once it is",
                       number=inject)
    found = ScoreRow(run_id=row.id, inject=inject, expectation=checked.expectation,
                     points=checked.points, note=_words(note, "the note", MAX_NOTE),
                     at=now, by=actor.name)
    session.add(found)
    session.flush()
    journal.record(session, actor=actor, command="exercises.score", payload={
        "run": row.id, "inject": inject, "expectation": expectation,
        "points": checked.points}, at=now)
    return found


@command("exercises.add_lesson", action=STAFF, exercise=True)
def add_lesson(session: Session, c: Clearance, actor: auth.Actor, run_id: int, *, text: str,
               now: dt.datetime, org: str | None = None) -> LessonRow:
    """A lesson the debrief drew; lessons outlive the run's removal."""
    org = auth.org_of(c, org)
    row = _staffed(session, c, org, run_id)
    body = _words(text, "the lesson", MAX_REACTION)
    if not body:
        raise InvalidInput("a lesson needs a text")
    lesson = LessonRow(run_id=row.id, at=now, by=actor.name, text=body)
    session.add(lesson)
    session.flush()
    journal.record(session, actor=actor, command="exercises.add_lesson",
                   payload={"run": row.id, "id": lesson.id}, at=now)
    return lesson


@command("exercises.end_run", action=STAFF, exercise=True)
def end_run(session: Session, c: Clearance, actor: auth.Actor, run_id: int, *,
            now: dt.datetime, org: str | None = None) -> RunRow:
    """End the play: no inject goes and no reaction is taken after this; the debrief
    follows (scores and lessons are still given)."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    row = _running(session, org, run_id, c)
    row.status, row.ended_at = "ended", now
    journal.record(session, actor=actor, command="exercises.end_run",
                   payload={"run": row.id}, at=now)
    return row


@command("exercises.remove_run", action=STAFF)
def remove_run(session: Session, c: Clearance, actor: auth.Actor, run_id: int, *,
               now: dt.datetime, org: str | None = None) -> dict[str, Any]:
    """After the debrief, remove what the run made as a whole: its incidents (with their
    updates and releases), the injects sent, the reactions and scores. The run keeps its
    tally and lessons; the journal keeps the record of the play and of this removal."""
    org = auth.org_of(c, org)
    auth.require_for(c, STAFF)
    row = _run_row(session, org, run_id)
    if row.status != "ended":
        raise Conflict("exercise run {id} is {status}; end it, hold the debrief, then remove "
                       "it", id=row.id, status=row.status)
    found = _load(session, row)
    made = list(session.scalars(select(IncidentRow.id).where(IncidentRow.exercise_run == row.id)))
    for start in range(0, len(made), 500):
        ids = made[start:start + 500]
        session.execute(delete(IncidentUpdateRow).where(IncidentUpdateRow.incident_id.in_(ids)))
        session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == incidents.OBJECT,
                                                 ReleaseRow.object_id.in_(ids)))
        session.execute(delete(IncidentRow).where(IncidentRow.id.in_(ids)))
    for table in (SentInjectRow, ReactionRow, ScoreRow):
        session.execute(delete(table).where(table.run_id == row.id))
    t = found.tally
    summary = {"injects_sent": len(found.sent), "reactions": len(found.reactions),
               "incidents": len(made), "scored": t.scored, "possible": t.possible,
               "teams": {team: dataclasses.asdict(found.tally_of(team))
                         for team in found.scenario.teams}}
    row.status, row.removed_at = "removed", now
    row.summary = json.dumps(summary, separators=(",", ":"))
    journal.record(session, actor=actor, command="exercises.remove_run",
                   payload={"run": row.id, **{k: v for k, v in summary.items() if k != "teams"}},
                   at=now)
    return summary


def refuse_header(value: str) -> auth.NotEntitled:
    """The refusal of an API call naming a run it may not play in (Collsec-Exercise)."""
    return auth.NotEntitled("you may not play in exercise run {run}", run=value[:20])


CLOCK = auth.Actor(None, "exercise-clock", None, frozenset(), "clock")


@command("exercises.tick")
def tick(session: Session, actor: auth.Actor, *, now: dt.datetime) -> dict[int, list[int]]:
    """Send what is due of every running run, as the server's clock does each few seconds
    (`collsec serve`); per run, the numbers of the injects sent."""
    sent: dict[int, list[int]] = {}
    for row in session.scalars(select(RunRow).where(RunRow.status == "running")
                               .order_by(RunRow.id)):
        numbers = _send(session, actor, row, _scenario_of(
            session.get_one(ScenarioRow, row.scenario_id)), now)
        if numbers:
            sent[row.id] = numbers
    return sent
