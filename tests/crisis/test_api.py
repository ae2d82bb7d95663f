"""The incidents API: signed-in only, narrowed by release, bad input refused as problem+json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
PROBLEM = "application/problem+json"


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def tokens(csto_db: str) -> dict[str, str]:
    return {state: make_user(f"duty-{state.lower()}", f"delegation:{state}", ["duty_officer"])
            for state in ("KZ", "RU", "BY", "UZ")}


def incident(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "border_clash", "severity": 3,
                            "occurred_at": "2025-05-01T10:30:00+05:00", "geometry": ALMATY,
                            "title": "Shots at the border", "description": "two posts",
                            "released_to": []}
    body.update(overrides)
    return body


def listed(client: TestClient, token: str, **params: Any) -> set[int]:
    r = client.get("/api/v1/incidents", headers=bearer(token), params=params)
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["incidents"]}


def stored() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(IncidentRow)) or 0


def test_an_incident_released_to_russia_is_refused_to_belarus(
        client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/api/v1/incidents", headers=bearer(tokens["KZ"]),
                    json=incident(released_to=["delegation:RU"]))
    assert r.status_code == 201, r.text
    body = r.json()
    inc = body["id"]
    assert (body["owner"], body["visibility"], body["released_to"], body["status"]) == (
        "delegation:KZ", "restricted", ["delegation:RU"], "reported")
    assert body["occurred_at"] == "2025-05-01T05:30:00+00:00"
    assert inc in listed(client, tokens["RU"])
    assert inc in listed(client, tokens["KZ"])
    assert inc not in listed(client, tokens["BY"])
    assert client.get(f"/api/v1/incidents/{inc}", headers=bearer(tokens["RU"])).status_code == 200
    refused = client.get(f"/api/v1/incidents/{inc}", headers=bearer(tokens["BY"]))
    missing = client.get("/api/v1/incidents/999999", headers=bearer(tokens["BY"]))
    assert refused.status_code == missing.status_code == 404  # no tell-tale 403
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["detail"] == f"unknown incident {inc}"
    # the same answer but for the id itself (in detail, instance and params)
    same = ("detail", "instance", "params")
    assert {k: v for k, v in refused.json().items() if k not in same} == {
        k: v for k, v in missing.json().items() if k not in same}
    assert refused.json()["params"].keys() == missing.json()["params"].keys()
    assert "Shots" not in refused.text


def test_an_unreleased_incident_reaches_members_not_suspended_states_nor_strangers(
        client: TestClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    inc = client.post("/api/v1/incidents", headers=bearer(tokens["KZ"]),
                      json=incident()).json()["id"]
    assert inc in listed(client, tokens["BY"]) and inc in listed(client, tokens["RU"])
    anonymous = client.get("/api/v1/incidents")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(PROBLEM)
    assert client.get(f"/api/v1/incidents/{inc}").status_code == 401
    monkeypatch.setenv("COLLSEC_TODAY", "2013-06-01")
    assert inc not in listed(client, tokens["UZ"])
    assert client.get(f"/api/v1/incidents/{inc}",
                      headers=bearer(tokens["UZ"])).status_code == 404
    assert inc in listed(client, tokens["BY"])


@pytest.mark.parametrize("overrides,status", [
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}, 422),
    ({"geometry": {"type": "Point", "coordinates": [76.0, 95.0]}}, 422),
    ({"type": "alien_landing"}, 404),
    ({"occurred_at": "2025-05-01T10:30:00"}, 422),
    ({"occurred_at": "2025-05-01"}, 422),
    ({"occurred_at": "yesterday"}, 422),
    ({"severity": "3"}, 422),
    ({"title": "t" * 400}, 422),
    ({"released_to": ["delegation:XX"]}, 404),
])
def test_bad_input_is_a_problem_and_writes_nothing(
        client: TestClient, tokens: dict[str, str], overrides: dict[str, Any],
        status: int) -> None:
    r = client.post("/api/v1/incidents", headers=bearer(tokens["KZ"]), json=incident(**overrides))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert stored() == 0


def test_filters(client: TestClient, tokens: dict[str, str]) -> None:
    h = bearer(tokens["KZ"])
    almaty = client.post("/api/v1/incidents", headers=h, json=incident(
        occurred_at="2025-05-01T00:00:00Z")).json()["id"]
    minsk = client.post("/api/v1/incidents", headers=bearer(tokens["BY"]), json=incident(
        type="mass_unrest", occurred_at="2025-05-20T00:00:00Z",
        geometry={"type": "Polygon", "coordinates": [[[27, 53], [28, 53], [28, 54], [27, 54],
                                                      [27, 53]]]})).json()["id"]
    ru = tokens["RU"]
    assert listed(client, ru) == {almaty, minsk}
    assert listed(client, ru, bbox="70,40,80,45") == {almaty}
    assert listed(client, ru, bbox="27.5,53.5,30,60") == {minsk}
    assert listed(client, ru, since="2025-05-10") == {minsk}
    assert listed(client, ru, until="2025-05-01") == {almaty}
    assert listed(client, ru, since="2025-05-19T23:00:00-02:00") == set()
    assert listed(client, ru, type="mass_unrest") == {minsk}
    assert listed(client, ru, type="mass_unrest,border_clash") == {almaty, minsk}
    for params in ({"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"since": "2025-05-10T00:00:00"},
                   {"type": "nonsense"}):
        r = client.get("/api/v1/incidents", headers=bearer(ru), params=params)
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith(PROBLEM)


def test_status_moves_forward_by_the_owner_only(client: TestClient,
                                                tokens: dict[str, str]) -> None:
    inc = client.post("/api/v1/incidents", headers=bearer(tokens["KZ"]),
                      json=incident()).json()["id"]
    url = f"/api/v1/incidents/{inc}/status"
    r = client.post(url, headers=bearer(tokens["KZ"]), json={"status": "assessed",
                                                             "note": "confirmed"})
    assert r.status_code == 200 and r.json()["status"] == "assessed"
    back = client.post(url, headers=bearer(tokens["KZ"]), json={"status": "reported"})
    assert back.status_code == 409 and back.headers["content-type"].startswith(PROBLEM)
    other = client.post(url, headers=bearer(tokens["RU"]), json={"status": "closed"})
    assert other.status_code == 403
    assert client.post(url, json={"status": "closed"}).status_code == 401
    detail = client.get(f"/api/v1/incidents/{inc}", headers=bearer(tokens["RU"])).json()
    assert detail["status"] == "assessed"
    assert [(u["from"], u["to"], u["note"]) for u in detail["updates"]] == [
        ("reported", "assessed", "confirmed")]
    assert client.get("/api/v1/incidents/99999999999",
                      headers=bearer(tokens["KZ"])).status_code in (404, 422)


def test_the_list_comes_in_pages_that_neither_skip_nor_repeat(
        client: TestClient, tokens: dict[str, str]) -> None:
    kz = bearer(tokens["KZ"])
    made = [client.post("/api/v1/incidents", headers=kz, json=incident(
        title=f"Page {i}", occurred_at=f"2025-05-0{1 + i % 3}T10:00:00Z")).json()["id"]
        for i in range(7)]
    seen: list[int] = []
    url: str | None = "/api/v1/incidents?limit=3"
    pages = 0
    while url:
        body = client.get(url, headers=kz).json()
        assert len(body["incidents"]) <= 3
        seen += [i["id"] for i in body["incidents"]]
        if pages == 0:  # a report arriving between pages neither shifts nor repeats rows
            client.post("/api/v1/incidents", headers=kz, json=incident(
                title="Late", occurred_at="2025-05-09T10:00:00Z"))
        url, pages = body["next"], pages + 1
    assert len(seen) == len(set(seen)) and set(made) <= set(seen)
    everything = client.get("/api/v1/incidents?limit=1000", headers=kz).json()["incidents"]
    assert [i["id"] for i in everything if i["title"] != "Late"] == seen
    assert pages == -(-len(seen) // 3)


@pytest.mark.parametrize("cursor", ["garbage", "", "MjAyNXwx", "bm90fGFuaWQ", "A" * 300,
                                    str(service.Cursor(dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                                       2 ** 40))])
def test_a_cursor_this_api_did_not_give_is_a_422(
        client: TestClient, tokens: dict[str, str], cursor: str) -> None:
    r = client.get("/api/v1/incidents", params={"cursor": cursor, "limit": 2},
                   headers=bearer(tokens["KZ"]))
    if cursor == "":
        assert r.status_code == 200
    else:
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
