"""Every command of the CLI, walked with input at and past its edges: dates outside the
calendar we keep (year 1 to 9999) or zoned so their UTC falls outside it, numbers of 400
digits, text with a right-to-left override. Each is refused with one `error:` line and
exit 2 (or taken, where the value is valid), never a traceback, and a refused command
changes nothing. Only a negative number where an argument goes, which reads as an
unknown option, gets click's usage message instead.

The walk reads the commands from the CLI itself: a new command without a base
invocation here fails, so none is left unwalked. In process (typer's runner), because a
walk of a few hundred invocations as subprocesses would take minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.main import get_command
from typer.testing import CliRunner

from collsec.cli import app
from collsec.core import db, journal
from tests import builders
from tests.exercises.test_runs import scenario

DATES = ["10000-01-01", "0000-12-31", "2025-02-30", "9999-12-31T23:59:59-14:00",
         "0001-01-01T00:00:00+14:00", "1" * 400]
NUMBERS = ["9" * 400, "-99999999999999999999", "1e400"]
TEXTS = ["\u202eevil", "x" * 20_000]
# Parameters that take a date or a time, and those that take a whole number.
DATE_PARAMS = {"as_of", "on", "notice_on", "valid_from", "valid_to", "since", "until",
               "date", "expires", "effective_on", "occurred_at"}
NUMBER_PARAMS = {"year", "session_id", "item_id", "incident_id", "run_id", "limit", "revoke",
                 "port", "severity", "lon", "lat"}
TEXT_PARAMS = {"title_en", "title_ru", "city_en", "city_ru", "name", "reservation",
               "subject", "represented_by", "instrument", "host", "title", "note"}
# Of those, the one-line ones (a title, a name), where a bidirectional control is refused;
# a note (a reservation, an incident's) may hold one, and `decide` keeps nothing of its
# subject.
LINE_PARAMS = TEXT_PARAMS - {"reservation", "subject", "note"}
# A scenario file the staff wrote (run 1, the bases' own, is another scenario's).
DRILL = Path(__file__).parent / "exercises" / "data" / "hotline-drill.yaml"

# A valid invocation of each command: the walk changes one parameter at a time.
BASE: dict[str, list[str]] = {
    "members": ["members", "--as-of", "2024-01-01"],
    "state": ["state", "KZ"],
    "bodies": ["bodies", "--as-of", "2024-01-01"],
    "offices": ["offices", "--as-of", "2024-01-01"],
    "chair": ["chair", "2024"],
    "course": ["course", "AM", "--as-of", "2024-06-01", "--kind", "statement"],
    "relations": ["relations", "--partner", "UN", "--kind", "resolution"],
    "decide": ["decide", "--body", "CSC", "--position", "RU=support",
               "--on", "2024-01-01"],
    "audit": ["audit", "--since", "2024-01-01", "--limit", "5"],
    "withdrawal": ["withdrawal", "TJ", "--notice-on", "2024-01-01"],
    "journal list": ["journal", "list", "--limit", "5"],
    "membership add": ["membership", "add", "CN", "--status", "observer",
                       "--from", "2030-01-01", "--to", "2031-01-01"],
    "membership change": ["membership", "change", "KG", "--status", "observer",
                          "--on", "2030-01-01"],
    "users add": ["users", "add", "walker", "--principal", "delegation:KZ", "--role",
                  "viewer", "--name", "Walker"],
    "users token": ["users", "token", "walk-kz", "--name", "walk", "--expires",
                    "2030-01-01"],
    "agreement list": ["agreement", "list", "--as-of", "2024-01-01"],
    "agreement show": ["agreement", "show", "CHARTER-2002", "--as-of", "2024-01-01"],
    "agreement in-force": ["agreement", "in-force", "CHARTER-2002", "KZ", "--on",
                           "2024-01-01"],
    "agreement deposit": ["agreement", "deposit", "PEACEKEEPING-PROTOCOL-2021", "KZ",
                          "--on", "2024-01-01"],
    "session list": ["session", "list", "--year", "2024"],
    "session show": ["session", "show", "1"],
    "session convene": ["session", "convene", "--body", "CSC", "--date", "2024-11-28",
                        "--host", "KZ", "--city-en", "Astana"],
    "session seat": ["session", "seat", "1", "KZ", "--represented-by", "someone"],
    "session item": ["session", "item", "1", "--title-en", "Declaration"],
    "session position": ["session", "position", "1", "KZ", "support", "--reservation",
                         "none"],
    "session proxy": ["session", "proxy", "1", "RU", "support", "--instruction", "note 1",
                      "--reservation", "none"],
    "session close": ["session", "close", "1"],
    "crisis timeline": ["crisis", "timeline", "M-WALK"],
    "crisis totals": ["crisis", "totals", "M-WALK", "--as-of", "2024-01-01"],
    "missions": ["missions", "--status", "open"],
    "requests": ["requests"],
    "incidents": ["incidents", "--since", "2024-01-01", "--until", "2030-01-01",
                  "--limit", "5"],
    "incident report": ["--as", "walk-duty", "incident", "report", "--type", "border_clash",
                        "--severity", "2", "--occurred-at", "2025-05-01T10:30:00+05:00",
                        "--lon", "70", "--lat", "42", "--title", "Walked"],
    "incident update": ["--as", "walk-duty", "incident", "update", "1", "--note", "walked"],
    "exchange list": ["exchange", "list", "--query", "osh", "--tlp", "AMBER", "--status",
                      "released", "--limit", "5"],
    "exchange find": ["exchange", "find", "ИГИЛ", "--on", "2024-01-01"],
    "exchange export": ["exchange", "export", "--list", "--on", "2024-01-01"],
    "operations": ["operations", "--on", "2024-01-01"],
    "operation": ["operation", "channel", "--by", "year", "--on", "2024-01-01"],
    "exercises": ["exercises", "--series", "interaction", "--year", "2022",
                  "--on", "2024-01-01"],
    "exercise-runs": ["exercise-runs"],
    "exercise-run": ["exercise-run", "1", "--debrief"],
    "exercise-scenario-add": ["exercise-scenario-add", str(DRILL), "--exercise", "INT-2022"],
    "simulate": ["simulate", "--place", "76.93,43.35", "--need", "500", "--runs", "200",
                 "--no-progress"],
}
# Commands with nothing a user types that the walk could push past an edge, and why.
NOT_WALKED = {
    "serve": "starts a server (its port is checked by the server's own test)",
    "replay": "reads a scenario file: its edges are the replay tests'",
    "crisis import": "reads a file of reports: its edges are the import tests'",
    "exchange import": "reads a STIX bundle: its edges are tests/exchange/test_stix_import.py's",
    "db init": "takes nothing", "db setup": "takes nothing",
    "db load-default": "takes an organization code only",
    "journal verify": "takes a checkpoint file: the journal tests'",
    "users list": "takes nothing", "users disable": "takes a user name only",
    "users enable": "takes a user name only", "users delete": "takes a user name only",
    "users set-role": "takes a user name and roles only",
    "users reset-password": "takes a user name only",
}


def _commands() -> Iterator[tuple[str, Any]]:
    def walk(c: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        subs = getattr(c, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path), c
    yield from walk(get_command(app), ())


def _mutations() -> Iterator[tuple[str, list[str], bool]]:
    """(what, the invocation, whether it must be refused) for each value of each walked
    parameter."""
    for name, command in _commands():
        base = BASE.get(name)
        if base is None:
            continue
        for p in command.params:
            values = (DATES if p.name in DATE_PARAMS else NUMBERS if p.name in NUMBER_PARAMS
                      else TEXTS if p.name in TEXT_PARAMS else [])
            for value in values:
                refused = (value not in TEXTS or p.name in LINE_PARAMS
                           or (value == TEXTS[1] and name != "decide"))
                yield (f"{name} {p.name}={value[:30]!r}",
                       _with(base, name, command, p, value), refused)


def _with(base: list[str], name: str, command: Any, param: Any, value: str) -> list[str]:
    """`base` with `param` set to `value`: an option's value replaced (or added), or the
    argument in its place (a base gives its arguments right after the command's name,
    which follows `--as USER` when it acts as another user)."""
    args = list(base)
    if param.param_type_name == "option":
        flag = max(param.opts, key=len)
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
        return args
    arguments = [p.name for p in command.params if p.param_type_name == "argument"]
    start = args.index(name.split()[0])
    args[start + len(name.split()) + arguments.index(param.name)] = value
    return args


def test_every_command_is_walked_or_says_why_not() -> None:
    names = {name for name, _ in _commands()}
    assert names - set(BASE) - set(NOT_WALKED) == set()
    assert set(BASE) | set(NOT_WALKED) <= names  # none stale


SETUP = [["users", "add", "walk-kz", "--principal", "delegation:KZ", "--role", "viewer"],
         ["users", "add", "walk-duty", "--principal", "delegation:KZ", "--role",
          "duty_officer"],
         BASE["session convene"], BASE["session item"], BASE["incident report"]]


@contextmanager
def _prepared(tmp: Path) -> Iterator[CliRunner]:
    """A database of its own with what the bases need: users, session 1 with item 1,
    incident 1, a mission, exercise run 1."""
    from tests.conftest import drop_database, isolated_database, pointing_at

    url = isolated_database(tmp)
    try:
        with pointing_at(url):
            runner = CliRunner()
            for setup in SETUP:
                result = runner.invoke(app, setup)
                assert result.exit_code == 0, result.output
            builders.council_decision(dt.date(2024, 6, 1), code="M-WALK")  # a mission
            builders.exercise_run(scenario("WALK-CPX"))
            yield runner
    finally:
        db.engine_for(url).dispose()
        drop_database(url)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRunner]:
    # Every base is taken as it stands (so a refusal in the walk is the changed value's),
    # on a database of its own; the walk then starts from the same state on another.
    with _prepared(tmp_path_factory.mktemp("bases")) as runner:
        for name, base in BASE.items():
            result = runner.invoke(app, base)
            assert result.exit_code == 0, (name, result.output)
    with _prepared(tmp_path_factory.mktemp("walk")) as runner:
        yield runner


def _entries() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0


@pytest.mark.parametrize("case,args,refused", list(_mutations()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_input_past_the_edge_is_one_error_line_and_exit_2(walked: CliRunner, case: str,
                                                          args: list[str],
                                                          refused: bool) -> None:
    before = _entries()
    result = walked.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{case}: {result.exception!r}\n{result.output}")
    if result.exit_code == 0:
        assert not refused, f"{case} was taken"
        return
    assert result.exit_code == 2, f"{case}: exit {result.exit_code}\n{result.output}"
    lines = result.stderr.strip().splitlines()
    ours = len(lines) == 1 and lines[0].startswith("error: ")
    # a negative number where an argument goes reads as an option: click's usage message
    unknown_option = "No such option" in result.stderr
    assert ours or unknown_option, f"{case}:\n{result.stderr}"
    assert "Traceback" not in result.output
    assert _entries() == before, f"{case} changed the journal"
