"""The crisis lists and an incident's report and follow-up at the command line (`collsec
missions`, `requests`, `incidents`, `incident report|update`), in process on a real
database: each shows what the user it acts as may read, as the API does, and refuses a
bad value with one `error:` line and exit 2, writing nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from collsec.cli import app
from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.crisis import cli as crisis_cli
from collsec.crisis.escalation import service as escalation
from collsec.crisis.incidents import service
from tests import builders
from tests.conftest import make_user

RUNNER = CliRunner()
PLACE = ["--lon", "70.5", "--lat", "42.1"]


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return RUNNER.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r.stdout


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--json"))


def report(title: str, *extra: str, at: str = "2025-05-01T10:30:00+05:00") -> int:
    """An incident reported by Kazakhstan's duty officer; its id."""
    data = as_json("--as", "kz-duty", "incident", "report", "--type", "border_clash",
                   "--occurred-at", at, *PLACE, "--title", title, *extra)
    return int(data["id"])


def entries() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0


def _people() -> None:
    """Kazakhstan's duty officer (reports), viewers of Russia's and Belarus's delegations,
    and a viewer of an organization outside (reads nothing members-level)."""
    make_user("kz-duty", "delegation:KZ", ["duty_officer"])
    make_user("ru-view", "delegation:RU", ["viewer"])
    make_user("by-view", "delegation:BY", ["viewer"])
    make_user("osce-view", "external:OSCE", ["viewer"])


@pytest.fixture
def people(csto_db: str) -> None:
    _people()


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One database for the refusals, with the people and incident 1: a refusal leaves it
    as it was (each test says so), so they share it."""
    from tests.conftest import drop_database, isolated_database, pointing_at

    url = isolated_database(tmp_path_factory.mktemp("refusing"))
    try:
        with pointing_at(url):
            _people()
            report("Shots at the post")
            yield
    finally:
        drop_database(url)


# -- incidents -------------------------------------------------------------------------------

def test_a_restricted_incident_is_listed_only_for_the_principals_it_is_released_to(
        people: None) -> None:
    open_id = report("Shots at the post")
    secret = report("Movement seen", "--release-to", "delegation:RU",
                    at="2025-05-02T08:00:00+05:00")
    for user, seen in (("ru-view", [secret, open_id]), ("by-view", [open_id]),
                       ("kz-duty", [secret, open_id])):  # the reporter reads its own
        listed = as_json("--as", user, "incidents")
        assert [i["id"] for i in listed["incidents"]] == seen, user
        assert listed["more"] is False
    table = ok("--as", "ru-view", "incidents")
    assert "Movement seen (restricted)" in table and "Border clash" in table
    assert "Movement seen" not in ok("--as", "by-view", "incidents")


def test_the_restricted_incidents_a_list_shows_are_audited(people: None) -> None:
    secret = report("Movement seen", "--release-to", "delegation:RU")
    ok("--as", "ru-view", "incidents")
    audit = as_json("audit", "--kind", "read", "--user", "ru-view")
    assert [(a["principal"], a["detail"]) for a in audit] == [
        ("delegation:RU", f"list: {secret}")]


def test_a_report_then_an_update_round_trips(people: None) -> None:
    reported = as_json("--as", "kz-duty", "incident", "report", "--type", "border_clash",
                       "--severity", "2", "--occurred-at", "2025-05-01T10:30:00+05:00",
                       "--geometry", '{"type": "Point", "coordinates": [70.5, 42.1]}',
                       "--title", "Shots at the post", "--description", "two bursts")
    assert (reported["status"], reported["severity"], reported["visibility"]) == (
        "reported", 2, "members")
    assert reported["point"] == [70.5, 42.1]
    updated = as_json("--as", "kz-duty", "incident", "update", str(reported["id"]), "--note",
                      "a patrol confirmed it", "--severity", "3", "--status", "assessed")
    assert (updated["status"], updated["severity"]) == ("assessed", 3)
    assert [(u["from"], u["to"], u["note"]) for u in updated["updates"]] == [
        ("reported", "assessed", "a patrol confirmed it")]
    listed = as_json("--as", "by-view", "incidents", "--status", "assessed")["incidents"]
    assert [(i["id"], i["severity"]) for i in listed] == [(reported["id"], 3)]
    said = ok("--as", "kz-duty", "incident", "update", str(reported["id"]), "--note", "calm",
              "--lang", "ru")
    assert said.strip() == f"инцидент {reported['id']}: статус «Оценено», серьёзность 3 Высокая"


def test_the_newest_come_a_page_at_a_time_up_to_the_limit(
        people: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [report(f"Report {n}", at=f"2025-05-0{n}T10:00:00Z") for n in (1, 2, 3)]
    monkeypatch.setattr(service, "MAX_PAGE", 1)  # the service's pages, one incident each
    two = cli("--as", "by-view", "incidents", "--limit", "2")
    assert two.exit_code == 0 and "Report 3" in two.stdout and "Report 1" not in two.stdout
    assert "raise --limit" in two.stderr
    listed = as_json("--as", "by-view", "incidents", "--limit", "3")
    assert [i["id"] for i in listed["incidents"]] == ids[::-1] and listed["more"] is False
    assert as_json("--as", "by-view", "incidents", "--limit", "2")["more"] is True
    window = as_json("--as", "by-view", "incidents", "--since", "2025-05-02",
                     "--until", "2025-05-02")
    assert [i["id"] for i in window["incidents"]] == [ids[1]]


# -- missions and requests -------------------------------------------------------------------

def _consultations(state: str, on: dt.date) -> None:
    who = builders.representative(state)
    with db.write_session() as s:
        escalation.request_consultations(
            s, auth.clearance(s, who, on, "CSTO"), who, state=state, on=on,
            subject_en="Shots on the border", subject_ru="Стрельба на границе",
            now=dt.datetime.combine(on, dt.time(9), dt.UTC))


def test_missions_are_every_one_newest_first_whatever_the_pages(
        people: None, monkeypatch: pytest.MonkeyPatch) -> None:
    builders.council_decision(dt.date(2024, 6, 1), code="M-ONE")
    builders.council_decision(dt.date(2024, 7, 1), code="M-TWO", host="KG",
                              title_en="Second", title_ru="Вторая")
    monkeypatch.setattr(crisis_cli, "PAGE", 1)
    listed = as_json("--as", "by-view", "missions")["missions"]
    assert [(m["code"], m["host_state"], m["status"]) for m in listed] == [
        ("M-TWO", "KG", "open"), ("M-ONE", "KZ", "open")]
    assert as_json("missions", "--status", "closed") == {"missions": []}
    table = ok("--as", "by-view", "missions", "--lang", "ru")
    assert "Вторая" in table and "Кыргызстан (KG)" in table and "Миссия открыта" in table


def test_requests_list_assistance_and_consultations(people: None) -> None:
    builders.council_decision(dt.date(2024, 6, 1), code="M-ONE")
    _consultations("KZ", dt.date(2024, 5, 20))
    listed = as_json("--as", "by-view", "requests")
    assert [(r["state"], r["status"], r["mission"]) for r in listed["requests"]] == [
        ("KZ", "granted", "M-ONE")]
    assert [c["subject"]["en"] for c in listed["consultations"]] == ["Shots on the border"]
    table = ok("--as", "by-view", "requests", "--lang", "ru")
    assert "Удовлетворена" in table and "M-ONE" in table and "Стрельба на границе" in table


@pytest.mark.parametrize("command", ["missions", "requests"])
def test_a_reader_outside_the_members_is_refused_the_lists(people: None, command: str
                                                            ) -> None:
    r = cli("--as", "osce-view", command)
    assert r.exit_code == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: ")


def test_a_reader_outside_the_members_reads_no_incident(people: None) -> None:
    report("Shots at the post")
    assert as_json("--as", "osce-view", "incidents") == {"incidents": [], "more": False}


# -- bad values ------------------------------------------------------------------------------

REPORT = ["--as", "kz-duty", "incident", "report", "--type", "border_clash",
          "--occurred-at", "2025-05-01T10:30:00Z", "--title", "Shots"]


@pytest.mark.parametrize("args,said", [
    (["audit", "--kind", "bogus"], "--kind: 'bogus' is not one of read, read_refused"),
    (["audit", "--limit", "0"], "--limit must be at least 1, not 0"),
    (["missions", "--status", "bogus"], "--status: 'bogus' is not one of open, closed"),
    (["members", "--lang", "de"], "--lang: 'de' is not one of en, ru"),
    (["session", "list", "--body", "NOPE"], "unknown body 'NOPE' of CSTO"),
    (["incidents", "--limit", "many"], "--limit takes a whole number, not 'many'"),
    (["incidents", "--status", "bogus"], "unknown incident status 'bogus'"),
    (["incidents", "--type", "bogus"], "unknown incident type 'bogus'"),
    (["incidents", "--since", "yesterday"], "--since"),
    ([*REPORT, *PLACE, "--type", "bogus"], "unknown incident type 'bogus'"),
    ([*REPORT, *PLACE, "--lon", "181"], "longitude"),
    ([*REPORT, "--lon", "70"], "give the place: --lon and --lat, or --geometry"),
    ([*REPORT, *PLACE, "--geometry", "{}"], "not both"),
    ([*REPORT, "--geometry", "{nope"], "--geometry is not JSON"),
    ([*REPORT, *PLACE, "--release-to", "delegation:XX"], "XX"),
    (["--as", "kz-duty", "incident", "update", "abc"],
     "INCIDENT_ID takes a whole number, not 'abc'"),
    (["--as", "kz-duty", "incident", "update", "1"], "an update needs a note"),
    (["--as", "kz-duty", "incident", "update", "1", "--status", "reported"],
     "already reported"),
    (["--as", "by-view", "incident", "update", "1", "--note", "x"], "may not update"),
])
def test_a_bad_value_is_one_error_line_exit_2_and_nothing_written(
        refusing: None, args: list[str], said: str) -> None:
    before = entries()
    r = cli(*args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert said in lines[0]
    assert entries() == before


def test_a_bad_value_is_refused_in_the_commands_language(refusing: None) -> None:
    r = cli("incidents", "--limit", "0", "--lang", "ru")  # --lang after the bad value
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: значение --limit должно быть не меньше 1, а не 0"
    r = cli("audit", "--kind", "bogus", env={"LANG": "ru_RU.UTF-8"})
    assert r.exit_code == 2 and "недопустимое значение «bogus»" in r.stderr
    # COLLSEC_LANG is read as the locale is: a language we do not speak is English
    assert cli("members", env={"COLLSEC_LANG": "de"}).exit_code == 0


@pytest.mark.parametrize("args", [
    ["incidents", "--limit", "0"], ["incidents", "--limit", "100001"],
    ["incidents", "--limit", "1.5"], [*REPORT, "--lon", "east", "--lat", "42"],
    ["missions", "--status", "bogus"]])
def test_every_kind_of_bad_value_is_worded_in_russian(refusing: None, args: list[str]
                                                      ) -> None:
    r = cli(*args, "--lang", "ru")
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert any("а" <= ch <= "я" for ch in lines[0].lower()), lines[0]


def test_a_command_line_of_the_wrong_shape_keeps_the_usage(refusing: None) -> None:
    r = cli("incidents", "--no-such-option")
    assert r.exit_code == 2 and "Usage:" in r.stderr
