"""`collsec incidents` and `collsec incident report|update`: the incidents the acting user
may read, a report for its crisis centre and a follow-up, at the command line.

They act as the user `--as` names (default: the `operator` account) through the services
the API runs: the list is narrowed by the decision point to what that user may read, and
the restricted incidents it shows are audited; a report or an update is one command,
refused as a whole with one `error:` line and exit 2, and then nothing is written.
`collsec.cli` imports this module at its end, and this module adds its commands to
`collsec.cli.app` (a file of many reports is `collsec crisis import`).
"""

from __future__ import annotations

import datetime as dt
import json
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
from collsec.core.commands import Reading, reading
from collsec.core.errors import InvalidInput
from collsec.core.times import parse_time, stored
from collsec.crisis.incidents import service
from collsec.registry.charter import read_yaml

incident_app = typer.Typer(help="One incident: report it for the acting user's crisis "
                           "centre, add a follow-up. Acts as the user --as names.",
                           no_args_is_help=True)
app.add_typer(incident_app, name="incident")


def newest(read: Reading, limit: int, **filters: Any) -> tuple[list[Any], bool]:
    """The newest `limit` incidents the reader may read among those `filters` keep, a
    service page at a time (each audited as the API's are); and whether more match."""
    rows: list[Any] = []
    after: service.Cursor | None = None
    while True:
        page = read(service.page_incidents, limit=min(limit - len(rows), service.MAX_PAGE),
                    after=after, **filters)
        rows += page.incidents
        if page.next is None or len(rows) >= limit:
            return rows, page.next is not None
        after = page.next


def _status_names(org: str, lang: str) -> dict[str, str]:
    """The workflow's statuses named in `lang`, as crisis.yaml names them."""
    return {str(s["code"]): str(s["name"][lang])
            for s in read_yaml(org, "crisis.yaml").get("incident_statuses", [])}


@app.command("incidents")
@handles_errors
def incident_list(
        org: str = ORG,
        since: str | None = typer.Option(None, help="ISO date or zoned time: incidents that "
                                         "occurred then or later"),
        until: str | None = typer.Option(None, help="ISO date (the whole day) or zoned time: "
                                         "incidents that occurred then or earlier"),
        type_: list[str] = typer.Option([], "--type", help="an incident type (repeatable)"),
        status: str | None = typer.Option(None, help="a status of the organization's "
                                          "workflow (crisis.yaml), e.g. assessed"),
        limit: int = typer.Option(100, min=1, max=100_000, help="the newest N"),
        as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Incidents the acting user may read, newest first: the newest --limit, and a line on
    standard error when more match (`"more"` with --json)."""
    start = parse_time(since, "--since")
    end = parse_time(until, "--until", end_of_day=True)
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        rows, more = newest(read, limit, since=start, until=end, types=type_ or None,
                            state=status)
    if as_json:
        _emit_json({"incidents": [service.as_dict(r) for r in rows], "more": more})
        return
    tax = service.taxonomy(ctx.org)
    statuses = _status_names(ctx.org, lang)
    shown = table(_("Incident"), _("Occurred"), _("Type"), _("Severity"), _("Status"),
                  _("Reported by"), _("Title"))
    for r in rows:
        marked = f" ({_('restricted')})" if r.visibility == "restricted" else ""
        shown.add_row(*cells(f"#{r.id}", _utc(r.occurred_at), tax.type_label(r.type, lang),
                             f"{r.severity} {tax.severity_label(r.severity, lang)}",
                             statuses.get(r.status, r.status), r.owner, r.title + marked))
    out.print(shown)
    if more:
        typer.echo(_("the newest {n} are shown and more match: raise --limit, or narrow "
                     "with --since, --until, --type or --status").format(n=len(rows)),
                   err=True)


def _utc(when: dt.datetime) -> str:
    return stored(when).strftime("%Y-%m-%d %H:%M UTC")


def _place(lon: float | None, lat: float | None, geometry: str | None) -> Any:
    """The place a report gives: a point by --lon and --lat, or --geometry's GeoJSON (the
    service checks either is a valid place)."""
    if geometry is None:
        if lon is None or lat is None:
            raise InvalidInput("give the place: --lon and --lat, or --geometry")
        return {"type": "Point", "coordinates": [lon, lat]}
    if lon is not None or lat is not None:
        raise InvalidInput("give the place as --lon and --lat or as --geometry, not both")
    try:
        return json.loads(geometry)
    except ValueError:
        raise InvalidInput("--geometry is not JSON: give a GeoJSON geometry such as "
                           "{example}", example='{"type": "Point", "coordinates": [76.9, '
                                                '43.2]}') from None


@incident_app.command("report")
@handles_errors
def report(
        type_: str = typer.Option(..., "--type", help="an incident type of crisis.yaml, e.g. "
                                  "border_clash"),
        severity: int | None = typer.Option(None, help="a level of the organization's scale "
                                            "(default: the type's usual one)"),
        occurred_at: str = typer.Option(..., "--occurred-at", help="ISO time with its zone, "
                                        "e.g. 2025-05-01T10:30:00+05:00"),
        lon: float | None = typer.Option(None, help="the place's longitude in degrees"),
        lat: float | None = typer.Option(None, help="the place's latitude in degrees"),
        geometry: str | None = typer.Option(None, help="the place as a GeoJSON geometry, "
                                            "instead of --lon and --lat"),
        title: str = typer.Option(..., help="what happened, in a line"),
        description: str = typer.Option("", help="what is known"),
        release_to: list[str] = typer.Option(
            [], "--release-to", help="a principal the report is released to, e.g. "
            "delegation:RU (repeatable); none: every member delegation reads it"),
        org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Report an incident for the acting user's crisis centre (a duty officer's), as POST
    /api/v1/incidents does; with --release-to only those principals (and the centre) read
    it. Prints the new id."""
    when = service.parse_occurred_at(occurred_at)
    place = _place(lon, lat, geometry)
    _ensure_schema()
    ctx = context(org, lang)
    row = service.report_incident.run(
        ctx, type=type_, severity=severity, occurred_at=when, geometry=place, title=title,
        description=description, released_to=release_to)
    if as_json:
        restricted = row.visibility == "restricted"
        _emit_json(service.as_dict(row, list(row.released_to) if restricted else None, []))
        return
    out.print(i18n.gettext_for(ctx.lang)("reported incident {id}").format(id=row.id),
              markup=False)


@incident_app.command("update")
@handles_errors
def update(incident_id: int = typer.Argument(..., min=1, max=paging.MAX_ID,
                                             help="incident id"),
           note: str = typer.Option("", help="what was learned since the report"),
           severity: int | None = typer.Option(None, help="the revised severity, a level "
                                               "of the organization's scale"),
           status: str | None = typer.Option(None, help="the next status of the workflow, "
                                             "e.g. assessed or closed"),
           org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Add a follow-up to an incident (its reporting centre or the crisis centre): a note,
    a revised severity, a move along the workflow; as POST /api/v1/incidents/ID/updates."""
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    service.update_incident.run(ctx, incident_id, note=note, severity=severity,
                                status=status)
    result = service.get_incident.run(ctx, incident_id)  # as committed (a read, audited)
    row = result.unwrap()
    if as_json:
        _emit_json(service.as_dict(row, result.released_to if row.visibility == "restricted"
                                   else None, result.updates))
        return
    tax = service.taxonomy(ctx.org)
    said = i18n.gettext_for(lang)("incident {id} is {status}, severity {severity}")
    out.print(said.format(id=row.id, status=_status_names(ctx.org, lang).get(row.status,
                                                                                row.status),
                          severity=f"{row.severity} {tax.severity_label(row.severity, lang)}"),
              markup=False)
