"""The JSON API in-process: as-of queries, problem+json errors, refused writes change nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.registry.tables import MembershipRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

COLLSEC = str(Path(sys.executable).parent / "collsec")


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app())


def test_members_as_of_2011_agree_with_the_cli(use_db: str, client: TestClient) -> None:
    api = client.get("/api/v1/organizations/CSTO/members", params={"as_of": "2011-06-01"})
    assert api.status_code == 200
    cli = subprocess.run([COLLSEC, "members", "--as-of", "2011-06-01", "--json"],
                         capture_output=True, text=True, check=True)
    assert api.json() == json.loads(cli.stdout)
    assert "UZ" in {m["state"]["code"] for m in api.json()["members"]}


def test_every_status_is_listed_on_request(use_db: str, client: TestClient) -> None:
    body = client.get("/api/v1/organizations/csto/members?as_of=2013-01-01&all=true").json()
    assert any(m["state"]["code"] == "UZ" and m["status"] == "participation_suspended"
               for m in body["members"])


def test_chair_and_state_endpoints(use_db: str, client: TestClient) -> None:
    on = client.get("/api/v1/organizations/CSTO/chair", params={"on": "2020-06-01"}).json()
    assert (on["state"]["code"], on["basis"], on["rule"]) == ("RU", "recorded", "regular_session")
    assert on["since"] == "2019-11-29" and on["session"]["city"]["en"] == "Bishkek"
    assert on["sources"] and on["rule_source"]["sources"]
    year = client.get("/api/v1/organizations/CSTO/chairs/2025").json()
    assert [(c["state"]["code"], c["basis"]) for c in year["chairs"]] == [("KG", "computed")]
    before = client.get("/api/v1/organizations/CSTO/chair", params={"on": "2002-06-01"}).json()
    assert before["state"] is None and before["basis"] == "unknown"
    register = client.get("/api/v1/organizations/CSTO/session-records",
                          params={"body": "CSC", "limit": 3}).json()
    assert len(register["sessions"]) == 3 and register["next_cursor"]
    kz = client.get("/api/v1/states/KZ").json()
    assert kz["name_ru"] == "Казахстан" and kz["history"]


@pytest.mark.parametrize("path,status", [
    ("/api/v1/states/XX", 404),
    ("/api/v1/organizations/NATO/members", 404),
    ("/api/v1/organizations/CSTO/members?as_of=2024-13-01", 422),
    ("/api/v1/organizations/CSTO/chairs/99999", 422),
    ("/api/v1/organizations/CSTO/chair?on=2024-02-30", 422),
    ("/api/v1/organizations/CSTO/session-records?cursor=forged", 422),
    ("/api/v1/sources/nope", 404),
])
def test_bad_queries_answer_problem_json(use_db: str, client: TestClient, path: str,
                                         status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]


def _snapshot() -> tuple[int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(MembershipRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


@pytest.mark.parametrize("payload,status", [
    ({"state": "KZ", "status": "member", "valid_from": "2010-01-01"}, 409),
    ({"state": "CN", "status": "associate", "valid_from": "2030-01-01"}, 422),
    ({"state": "CN", "status": "observer", "valid_from": "2024-13-01"}, 422),
    ({"state": "XX", "status": "observer", "valid_from": "2030-01-01"}, 404),
    ({"state": "CN"}, 422),
])
def test_bad_writes_answer_4xx_and_change_nothing(csto_db: str, client: TestClient,
                                                   payload: dict, status: int) -> None:
    token = make_user("editor", "organ:SEC", ["editor"])
    before = _snapshot()
    r = client.post("/api/v1/organizations/CSTO/memberships", json=payload,
                    headers=bearer(token))
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _snapshot() == before


def test_writes_need_a_user_whose_role_allows_them(csto_db: str, client: TestClient) -> None:
    viewer = make_user("kz-viewer", "delegation:KZ", ["viewer"])
    representative = make_user("kz-rep", "delegation:KZ", ["representative"])
    before = _snapshot()
    payload = {"state": "CN", "status": "observer", "valid_from": "2030-01-01"}
    anonymous = client.post("/api/v1/organizations/CSTO/memberships", json=payload)
    assert anonymous.status_code == 401
    refused = client.post("/api/v1/organizations/CSTO/memberships", json=payload,
                          headers=bearer(viewer))
    assert refused.status_code == 403 and "edit registry" in refused.json()["detail"]
    as_delegate = client.post("/api/v1/organizations/CSTO/memberships", json=payload,
                              headers=bearer(representative))
    assert as_delegate.status_code == 403
    assert _snapshot() == before


def test_a_good_write_is_recorded(csto_db: str, client: TestClient) -> None:
    token = make_user("editor", "organ:SEC", ["editor"])
    before = _snapshot()
    r = client.post("/api/v1/organizations/CSTO/memberships",
                    json={"state": "CN", "status": "observer", "valid_from": "2030-01-01",
                          "sources": ["seed-000"], "confidence": "low"},
                    headers=bearer(token))
    assert r.status_code == 201, r.text
    assert _snapshot() == (before[0] + 1, before[1] + 1)
    with db.read_session() as s:
        entry = journal.entries(s, limit=1)[0]
    assert (entry.command, entry.actor) == ("registry.add_membership", "api:editor")


def test_the_openapi_document_lists_the_registry(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/organizations/{org}/members" in spec["paths"]
    docs = client.get("/api/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs
