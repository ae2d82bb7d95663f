"""Exercises and the simulation through their interfaces: the API, the pages (a series'
chart drawn on the server, the simulation's form and result) and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from collsec.web.app import create_app
from tests.conftest import bearer, make_user

COLLSEC = str(Path(sys.executable).parent / "collsec")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def test_the_exercises_api_and_pages(use_db: str) -> None:
    c = TestClient(create_app())
    series = c.get("/api/v1/exercises", params={"series": "indestructible_brotherhood"})
    assert series.status_code == 200
    codes = [e["code"] for e in series.json()["exercises"]]
    assert codes and codes == sorted(codes, key=lambda x: int(x.split("-")[1]))
    one = c.get("/api/v1/exercises/INT-2020").json()
    assert one["status"] == "postponed" and one["decisions"][0]["reason"]["en"]
    assert c.get("/api/v1/exercises/NOPE-1").status_code == 404
    assert c.get("/api/v1/exercises", params={"series": "parade"}).status_code == 422
    page = c.get("/exercises", params={"series": "interaction", "lang": "ru"}).text
    assert "<svg" in page and "«Взаимодействие»" in page
    assert 'data-code="INT-2009"' in page
    assert "Решения по учению" in c.get("/exercises/INT-2022", params={"lang": "ru"}).text


def test_planning_through_the_api_is_the_joint_staffs(csto_db: str) -> None:
    js = bearer(make_user("js-plan", "organ:JS", ["editor"]))
    kz = bearer(make_user("kz-plan", "delegation:KZ", ["representative"]))
    c = TestClient(create_app())
    body = {"series": "echelon", "year": 2027, "name_en": "Echelon-2027", "host": "BY",
            "states": ["BY", "RU"]}
    assert c.post("/api/v1/exercises", json=body, headers=kz).status_code == 403
    made = c.post("/api/v1/exercises", json=body, headers=js)
    assert made.status_code == 201 and made.json()["code"] == "ECH-2027"
    moved = c.post("/api/v1/exercises/ECH-2027/decisions", headers=js, json={
        "status": "moved", "on": "2026-11-30", "decided_by": "CDM", "reason": "to Kazakhstan"})
    assert moved.status_code == 201 and moved.json()["status"] == "moved"
    assert c.post("/api/v1/exercises/ECH-2027/decisions", headers=js, json={
        "status": "moved", "on": "2026-11-30", "decided_by": "CDM"}).status_code == 422


def test_the_simulation_needs_a_reader_and_answers_what_the_model_says(csto_db: str) -> None:
    token = bearer(make_user("sim-kz", "delegation:KZ", ["viewer"]))
    c = TestClient(create_app())
    params = {"place": "76.93,43.35", "need": 1000, "runs": 2000, "seed": 4}
    assert c.get("/api/v1/simulation", params=params).status_code == 401
    a = c.get("/api/v1/simulation", params=params, headers=token).json()
    b = c.get("/api/v1/simulation", params=params, headers=token).json()
    assert a == b and a["runs"] == 2000 and set(a["by_state"]) == {"RU", "BY", "AM", "TJ", "KG"}
    tn = a["time_to_need"]
    assert tn["p10"] <= tn["p50"] <= tn["p90"]
    for bad in ({"place": "200,0"}, {"place": "x"}, {"need": 99999}, {"runs": 0}):
        assert c.get("/api/v1/simulation", params={**params, **bad},
                     headers=token).status_code == 422


def test_the_command_line_lists_exercises_and_simulates(use_db: str) -> None:
    listed = _cli("exercises", "--series", "rubezh", "--json")
    assert listed.returncode == 0, listed.stderr
    assert all(e["series"] == "rubezh" for e in json.loads(listed.stdout)["exercises"])
    run = _cli("simulate", "--place", "76.93,43.35", "--need", "500", "--runs", "3000",
               "--seed", "9", "--json", "--no-progress")
    assert run.returncode == 0, run.stderr
    again = _cli("simulate", "--place", "76.93,43.35", "--need", "500", "--runs", "3000",
                 "--seed", "9", "--json", "--no-progress")
    assert json.loads(run.stdout) == json.loads(again.stdout)
    bad = _cli("simulate", "--place", "76.93", "--need", "500")
    assert bad.returncode == 2 and bad.stderr.startswith("error:")
