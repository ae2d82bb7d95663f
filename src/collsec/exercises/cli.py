"""`collsec exercises`: the exercises of the collective forces at the command line (a
series since its first with --series, a state's with --state), read as the user `--as`
names. `collsec.cli` imports this module at its end."""

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
from collsec.exercises import service, showing


@app.command("exercises")
@handles_errors
def exercises(org: str = ORG,
              series: str | None = typer.Option(None, help="one series since its first, "
                                                "e.g. interaction"),
              state: str | None = typer.Option(None, help="those a state hosted or took "
                                               "part in"),
              year: int | None = typer.Option(None, min=1990, max=2100),
              on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD: each status as "
                                            "known that day (default today)"),
              as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The exercises of the collective forces, oldest first, with host, dates, states
    taking part, personnel and status."""
    day = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org, lang)
    day = day or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        found = read(service.exercises, series=series, state=state, year=year)
    if as_json:
        _emit_json({"exercises": [showing.exercise(e, day) for e in found]})
        return
    t = table(_("Exercise"), _("Dates"), _("Host"), _("Taking part"), _("Personnel"),
              _("Status"))
    for e in found:
        r = e.row
        dates = f"{r.start}…{r.end}" if r.start and r.end else str(r.start or r.year)
        people = "" if r.personnel is None else {"=": "", ">": "> ", "~": "~ "}.get(
            r.personnel_qual, "") + f"{r.personnel:,.0f}".replace(",", " ")
        t.add_row(*cells(r.name_ru if ctx.lang == "ru" else r.name_en, dates, r.host or "",
                         " ".join(p.state for p in e.participants), people,
                         showing.status_name(e.status_on(day), ctx.lang)))
    out.print(t)
