"""Exercise mode through the JSON API: a client names the run it plays in with the
`Collsec-Exercise` header; without it the run's incidents are absent from every answer,
with it only the run's are there, and a run the caller may not play in is refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.exercises import runs
from collsec.web.app import create_app
from tests.conftest import bearer, make_user
from tests.exercises.test_runs import scenario


def test_the_header_plays_in_a_run_and_nothing_else_shows_its_incidents(csto_db: str) -> None:
    make_user("crc.duty", "organ:CRC", ["duty_officer"])
    kz = make_user("kz.duty", "delegation:KZ", ["duty_officer"])
    am = make_user("am.duty", "delegation:AM", ["duty_officer"])
    with db.write_session() as s:
        actor = auth.actor_for(auth.get_user(s, "crc.duty"), "api")
        c = auth.clearance(s, actor, clock.today(), "CSTO")
        runs.add_scenario(s, c, actor, definition=scenario(), now=clock.now())
        run = runs.start_run(s, c, actor, "BORDER-CPX", name="CPX", now=clock.now()).row.id
    client = TestClient(create_app())
    played = {**bearer(kz), "Collsec-Exercise": str(run)}
    made = client.post("/api/v1/incidents", headers=played, json={
        "type": "border_clash", "occurred_at": clock.now().isoformat(),
        "geometry": {"type": "Point", "coordinates": [69.2, 37.4]}, "title": "Shots"})
    assert made.status_code == 201, made.text
    incident = made.json()["id"]
    assert made.json()["title"] == f"EXERCISE {run}: Shots"
    real = client.get("/api/v1/incidents", headers=bearer(kz)).json()["incidents"]
    assert incident not in {i["id"] for i in real}
    assert client.get(f"/api/v1/incidents/{incident}", headers=bearer(kz)).status_code == 404
    mine = client.get("/api/v1/incidents", headers=played).json()["incidents"]
    assert [i["id"] for i in mine] == [incident]
    # a run the caller is no team of, or no run at all: refused in problem+json
    for headers in ({**bearer(am), "Collsec-Exercise": str(run)},
                    {**bearer(kz), "Collsec-Exercise": "999999"},
                    {**bearer(kz), "Collsec-Exercise": "x"}):
        answer = client.get("/api/v1/incidents", headers=headers)
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
