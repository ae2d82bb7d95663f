"""Exercise mode through the JSON API (`exercises.run_api`): the staff write a scenario,
start, score, end and remove a run; a team's user sees the injects sent to it only and
reacts while it plays in the run (`Collsec-Exercise`); every refusal is a problem and
writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collsec.core import clock
from collsec.core.problems import MEDIA_TYPE
from collsec.web.app import create_app
from tests.builders import journal_size
from tests.conftest import bearer, make_user
from tests.exercises.test_runs import scenario


@dataclass(frozen=True)
class Callers:
    staff: dict[str, str]  # the CRC's duty officer, exercise staff
    tj: dict[str, str]  # Tajikistan's duty officer: a team of the scenario
    kz: dict[str, str]  # Kazakhstan's: the other team
    viewer: dict[str, str]  # Kazakhstan's viewer: no staff


@pytest.fixture
def client(csto_db: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def callers(csto_db: str) -> Callers:
    return Callers(bearer(make_user("crc.duty", "organ:CRC", ["duty_officer"])),
                   bearer(make_user("tj.duty", "delegation:TJ", ["duty_officer"])),
                   bearer(make_user("kz.duty", "delegation:KZ", ["duty_officer"])),
                   bearer(make_user("kz.viewer", "delegation:KZ", ["viewer"])))


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(MEDIA_TYPE)
    body: dict[str, Any] = r.json()
    return body


def _started(client: TestClient, callers: Callers, name: str = "CPX spring") -> int:
    _ok(client.post("/api/v1/exercise-scenarios", headers=callers.staff, json=scenario()), 201)
    run = _ok(client.post("/api/v1/exercise-runs", headers=callers.staff,
                          json={"scenario": "BORDER-CPX", "name": name}), 201)
    return int(run["id"])


def _playing(headers: dict[str, str], run_id: int) -> dict[str, str]:
    return {**headers, "Collsec-Exercise": str(run_id)}


def test_the_staff_write_a_scenario_start_a_run_and_list_it(client: TestClient,
                                                            callers: Callers) -> None:
    def codes() -> list[str]:
        listed = _ok(client.get("/api/v1/exercise-scenarios", headers=callers.staff))
        return [s["code"] for s in listed["scenarios"]]

    embedded = codes()  # the organization's own training scenarios
    added = _ok(client.post("/api/v1/exercise-scenarios", headers=callers.staff,
                            params={"exercise": "INT-2022"}, json=scenario()), 201)
    assert added["code"] == "BORDER-CPX" and added["exercise"] == "INT-2022"
    assert added["teams"] == ["delegation:KZ", "delegation:TJ"]
    assert [i["minutes"] for i in added["injects"]] == [0, 30, 60]
    assert added["injects"][1]["incident"]["type"] == "armed_incursion"
    assert codes() == ["BORDER-CPX", *embedded]  # newest first
    run = _ok(client.post("/api/v1/exercise-runs", headers=callers.staff,
                          json={"scenario": "BORDER-CPX", "name": " CPX spring "}), 201)
    assert run["name"] == "CPX spring" and run["status"] == "running"
    assert run["director"] == "organ:CRC" and run["scenario"]["code"] == "BORDER-CPX"
    assert [(i["number"], i["sent_at"] is not None) for i in run["injects"]] == [
        (1, True), (2, False), (3, False)]  # minute 0 goes with the start
    runs = _ok(client.get("/api/v1/exercise-runs", headers=callers.staff))["runs"]
    assert [(r["id"], r["name"]) for r in runs] == [(run["id"], "CPX spring")]
    # a team sees its run; a state that is no team of it sees none
    assert [r["id"] for r in _ok(client.get("/api/v1/exercise-runs",
                                            headers=callers.kz))["runs"]] == [run["id"]]
    am = bearer(make_user("am.duty", "delegation:AM", ["duty_officer"]))
    assert _ok(client.get("/api/v1/exercise-runs", headers=am))["runs"] == []
    _problem(client.get(f"/api/v1/exercise-runs/{run['id']}", headers=am), 404)


def test_a_team_sees_only_the_injects_sent_to_it(client: TestClient, callers: Callers,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _started(client, callers)
    later = clock.now() + dt.timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    sent = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/send", headers=callers.staff))
    assert [i["number"] for i in sent["injects"] if i["sent_at"]] == [1, 2]
    assert sent["injects"][1]["incident_id"] is not None  # the incident inject made one
    tj = _ok(client.get(f"/api/v1/exercise-runs/{run_id}", headers=callers.tj))
    assert [i["number"] for i in tj["injects"]] == [1, 2]
    kz = _ok(client.get(f"/api/v1/exercise-runs/{run_id}", headers=callers.kz))
    assert kz["injects"] == []  # its request comes at minute 60
    staff = _ok(client.get(f"/api/v1/exercise-runs/{run_id}", headers=callers.staff))
    assert [i["number"] for i in staff["injects"]] == [1, 2, 3]
    debrief = _ok(client.get(f"/api/v1/exercise-runs/{run_id}/debrief", headers=callers.kz))
    assert debrief["timeline"] == []


def test_a_reaction_then_a_score_show_in_the_debrief(client: TestClient,
                                                     callers: Callers) -> None:
    run_id = _started(client, callers)
    reacted = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/reactions",
                              headers=_playing(callers.tj, run_id),
                              json={"inject": 1, "text": "Checked with the border service"}),
                  201)
    assert reacted["team"] == "delegation:TJ" and reacted["by"] == "tj.duty"
    scored = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/scores", headers=callers.staff,
                             json={"inject": 1, "expectation": 1, "points": 2,
                                   "note": "in time"}), 201)
    assert (scored["inject"], scored["expectation"], scored["points"]) == (1, 1, 2)
    lesson = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/lessons",
                             headers=callers.staff, json={"text": "Call the TJ hotline."}),
                 201)
    debrief = _ok(client.get(f"/api/v1/exercise-runs/{run_id}/debrief",
                             headers=callers.staff))
    first = debrief["timeline"][0]
    assert [x["text"] for x in first["reactions"]] == ["Checked with the border service"]
    assert first["expected"][0]["score"]["points"] == 2
    assert first["expected"][0]["score"]["note"] == "in time"
    assert debrief["tally"] == {"scored": 2, "possible": 2, "unscored": 0, "share": 1.0}
    by_team = {t["team"]: t["scored"] for t in debrief["by_team"]}
    assert by_team == {"delegation:KZ": 0, "delegation:TJ": 2}
    assert [x["id"] for x in debrief["lessons"]] == [lesson["id"]]
    # the run's own answer holds them too, and a team sees its reaction
    tj = _ok(client.get(f"/api/v1/exercise-runs/{run_id}", headers=callers.tj))
    assert [x["id"] for x in tj["reactions"]] == [reacted["id"]]
    assert [x["id"] for x in tj["scores"]] == [scored["id"]]


def test_a_reaction_outside_the_run_is_a_conflict(client: TestClient,
                                                  callers: Callers) -> None:
    run_id = _started(client, callers)
    before = journal_size()
    _problem(client.post(f"/api/v1/exercise-runs/{run_id}/reactions", headers=callers.tj,
                         json={"inject": 1, "text": "not playing"}), 409)
    _problem(client.post(f"/api/v1/exercise-runs/{run_id}/reactions",
                         headers=_playing(callers.kz, run_id),
                         json={"inject": 1, "text": "not ours"}), 404)
    assert journal_size() == before


def test_who_is_no_staff_may_not_start_score_or_list_scenarios(client: TestClient,
                                                               callers: Callers) -> None:
    run_id = _started(client, callers)
    before = journal_size()
    for headers in (callers.viewer, callers.tj):  # no role for it; the role, but no organ
        _problem(client.post("/api/v1/exercise-runs", headers=headers,
                             json={"scenario": "BORDER-CPX", "name": "mine"}), 403)
        _problem(client.post(f"/api/v1/exercise-runs/{run_id}/scores", headers=headers,
                             json={"inject": 1, "expectation": 1, "points": 2}), 403)
        _problem(client.get("/api/v1/exercise-scenarios", headers=headers), 403)
    _problem(client.get("/api/v1/exercise-runs"), 401)
    assert journal_size() == before


@pytest.mark.parametrize("path,body,field", [
    ("scores", {"inject": 1, "expectation": 1, "points": 1, "grade": "A"}, "grade"),
    ("scores", {"inject": "first", "expectation": 1, "points": 1}, "inject"),
    ("scores", {"inject": 1, "expectation": 1, "points": 101}, "points"),
    ("lessons", {"text": "x", "by": "someone"}, "by"),
    ("end", {"now": True}, "now"),
])
def test_a_malformed_body_is_a_422_naming_the_field(client: TestClient, callers: Callers,
                                                    path: str, body: dict[str, Any],
                                                    field: str) -> None:
    run_id = _started(client, callers)
    before = journal_size()
    problem = _problem(client.post(f"/api/v1/exercise-runs/{run_id}/{path}",
                                   headers=callers.staff, json=body), 422)
    assert [e["loc"][-1] for e in problem["errors"]] == [field]
    assert journal_size() == before


def test_an_inject_or_expectation_the_scenario_lacks_is_a_422_and_scores_nothing(
        client: TestClient, callers: Callers) -> None:
    run_id = _started(client, callers)
    before = journal_size()
    for body, words in (({"inject": 9, "expectation": 1, "points": 1}, "no inject 9"),
                        ({"inject": 1, "expectation": 2, "points": 1}, "no expectation 2"),
                        ({"inject": 1, "expectation": 1, "points": 3}, "from 0 to 2")):
        problem = _problem(client.post(f"/api/v1/exercise-runs/{run_id}/scores",
                                       headers=callers.staff, json=body), 422)
        assert words in problem["detail"], problem
    assert journal_size() == before
    run = _ok(client.get(f"/api/v1/exercise-runs/{run_id}", headers=callers.staff))
    assert run["scores"] == []


def test_a_bad_scenario_is_refused_whole(client: TestClient, callers: Callers) -> None:
    before = journal_size()
    kept = _ok(client.get("/api/v1/exercise-scenarios", headers=callers.staff))
    unknown = scenario()
    unknown["injects"][0]["priority"] = "high"
    problem = _problem(client.post("/api/v1/exercise-scenarios", headers=callers.staff,
                                   json=unknown), 422)
    assert problem["errors"][0]["loc"][-1] == "priority"
    no_team = scenario()
    no_team["injects"][2]["team"] = "delegation:ZZ"
    assert "inject 3" in _problem(client.post("/api/v1/exercise-scenarios",
                                              headers=callers.staff, json=no_team),
                                  404)["detail"]
    backwards = scenario()
    backwards["injects"][2]["minutes"] = 10
    assert "inject 3 comes at minute 10" in _problem(client.post(
        "/api/v1/exercise-scenarios", headers=callers.staff, json=backwards), 422)["detail"]
    assert journal_size() == before
    assert _ok(client.get("/api/v1/exercise-scenarios", headers=callers.staff)) == kept


def test_an_unknown_run_or_scenario_is_a_404(client: TestClient, callers: Callers) -> None:
    for path in ("/api/v1/exercise-runs/424242", "/api/v1/exercise-runs/424242/debrief"):
        assert "424242" in _problem(client.get(path, headers=callers.staff), 404)["detail"]
    for action in ("send", "end", "remove"):
        _problem(client.post(f"/api/v1/exercise-runs/424242/{action}",
                             headers=callers.staff), 404)
    _problem(client.post("/api/v1/exercise-runs", headers=callers.staff,
                         json={"scenario": "NO-SUCH", "name": "x"}), 404)


def test_a_run_is_removed_after_it_ends_and_keeps_its_tally(client: TestClient,
                                                            callers: Callers) -> None:
    run_id = _started(client, callers)
    _ok(client.post(f"/api/v1/exercise-runs/{run_id}/scores", headers=callers.staff,
                    json={"inject": 1, "expectation": 1, "points": 1}), 201)
    before = journal_size()
    assert "end it" in _problem(client.post(f"/api/v1/exercise-runs/{run_id}/remove",
                                            headers=callers.staff), 409)["detail"]
    assert journal_size() == before
    ended = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/end", headers=callers.staff,
                            json={}))
    assert ended["status"] == "ended" and ended["ended_at"] is not None
    _problem(client.post(f"/api/v1/exercise-runs/{run_id}/end", headers=callers.staff), 409)
    removed = _ok(client.post(f"/api/v1/exercise-runs/{run_id}/remove",
                              headers=callers.staff))
    assert removed["status"] == "removed" and removed["reactions"] == []
    assert removed["removed"]["injects_sent"] == 1
    assert removed["tally"]["scored"] == 1 and removed["tally"]["possible"] == 2
    debrief = _ok(client.get(f"/api/v1/exercise-runs/{run_id}/debrief",
                             headers=callers.staff))
    assert debrief["timeline"] == [] and debrief["tally"] == removed["tally"]
    assert {t["team"]: t["scored"] for t in debrief["by_team"]} == {
        "delegation:KZ": 0, "delegation:TJ": 1}
    assert journal_size() == before + 2
