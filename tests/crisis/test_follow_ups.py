"""Follow-ups of an incident on a real database: what was learned, a revised severity, a
status move; through the service, the API and the incident page. Every refusal writes
nothing: neither an update row nor a journal entry."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow, IncidentUpdateRow
from collsec.replay import runner
from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.conftest import bearer, make_user

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
PROBLEM = "application/problem+json"
CROWD = "12 injured; the crowd has moved to the square"


def actor(principal: str, roles: tuple[str, ...] = ("duty_officer",)) -> auth.Actor:
    return auth.Actor(1, f"duty-{principal}", Principal.parse(principal), frozenset(roles),
                      "cli")


def report(principal: str = "delegation:KZ", *, severity: int = 2,
           released_to: list[str] | None = None) -> int:
    a = actor(principal)
    with db.write_session() as s:
        return service.report_incident(
            s, auth.clearance(s, a, TODAY, "CSTO"), a, type="mass_unrest", severity=severity,
            occurred_at=dt.datetime(2025, 5, 31, 22, tzinfo=dt.UTC), geometry=ALMATY,
            title="Unrest in Almaty", released_to=released_to, now=NOW).id


def follow_up(principal: str, incident: int, note: str = "", *,
              roles: tuple[str, ...] = ("duty_officer",), **change: Any) -> IncidentRow:
    a = actor(principal, roles)
    with db.write_session() as s:
        c = auth.clearance(s, a, TODAY, "CSTO")
        row = service.update_incident(s, c, a, incident, note=note, now=NOW, **change)
        s.flush()
        s.expunge(row)  # read after the commit, as it was written
        return row


def written() -> tuple[int, int]:
    """Update rows and journal entries: what a refusal must leave as it was."""
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(IncidentUpdateRow)) or 0,
                journal.verify(s).entries)


def updates(incident: int) -> list[tuple[str, str, int | None, int | None, str]]:
    with db.read_session() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(IncidentUpdateRow.status_from, IncidentUpdateRow.status_to,
                   IncidentUpdateRow.severity_from, IncidentUpdateRow.severity_to,
                   IncidentUpdateRow.note).where(IncidentUpdateRow.incident_id == incident)
            .order_by(IncidentUpdateRow.id))]


def last_entry() -> tuple[str, dict[str, Any]]:
    with db.read_session() as s:
        newest = max(journal.entries(s, limit=5), key=lambda e: e.seq)
        return newest.command, json.loads(newest.payload)


def severe(minimum: int, principal: str = "delegation:RU") -> set[int]:
    a = actor(principal, ("viewer",))
    with db.read_session() as s:
        return {r.id for r in service.list_incidents(s, auth.clearance(s, a, TODAY, "CSTO"),
                                                     severity_min=minimum, now=NOW)}


# -- the service --------------------------------------------------------------------------

def test_a_note_is_recorded_without_moving_the_status(csto_db: str) -> None:
    inc = report()
    before = written()
    row = follow_up("delegation:KZ", inc, f"  {CROWD}  ")
    assert (row.status, row.severity) == ("reported", 2)
    assert updates(inc) == [("reported", "reported", None, None, CROWD)]
    assert written() == (before[0] + 1, before[1] + 1)
    assert last_entry() == ("crisis.update_incident",
                            {"id": inc, "from": "reported", "to": "reported", "note": CROWD,
                             "live": [{"topic": "incident", "id": inc, "kind": "updated"}]})
    with db.read_session() as s:
        assert journal.verify(s).ok


def test_a_revised_severity_is_the_incidents_from_then_on(csto_db: str) -> None:
    inc = report(severity=2)
    assert inc not in severe(4)
    row = follow_up("delegation:KZ", inc, "", severity=4)
    assert row.severity == 4
    assert inc in severe(4)  # the map and the filters read the row
    follow_up("organ:CRC", inc, "confirmed by the CRC", severity=3, status="assessed")
    assert inc not in severe(4) and inc in severe(3)
    assert updates(inc) == [("reported", "reported", 2, 4, ""),
                            ("reported", "assessed", 4, 3, "confirmed by the CRC")]
    assert last_entry() == ("crisis.update_incident", {
        "id": inc, "from": "reported", "to": "assessed", "note": "confirmed by the CRC",
        "severity_from": 4, "severity_to": 3,
        "live": [{"topic": "incident", "id": inc, "kind": "updated"}]})
    # Restating the severity is no change: with a note it is a note, without one nothing.
    follow_up("delegation:KZ", inc, "still high", severity=3)
    assert updates(inc)[-1] == ("assessed", "assessed", None, None, "still high")
    with db.read_session() as s:
        assert journal.verify(s).ok


def test_advance_still_journals_its_own_command(csto_db: str) -> None:
    inc = report()
    a = actor("organ:CRC")
    with db.write_session() as s:
        service.advance(s, auth.clearance(s, a, TODAY, "CSTO"), a, inc, "assessed", "seen", NOW)
    assert last_entry() == ("crisis.advance_incident",
                            {"id": inc, "from": "reported", "to": "assessed", "note": "seen",
                             "live": [{"topic": "incident", "id": inc, "kind": "updated"}]})


REFUSALS: dict[str, tuple[Callable[[dict[str, int]], Any], type[CollsecError]]] = {
    "an empty update": (lambda i: follow_up("delegation:KZ", i["open"], "   "),
                        InvalidInput),
    "the same severity and no note": (
        lambda i: follow_up("delegation:KZ", i["open"], severity=2), InvalidInput),
    "a severity off the scale": (
        lambda i: follow_up("delegation:KZ", i["open"], "x", severity=9), InvalidInput),
    "a truth value for a severity": (
        lambda i: follow_up("delegation:KZ", i["open"], "x", severity=True), InvalidInput),
    "an unknown status": (
        lambda i: follow_up("delegation:KZ", i["open"], "x", status="solved"), InvalidInput),
    "a move back": (
        lambda i: follow_up("delegation:KZ", i["assessed"], status="reported"), Conflict),
    "the status it already has": (
        lambda i: follow_up("delegation:KZ", i["assessed"], status="assessed"), Conflict),
    "a note on a closed incident": (
        lambda i: follow_up("delegation:KZ", i["closed"], "one more thing"), Conflict),
    "a note too long": (
        lambda i: follow_up("delegation:KZ", i["open"], "x" * (service.MAX_NOTE + 1)),
        InvalidInput),
    "another centre": (
        lambda i: follow_up("delegation:RU", i["open"], "x", severity=4), auth.NotEntitled),
    "a viewer": (lambda i: follow_up("delegation:KZ", i["open"], "x", roles=("viewer",)),
                 auth.NotEntitled),
    "an incident it may not read": (
        lambda i: follow_up("delegation:BY", i["for_ru"], "x"), NotFound),
    "an incident not released to the CRC": (
        lambda i: follow_up("organ:CRC", i["for_ru"], "x"), NotFound),
    "an unknown incident": (lambda i: follow_up("delegation:KZ", 999999, "x"), NotFound),
}


@pytest.fixture
def incidents(csto_db: str) -> dict[str, int]:
    """One incident in each state a refusal needs."""
    found = {"open": report(), "assessed": report(), "closed": report(),
             "for_ru": report(released_to=["delegation:RU"])}
    follow_up("delegation:KZ", found["assessed"], status="assessed")
    follow_up("delegation:KZ", found["closed"], "over", status="closed")
    return found


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_update_writes_nothing(incidents: dict[str, int], case: str) -> None:
    attempt, error = REFUSALS[case]
    before = written()
    with db.read_session() as s:
        rows_before = [(r.status, r.severity) for r in s.scalars(
            select(IncidentRow).order_by(IncidentRow.id))]
    with pytest.raises(error):
        attempt(incidents)
    assert written() == before
    with db.read_session() as s:
        assert [(r.status, r.severity) for r in s.scalars(
            select(IncidentRow).order_by(IncidentRow.id))] == rows_before


def test_a_replay_step_adds_a_follow_up(empty_db: str) -> None:
    scenario = runner.parse_text(f"""
format: 1
title: A follow-up in a replay
sources: [domain-notes]
base: {{load_default: CSTO}}
steps:
  - {{on: 2025-05-31, do: report_incident, as: delegation:KZ, id: unrest, type: mass_unrest,
     severity: 2, occurred_at: "2025-05-31T08:00:00Z", title: Unrest,
     geometry: {{type: Point, coordinates: [76.95, 43.24]}}}}
  - {{on: 2025-06-01, do: update_incident, as: delegation:KZ, incident: unrest, severity: 4,
     note: "{CROWD}"}}
""")
    report_ = runner.run(scenario, db.engine_for(empty_db))
    assert report_.ok, [s.failure for s in report_.steps if not s.ok]
    with db.read_session(db.engine_for(empty_db)) as s:
        row = s.scalars(select(IncidentRow)).one()
        assert row.severity == 4
        assert [(u.severity_from, u.severity_to, u.note) for u in service.updates_of(
            s, row.id)] == [(2, 4, CROWD)]


# -- the API ------------------------------------------------------------------------------

@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY.isoformat())
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def tokens(csto_db: str) -> dict[str, str]:
    return {state: make_user(f"duty-{state.lower()}", f"delegation:{state}", ["duty_officer"])
            for state in ("KZ", "RU", "BY")}


def test_the_api_adds_an_update_and_answers_with_the_history(
        client: TestClient, tokens: dict[str, str]) -> None:
    inc = report()
    url = f"/api/v1/incidents/{inc}/updates"
    r = client.post(url, headers=bearer(tokens["KZ"]), json={"note": CROWD, "severity": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["severity"], body["status"]) == (inc, 4, "reported")
    r = client.post(url, headers=bearer(tokens["KZ"]), json={"status": "assessed"})
    assert r.status_code == 200, r.text
    got = [(u["from"], u["to"], u["severity_from"], u["severity_to"], u["note"])
           for u in r.json()["updates"]]
    assert got == [("reported", "reported", 2, 4, CROWD),
                   ("reported", "assessed", None, None, "")]
    detail = client.get(f"/api/v1/incidents/{inc}", headers=bearer(tokens["RU"])).json()
    assert detail["updates"] == r.json()["updates"] and detail["severity"] == 4


def test_the_api_refuses_bad_updates_as_problems_and_writes_nothing(
        client: TestClient, tokens: dict[str, str]) -> None:
    inc = report()
    hidden = report("delegation:RU", released_to=["delegation:BY"])
    url = f"/api/v1/incidents/{inc}/updates"
    assert client.post(url, headers=bearer(tokens["KZ"]),
                       json={"status": "assessed"}).status_code == 200
    before = written()
    for token, target, body, status in (
            ("KZ", url, {"note": "x", "status": "solved"}, 422),
            ("KZ", url, {"status": "reported"}, 409),
            ("KZ", url, {"note": "x", "severity": 5}, 422),
            ("KZ", url, {"note": "x", "severity": "4"}, 422),
            ("KZ", url, {"note": "  "}, 422),
            ("KZ", url, {}, 422),
            ("KZ", url, {"note": "x" * (service.MAX_NOTE + 1)}, 422),
            ("RU", url, {"note": "x"}, 403),
            ("KZ", f"/api/v1/incidents/{hidden}/updates", {"note": "x"}, 404),
            ("KZ", "/api/v1/incidents/999999/updates", {"note": "x"}, 404),
            (None, url, {"note": "x"}, 401)):
        r = client.post(target, headers=bearer(tokens[token]) if token else {}, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith(PROBLEM), body
    assert written() == before


# -- the incident page --------------------------------------------------------------------

def as_user(client: TestClient, name: str) -> None:
    client.cookies.clear()
    assert sign_in(client, name).status_code == 303


def post_update(client: TestClient, inc: int, **data: str) -> Any:
    token = form_token(client.get(f"/incidents/{inc}").text)
    return client.post(f"/incidents/{inc}/updates", data={"csrf_token": token, **data},
                       follow_redirects=False)


def test_the_reporting_centre_adds_an_update_on_the_page(client: TestClient,
                                                        tokens: dict[str, str]) -> None:
    inc = report(severity=2)
    as_user(client, "duty-kz")
    page = client.get(f"/incidents/{inc}").text
    assert "update-form" in page and "No update yet." in page
    assert '<option value="4">Critical</option>' in page
    assert '<option value="2">' not in page  # the current severity is "unchanged"
    r = post_update(client, inc, note=CROWD, severity="4", status="")
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{inc}#updates"
    html = client.get(f"/incidents/{inc}").text
    assert CROWD in html and 'data-severity="4"' in html
    assert "Moderate → Critical" in html and 'class="status-move"' not in html
    with db.read_session() as s:
        row = s.get(IncidentRow, inc)
        assert row is not None and (row.severity, row.status) == (4, "reported")
    ru = client.get(f"/incidents/{inc}", params={"lang": "ru"}).text
    for words in ("Обновления", "Добавить обновление", "Что стало известно", "без изменений",
                  "Умеренная → Критическая"):
        assert words in ru, words


def test_the_page_names_the_reporting_and_receiving_states(client: TestClient,
                                                           tokens: dict[str, str]) -> None:
    inc = report(released_to=["delegation:KG"])
    as_user(client, "duty-kz")
    page = client.get(f"/incidents/{inc}?lang=en").text
    assert '<span id="incident-owner" data-principal="delegation:KZ">Kazakhstan</span>' in page
    assert '<span class="released-to" data-principal="delegation:KG">Kyrgyzstan</span>' in page
    ru = client.get(f"/incidents/{inc}?lang=ru").text
    assert 'data-principal="delegation:KZ">Казахстан</span>' in ru


def test_a_refused_update_shows_on_the_page_and_writes_nothing(
        client: TestClient, tokens: dict[str, str]) -> None:
    inc = report()
    as_user(client, "duty-kz")
    before = written()
    r = post_update(client, inc, note="", severity="", status="")
    assert r.status_code == 400 and 'id="refusal"' in r.text
    assert "an update needs a note" in r.text
    r = post_update(client, inc, note=CROWD, severity="9")
    assert r.status_code == 400 and "not on the scale" in r.text
    assert CROWD in r.text  # the note is offered again
    r = post_update(client, inc, note="x", status="escalated")
    assert r.status_code == 409 and "for consultations or assistance cites it" in r.text
    forged = client.post(f"/incidents/{inc}/updates",
                         data={"note": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert written() == before


def test_only_the_reporting_centre_or_the_crc_gets_the_form(client: TestClient,
                                                          tokens: dict[str, str]) -> None:
    inc = report()
    make_user("crc.duty", "organ:CRC", ["duty_officer"])
    make_user("kz.viewer", "delegation:KZ", ["viewer"])
    for name in ("kz.viewer", "duty-ru"):
        as_user(client, name)
        assert "update-form" not in client.get(f"/incidents/{inc}").text, name
    before = written()
    token = form_token(client.get("/situation").text)
    r = client.post(f"/incidents/{inc}/updates", data={"note": "x", "csrf_token": token})
    assert r.status_code == 403 and "only its originator (delegation:" in r.text
    assert written() == before
    as_user(client, "crc.duty")
    assert post_update(client, inc, note="", status="closed").status_code == 303
    assert "update-form" not in client.get(f"/incidents/{inc}").text  # closed is final
