"""Crisis response at the command line: `collsec missions` and `collsec requests` list
the missions of the collective forces and the members' requests (for assistance and for
consultations); `collsec crisis ...` shows a mission's timeline and totals and imports
incident reports. Incidents one at a time are `collsec.crisis.incidents.cli`'s.

It acts as the user `--as` names (default: the `operator` account), like
`collsec session`: the lists are the services' own, so the acting user's clearance
decides what they hold. `collsec.cli` imports this module at its end, and this module
adds its commands to `collsec.cli.app`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
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
    one_of,
    out,
    table,
)
from collsec.core import i18n
from collsec.core.commands import Query, Reading, reading
from collsec.core.errors import CollsecError, InvalidInput
from collsec.core.times import parse_time
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments, missions, timeline_words
from collsec.crisis.incidents import bulk, service
from collsec.registry import service as registry

crisis_app = typer.Typer(help="Crisis response: missions of the collective forces, their "
                         "timelines and totals; imports of incident reports. Acts as the "
                         "user --as names (default: operator).", no_args_is_help=True)
app.add_typer(crisis_app, name="crisis")

MISSION = typer.Argument(..., help="mission code")


# -- the lists -------------------------------------------------------------------------------

# The labels of statuses the software keeps by code (messages.po words them), as the pages
# show them.
MISSION_STATUSES = {"open": "Mission open", "closed": "Mission closed"}
REQUEST_STATUSES = {"submitted": "Submitted", "on_agenda": "On the agenda",
                    "granted": "Granted", "not_granted": "Not granted",
                    "withdrawn": "Withdrawn"}
PAGE = 100  # rows a list's query fetches at a time


def every(read: Reading, query: Query[list[Any]], day: str,
          keep: Callable[[Any], bool] = lambda row: True) -> list[Any]:
    """Every row of a list the service gives newest first a keyset page at a time (`limit`
    rows after `after`, the last one's `day` and id) that `keep` keeps. Missions and
    requests are the organization's acts, a few a year: a command line that lists them
    lists them all, as `collsec session list` does, rather than leave the oldest out."""
    rows: list[Any] = []
    after: tuple[dt.date, int] | None = None
    while True:
        page = read(query, limit=PAGE + 1, after=after)
        rows += [r for r in page[:PAGE] if keep(r)]
        if len(page) <= PAGE:
            return rows
        after = (getattr(page[PAGE - 1], day), page[PAGE - 1].id)


def _state_names(read: Reading, lang: str) -> dict[str, str]:
    return {st.code: st.name_ru if lang == "ru" else st.name_en
            for st in read(registry.list_states)}


@app.command("missions")
@handles_errors
def mission_list(org: str = ORG,
                 status: str | None = typer.Option(
                     None, help="only the missions open or closed",
                     callback=one_of("--status", MISSION_STATUSES)),
                 as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Missions of the collective forces, newest decision first: code, title, host state,
    decision date, status (members-level: the acting user's clearance decides)."""
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        rows = every(read, missions.list_missions, "decided_on",
                     lambda m: status is None or m.status == status)
        names = _state_names(read, lang)
    if as_json:
        _emit_json({"missions": [missions.mission_dict(m) for m in rows]})
        return
    shown = table(_("Code"), _("Mission"), _("Host state"), _("Decided on"), _("Status"))
    shown.title = _("Missions of the collective forces")
    for m in rows:
        title = (m.title_ru if lang == "ru" else "") or m.title_en
        shown.add_row(*cells(m.code, title, f"{names.get(m.host_state, m.host_state)} "
                             f"({m.host_state})", m.decided_on.isoformat(),
                             _(MISSION_STATUSES.get(m.status, m.status))))
    out.print(shown)


@app.command("requests")
@handles_errors
def request_list(org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Members' requests for collective assistance and for consultations, newest first.

    A request for assistance with its basis, needs, status and the mission a granted one
    defined; one for consultations with its subject, the incidents it cites and the
    session it convened. Members-level: the acting user's clearance decides."""
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    with reading(ctx) as read:
        asked = every(read, escalation.list_requests, "submitted_on")
        consulted = every(read, escalation.list_consultations, "requested_on")
        data = [read(escalation.request_dict, r) for r in asked] if as_json else []
        codes = read(escalation.mission_codes, asked)
        names = _state_names(read, lang)
    if as_json:
        _emit_json({"requests": data,
                    "consultations": [escalation.consultation_dict(c) for c in consulted]})
        return
    _print_requests(asked, codes, names, ctx.org, lang)
    _print_consultations(consulted, names, lang)


def _print_requests(rows: list[Any], codes: dict[int, str], names: dict[str, str], org: str,
                    lang: str) -> None:
    _ = i18n.gettext_for(lang)
    rules = escalation.rules(org)
    shown = table(_("Request"), _("State"), _("Submitted"), _("Basis"), _("Needs"),
                  _("Status"), _("Mission"))
    shown.title = _("Requests for assistance")
    for r in rows:
        basis = rules.bases.get(r.basis)
        needs = "; ".join(
            (rules.needs.get(n["kind"], {}).get(lang) or n["kind"])
            + (f" ({_('{n} personnel').format(n=n['personnel'])})" if n.get("personnel")
               else "") for n in json.loads(r.needs))
        shown.add_row(*cells(f"#{r.id}", f"{names.get(r.state, r.state)} ({r.state})",
                             r.submitted_on.isoformat(),
                             (basis.name.get(lang) or basis.name["en"]) if basis else r.basis,
                             needs, _(REQUEST_STATUSES.get(r.status, r.status)),
                             codes.get(r.mission_id or 0, "—")))
    out.print(shown)


def _print_consultations(rows: list[Any], names: dict[str, str], lang: str) -> None:
    _ = i18n.gettext_for(lang)
    shown = table(_("Request"), _("State"), _("Requested on"), _("Subject"), _("Incidents"),
                  _("Session convened"))
    shown.title = _("Requests for consultations")
    for c in rows:
        cited = ", ".join(f"#{i}" for i in json.loads(c.incidents)) or "—"
        shown.add_row(*cells(f"#{c.id}", f"{names.get(c.state, c.state)} ({c.state})",
                             c.requested_on.isoformat(),
                             (c.subject_ru if lang == "ru" else "") or c.subject_en, cited,
                             f"#{c.session_id}"))
    out.print(shown)


# -- one mission -----------------------------------------------------------------------------

@crisis_app.command("timeline")
@handles_errors
def timeline(mission: str = MISSION, org: str = ORG, as_json: bool = JSON,
             lang: str | None = LANG) -> None:
    """A mission's events in order: decision, offers, commitments, deployment status,
    the withdrawal order, release. Labels in --lang; --json keeps the codes."""
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        code = mission[:forces.MAX_CODE]
        events = read(deployments.timeline, code).events
        row = read(missions.get_mission, code)
    if as_json:
        _emit_json({"mission": mission.upper(),
                    "events": [deployments.event_dict(e) for e in events]})
        return
    tax = service.taxonomy(ctx.org)
    for e in events:
        parts = [e.at.isoformat(), tax.event_label(e.kind, lang), e.actor]
        if e.status:
            parts.append(tax.deployment_label(e.status, lang))
        if e.personnel is not None:
            parts.append(_("{n} personnel").format(n=e.personnel))
        note = timeline_words.event_note(e, row, lang)
        if note:
            parts.append(note)
        out.print("  ".join(parts), markup=False, soft_wrap=True)


@crisis_app.command("totals")
@handles_errors
def totals(mission: str = MISSION, org: str = ORG,
           as_of: str | None = typer.Option(None, "--as-of",
                                            help="ISO date or zoned time (default now)"),
           as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Personnel in theatre (deployed or withdrawing) per contributing state as of a time;
    states named in --lang."""
    given = parse_time(as_of, "--as-of", end_of_day=True)
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        t = read(deployments.totals, mission[:forces.MAX_CODE], given or ctx.now)
        names = {st.code: st.name_ru if lang == "ru" else st.name_en
                 for st in read(registry.list_states)}
    if as_json:
        _emit_json({"mission": mission.upper(), **deployments.totals_dict(t)})
        return
    out.print(_("{mission} as of {time}").format(mission=mission.upper(),
                                                 time=t.as_of.isoformat()), markup=False)
    for state, n in t.by_state.items():
        out.print(f"  {names.get(state, state)} ({state})  {n}", markup=False)
    out.print(f"  {_('total in theatre')}  {t.total}", markup=False)


def _read_reports(name: str) -> tuple[list[Any], list[int] | None]:
    """The reports of a file: a JSON list, a JSON object holding `reports`, or NDJSON (one
    report per line, blank lines skipped). With NDJSON, each report's line number too."""
    try:
        raw = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput("cannot read {file}: {reason}", file=name,
                           reason=str(exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise InvalidInput("{file} is not UTF-8 text", file=name) from None
    try:
        whole: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        if raw.lstrip().startswith("["):  # meant as one JSON document
            raise InvalidInput("{file}: not JSON at line {line}, column {column}: {reason}",
                               file=name, line=exc.lineno, column=exc.colno,
                               reason=exc.msg) from None
        whole = None
    else:
        if isinstance(whole, list):
            return whole, None
        if isinstance(whole, dict) and "reports" in whole:
            if not isinstance(whole["reports"], list):
                raise InvalidInput("{file}: `reports` must be a list of reports", file=name)
            return whole["reports"], None
    reports: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            reports.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput("{file}, line {line}: not JSON ({reason}); a file holds a JSON "
                               "list of reports or one JSON report per line", file=name,
                               line=number, reason=exc.msg) from None
        lines.append(number)
    if not reports:
        raise InvalidInput("{file} holds no reports", file=name)
    return reports, lines


def _spans(ids: list[int]) -> str:
    """Ids as runs: 4-7, 9."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


@crisis_app.command("import")
@handles_errors
def import_reports(
        file: str = typer.Argument(..., metavar="FILE",
                                   help="reports as a JSON list (or {\"reports\": [...]}) or "
                                        "NDJSON, one per line; - reads standard input"),
        org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Report many incidents for the acting user's crisis centre as one command (each with
    type, severity, occurred_at, geometry, title, description, released_to, as POST
    /api/v1/incidents takes them): all or none; a refused report is named by its index."""
    reports, lines = _read_reports(file)
    _ensure_schema()
    ctx = context(org, lang)
    try:
        ids = bulk.import_incidents.run(ctx, reports)
    except CollsecError as exc:
        index = bulk.report_index(exc)
        if lines is None or index is None:
            raise
        raise exc.within("{file}, line {line}", file=file, line=lines[index]) from None
    if as_json:
        _emit_json({"imported": len(ids), "ids": ids})
        return
    said = i18n.ngettext_for(ctx.lang)(
        "imported {n} incident: ids {ids}", "imported {n} incidents: ids {ids}", len(ids))
    out.print(said.format(n=len(ids), ids=_spans(ids)), markup=False, soft_wrap=True)
