"""Scenarios and exercise runs as the API and the command line give them: plain dicts, the
same data the pages show. A team's reader gets the injects sent to it only (`for_team`),
with the reactions and scores of those; the staff get the whole timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from collsec.core.auth.model import Clearance
from collsec.core.times import stored
from collsec.exercises import runs
from collsec.exercises import scenario as model
from collsec.exercises.run_tables import LessonRow, ReactionRow, RunRow, ScoreRow


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else stored(value).isoformat()


def inject(i: model.Inject) -> dict[str, Any]:
    return {"number": i.number, "minutes": i.minutes, "kind": i.kind, "team": i.team,
            "title": i.title, "body": i.body, "points": i.points,
            "expected": [{"text": e.text, "points": e.points} for e in i.expected],
            "incident": None if i.incident is None else dict(i.incident)}


def scenario(v: runs.ScenarioView) -> dict[str, Any]:
    s = v.scenario
    return {"code": s.code, "name": {"en": s.name_en, "ru": s.name_ru},
            "exercise": v.exercise, "teams": list(s.teams),
            "written_at": _moment(v.row.written_at), "written_by": v.row.written_by,
            "injects": [inject(i) for i in s.injects]}


def run(row: RunRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "status": row.status, "director": row.director,
            "started_at": _moment(row.started_at), "started_by": row.started_by,
            "ended_at": _moment(row.ended_at), "removed_at": _moment(row.removed_at)}


def reaction(r: ReactionRow) -> dict[str, Any]:
    return {"id": r.id, "inject": r.inject, "team": r.team, "at": _moment(r.at), "by": r.by,
            "text": r.text}


def score(s: ScoreRow) -> dict[str, Any]:
    """A score, its expectation counted from 1 as the debrief shows it."""
    return {"id": s.id, "inject": s.inject, "expectation": s.expectation + 1,
            "points": s.points, "note": s.note, "at": _moment(s.at), "by": s.by}


def lesson(x: LessonRow) -> dict[str, Any]:
    return {"id": x.id, "at": _moment(x.at), "by": x.by, "text": x.text}


def tally(t: model.Tally) -> dict[str, Any]:
    return {"scored": t.scored, "possible": t.possible, "unscored": t.unscored,
            "share": t.share}


def _tallies(found: runs.Run) -> tuple[model.Tally, dict[str, model.Tally]]:
    """The run's tally and each team's: counted from what the run holds, or, once it is
    removed (its injects sent and scores gone), the summary its removal kept."""
    if found.row.status != "removed":
        return found.tally, {team: found.tally_of(team) for team in found.scenario.teams}
    kept = found.summary()
    teams = {team: model.Tally(**t) for team, t in kept.get("teams", {}).items()}
    return model.Tally(kept.get("scored", 0), kept.get("possible", 0),
                       sum(t.unscored for t in teams.values())), teams


def _removed(found: runs.Run) -> dict[str, Any] | None:
    if found.row.status != "removed":
        return None
    kept = found.summary()
    return {"at": _moment(found.row.removed_at), "injects_sent": kept.get("injects_sent", 0),
            "reactions": kept.get("reactions", 0), "incidents": kept.get("incidents", 0)}


def _heading(found: runs.Run) -> dict[str, Any]:
    s = found.scenario
    return {**run(found.row),
            "scenario": {"code": s.code, "name": {"en": s.name_en, "ru": s.name_ru}}}


def detail(found: runs.Run, c: Clearance) -> dict[str, Any]:
    """A run as its page shows it to `c`: the injects it may see with when each went, the
    reactions and scores of those, the lessons and the tally."""
    shown = runs.for_team(found, c)
    numbers = {i.number for i in shown}
    overall, _ = _tallies(found)

    def sent(i: model.Inject) -> dict[str, Any]:
        went = found.sent.get(i.number)
        return {**inject(i), "sent_at": _moment(went.sent_at) if went else None,
                "incident_id": went.incident_id if went else None}

    return {**_heading(found), "teams": list(found.scenario.teams),
            "injects": [sent(i) for i in shown],
            "reactions": [reaction(r) for r in found.reactions if r.inject in numbers],
            "scores": [score(s) for s in found.scores if s.inject in numbers],
            "lessons": [lesson(x) for x in found.lessons], "tally": tally(overall),
            "removed": _removed(found)}


def debrief(found: runs.Run, c: Clearance) -> dict[str, Any]:
    """A run's debrief as its page shows it to `c`: the timeline (none once the run is
    removed) with each inject's reactions and each expectation's latest score, the tally
    overall and per team, and the lessons."""
    overall, teams = _tallies(found)
    shown = [] if found.row.status == "removed" else runs.for_team(found, c)

    def step(i: model.Inject) -> dict[str, Any]:
        went = found.sent.get(i.number)

        def expected(n: int, e: model.Expectation) -> dict[str, Any]:
            got = found.score_of(i.number, n - 1)
            return {"expectation": n, "text": e.text, "points": e.points,
                    "score": score(got) if got else None}

        return {"number": i.number, "minutes": i.minutes, "kind": i.kind, "team": i.team,
                "title": i.title, "sent_at": _moment(went.sent_at) if went else None,
                "reactions": [reaction(r) for r in found.reactions if r.inject == i.number],
                "expected": [expected(n, e) for n, e in enumerate(i.expected, start=1)]}

    return {**_heading(found), "timeline": [step(i) for i in shown],
            "tally": tally(overall),
            "by_team": [{"team": team, **tally(t)} for team, t in teams.items()],
            "lessons": [lesson(x) for x in found.lessons], "removed": _removed(found)}
