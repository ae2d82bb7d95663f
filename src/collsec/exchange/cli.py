"""`collsec exchange ...`: the reports the acting user may read, and the unified list's
search, at the command line.

They act as the user `--as` names (default: the `operator` account) through the services
the API runs, so the list is narrowed by the decision point and every restricted report
it shows is audited. `collsec.cli` imports this module at its end, and this module adds
its commands to `collsec.cli.app`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

import typer
from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

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


PROGRESS = typer.Option(None, "--progress/--no-progress", help="show the reading and the "
                        "objects' progress on standard error (default: on a terminal, for "
                        "a bundle of 1,000 objects or more)")


@exchange_app.command("import")
@handles_errors
def import_file(path: str = typer.Argument(..., help="a bundle's file, or - for standard "
                                           "input"),
                org: str = ORG, as_json: bool = JSON, progress: bool | None = PROGRESS
                ) -> None:
    """Take a STIX 2.1 bundle for the acting user's service (a releasing officer): one
    command, all or nothing."""
    with ImportProgress(progress) as shown:
        try:
            text = _read(path, shown).decode("utf-8")
            shown.parsing()
            data = json.loads(text)
        except OSError as exc:
            raise InvalidInput("cannot read {path}: {why}", path=path,
                               why=exc.strerror or str(exc)) from None
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("{path} is not JSON: give a STIX 2.1 bundle",
                               path=path) from None
        del text
        shown.parsed(data)
        _ensure_schema()
        done = stix_store.import_bundle.run(context(org), bundle=data,
                                            progress=shown.objects)
    if as_json:
        _emit_json({"added": done.added, "updated": done.updated, "skipped": done.skipped,
                    "reports": done.reports})
        return
    out.print(f"added {done.added}, updated {done.updated}, skipped {done.skipped}; "
              f"reports {', '.join(map(str, done.reports)) or 'none'}", markup=False)


READ_CHUNK = 1 << 20


def _read(path: str, shown: ImportProgress) -> bytes:
    """The bundle's bytes, a chunk at a time so that their reading shows."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream only (an embedding's): read as it is
            return str(sys.stdin.read()).encode("utf-8")
        return _chunks(stream, None, shown)
    with Path(path).open("rb") as f:
        return _chunks(f, os.fstat(f.fileno()).st_size, shown)


def _chunks(stream: BinaryIO, size: int | None, shown: ImportProgress) -> bytes:
    shown.reading(size)
    chunks = []
    while chunk := stream.read(READ_CHUNK):
        chunks.append(chunk)
        shown.read(len(chunk))
    return b"".join(chunks)


class ImportProgress:
    """The progress of `exchange import` on standard error: the bytes read, the parsing,
    then the objects written or skipped. `wanted` is --progress (True), --no-progress
    (False), or neither (None): then it shows only on a terminal (as rich sees standard
    error: TTY_COMPATIBLE and FORCE_COLOR count), once the file is known to be a megabyte
    or more or the bundle holds `LARGE` objects or more. Shown, it ends with each line's
    final state (all a file or a pipe gets of it)."""

    LARGE = 1000
    LARGE_BYTES = 1 << 20

    def __init__(self, wanted: bool | None) -> None:
        console = Console(stderr=True, highlight=False)
        self.forced = wanted is True
        self.allowed = self.forced or (wanted is None and console.is_interactive)
        self.bar = Progress(TextColumn("{task.description:<9}"), BarColumn(),
                            TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
                            console=console, redirect_stdout=False)
        self.started = False
        self._size: int | None = None  # the file's, when known
        self._done = 0  # bytes read
        self._read: TaskID | None = None
        self._parse: TaskID | None = None
        self._import: TaskID | None = None

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(self, *_: object) -> None:
        if self.started:
            self.bar.stop()

    def _show(self, large: bool) -> None:
        if not self.started and self.allowed and (self.forced or large):
            self.bar.start()
            self.started = True

    def _update(self, task: TaskID, done: float, total: float | None, count: str) -> None:
        """Set the line's state; once the display is on, draw it now (on a terminal:
        elsewhere only the final state is written, as the display ends)."""
        self.bar.update(task, completed=done, total=total, count=count)
        if self.started:
            self.bar.refresh()

    def reading(self, size: int | None) -> None:
        self._size = size
        self._read = self.bar.add_task("reading", total=size, count="")
        self._show(size is not None and size >= self.LARGE_BYTES)

    def read(self, n: int) -> None:
        assert self._read is not None
        self._done += n
        self._show(self._done >= self.LARGE_BYTES)
        shown = filesize.decimal(self._done)
        if self._size is not None:
            shown += f"/{filesize.decimal(self._size)}"
        self._update(self._read, self._done, self._size, shown)

    def parsing(self) -> None:
        if self._read is not None and self._size is None:  # standard input's end
            self._update(self._read, self._done, self._done, filesize.decimal(self._done))
        self._parse = self.bar.add_task("parsing", total=None, count="")

    def parsed(self, data: Any) -> None:
        assert self._parse is not None
        self._update(self._parse, 1, 1, "done")
        objects = data.get("objects") if isinstance(data, dict) else None
        n = len(objects) if isinstance(objects, list) else 0
        self._import = self.bar.add_task("importing", total=n, count=f"0/{n} objects")
        self._show(n >= self.LARGE)

    def objects(self, done: int, total: int) -> None:
        """`stix_store.import_bundle`'s progress."""
        assert self._import is not None
        self._update(self._import, done, total, f"{done}/{total} objects")
