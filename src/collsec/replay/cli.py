"""`collsec replay FILE`: run a scenario of dated commands against a fresh database.

By default the replay writes a new temporary SQLite file and prints its path, so
the result can be inspected with the other commands afterwards
(`COLLSEC_DATABASE_URL=sqlite:///PATH collsec members --as-of ...`). With
`--database-url` it writes the given database, which must be empty. Exit status:
0 when every expectation and check holds, 1 when one does not (or a step is
refused), 2 when the file is malformed or the database is not empty.

`collsec.cli` imports this module at its end; this module adds the command to
`collsec.cli.app`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from collsec.cli import JSON, LANG, _emit_json, app, handles_errors, out
from collsec.core import i18n, settings
from collsec.core.errors import InvalidInput
from collsec.replay import runner


def _url(given: str | None) -> str:
    if given:
        if given.startswith("postgresql://"):  # the driver we ship, as settings does
            return "postgresql+psycopg://" + given.removeprefix("postgresql://")
        return given
    folder = Path(tempfile.mkdtemp(prefix="collsec-replay-"))
    return f"sqlite:///{folder / 'collsec.db'}"


def _say(text: str) -> None:
    out.print(text, markup=False, soft_wrap=True, highlight=False)


class _Printer:
    """Prints each step with its result as it runs, then the checks."""

    def __init__(self) -> None:
        self.checks_started = False

    def __call__(self, item: runner.StepReport | runner.CheckReport) -> None:
        if isinstance(item, runner.StepReport):
            s = item.step
            _say(f"[{s.number}] {s.on} {s.do}, as {item.acting}: "
                 f"{'ok' if item.ok else 'FAILED'}")
            for line in item.lines:
                _say(f"    {line}")
            if item.failure:
                _say(f"    {s.label} failed: {item.failure}")
            return
        if not self.checks_started:
            self.checks_started = True
            _say("checks:")
        _say(f"  {'ok    ' if item.ok else 'FAILED'} {item.check.kind}: {item.detail}")


@app.command("replay")
@handles_errors
def replay(file: str = typer.Argument(..., metavar="FILE",
                                      help="a scenario file, or the name of a shipped "
                                      "replay, e.g. uzbekistan-suspension-2012"),
           database_url: str | None = typer.Option(None, "--database-url",
                                                   help="write this empty database instead "
                                                   "of a new temporary SQLite file"),
           as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Replay a scenario of dated commands against a fresh database, then check the result."""
    scenario = runner.read_scenario(runner.find(file, settings.load().organization))
    lang = i18n.normalize(lang)
    url = _url(database_url)
    engine = runner.database(url)
    if not runner.is_fresh(engine):
        raise InvalidInput("the database {url} already holds data; a replay needs an empty "
                           "one", url=engine.url.render_as_string(hide_password=True))
    shown = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else \
        engine.url.render_as_string(hide_password=True)
    if not as_json:
        _say(f"replay: {scenario.title}")
        _say(f"database: {shown}")
        until = f" until {scenario.base.until}" if scenario.base.until else ""
        _say(f"base: embedded {scenario.base.org} data{until}")
    report = runner.run(scenario, engine, lang=lang, progress=None if as_json else _Printer())
    if as_json:
        _emit_json(runner.as_dict(report, shown, engine.url.render_as_string(hide_password=True)))
    else:
        if not report.checks_run:
            _say("checks not run: the replay stopped at a failed step")
        _say(("replay holds" if report.ok else "replay FAILED") +
             f"; inspect it with COLLSEC_DATABASE_URL={url} collsec ...")
    if not report.ok:
        raise typer.Exit(1)
