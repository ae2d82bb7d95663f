"""`collsec operations` and `collsec operation NAME`: the standing operations, their
totals, one operation's stages and its statistics, at the command line. They read as the
user `--as` names (default: the `operator` account). `collsec.cli` imports this module at
its end, and this module adds its commands to `collsec.cli.app`."""

from __future__ import annotations

import typer

from collsec.cli import (
    JSON,
    LANG,
    ORG,
    _emit_json,
    _ensure_schema,
    app,
    cells,
    context,
    handles_errors,
    out,
    table,
)
from collsec.core import i18n
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.operations import service, showing

ON = typer.Option(None, "--on", help="YYYY-MM-DD: count the stages over by that day "
                                     "(default today)")


def _number(value: float | int, qual: str) -> str:
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return {"=": "", ">": "> ", "~": "~ "}.get(qual, "") + shown.replace(",", " ")


@app.command("operations")
@handles_errors
def operations(org: str = ORG, on: str | None = ON, as_json: bool = JSON,
               lang: str | None = LANG) -> None:
    """The standing operations with their stages and main totals since they began."""
    day = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org, lang)
    day = day or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        shown = [showing.summary(o, day, read(service.totals_of, o.code, on=day).values())
                 for o in read(service.operations)]
    if as_json:
        _emit_json({"operations": shown})
        return
    names = service.indicators(ctx.charter)

    def named(code: str) -> str:
        spec = names.get(code)
        return code if spec is None else spec.name.ru if ctx.lang == "ru" else spec.name.en

    t = table(_("Operation"), _("Since"), _("Stages"), _("Main totals"))
    for o in shown:
        main = "; ".join(f"{named(x['indicator'])} {_number(x['value'], x['qual'])}"
                         for x in o["totals"][:3])
        t.add_row(*cells(o["name"][ctx.lang] or o["name"]["en"], o["started"] or "?",
                         o["stages"], main))
    out.print(t)


@app.command("operation")
@handles_errors
def operation(name: str = typer.Argument(..., help="the operation's code, e.g. channel"),
              org: str = ORG, on: str | None = ON,
              by: str | None = typer.Option(None, help="statistics grouped by stage, year, "
                                                       "state or indicator"),
              indicator: str | None = typer.Option(None, help="one indicator only"),
              as_json: bool = JSON, lang: str | None = LANG) -> None:
    """One operation: its stages and what each reports, or (--by) its statistics."""
    day = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org, lang)
    day = day or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        op = read(service.operation, name)
        found = read(service.statistics_of, name, by=by, on=day, indicator=indicator) \
            if by is not None else []
        totals = read(service.totals_of, name, on=day)
    names = service.indicators(ctx.charter)

    def named(code: str) -> str:
        spec = names.get(code)
        if spec is None:
            return code
        unit = showing.unit_name(spec.unit, ctx.lang)
        return f"{spec.name.ru if ctx.lang == 'ru' else spec.name.en} ({unit})"

    if by is not None:
        lines = showing.rows({str(s.id): s for s in op.stages}, found, by, ctx.lang)
        if as_json:
            _emit_json({"operation": op.code, "by": by, "on": day.isoformat(), "rows": lines})
            return
        t = table(_(by.capitalize()), _("Indicator"), _("Total"), _("Stages"))
        for line in lines:
            t.add_row(*cells(line.get("label", line["key"]), named(line["indicator"]),
                             _number(line["value"], line["qual"]), line["stages"]))
        out.print(t)
        return
    if as_json:
        _emit_json(showing.detail(op, day, totals.values(), op.stages))
        return
    t = table(_("Stage"), _("Dates"), _("Status"), _("Results"))
    for s in op.stages:
        dates = f"{s.start or ''}…{s.end or ''}" if s.start else str(s.year)
        results = "; ".join(f"{named(k)} {_number(v, q)}"
                            for k, (v, q, _p) in sorted(s.results().items()))
        t.add_row(*cells(showing.label(s, ctx.lang), dates,
                         _("closed") if s.closed else _("open"), results))
    out.print(t)
    if totals:
        tt = table(_("Indicator"), _("Total since the start"), _("Stages"))
        for tot in totals.values():
            tt.add_row(*cells(named(tot.indicator), _number(tot.value, tot.qual), tot.stages))
        out.print(tt)
