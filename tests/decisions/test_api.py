"""The charter engine's JSON API on a real database: sessions, positions, outcomes, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.decisions.tables import AgendaItemRow, PositionRow, SessionRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

TODAY = "2025-06-01"
PROBLEM = "application/problem+json"


@dataclass
class Users:
    editor: dict[str, str]
    am: dict[str, str]
    ru: dict[str, str]
    viewer: dict[str, str]


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def users(client: TestClient) -> Users:
    return Users(editor=bearer(make_user("sec.editor", "organ:SEC", ["editor"])),
                 am=bearer(make_user("am.rep", "delegation:AM", ["representative"])),
                 ru=bearer(make_user("ru.rep", "delegation:RU", ["representative"])),
                 viewer=bearer(make_user("kz.viewer", "delegation:KZ", ["viewer"])))


def count(table: Any) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def journal_size() -> int:
    return count(journal.JournalEntry)


def is_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


def convene(client: TestClient, who: dict[str, str], date: str = "2022-11-23",
            **extra: Any) -> int:
    r = client.post("/api/v1/sessions", headers=who, json={
        "body": "CSC", "kind": "regular", "date": date, "format": "in_person",
        "host_state": "AM", "city_en": "Yerevan", "city_ru": "Ереван", **extra})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def add_item(client: TestClient, who: dict[str, str], sid: int, **extra: Any) -> int:
    r = client.post(f"/api/v1/sessions/{sid}/items", headers=who, json={
        "title_en": "Declaration on the situation", "title_ru": "Декларация о ситуации",
        "draft_kind": "declaration", "matter": "substantive", **extra})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def position(client: TestClient, who: dict[str, str], item: int, state: str, pos: str,
             reservation: str = "", lang: str = "en") -> httpx.Response:
    return client.put(f"/api/v1/items/{item}/positions/{state}", headers=who,
                      params={"lang": lang}, json={"position": pos, "reservation": reservation})


# -- the whole path ------------------------------------------------------------------------

def test_convene_seat_put_an_item_record_positions_and_close(client: TestClient,
                                                             users: Users) -> None:
    sid = convene(client, users.editor)
    for state in ("AM", "RU"):
        r = client.post(f"/api/v1/sessions/{sid}/participants", headers=users.editor,
                        json={"state": state, "represented_by": f"head of {state}"})
        assert r.status_code == 201 and r.json()["state"] == state
    item = add_item(client, users.editor, sid)

    fresh = client.get(f"/api/v1/sessions/{sid}").json()
    assert fresh["chair_state"] == "AM" and fresh["body"]["code"] == "CSC"
    assert [p["state"] for p in fresh["participants"]] == ["AM", "RU"]
    assert fresh["items"][0]["outcome"]["reason"] == "consensus_no_support"

    supported = position(client, users.ru, item, "RU", "support",
                         reservation="subject to ratification")
    assert supported.status_code == 200, supported.text
    outcome = supported.json()["outcome"]
    assert outcome["adopted"] and outcome["reason"] == "adopted_consensus"
    assert outcome["bound"] == ["RU"] and "Armenia" in outcome["explanation"]  # no position yet

    objected = position(client, users.am, item, "AM", "object", lang="ru")
    assert objected.status_code == 200
    outcome = objected.json()["outcome"]
    assert not outcome["adopted"] and outcome["reason"] == "consensus_objection"
    assert outcome["explanation"].startswith("не принято: Армения возражает")
    assert outcome["tally"]["object"] == ["AM"] and outcome["tally"]["support"] == ["RU"]

    page = client.get(f"/api/v1/sessions/{sid}", params={"lang": "en"}).json()
    (shown,) = page["items"]
    assert shown["status"] == "open" and not shown["outcome"]["final"]
    assert shown["outcome"]["explanation"].startswith("not adopted: Armenia objects")
    assert {p["state"]: (p["position"], p["reservation"]) for p in shown["positions"]} == {
        "AM": ("object", ""), "RU": ("support", "subject to ratification")}
    assert "recorded_by" not in shown["positions"][0]  # who typed it stays in the journal
    assert page["state_names"]["AM"] == {"en": "Armenia", "ru": "Армения"}

    # Armenia changes its mind: it takes no part, which neither blocks nor binds it.
    assert position(client, users.am, item, "AM", "not_participating").json()["outcome"][
        "adopted"]
    closed = client.post(f"/api/v1/items/{item}/close", headers=users.editor)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["outcome"]["final"]
    assert body["outcome"]["adopted"] and body["outcome"]["bound"] == ["RU"]
    doc = body["document_id"]
    assert doc is not None
    published = client.get(f"/api/v1/documents/{doc}")  # an adopted act is public
    assert published.status_code == 200
    assert published.json()["title"]["en"] == "Declaration on the situation"
    assert published.json()["visibility"] == "public"

    listed = client.get("/api/v1/sessions", params={"body": "csc", "year": 2022}).json()
    assert [(s["id"], s["items"]) for s in listed["sessions"]] == [(sid, 1)]
    assert client.get("/api/v1/sessions", params={"year": 2021}).json()["sessions"] == []


def test_a_closed_item_keeps_its_frozen_outcome(client: TestClient, users: Users) -> None:
    sid = convene(client, users.editor)
    item = add_item(client, users.editor, sid)
    position(client, users.am, item, "AM", "object")
    client.post(f"/api/v1/items/{item}/close", headers=users.editor)
    for lang, start in (("en", "not adopted: Armenia objects"),
                        ("ru", "не принято: Армения возражает")):
        outcome = client.get(f"/api/v1/sessions/{sid}", params={"lang": lang}).json()[
            "items"][0]["outcome"]
        assert outcome["final"] and not outcome["adopted"]
        assert outcome["explanation"].startswith(start)


# -- refusals change nothing -----------------------------------------------------------------

def test_a_state_without_a_seat_cannot_record_a_position(client: TestClient,
                                                         users: Users) -> None:
    uz = bearer(make_user("uz.rep", "delegation:UZ", ["representative"]))
    sid = convene(client, users.editor, date="2013-05-01", host_state="RU",
                  city_en="Moscow")
    item = add_item(client, users.editor, sid)
    before = journal_size()
    refused = is_problem(position(client, uz, item, "UZ", "support"), 403)
    assert "holds no seat" in refused["detail"]
    seat = is_problem(client.post(f"/api/v1/sessions/{sid}/participants",
                                  headers=users.editor, json={"state": "UZ"}), 403)
    assert "participation_suspended" in seat["detail"]
    assert journal_size() == before and count(PositionRow) == 0


def test_a_delegation_records_only_its_own_position(client: TestClient, users: Users) -> None:
    item = add_item(client, users.editor, convene(client, users.editor))
    refused = is_problem(position(client, users.am, item, "RU", "object"), 403)
    assert "only delegation:RU may record position" in refused["detail"]
    assert count(PositionRow) == 0


def test_no_position_on_a_closed_item(client: TestClient, users: Users) -> None:
    item = add_item(client, users.editor, convene(client, users.editor))
    position(client, users.ru, item, "RU", "support")
    assert client.post(f"/api/v1/items/{item}/close", headers=users.editor).status_code == 200
    before = journal_size()
    conflict = is_problem(position(client, users.am, item, "AM", "object"), 409)
    assert "closed" in conflict["detail"]
    is_problem(client.post(f"/api/v1/items/{item}/close", headers=users.editor), 409)
    assert journal_size() == before and count(PositionRow) == 1


def test_an_unknown_body_or_matter_or_date_is_refused(client: TestClient, users: Users) -> None:
    before = journal_size()
    body = is_problem(client.post("/api/v1/sessions", headers=users.editor, json={
        "body": "XYZ", "date": "2024-05-01"}), 404)
    assert "unknown body" in body["detail"]
    date = is_problem(client.post("/api/v1/sessions", headers=users.editor, json={
        "body": "CSC", "date": "2024-13-01"}), 422)
    assert "not a valid date" in date["detail"]
    is_problem(client.post("/api/v1/sessions", headers=users.editor, json={
        "body": "CSC", "date": "2024-05-01", "kind": "secret"}), 422)
    assert count(SessionRow) == 0 and journal_size() == before

    sid = convene(client, users.editor)
    before = journal_size()
    matter = is_problem(client.post(f"/api/v1/sessions/{sid}/items", headers=users.editor,
                                    json={"title_en": "War", "matter": "war"}), 404)
    assert "unknown kind of matter 'war'" in matter["detail"]
    reserved = is_problem(client.post(f"/api/v1/sessions/{sid}/items", headers=users.editor,
                                      json={"title_en": "Admit", "matter": "admission"}), 422)
    assert "name the state" in reserved["detail"]
    is_problem(client.post(f"/api/v1/sessions/{sid}/items", headers=users.editor,
                           json={"title_en": "T", "effective_on": "2024-02-30"}), 422)
    is_problem(client.post("/api/v1/sessions/999/items", headers=users.editor,
                           json={"title_en": "T"}), 404)
    item = add_item(client, users.editor, sid)
    is_problem(position(client, users.ru, item, "RU", "maybe"), 422)
    assert count(AgendaItemRow) == 1 and count(PositionRow) == 0
    assert journal_size() == before + 1  # only the good item


def test_anonymous_writes_are_401_and_a_viewer_is_403(client: TestClient, users: Users) -> None:
    sid = convene(client, users.editor)
    item = add_item(client, users.editor, sid)
    before = journal_size()
    writes = [("POST", "/api/v1/sessions", {"body": "CSC", "date": "2024-05-01"}),
              ("POST", f"/api/v1/sessions/{sid}/participants", {"state": "KZ"}),
              ("POST", f"/api/v1/sessions/{sid}/items", {"title_en": "T"}),
              ("PUT", f"/api/v1/items/{item}/positions/KZ", {"position": "support"}),
              ("POST", f"/api/v1/items/{item}/close", None),
              ("POST", "/api/v1/organizations/CSTO/withdrawals",
               {"state": "KZ", "notice_on": "2031-03-15"})]
    for method, path, body in writes:
        is_problem(client.request(method, path, json=body), 401)
        refused = is_problem(client.request(method, path, json=body, headers=users.viewer), 403)
        assert "kz.viewer may not" in refused["detail"]
    # A representative records positions; it does not run the session.
    is_problem(client.post(f"/api/v1/items/{item}/close", headers=users.ru), 403)
    is_problem(client.post("/api/v1/sessions", headers=users.ru,
                           json={"body": "CSC", "date": "2024-05-01"}), 403)
    assert journal_size() == before


def test_an_extraordinary_session_needs_a_seated_requester(client: TestClient,
                                                           users: Users) -> None:
    is_problem(client.post("/api/v1/sessions", headers=users.editor, json={
        "body": "CSC", "kind": "extraordinary", "date": "2022-09-13"}), 422)
    sid = convene(client, users.editor, date="2022-09-13", kind="extraordinary",
                  format="video", requested_by=["AM"])
    assert client.get(f"/api/v1/sessions/{sid}").json()["requested_by"] == ["AM"]


def test_reading_is_public_and_checks_its_input(client: TestClient, users: Users) -> None:
    sid = convene(client, users.editor)
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 200
    is_problem(client.get("/api/v1/sessions/4242"), 404)
    is_problem(client.get(f"/api/v1/sessions/{sid}", params={"lang": "de"}), 422)
    is_problem(client.get("/api/v1/sessions/99999999999"), 422)
    is_problem(client.get("/api/v1/sessions", params={"year": "twenty"}), 422)


# -- decide and withdrawals ---------------------------------------------------------------------

def test_decide_evaluates_and_explains_without_writing(client: TestClient) -> None:
    before = journal_size()
    r = client.post("/api/v1/decide", json={
        "body": "CSC", "on": "2022-11-23", "positions": {"AM": "object", "RU": "support"},
        "lang": "ru"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert not data["adopted"] and data["reason"] == "consensus_objection"
    assert data["explanation"].startswith("не принято: Армения возражает")
    assert "UZ" not in data["seated"] and data["on"] == "2022-11-23"

    suspended = client.post("/api/v1/decide", json={
        "body": "CSC", "matter": "suspension", "subject": "KG", "on": "2030-03-01",
        "positions": {s: "support" for s in ("AM", "BY", "KZ", "RU", "TJ")}}).json()
    assert suspended["adopted"] and "KG" not in suspended["seated"]

    is_problem(client.post("/api/v1/decide", json={
        "body": "CSC", "on": "2013-01-01", "positions": {"UZ": "support"}}), 403)
    is_problem(client.post("/api/v1/decide", json={"body": "CSC", "matter": "war"}), 404)
    is_problem(client.post("/api/v1/decide", json={"body": "CSC", "lang": "de"}), 422)
    is_problem(client.post("/api/v1/decide", json={"body": "CSC", "on": "2024-02-30"}), 422)
    assert journal_size() == before


def test_a_withdrawal_notice_takes_effect_after_six_months(client: TestClient,
                                                           users: Users) -> None:
    r = client.post("/api/v1/organizations/CSTO/withdrawals", headers=users.editor,
                    json={"state": "KZ", "notice_on": "2031-03-15"})
    assert r.status_code == 201, r.text
    assert r.json()["effective_on"] == "2031-09-15"
    status = client.get("/api/v1/states/KZ", params={"as_of": "2031-09-15"}).json()
    assert [s["status"] for s in status["statuses"] if s["organization"] == "CSTO"] == [
        "withdrawn"]
    before = journal_size()
    is_problem(client.post("/api/v1/organizations/CSTO/withdrawals", headers=users.editor,
                           json={"state": "KZ", "notice_on": "2031-04-01"}), 409)
    is_problem(client.post("/api/v1/organizations/CSTO/withdrawals", headers=users.editor,
                           json={"state": "CN", "notice_on": "2031-04-01"}), 422)
    is_problem(client.post("/api/v1/organizations/CSTO/withdrawals", headers=users.editor,
                           json={"state": "BY", "notice_on": "2031-02-30"}), 422)
    assert journal_size() == before
