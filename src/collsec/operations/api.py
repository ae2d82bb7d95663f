"""JSON API of the standing operations: the operations with their totals, one with its
stages and figures, statistics (JSON or CSV), a stage's national reports; the Secretariat
opens and closes stages, a national coordinator submits its state's report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.operations import answers, service, showing
from collsec.web.access import Guard, Requires
from collsec.web.params import PAGE_CURSOR, date_query, following

router = APIRouter(prefix="/api/v1", tags=["operations"])
READ = Depends(Requires("read", public=True))  # what operations released is public
ON = date_query("totals over the stages counted by this day (default: today)")
CODE = Path(max_length=40, pattern=r"^[a-z0-9-]+$", description="the operation's code")
STAGE = Path(ge=1, le=2**31 - 1, description="the stage's id")
CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


def _day(text: str | None, guard: Guard) -> dt.date:
    return parse_date(text, field="on") or guard.today


@router.get("/operations", response_model=answers.Operations)
def operations(guard: Guard = READ, on: str | None = ON) -> dict[str, Any]:
    """Every standing operation with its totals since it began, as of `on`."""
    day = _day(on, guard)
    return {"operations": [showing.summary(o, day, _totals(guard, o.code, day).values())
                           for o in service.operations.run(guard.ctx)]}


def _totals(guard: Guard, code: str, day: dt.date) -> dict[str, service.Total]:
    return service.totals_of.run(guard.ctx, code, on=day)


@router.get("/operations/{code}", response_model=answers.OperationDetail)
def operation(request: Request, code: str = CODE, guard: Guard = READ,
              on: str | None = ON,
              limit: int = Query(service.STAGE_PAGE, ge=1, le=service.MAX_STAGE_PAGE,
                                 description="stages in this page, the newest first"),
              cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """One operation: a page of its stages (the newest first) with what each reports, and
    its totals as of `on`."""
    day = _day(on, guard)
    op = service.operation.run(guard.ctx, code, stages=False)
    page = service.stage_page.run(guard.ctx, code, cursor=cursor, limit=limit)
    return {**showing.detail(op, day, _totals(guard, op.code, day).values(), page.stages),
            **following(request, page.next_cursor)}


@router.get("/operations/{code}/statistics", response_model=answers.Statistics,
            responses=CSV)
def statistics(code: str = CODE, guard: Guard = READ, on: str | None = ON,
               by: str = Query("year", json_schema_extra={"enum": list(service.BY)},
                               description="group by stage, year, state or indicator"),
               indicator: str | None = Query(None, max_length=60,
                                             description="one indicator only"),
               format: str = Query("json", json_schema_extra={"enum": ["json", "csv"]})
               ) -> Any:
    """Totals grouped by stage, year, state or indicator over the stages counted by `on`
    (as JSON, or as CSV with each indicator's unit)."""
    if format not in ("json", "csv"):
        raise InvalidInput("format is json or csv")
    day = _day(on, guard)
    op = service.operation.run(guard.ctx, code, stages=False)
    found = service.statistics_of.run(guard.ctx, code, by=by, on=day, indicator=indicator)
    names = service.stage_names.run(guard.ctx, code) if by == "stage" else {}
    lines = showing.rows(names, found, by, guard.ctx.lang)
    if format == "csv":
        text = showing.csv_text(lines, service.indicators(guard.ctx.charter), by)
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{op.code}-by-{by}-{day}.csv"'})
    return {"operation": op.code, "by": by, "on": day.isoformat(), "rows": lines}


@router.post("/operations/{code}/stages", status_code=201, response_model=answers.StageOut)
def open_stage(data: answers.StageIn, code: str = CODE,
               guard: Guard = Depends(Requires("manage_operations"))) -> dict[str, Any]:
    """A new stage taking national reports from the states named (the Secretariat)."""
    start = parse_date(data.start, field="start")
    end = parse_date(data.end, field="end")
    assert start is not None and end is not None
    row = service.open_stage.run(guard.ctx, code, start=start, end=end, states=data.states,
                                 name_en=data.name_en, name_ru=data.name_ru,
                                 headquarters_en=data.headquarters_en,
                                 headquarters_ru=data.headquarters_ru)
    return _stage_of(guard, code, row.id)


def _stage_of(guard: Guard, code: str, stage_id: int) -> dict[str, Any]:
    return showing.stage(service.stage.run(guard.ctx, code, stage_id))


@router.get("/operations/{code}/stages/{stage_id}/reports", response_model=answers.Reports)
def reports(code: str = CODE, stage_id: int = STAGE, guard: Guard = READ) -> dict[str, Any]:
    """A stage's national reports, every version: all of them once the stage is closed;
    before, the Secretariat's and the caller's own state's only (audited)."""
    return {"reports": [showing.report(v)
                        for v in service.reports.run(guard.ctx, code, stage_id)]}


@router.post("/operations/{code}/stages/{stage_id}/reports", status_code=201,
             response_model=answers.ReportOut)
def submit(data: answers.ReportIn, code: str = CODE, stage_id: int = STAGE,
           guard: Guard = Depends(Requires("report_operation"))) -> dict[str, Any]:
    """The caller's state's report on an open stage, or its correction (a new version; the
    earlier ones are kept). A national coordinator reports for its own state only."""
    return showing.report(service.submit_report.run(
        guard.ctx, code, stage_id, state=data.state, figures=data.figures, note=data.note))


@router.post("/operations/{code}/stages/{stage_id}/close", response_model=answers.StageOut)
def close(code: str = CODE, stage_id: int = STAGE,
          guard: Guard = Depends(Requires("manage_operations"))) -> dict[str, Any]:
    """Close a stage (the Secretariat): its reports no longer change and their summary is
    released to every reader."""
    service.close_stage.run(guard.ctx, code, stage_id)
    return _stage_of(guard, code, stage_id)

