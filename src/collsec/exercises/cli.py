"""`collsec exercises`: the exercises of the collective forces at the command line (a
series since its first with --series, a state's with --state), read as the user `--as`
names; `collsec exercise-runs`, `exercise-run ID` and `exercise-scenario-add FILE`: exercise
mode's runs, one run or its debrief, and a scenario the staff wrote. `collsec.cli` imports
this module at its end."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

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
from collsec.core import i18n, paging
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.core.times import stored
from collsec.exercises import run_showing, runs, service, showing


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


# -- exercise mode ------------------------------------------------------------------------

def _minute(moment: dt.datetime | str) -> str:
    """A stored time, or one as `run_showing` gives it, to the minute (UTC)."""
    value = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else stored(moment)
    return value.strftime("%Y-%m-%d %H:%M")


@app.command("exercise-runs")
@handles_errors
def exercise_runs(org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The exercise runs the acting user takes part in (every run, for exercise staff),
    newest first."""
    _ensure_schema()
    ctx = context(org, lang)
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        found = read(runs.runs)
    if as_json:
        _emit_json({"runs": [run_showing.run(r) for r in found]})
        return
    t = table(_("Run"), _("Started"), _("Status"))
    for r in found:
        t.add_row(*cells(f"{r.id} · {r.name}", f"{_minute(r.started_at)} UTC", _(r.status)))
    out.print(t)


@app.command("exercise-run")
@handles_errors
def exercise_run(run_id: int = typer.Argument(..., min=1, max=paging.MAX_ID, metavar="ID",
                                              help="the run's id"),
                 debrief: bool = typer.Option(False, "--debrief", help="the debrief: "
                                              "scores per team and lessons"),
                 org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """One exercise run as the acting user may see it (the staff its whole timeline, a
    team the injects sent to it), or its debrief."""
    _ensure_schema()
    ctx = context(org, lang)
    show = run_showing.debrief if debrief else run_showing.detail
    with reading(ctx) as read:
        shown = show(read(runs.run, run_id), ctx.clearance)
    if as_json:
        _emit_json(shown)
        return
    _ = i18n.gettext_for(ctx.lang)
    title = _("Debrief of exercise run {run}: {name}") if debrief else _(
        "Exercise run {run}: {name}")
    out.print(f"{title.format(run=shown['id'], name=shown['name'])} · {_(shown['status'])}",
              markup=False, soft_wrap=True)
    (_print_debrief if debrief else _print_injects)(shown, _)


# Each kind of inject as the run's page names it (its msgid).
KIND_NAMES = {"message": "message", "incident": "incident",
              "request": "request for assistance"}


def _print_injects(shown: dict[str, Any], _: Any) -> None:
    t = table("#", _("Title"), _("Kind"), _("Team"), _("Status"))
    for i in shown["injects"]:
        when = _("sent {time} UTC").format(time=_minute(i["sent_at"])) if i["sent_at"] \
            else _("due at minute {minutes}").format(minutes=i["minutes"])
        t.add_row(*cells(i["number"], i["title"], _(KIND_NAMES[i["kind"]]), i["team"], when))
    out.print(t)
    _print_total(shown["tally"], _)


def _print_total(tally: dict[str, Any], _: Any) -> None:
    line = _("{scored} of {possible} points").format(**tally)
    if tally["unscored"]:
        line += " · " + _("{n} expectations not scored yet").format(n=tally["unscored"])
    out.print(line, markup=False)


def _print_debrief(shown: dict[str, Any], _: Any) -> None:
    t = table(_("Team"), _("Points"), _("Not scored yet"))
    for team in shown["by_team"]:
        t.add_row(*cells(team["team"], f"{team['scored']} / {team['possible']}",
                         team["unscored"]))
    out.print(t)
    _print_total(shown["tally"], _)
    out.print(_("Lessons"), markup=False)
    for lesson in shown["lessons"] or [{"text": _("No lesson recorded yet.")}]:
        out.print(f"  {lesson['text']}", markup=False, soft_wrap=True)


def _definition_text(file: str) -> str:
    """The file's text, `-` standard input's; no more of it than a scenario may hold
    (`read_definition` refuses a longer one)."""
    most = runs.MAX_SCENARIO + 1
    try:
        if file == "-":
            return sys.stdin.read(most)
        with open(file, encoding="utf-8-sig") as f:
            return f.read(most)
    except OSError as exc:
        raise InvalidInput("cannot read {file}: {reason}", file=file,
                           reason=str(exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise InvalidInput("{file} is not UTF-8 text", file=file) from None


@app.command("exercise-scenario-add")
@handles_errors
def exercise_scenario_add(file: str = typer.Argument(..., metavar="FILE", help="the scenario "
                                                     "as YAML or JSON, or - for standard "
                                                     "input"),
                          exercise: str | None = typer.Option(None, help="the code of the "
                                                              "exercise it is written for, "
                                                              "e.g. INT-2022"),
                          org: str = ORG, as_json: bool = JSON, lang: str | None = LANG
                          ) -> None:
    """Keep a scenario the exercise staff wrote (code, names and injects, as the
    /exercise-runs page takes it), as the acting user (one of the staff)."""
    definition = runs.read_definition(_definition_text(file))
    _ensure_schema()
    ctx = context(org, lang)
    shown = runs.add_scenario.present(
        lambda row: run_showing.scenario(runs.view(row, exercise)), ctx,
        definition=definition, exercise=exercise)
    if as_json:
        _emit_json(shown)
        return
    said = i18n.gettext_for(ctx.lang)("added scenario {code}: {injects} injects for {teams}")
    out.print(said.format(code=shown["code"], injects=len(shown["injects"]),
                          teams=", ".join(shown["teams"])), markup=False, soft_wrap=True)
