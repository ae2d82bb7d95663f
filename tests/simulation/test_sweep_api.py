"""`POST /api/v1/simulation/sweeps`: a sweep through the API gives what the same cases give
at the command line's level (`sweep.sweep`), within a budget of runs; bad cases are a
problem naming the case."""

from __future__ import annotations

from fastapi.testclient import TestClient

from collsec.simulation import sweep
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

PATH = "/api/v1/simulation/sweeps"
BODY = {"need": 1000, "cases": [
    {"name": "Almaty", "place": [76.93, 43.35]},
    {"name": "Almaty, decided in four days", "place": [76.93, 43.35],
     "parameters": {"decision": {"time": 96}}},
    {"place": [69.28, 41.31], "need": 500}]}


def test_a_sweep_through_the_api_answers_as_the_sweep_does(use_db: str) -> None:
    c = TestClient(create_app())
    token = bearer(make_user("sweep-analyst", "delegation:KZ", ["viewer"]))
    assert c.post(PATH, json=BODY).status_code == 401
    got = c.post(PATH, json=BODY, params={"runs": 1500, "seed": 4}, headers=token)
    assert got.status_code == 200, got.text
    cases = got.json()["cases"]
    expected = sweep.sweep("CSTO", sweep.cases_from(BODY), runs=1500, seed=4, workers=1)
    assert [{k: v for k, v in x.items() if k not in ("name", "parameters")}
            for x in cases] == expected
    assert [x["name"] for x in cases] == ["Almaty", "Almaty, decided in four days", ""]
    assert cases[1]["decision"]["p50"] == 96 and cases[2]["need"] == 500


def test_a_bad_or_too_large_sweep_is_a_problem(use_db: str) -> None:
    c = TestClient(create_app())
    token = bearer(make_user("sweep-analyst-2", "delegation:KZ", ["viewer"]))
    no_need = c.post(PATH, json={"cases": [{"place": [76.93, 43.35]}]}, headers=token)
    assert no_need.status_code == 422 and "case 1" in no_need.json()["detail"]
    assert no_need.headers["content-type"].startswith("application/problem+json")
    bad_set = c.post(PATH, json={"need": 10, "cases": [
        {"place": [76.93, 43.35]}, {"place": [76.93, 43.35], "parameters": {"fleet": 3}}]},
        headers=token)
    assert bad_set.status_code == 422 and "case 2" in bad_set.json()["detail"]
    unknown = c.post(PATH, json={**BODY, "runs": 5}, headers=token)
    assert unknown.status_code == 422
    too_many = c.post(PATH, json=BODY, params={"runs": 40_000}, headers=token)
    assert too_many.status_code == 422 and "at most" in too_many.json()["detail"]
