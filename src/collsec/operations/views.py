"""HTML pages of the standing operations: the list with each one's main totals, and an
operation's page with its statistics as charts drawn on the server (SVG, no script
needed), its stages with what each reports, a stage's national reports as the reader may
see them, and the forms of those who act on them (the Secretariat opens and closes a
stage; a national coordinator reports for its own state)."""

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
from collsec.operations import model, service, showing
from collsec.web import charts
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.frame import path_id, refusal_status
from collsec.web.frame import show as _show
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
PUBLIC = Depends(Requires("read", public=True))
MANAGE = Depends(Requires("manage_operations"))
REPORT = Depends(Requires("report_operation"))


def _day(text: str) -> dt.date | None:
    return parse_date(text.strip()[:10] or None, field="on")


def _ordered(totals: dict[str, service.Total], names: dict[str, model.Indicator]
             ) -> list[service.Total]:
    """Totals in the charter's order of indicators (its first are the headline ones)."""
    rank = {code: n for n, code in enumerate(names)}
    return sorted(totals.values(), key=lambda t: (rank.get(t.indicator, len(rank)),
                                                  t.indicator))


@router.get("/operations", response_class=HTMLResponse)
def list_page(request: Request, guard: Guard = PUBLIC, on: str = "") -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = _day(on) or guard.today
        names = dict(service.indicators(guard.ctx.charter))
        found = read(service.operations)
        return {"operations": [(o, _ordered(read(service.totals_of, o.code, on=day),
                                            names)[:4]) for o in found],
                "on": day, "indicators": names,
                "unit_name": showing.unit_name}
    return _show(request, guard, "operations/list.html", build)


def _charts(read: Reading, op: service.Operation, labels: dict[str, service.Stage],
            indicator: str, by: str, day: dt.date, spec: model.Indicator | None, ctx: Ctx
            ) -> dict[str, str]:
    """The chosen indicator by the chosen grouping as bars, and its running total by year
    as a line."""
    _ = i18n.gettext_for(ctx.lang)
    name = (spec.name.ru if ctx.lang == "ru" else spec.name.en) if spec else indicator
    unit = showing.unit_name(spec.unit, ctx.lang) if spec else ""
    lines = showing.rows(labels, read(service.statistics_of, op.code, by=by, on=day,
                                      indicator=indicator), by, ctx.lang)
    bars = charts.Series(name, tuple((str(x.get("label") or x["key"]), float(x["value"]))
                                     for x in lines))
    years = showing.rows({}, read(service.statistics_of, op.code, by="year", on=day,
                                  indicator=indicator), "year", ctx.lang)
    running, points = 0.0, []
    for x in years:
        running += float(x["value"])
        points.append((str(x["key"]), running))
    empty = _("No released figures for this indicator.")
    return {
        "bars": charts.bar_chart([bars], title=f"{name}: {_(by)}", unit=unit,
                                 chart_id="chart-bars", empty=empty),
        "line": charts.line_chart([charts.Series(_("Total since the start"), tuple(points))],
                                  title=_("{name}, total since the start").format(name=name),
                                  unit=unit, chart_id="chart-line", empty=empty)}


@router.get("/operations/{code}", response_class=HTMLResponse)
def operation_page(request: Request, code: str, guard: Guard = PUBLIC, on: str = "",
                   indicator: str = "", by: str = "year", stages: str = "",
                   error: str = "", status: int = 200) -> HTMLResponse:
    return _operation(request, guard, code, on=on, indicator=indicator, by=by, stages=stages,
                      error=error, status=status)


def _operation(request: Request, guard: Guard, code: str, *, on: str = "",
               indicator: str = "", by: str = "year", stages: str = "", error: str = "",
               status: int = 200) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = _day(on) or guard.today
        if by not in service.BY:
            raise InvalidInput("by is one of {allowed}", allowed=", ".join(service.BY))
        op = read(service.operation, code[:40], stages=False)
        text = stages.strip()[:100]
        page = read(service.stage_page, op.code, cursor=text if page_cursor(text) else None)
        names = dict(service.indicators(guard.ctx.charter))
        totals = _ordered(read(service.totals_of, op.code, on=day), names)
        chosen = indicator if indicator in names else (totals[0].indicator if totals else "")
        used = [c for c, spec in names.items() if op.code in spec.operations]
        open_stages = [s for s in page.stages if not s.closed]
        reports = {s.id: read(service.reports, op.code, s.id) for s in open_stages}
        c = guard.clearance
        own = c.principal.split(":", 1)[1] if c.principal and c.principal.startswith(
            "delegation:") else None
        may_report = {s.id: own for s in open_stages if own in s.states and auth.allows(
            c, "report_operation", state=own).allowed}
        # a correction starts from the state's current version
        previous = {sid: {k: str(showing.plain(x)) for k, x in next(
            (v.figures for v in reports.get(sid, []) if v.state == own and v.current),
            {}).items()} for sid in may_report}
        labels = read(service.stage_names, op.code) if by == "stage" else {}
        return {"op": op, "on": day, "totals": totals, "indicators": names, "used": used,
                "chosen": chosen, "by": by, "stages": page.stages,
                "older_stages": page_link(request, page.next_cursor, name="stages",
                                          anchor="stages"),
                "charts": _charts(read, op, labels, chosen, by, day, names.get(chosen), ctx)
                if chosen else None,
                "stats": showing.rows(labels, read(service.statistics_of, op.code, by=by,
                                                   on=day, indicator=chosen or None), by,
                                      ctx.lang),
                "reports": reports, "may_report": may_report, "previous": previous,
                "may_manage": auth.allows(c, "manage_operations").allowed,
                "label": showing.label, "unit_name": showing.unit_name, "error": error}
    return _show(request, guard, "operations/operation.html", build, status=status)


def _refused(request: Request, guard: Guard, code: str, exc: CollsecError) -> Response:
    return _operation(request, guard, code, error=i18n.message(exc, guard.ctx.lang),
                      status=refusal_status(exc))


@router.post("/operations/{code}/stages")
def open_stage(request: Request, code: str, guard: Guard = MANAGE, start: str = Form(""),
               end: str = Form(""), states: str = Form(""), name_en: str = Form(""),
               name_ru: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        first = parse_date(start.strip()[:10] or None, field="start")
        last = parse_date(end.strip()[:10] or None, field="end")
        if first is None or last is None:
            raise InvalidInput("a stage needs its first and last day")
        row = service.open_stage.run(guard.ctx, code[:40], start=first, end=last,
                                     states=states.replace(",", " ").split()[:30],
                                     name_en=name_en, name_ru=name_ru)
    except CollsecError as exc:
        return _refused(request, guard, code[:40], exc)
    return RedirectResponse(f"/operations/{code[:40]}#stage-{row.id}", status_code=303)


@router.post("/operations/{code}/stages/{stage_id}/reports")
async def submit(request: Request, code: str, stage_id: str, guard: Guard = REPORT
                 ) -> Response:
    """The national coordinator's form: one field per indicator the operation reports; an
    empty field is not reported."""
    form = await request.form()
    check_csrf(request, guard, str(form.get("csrf_token") or ""))
    figures: dict[str, Any] = {}
    try:
        sid = path_id(stage_id, "stage")
        for key, value in form.items():
            if key.startswith("f_") and str(value).strip():
                text = str(value).strip().replace(",", ".").replace(" ", "")[:30]
                try:
                    figures[key[2:][:60]] = float(text)
                except ValueError:
                    raise InvalidInput("the value of {indicator} is a number",
                                       indicator=key[2:][:60]) from None
        service.submit_report.run(guard.ctx, code[:40], sid,
                                  state=str(form.get("state") or "")[:8], figures=figures,
                                  note=str(form.get("note") or "")[:service.MAX_NOTE])
    except CollsecError as exc:
        return _refused(request, guard, code[:40], exc)
    return RedirectResponse(f"/operations/{code[:40]}#stage-{sid}", status_code=303)


@router.post("/operations/{code}/stages/{stage_id}/close")
def close(request: Request, code: str, stage_id: str, guard: Guard = MANAGE,
          csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        sid = path_id(stage_id, "stage")
        service.close_stage.run(guard.ctx, code[:40], sid)
    except CollsecError as exc:
        return _refused(request, guard, code[:40], exc)
    return RedirectResponse(f"/operations/{code[:40]}#stage-{sid}", status_code=303)
