"""HTML pages of the exercises: every exercise or one series since its first (with its
personnel by year as a chart drawn on the server), a state's exercises, and one exercise
with its participants, personnel readings and the decisions on it; the Joint Staff's form
records a decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError, InvalidInput
from collsec.exercises import model, service, showing
from collsec.registry import service as registry
from collsec.web import charts
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.frame import refusal_status
from collsec.web.frame import show as _show
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
PUBLIC = Depends(Requires("read", public=True))
PLAN = Depends(Requires("plan_exercises"))


def _day(text: str) -> dt.date | None:
    return parse_date(text.strip()[:10] or None, field="on")


def _chart(found: list[service.Exercise], ctx: Ctx) -> str:
    _ = i18n.gettext_for(ctx.lang)
    points = tuple((f"{e.row.year} {e.row.code}" if sum(x.row.year == e.row.year
                                                        for x in found) > 1
                    else str(e.row.year), float(e.row.personnel))
                   for e in found if e.row.personnel is not None)
    return charts.bar_chart([charts.Series(_("Personnel"), points)],
                            title=_("Personnel of each exercise"),
                            unit="чел." if ctx.lang == "ru" else "persons",
                            chart_id="chart-personnel",
                            empty=_("No personnel figure is reported."))


@router.get("/exercises", response_class=HTMLResponse)
def list_page(request: Request, guard: Guard = PUBLIC, series: str = "", state: str = "",
              on: str = "") -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = _day(on) or guard.today
        chosen = series.strip()[:40] or None
        if chosen is not None and chosen not in model.SERIES:
            raise InvalidInput("series is one of {allowed}", allowed=", ".join(model.SERIES))
        found = read(service.exercises, series=chosen, state=state.strip()[:8] or None)
        return {"exercises": found, "series": chosen, "all_series": model.SERIES,
                "state": state.strip()[:8], "on": day,
                "chart": _chart(found, ctx) if chosen else None,
                "series_name": showing.series_name, "status_name": showing.status_name}
    return _show(request, guard, "exercises/list.html", build)


@router.get("/exercises/{code}", response_class=HTMLResponse)
def exercise_page(request: Request, code: str, guard: Guard = PUBLIC, on: str = "") -> HTMLResponse:
    return _exercise(request, guard, code, on=on)


def _exercise(request: Request, guard: Guard, code: str, *, on: str = "", error: str = "",
              status: int = 200) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = _day(on) or guard.today
        e = read(service.exercise, code[:40])
        forces = {f.code: f for f in read(registry.forces, guard.org)}
        return {"e": e, "on": day, "details": e.details, "error": error, "forces": forces,
                "may_plan": auth.allows(guard.clearance, "plan_exercises").allowed,
                "decision_statuses": [s for s in model.STATUSES if s != "planned"],
                "series_name": showing.series_name, "status_name": showing.status_name}
    return _show(request, guard, "exercises/exercise.html", build, status=status)


@router.post("/exercises/{code}/decisions")
def decide(request: Request, code: str, guard: Guard = PLAN, status: str = Form(""),
           on: str = Form(""), decided_by: str = Form(""), reason: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        day = parse_date(on.strip()[:10] or None, field="on")
        if day is None:
            raise InvalidInput("say on which day it was decided")
        service.record_decision.run(guard.ctx, code[:40], status=status[:20], on=day,
                                    decided_by=decided_by[:service.MAX_TEXT + 1],
                                    reason=reason[:service.MAX_TEXT + 1])
    except CollsecError as exc:
        return _exercise(request, guard, code[:40], error=i18n.message(exc, guard.ctx.lang),
                         status=refusal_status(exc))
    return RedirectResponse(f"/exercises/{code[:40].upper()}", status_code=303)
