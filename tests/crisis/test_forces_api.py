"""The collective forces API: open, offer, accept, report, read the timeline and totals,
close; refusals as problem+json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collsec.web.app import create_app
from tests.builders import council_decision
from tests.conftest import bearer, make_user

PROBLEM = "application/problem+json"
M = "/api/v1/missions/CPF-TEST"


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_a_mission_through_the_api(client: TestClient) -> None:
    sec = bearer(make_user("sec-editor", "organ:SEC", ["editor"]))
    rep_ru = bearer(make_user("rep-ru", "delegation:RU", ["representative"]))
    duty_ru = bearer(make_user("duty-ru", "delegation:RU", ["duty_officer"]))
    duty_by = bearer(make_user("duty-by", "delegation:BY", ["duty_officer"]))

    r = client.post("/api/v1/contingents", headers=sec, json={
        "force": "CRRF", "state": "RU", "unit_type": "airborne", "personnel": 500,
        "readiness_hours": 24, "home_lon": 40.0, "home_lat": 56.0, "home_base": "Ivanovo"})
    assert r.status_code == 201, r.text
    cont = r.json()["id"]
    r = client.post("/api/v1/missions", headers=sec, json={
        "code": "cpf-test", "title_en": "Test mission", "host_state": "KZ",
        "decided_on": "2025-05-01",
        "decision_item_id": council_decision(dt.date(2025, 5, 1), code="OTHER")})
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/missions", headers=rep_ru, json={
        "code": "x", "title_en": "x", "host_state": "KZ", "decided_on": "2025-05-01"}
    ).status_code == 403

    r = client.post(f"{M}/offers", headers=rep_ru,
                    json={"state": "RU", "personnel": 400, "contingent_id": cont})
    assert r.status_code == 201, r.text
    offer_id = r.json()["id"]
    r = client.post(f"{M}/offers", headers=duty_by, json={"state": "RU", "personnel": 1})
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    assert client.post(f"{M}/offers/{offer_id}/accept", headers=sec).json()["status"] == \
        "accepted"

    for status, at in (("alerted", "2025-05-02T00:00:00Z"), ("deployed", "2025-05-03T00:00:00Z")):
        r = client.post(f"{M}/status", headers=duty_ru,
                        json={"state": "RU", "status": status, "personnel": 400, "at": at})
        assert r.status_code == 201, r.text
    r = client.post(f"{M}/status", headers=duty_ru, json={
        "state": "RU", "status": "en_route", "personnel": 400, "at": "2025-05-04T00:00:00Z"})
    assert r.status_code == 409 and "cannot go back" in r.json()["detail"]
    assert client.post(f"{M}/close", headers=sec).status_code == 409

    body = client.get(M, headers=duty_by, params={"as_of": "2025-05-03T12:00:00Z"}).json()
    assert body["totals"] == {"as_of": "2025-05-03T12:00:00+00:00", "by_state": {"RU": 400},
                              "total": 400}
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "decision" and kinds.count("deployment_status") == 2
    assert {"request_resource", "response_to_request", "commit"} <= set(kinds)
    assert [e["at"] for e in body["timeline"]] == sorted(e["at"] for e in body["timeline"])
    assert [m["code"] for m in client.get("/api/v1/missions", headers=duty_by).json()[
        "missions"]] == ["CPF-TEST", "OTHER"]  # OTHER: the builder's decision opened it
    assert client.get("/api/v1/missions").status_code == 401

    r = client.post(f"{M}/status", headers=sec, json={
        "state": "RU", "status": "returned", "personnel": 0, "at": "2025-05-20T00:00:00Z"})
    assert r.status_code == 201, r.text
    r = client.post(f"{M}/close", headers=sec)
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_the_withdrawal_order_through_the_api(client: TestClient) -> None:
    sec = bearer(make_user("sec-editor", "organ:SEC", ["editor"]))
    rep_ru = bearer(make_user("rep-ru", "delegation:RU", ["representative"]))
    assert client.post("/api/v1/missions", headers=sec, json={
        "code": "CPF-TEST", "title_en": "Test mission", "host_state": "KZ",
        "decided_on": "2025-05-01",
        "decision_item_id": council_decision(dt.date(2025, 5, 1), code="OTHER")}
    ).status_code == 201
    body = {"at": "2025-05-20T08:00:00+03:00", "note": "announced by the Secretary General"}
    assert client.post(f"{M}/withdrawal", headers=rep_ru, json=body).status_code == 403
    r = client.post(f"{M}/withdrawal", headers=sec, json={**body, "at": "2025-04-30"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    r = client.post(f"{M}/withdrawal", headers=sec, json=body)
    assert r.status_code == 200, r.text
    ordered = {"ordered_at": "2025-05-20T05:00:00+00:00",
               "note": "announced by the Secretary General"}
    assert r.json()["withdrawal"] == ordered
    again = client.post(f"{M}/withdrawal", headers=sec, json=body)
    assert again.status_code == 409 and "already ordered" in again.json()["detail"]
    timeline = client.get(M, headers=sec).json()["timeline"]
    assert [e for e in timeline if e["kind"] == "withdrawal"] == [{
        "at": ordered["ordered_at"], "kind": "withdrawal", "actor": "CSTO", "status": None,
        "personnel": None, "note": ordered["note"], "ref": None}]


def _walk(client: TestClient, headers: dict[str, str], path: str, key: str,
          **params: object) -> tuple[list[dict[str, object]], int]:
    """Every row of a paged list, following `next`; the rows and the number of pages."""
    rows: list[dict[str, object]] = []
    page = client.get(path, headers=headers, params=params).json()
    pages = 1
    while True:
        rows += page[key]
        if page["next"] is None:
            assert page["next_cursor"] is None
            return rows, pages
        assert page["next_cursor"] in page["next"]
        page = client.get(page["next"], headers=headers).json()
        pages += 1


def test_missions_their_timelines_and_the_contingents_come_a_page_at_a_time(
        client: TestClient) -> None:
    sec = bearer(make_user("sec-editor", "organ:SEC", ["editor"]))
    duty_ru = bearer(make_user("duty-ru", "delegation:RU", ["duty_officer"]))
    for n, day in enumerate(("2025-03-01", "2025-04-01", "2025-04-01")):
        assert client.post("/api/v1/missions", headers=sec, json={
            "code": f"PAGE-{n}", "title_en": f"Mission {n}", "host_state": "KZ",
            "decided_on": day, "decision_item_id": council_decision(
                dt.date.fromisoformat(day), code=f"DECIDED-{n}")}).status_code == 201
    everything = client.get("/api/v1/missions", headers=duty_ru).json()
    assert everything["next"] is None
    walked, pages = _walk(client, duty_ru, "/api/v1/missions", "missions", limit=2)
    assert walked == everything["missions"] and pages == len(walked) // 2 + len(walked) % 2
    days = [m["decided_on"] for m in walked]
    assert days == sorted(days, reverse=True)  # newest decision first, across pages

    offer = client.post("/api/v1/missions/PAGE-0/offers", headers=duty_ru,
                        json={"state": "RU", "personnel": 300}).json()["id"]
    client.post(f"/api/v1/missions/PAGE-0/offers/{offer}/accept", headers=sec)
    for status, at in (("alerted", "2025-03-02T00:00:00Z"), ("en_route", "2025-03-03T00:00:00Z"),
                       ("deployed", "2025-03-04T00:00:00Z")):
        assert client.post("/api/v1/missions/PAGE-0/status", headers=duty_ru, json={
            "state": "RU", "status": status, "personnel": 300, "at": at}).status_code == 201
    whole = client.get("/api/v1/missions/PAGE-0/timeline", headers=duty_ru).json()
    assert whole["next"] is None and len(whole["timeline"]) >= 7
    assert client.get("/api/v1/missions/PAGE-0", headers=duty_ru).json()[
        "timeline"] == whole["timeline"]  # under a page: the mission carries all of it
    for size in (1, 2, 3):
        walked, pages = _walk(client, duty_ru, "/api/v1/missions/PAGE-0/timeline",
                              "timeline", limit=size)
        assert walked == whole["timeline"] and pages == -(-len(walked) // size)

    for state in ("KZ", "BY", "AM"):
        assert client.post("/api/v1/contingents", headers=sec, json={
            "force": "CRRF", "state": state, "unit_type": "motor rifle", "personnel": 100,
            "readiness_hours": 48, "home_lon": 70.0, "home_lat": 45.0}).status_code == 201
    catalogue = client.get("/api/v1/contingents", headers=duty_ru,
                           params={"limit": 1000}).json()["contingents"]
    walked, _ = _walk(client, duty_ru, "/api/v1/contingents", "contingents", limit=2)
    assert walked == catalogue and len(catalogue) >= 3
    keys = [(c["force"], c["state"], c["id"]) for c in catalogue]
    assert keys == sorted(keys)  # type: ignore[type-var]

    for path in ("/api/v1/missions", "/api/v1/missions/PAGE-0/timeline", "/api/v1/contingents"):
        r = client.get(path, headers=duty_ru, params={"cursor": "Zm9yZ2Vk"})  # "forged"
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), path
        assert "cursor" in r.json()["detail"]
