"""HTML pages of exercise mode: the scenarios and runs (the staff write a scenario and
start a run of it), a run's page (the staff's timeline and controls, a team's inbox of
injects with its reactions), entering and leaving a run, and the debrief with the
timeline, reactions, scores, tallies and lessons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.errors import CollsecError, InvalidInput, Phrase
from collsec.exercises import runs
from collsec.web.access import EXERCISE_COOKIE, Guard, Requires, check_csrf
from collsec.web.frame import path_id, refusal_status
from collsec.web.frame import show as _show
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
READ = Depends(Requires("read"))
STAFF = Depends(Requires(runs.STAFF))


def _runs_page(request: Request, guard: Guard, *, error: str = "", status: int = 200,
               draft: str = "") -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        staff = auth.allows(guard.clearance, runs.STAFF).allowed
        return {"runs": read(runs.runs), "scenarios": read(runs.scenarios) if staff else [],
                "staff": staff, "error": error, "draft": draft}
    return _show(request, guard, "exercises/runs.html", build, status=status)


@router.get("/exercise-runs", response_class=HTMLResponse)
def runs_page(request: Request, guard: Guard = READ) -> HTMLResponse:
    return _runs_page(request, guard)


@router.post("/exercise-scenarios")
def add_scenario(request: Request, guard: Guard = STAFF, definition: str = Form(""),
                 csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        runs.add_scenario.run(guard.ctx, definition=runs.read_definition(definition))
    except CollsecError as exc:
        return _runs_page(request, guard, error=i18n.message(exc, guard.ctx.lang),
                          status=refusal_status(exc), draft=definition[:runs.MAX_SCENARIO])
    return RedirectResponse("/exercise-runs", status_code=303)


@router.post("/exercise-runs")
def start(request: Request, guard: Guard = STAFF, scenario: str = Form(""),
          name: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        found = runs.start_run.run(guard.ctx, scenario[:40], name=name[:runs.MAX_NAME + 1])
    except CollsecError as exc:
        return _runs_page(request, guard, error=i18n.message(exc, guard.ctx.lang),
                          status=refusal_status(exc))
    return RedirectResponse(f"/exercise-runs/{found.row.id}", status_code=303)


def _run_page(request: Request, guard: Guard, run_id: str, template: str, *,
              error: str = "", status: int = 200) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        found = read(runs.run, path_id(run_id, "exercise run"))
        c = guard.clearance
        return {"run": found, "injects": runs.for_team(found, c), "error": error,
                "staff": auth.allows(c, runs.STAFF).allowed,
                "playing_here": c.exercise == found.row.id,
                "team": c.principal}
    return _show(request, guard, template, build, status=status)


@router.get("/exercise-runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, guard: Guard = READ) -> HTMLResponse:
    return _run_page(request, guard, run_id, "exercises/run.html")


@router.get("/exercise-runs/{run_id}/debrief", response_class=HTMLResponse)
def debrief_page(request: Request, run_id: str, guard: Guard = READ) -> HTMLResponse:
    return _run_page(request, guard, run_id, "exercises/debrief.html")


@router.post("/exercise-runs/leave")
def leave(request: Request, guard: Guard = READ, csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    out = RedirectResponse("/exercise-runs", status_code=303)
    out.delete_cookie(EXERCISE_COOKIE, path="/")
    return out


@router.post("/exercise-runs/{run_id}/enter")
def enter(request: Request, run_id: str, guard: Guard = READ,
          csrf_token: str = Form("")) -> Response:
    """Play in the run: from the next page on, the caller's clearance carries it."""
    check_csrf(request, guard, csrf_token)
    try:
        number = path_id(run_id, "exercise run")
        if guard.clearance.exercise is not None:
            raise InvalidInput("leave exercise run {run} first", run=guard.clearance.exercise)
        with_run = runs.playing.run(guard.ctx, number)
        if with_run is None:
            raise auth.NotEntitled("you may not play in exercise run {run}", run=number)
    except CollsecError as exc:
        return _run_page(request, guard, run_id[:12], "exercises/run.html",
                         error=i18n.message(exc, guard.ctx.lang), status=refusal_status(exc))
    out = RedirectResponse(f"/exercise-runs/{number}", status_code=303)
    out.set_cookie(EXERCISE_COOKIE, str(number), path="/", httponly=True, samesite="strict",
                   secure=request.url.scheme == "https")
    return out


def _act(request: Request, guard: Guard, run_id: str, csrf_token: str, act: Any,
         to: str = "", **fields: Any) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        number = path_id(run_id, "exercise run")
        act.run(guard.ctx, number, **fields)
    except CollsecError as exc:
        return _run_page(request, guard, run_id[:12],
                         "exercises/debrief.html" if to else "exercises/run.html",
                         error=i18n.message(exc, guard.ctx.lang), status=refusal_status(exc))
    return RedirectResponse(f"/exercise-runs/{number}{to}", status_code=303)


@router.post("/exercise-runs/{run_id}/send")
def send(request: Request, run_id: str, guard: Guard = STAFF,
         csrf_token: str = Form("")) -> Response:
    return _act(request, guard, run_id, csrf_token, runs.send_due)


@router.post("/exercise-runs/{run_id}/end")
def end(request: Request, run_id: str, guard: Guard = STAFF,
        csrf_token: str = Form("")) -> Response:
    return _act(request, guard, run_id, csrf_token, runs.end_run, "/debrief")


@router.post("/exercise-runs/{run_id}/remove")
def remove(request: Request, run_id: str, guard: Guard = STAFF,
           csrf_token: str = Form("")) -> Response:
    return _act(request, guard, run_id, csrf_token, runs.remove_run, "/debrief")


def _number(text: str, what: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 6:
        raise InvalidInput("{what} must be a whole number", what=Phrase(what))
    return int(value)


@router.post("/exercise-runs/{run_id}/reactions")
def react(request: Request, run_id: str, guard: Guard = READ, inject: str = Form(""),
          text: str = Form(""), csrf_token: str = Form("")) -> Response:
    try:
        number = _number(inject, "the inject")
    except CollsecError as exc:
        return _run_page(request, guard, run_id[:12], "exercises/run.html",
                         error=i18n.message(exc, guard.ctx.lang), status=400)
    return _act(request, guard, run_id, csrf_token, runs.react, "", inject=number,
                text=text[:runs.MAX_REACTION + 1])


@router.post("/exercise-runs/{run_id}/scores")
def score(request: Request, run_id: str, guard: Guard = STAFF, inject: str = Form(""),
          expectation: str = Form(""), points: str = Form(""), note: str = Form(""),
          csrf_token: str = Form("")) -> Response:
    try:
        numbers = (_number(inject, "the inject"), _number(expectation, "the expectation"),
                   _number(points, "the score"))
    except CollsecError as exc:
        return _run_page(request, guard, run_id[:12], "exercises/debrief.html",
                         error=i18n.message(exc, guard.ctx.lang), status=400)
    return _act(request, guard, run_id, csrf_token, runs.score, "/debrief",
                inject=numbers[0], expectation=numbers[1], points=numbers[2],
                note=note[:runs.MAX_NOTE + 1])


@router.post("/exercise-runs/{run_id}/lessons")
def lesson(request: Request, run_id: str, guard: Guard = STAFF, text: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    return _act(request, guard, run_id, csrf_token, runs.add_lesson, "/debrief",
                text=text[:runs.MAX_REACTION + 1])
