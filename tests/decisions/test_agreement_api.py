"""The agreements API: public reads as of a date, writes for editors, problems for bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.decisions.tables import AgreementRow, DepositRow, SignatureRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

TODAY = "2025-06-01"
AGREEMENT = {
    "code": "API-NTH", "title_en": "Agreement for the API test", "title_ru": "Соглашение",
    "signed_on": "2020-01-10", "place_en": "Dushanbe", "rule": "nth_instrument", "n": 3,
    "signatories": [{"state": s} for s in ("AM", "BY", "KZ", "KG", "RU", "TJ")],
    "sources": ["domain-notes"], "confidence": "medium",
}
DEPOSITS = [("RU", "2020-03-01"), ("BY", "2020-05-01"), ("KZ", "2020-07-01"),
            ("KG", "2021-01-01")]


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    return bearer(make_user("editor-sec", "organ:SEC", ["editor"]))


@pytest.fixture
def viewer(client: TestClient) -> dict[str, str]:
    return bearer(make_user("viewer-kz", "delegation:KZ", ["viewer"]))


@pytest.fixture
def ratified(client: TestClient, editor: dict[str, str]) -> None:
    r = client.post("/api/v1/agreements", json=AGREEMENT, headers=editor)
    assert r.status_code == 201, r.text
    for state, day in DEPOSITS:
        r = client.post("/api/v1/agreements/API-NTH/deposits", headers=editor,
                        json={"state": state, "deposited_on": day,
                              "instrument": f"law of {state}"})
        assert r.status_code == 201, r.text


def _counts() -> tuple[int, ...]:
    with db.read_session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0
                     for t in (AgreementRow, SignatureRow, DepositRow, journal.JournalEntry))


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_in_force_for_kz_on_a_date(client: TestClient, ratified: None) -> None:
    no = client.get("/api/v1/agreements/API-NTH/in-force/KZ", params={"on": "2020-06-30"})
    assert no.status_code == 200
    assert no.json()["in_force"] is False and no.json()["since"] is None
    yes = client.get("/api/v1/agreements/api-nth/in-force/kz", params={"on": "2020-07-01"}).json()
    assert yes["in_force"] is True and yes["since"] == "2020-07-01"
    assert yes["rule"]["kind"] == "nth_instrument" and yes["rule"]["n"] == 3
    assert "3 instruments" in yes["rule"]["text"]["en"] and yes["rule"]["text"]["ru"]
    tj = client.get("/api/v1/agreements/API-NTH/in-force/TJ").json()
    assert tj["in_force"] is False and tj["on"] == TODAY


def test_status_per_state_as_of_a_date(client: TestClient, ratified: None) -> None:
    body = client.get("/api/v1/agreements/API-NTH", params={"as_of": "2020-07-01"}).json()
    assert body["general_entry"] == "2020-07-01" and body["bound"] == ["BY", "KZ", "RU"]
    states = {x["state"]["code"]: x for x in body["states"]}
    assert states["RU"]["deposited_on"] == "2020-03-01"
    assert states["RU"]["in_force_from"] == "2020-07-01"
    assert states["RU"]["instrument"] == "law of RU"
    assert states["KG"]["deposited_on"] is None  # deposited in 2021, after the date asked
    assert (body["signatories"], body["deposits"]) == (6, 3)
    listed = client.get("/api/v1/agreements", params={"as_of": "2021-01-01"}).json()
    mine = next(a for a in listed["agreements"] if a["code"] == "API-NTH")
    assert mine["bound"] == ["BY", "KG", "KZ", "RU"] and "states" not in mine


def test_the_embedded_agreements_are_listed(client: TestClient) -> None:
    codes = {a["code"] for a in client.get("/api/v1/agreements").json()["agreements"]}
    assert {"CHARTER-2002", "PEACEKEEPING-PROTOCOL-2021", "CST-PROLONGATION-1999"} <= codes
    charter = client.get("/api/v1/agreements/CHARTER-2002").json()
    assert charter["signed_on"] == "2002-10-07" and charter["confidence"] == "medium"
    assert "18 September 2003" in charter["note"]["en"]


def test_a_deposit_answers_whether_it_binds_the_state(client: TestClient, ratified: None,
                                                     editor: dict[str, str]) -> None:
    r = client.post("/api/v1/agreements/API-NTH/deposits", headers=editor,
                    json={"state": "TJ", "deposited_on": "2022-02-02"})
    assert r.status_code == 201
    assert r.json()["in_force_on_deposit"] is True and r.json()["in_force_from"] == "2022-02-02"


@pytest.mark.parametrize("path,body,status", [
    ("/api/v1/agreements/API-NTH/deposits", {"state": "UZ", "deposited_on": "2021-01-01"}, 422),
    ("/api/v1/agreements/API-NTH/deposits", {"state": "RU", "deposited_on": "2021-01-01"}, 409),
    ("/api/v1/agreements/NO-SUCH/deposits", {"state": "TJ", "deposited_on": "2021-01-01"}, 404),
    ("/api/v1/agreements/API-NTH/deposits", {"state": "TJ", "deposited_on": "2024-13-01"}, 422),
    ("/api/v1/agreements/API-NTH/deposits", {"state": "TJ", "deposited_on": "2019-12-31"}, 422),
    ("/api/v1/agreements/API-NTH/deposits", {"state": "XX", "deposited_on": "2021-01-01"}, 404),
    ("/api/v1/agreements", AGREEMENT, 409),
    ("/api/v1/agreements", {**AGREEMENT, "code": "OTHER", "signed_on": "2020-02-30"}, 422),
    ("/api/v1/agreements", {**AGREEMENT, "code": "OTHER", "rule": "whenever"}, 422),
    ("/api/v1/agreements", {**AGREEMENT, "code": "OTHER",
                            "signatories": [{"state": "KZ", "signed_on": "2020-01-01"}]}, 422),
    ("/api/v1/agreements", {**AGREEMENT, "code": "OTHER", "signatories": [{"state": "ZZ"}]},
     404),
    ("/api/v1/agreements", {**AGREEMENT, "code": "x" * 41}, 422),
    ("/api/v1/agreements", {**AGREEMENT, "code": "OTHER", "n": 10**12}, 422),
])
def test_bad_input_is_a_problem_and_writes_nothing(client: TestClient, ratified: None,
                                                   editor: dict[str, str], path: str,
                                                   body: dict[str, Any], status: int) -> None:
    before = _counts()
    problem = _problem(client.post(path, json=body, headers=editor), status)
    assert problem["detail"]
    assert _counts() == before


def test_writes_are_refused_to_anonymous_and_to_a_viewer(client: TestClient, ratified: None,
                                                         viewer: dict[str, str]) -> None:
    before = _counts()
    deposit = {"state": "TJ", "deposited_on": "2021-06-01"}
    for path, body in (("/api/v1/agreements", {**AGREEMENT, "code": "OTHER"}),
                       ("/api/v1/agreements/API-NTH/deposits", deposit)):
        _problem(client.post(path, json=body), 401)
        refused = _problem(client.post(path, json=body, headers=viewer), 403)
        assert "edit registry" in refused["detail"]
    assert _counts() == before


def test_reads_take_a_valid_date_and_a_known_agreement(client: TestClient) -> None:
    _problem(client.get("/api/v1/agreements/CHARTER-2002", params={"as_of": "2024-13-01"}), 422)
    _problem(client.get("/api/v1/agreements/CHARTER-2002/in-force/KZ", params={"on": "x"}), 422)
    _problem(client.get("/api/v1/agreements/NO-SUCH"), 404)
    _problem(client.get("/api/v1/agreements/CHARTER-2002/in-force/XX"), 404)


def test_the_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/v1/agreements", "/api/v1/agreements/{code}",
            "/api/v1/agreements/{code}/in-force/{state}",
            "/api/v1/agreements/{code}/deposits"} <= set(paths)
