"""`collsec exchange ...`: the reports the acting user may read, and the unified list's
search, at the command line.

They act as the user `--as` names (default: the `operator` account) through the services
the API runs, so the list is narrowed by the decision point and every restricted report
it shows is audited. `collsec.cli` imports this module at its end, and this module adds
its commands to `collsec.cli.app`.
"""

from __future__ import annotations

import json
import sys
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
    out,
    table,
)
from collsec.core import i18n
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.exchange import export, listing, service, stix, stix_store

exchange_app = typer.Typer(help="Secure information exchange: reports and the unified list "
                           "of terrorist organizations. Acts as the user --as names.",
                           no_args_is_help=True)
app.add_typer(exchange_app, name="exchange")


@exchange_app.command("list")
@handles_errors
def report_list(org: str = ORG,
                query: str | None = typer.Option(None, "--query", "-q", help="words in the "
                                                 "title or the body"),
                tlp: str | None = typer.Option(None, help="a TLP label, e.g. AMBER"),
                status: str | None = typer.Option(None, help="draft, submitted, verified or "
                                                  "released"),
                limit: int = typer.Option(100, min=1, max=1000, help="the newest N"),
                as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The reports the acting user may read, newest first."""
    _ensure_schema()
    ctx = context(org, lang)
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        rows = read(service.list_reports, query=query, tlp=tlp, status=status, limit=limit)
    if as_json:
        _emit_json({"reports": [service.summary(r) for r in rows]})
        return
    shown = table("#", _("Title"), "TLP", _("Released to"), _("From"), _("Status"))
    for r in rows:
        reach = r.scope + (f": {', '.join(r.states.split())}" if r.states else "")
        shown.add_row(*cells(r.id, r.title, r.tlp, reach, r.owner, _(r.status)))
    out.print(shown)


@exchange_app.command("find")
@handles_errors
def find(name: str = typer.Argument(..., help="a name, alias or spelling, e.g. ИГИЛ"),
         org: str = ORG, on: str | None = typer.Option(None, help="YYYY-MM-DD: the standing "
                                                       "on that day (default today)"),
         as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Entries of the unified list one of whose names matches, best first."""
    day = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org, lang)
    day = day or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        views = read(listing.find_entries, name, on=day)
    found: list[dict[str, Any]] = [listing.as_dict(v, day) for v in views]
    if as_json:
        _emit_json({"entries": found})
        return
    if not found:  # an answer, not an error: the search ran and found nothing
        typer.echo(_("no entry of the unified list matches"), err=True)
        return
    shown = table(_("Entry"), _("Name"), _("Standing"), _("Since"), _("Designated by"),
                  _("Match"))
    for e in found:
        st = e["standing"]
        shown.add_row(*cells(e["code"], e["name"][ctx.lang] or e["name"]["en"],
                             _(st["status"]) if st["status"] else _("never listed"),
                             st["since"] or "", ", ".join(st["states"]), e["score"]))
    out.print(shown)


@exchange_app.command("export")
@handles_errors
def export_bundle(report: int | None = typer.Option(None, "--report", min=1, max=2**31 - 1,
                                                    help="one report's id"),
                  whole_list: bool = typer.Option(False, "--list", help="the unified list"),
                  query: str | None = typer.Option(None, "--query", "-q", help="the "
                                                   "reports whose title or body holds it"),
                  on: str | None = typer.Option(None, help="YYYY-MM-DD: the unified list's "
                                                "standing on that day (default today)"),
                  output: Path | None = typer.Option(None, "--output", "-o", help="the "
                                                     "file to write (default: standard "
                                                     "output)"),
                  org: str = ORG) -> None:
    """A STIX 2.1 bundle of what the acting user may read: one report (--report), the
    reports it may read (by default, or those --query finds; needs the export role), or
    the unified list (--list)."""
    if report is not None and whole_list:
        raise InvalidInput("give --report or --list, not both")
    day = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org)
    if report is not None:
        objects = export.report_bundle.run(ctx, report)
    elif whole_list:
        objects = export.list_bundle.run(ctx, on=day or ctx.today)
    else:
        objects = export.reports_bundle.run(ctx, query=query)
    chunks = stix.bundle_chunks(objects, export.bundle_id())
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
        return
    try:
        with output.open("w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(chunk)
    except OSError as exc:
        raise InvalidInput("cannot write {path}: {why}", path=str(output),
                           why=exc.strerror or str(exc)) from None
    typer.echo(f"wrote {sum(1 for _ in objects)} objects to {output}", err=True)


@exchange_app.command("import")
@handles_errors
def import_file(path: str = typer.Argument(..., help="a bundle's file, or - for standard "
                                           "input"),
                org: str = ORG, as_json: bool = JSON) -> None:
    """Take a STIX 2.1 bundle for the acting user's service (a releasing officer): one
    command, all or nothing."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise InvalidInput("cannot read {path}: {why}", path=path,
                           why=exc.strerror or str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("{path} is not JSON: give a STIX 2.1 bundle", path=path) from None
    _ensure_schema()
    done = stix_store.import_bundle.run(context(org), bundle=data)
    if as_json:
        _emit_json({"added": done.added, "updated": done.updated, "skipped": done.skipped,
                    "reports": done.reports})
        return
    out.print(f"added {done.added}, updated {done.updated}, skipped {done.skipped}; "
              f"reports {', '.join(map(str, done.reports)) or 'none'}", markup=False)
