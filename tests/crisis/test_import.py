"""Importing many incident reports as one command, on a real database: the service (one
entry listing each report, all or nothing, the access rule), the live stream, the API and
the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.auth.tables import ReleaseRow
from collsec.core.errors import InvalidInput, NotFound
from collsec.crisis.incidents import bulk, service
from collsec.crisis.incidents.tables import IncidentRow
from collsec.crisis.live import broker as live
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PROBLEM = "application/problem+json"
COLLSEC = str(Path(sys.executable).parent / "collsec")


def reports(n: int, **overrides: Any) -> list[dict[str, Any]]:
    """`n` distinct reports as a client sends them (times as zoned ISO text)."""
    out = []
    for k in range(n):
        one: dict[str, Any] = {
            "type": "border_clash", "severity": 1 + k % 4,
            "occurred_at": f"2025-05-{1 + k % 28:02d}T10:30:00+05:00",
            "geometry": {"type": "Point", "coordinates": [70.0 + k * 0.01, 42.0]},
            "title": f"Shots at post {k}", "description": "", "released_to": []}
        one.update(overrides)
        out.append(one)
    return out


def duty(principal: str = "delegation:KZ", roles: tuple[str, ...] = ("duty_officer",)
         ) -> tuple[auth.Actor, Clearance]:
    a = auth.Actor(1, "duty", Principal.parse(principal), frozenset(roles), "cli")
    with db.read_session() as s:
        return a, auth.clearance(s, a, TODAY, "CSTO")


def run_import(batch: list[Any], principal: str = "delegation:KZ",
               roles: tuple[str, ...] = ("duty_officer",)) -> list[int]:
    a, c = duty(principal, roles)
    with db.write_session() as s:
        return bulk.import_incidents(s, c, a, batch, now=NOW)


def stored() -> tuple[int, int, int]:
    """Incidents, releases and journal entries in the database."""
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(IncidentRow)) or 0,
                s.scalar(select(func.count()).select_from(ReleaseRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


def newest_entry() -> tuple[str, dict[str, Any]]:
    with db.read_session() as s:
        entry = journal.entries(s, limit=1)[0]
        return entry.command, json.loads(entry.payload)


# -- the service -----------------------------------------------------------------------------

def test_a_batch_is_one_entry_that_lists_every_report_and_its_live_event(
        csto_db: str) -> None:
    before = stored()
    batch = reports(5)
    batch[2]["released_to"] = ["delegation:ru", "delegation:BY"]
    ids = run_import(batch)
    assert len(ids) == 5 and len(set(ids)) == 5
    assert stored() == (before[0] + 5, before[1] + 2, before[2] + 1)

    command, payload = newest_entry()
    assert command == "crisis.import_incidents"
    assert (payload["reports"], payload["ids"]) == (5, ids)
    steps = payload["steps"]
    assert [s["command"] for s in steps] == ["crisis.report_incident"] * 5
    assert [s["payload"]["id"] for s in steps] == ids
    third = steps[2]["payload"]
    assert (third["title"], third["severity"], third["visibility"], third["owner"],
            third["occurred_at"], third["released_to"]) == (
        "Shots at post 2", 3, "restricted", "delegation:KZ", "2025-05-03T05:30:00+00:00",
        ["delegation:BY", "delegation:ru"])
    assert third["geometry"] == {"type": "Point", "coordinates": [70.02, 42.0]}
    assert payload["live"] == [{"topic": "incident", "id": i, "kind": "reported"} for i in ids]
    with db.read_session() as s:
        assert journal.verify(s).ok
        rows = {r.id: r for r in s.execute(select(IncidentRow).where(
            IncidentRow.id.in_(ids))).scalars()}
        assert [rows[i].title for i in ids] == [f"Shots at post {k}" for k in range(5)]
        assert rows[ids[2]].visibility == "restricted"
        assert service.released_to(s, rows[ids[2]]) == ["delegation:BY", "delegation:RU"]
        assert {rows[i].status for i in ids} == {"reported"}


def test_imported_incidents_read_like_reported_ones(csto_db: str) -> None:
    """Same rows as a single report: the same filters and narrowing find them, and a
    report made after the import takes the next id."""
    a, c = duty()
    (restricted,) = run_import(reports(1, released_to=["delegation:RU"]))
    with db.write_session() as s:
        after = service.report_incident(s, c, a, type="mass_unrest", severity=None,
                              occurred_at=dt.datetime(2025, 5, 2, tzinfo=dt.UTC),
                              geometry={"type": "Point", "coordinates": [71.4, 51.1]},
                              title="Later", now=NOW).id
    assert after == restricted + 1
    with db.read_session() as s:
        for principal, sees in (("delegation:RU", True), ("delegation:BY", False)):
            _, reader = duty(principal, ("viewer",))
            found = {r.id for r in service.list_incidents(s, reader, types=["border_clash"],
                                                          now=NOW)}
            assert (restricted in found) is sees, principal


def test_a_report_may_leave_its_severity_to_the_type(csto_db: str) -> None:
    """As for one report, a severity left out (or null) is the type's usual one."""
    batch = reports(2)
    del batch[0]["severity"]
    batch[1]["severity"] = None
    ids = run_import(batch)
    with db.read_session() as s:
        usual = service.taxonomy("CSTO").types["border_clash"]
        rows = [s.get(IncidentRow, i) for i in ids]
        assert [r.severity for r in rows if r is not None] == [usual.severity_hint] * 2


@pytest.mark.parametrize(("bad", "error", "words"), [
    ({"type": "alien_landing"}, NotFound, "unknown incident type 'alien_landing'"),
    ({"severity": 9}, InvalidInput, "severity 9 is not on the scale"),
    ({"occurred_at": "2025-05-01"}, InvalidInput, "occurred_at needs a time with its zone"),
    ({"occurred_at": "2030-01-01T00:00:00Z"}, InvalidInput, "is in the future"),
    ({"geometry": {"type": "Circle"}}, InvalidInput, "unsupported GeoJSON type"),
    ({"title": "  "}, InvalidInput, "an incident needs a title"),
    ({"title": 7}, InvalidInput, "the title must be text"),
    ({"released_to": ["delegation:XX"]}, NotFound, "XX"),
    ({"colour": "red"}, InvalidInput, "unknown field(s) colour"),
    ({"title": None}, InvalidInput, "a report needs title"),
])
def test_one_bad_report_refuses_the_batch_by_its_index_and_writes_nothing(
        csto_db: str, bad: dict[str, Any], error: type[Exception], words: str) -> None:
    before = stored()
    batch = reports(30)
    batch[17].update(bad)
    with pytest.raises(error) as refused:
        run_import(batch)
    assert str(refused.value).startswith("report 17: ") and words in str(refused.value)
    assert bulk.report_index(refused.value) == 17
    assert stored() == before


def test_the_batch_itself_must_be_a_list_within_the_limit(csto_db: str) -> None:
    before = stored()
    for batch, words in (([], "at least one report"), ({"reports": []}, "a list of reports"),
                         (reports(1) * (bulk.MAX_IMPORT + 1), "at most 10,000 reports")):
        with pytest.raises(InvalidInput, match=words):
            run_import(batch)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="^report 1: a report is an object"):
        run_import([reports(1)[0], "not a report"])
    assert stored() == before


@pytest.mark.parametrize(("principal", "roles", "words"), [
    ("organ:SEC", ("admin",), "duty may not report incident"),  # the role
    ("organ:SEC", ("duty_officer",), "only a delegation or the crisis centre may report "
                                     "incident"),  # the policy's conditions
    ("delegation:UZ", ("duty_officer",), "delegation:UZ may not report incident"),  # standing
])
def test_only_a_crisis_centre_in_good_standing_imports(
        csto_db: str, principal: str, roles: tuple[str, ...], words: str) -> None:
    before = stored()
    with pytest.raises(auth.NotEntitled) as refused:
        run_import(reports(3), principal, roles)
    assert refused.value.detail.startswith(words)
    assert stored() == before


def test_the_crisis_response_centre_imports_for_itself(csto_db: str) -> None:
    ids = run_import(reports(2), "organ:CRC")
    with db.read_session() as s:
        assert {s.get(IncidentRow, i).owner for i in ids} == {"organ:CRC"}  # type: ignore


def test_each_imported_incident_reaches_the_live_stream(csto_db: str) -> None:
    make_user("duty-kg", "delegation:KG", ["duty_officer"])
    with db.read_session() as s:
        kg = auth.actor_for(auth.get_user(s, "duty-kg"), "api")
        kg_clearance = auth.clearance(s, kg, TODAY, "CSTO")

    async def scenario() -> list[tuple[int, int]]:
        loop = asyncio.get_running_loop()
        sub = await asyncio.to_thread(live.broker().subscribe, kg, kg_clearance, loop)
        ids = await asyncio.to_thread(run_import, reports(3))
        got = []
        for _ in ids:
            item = await asyncio.wait_for(sub.queue.get(), 10)
            assert item is not None
            got.append((json.loads(item.data)["incident"]["id"], item.position[1]))
        assert [i for i, _ in got] == ids
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        live.shutdown()
    assert [index for _, index in got] == [0, 1, 2]  # one entry, three events


# -- the API -----------------------------------------------------------------------------

@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_the_api_imports_a_batch_and_answers_with_the_ids(client: TestClient) -> None:
    token = make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    r = client.post("/api/v1/incidents/import", headers=bearer(token),
                    json={"reports": reports(4)})
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    assert r.json()["imported"] == 4 and len(ids) == 4
    seen = client.get(f"/api/v1/incidents/{ids[3]}", headers=bearer(token)).json()
    assert (seen["title"], seen["owner"]) == ("Shots at post 3", "delegation:KZ")
    assert newest_entry()[0] == "crisis.import_incidents"


def test_the_api_refuses_a_bad_batch_as_problem_json(client: TestClient) -> None:
    token = make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    before = stored()
    batch = reports(6)
    batch[4]["severity"] = 9
    r = client.post("/api/v1/incidents/import", headers=bearer(token), json={"reports": batch})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["detail"].startswith("report 4: severity 9 is not on the scale")
    batch[4]["severity"], batch[2]["type"] = 2, "alien_landing"
    r = client.post("/api/v1/incidents/import", headers=bearer(token), json={"reports": batch})
    assert r.status_code == 404 and r.json()["detail"].startswith("report 2: unknown incident")
    r = client.post("/api/v1/incidents/import", headers=bearer(token), json={"reports": []})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    viewer = make_user("viewer-kz", "delegation:KZ", ["viewer"])
    r = client.post("/api/v1/incidents/import", headers=bearer(viewer),
                    json={"reports": reports(2)})
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    assert client.post("/api/v1/incidents/import", json={"reports": reports(2)}
                       ).status_code == 401
    assert stored()[:2] == before[:2]


# -- the command line ------------------------------------------------------------------------

LOCALE = ("COLLSEC_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """The command line in a neutral locale (English) unless `env` says otherwise."""
    base = {k: v for k, v in os.environ.items() if k not in LOCALE}
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, timeout=120,
                          input=stdin, env={**base, "LANG": "C.UTF-8", "COLUMNS": "200",
                                            "COLLSEC_TODAY": "2025-06-01", **(env or {})})


def test_the_cli_imports_a_json_or_ndjson_file(csto_db: str, tmp_path: Path) -> None:
    make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    listed = tmp_path / "reports.json"
    listed.write_text(json.dumps(reports(3)), encoding="utf-8")
    r = cli("--as", "duty-kz", "crisis", "import", str(listed))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 3 incidents: ids ")
    lines = tmp_path / "reports.ndjson"
    lines.write_text("\n".join(json.dumps(x) for x in reports(2)) + "\n\n", encoding="utf-8")
    r = cli("--as", "duty-kz", "crisis", "import", str(lines), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == 2
    one = tmp_path / "one.json"
    one.write_text(json.dumps(reports(1)), encoding="utf-8")
    r = cli("--as", "duty-kz", "crisis", "import", str(one), "--lang", "ru")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("принят 1 инцидент: номера ")
    assert stored()[0] == 6
    with db.read_session() as s:
        entries = [e for e in journal.entries(s, limit=2)]
        assert [e.actor for e in entries] == ["cli:duty-kz"] * 2
        assert [e.command for e in entries] == ["crisis.import_incidents"] * 2


def test_the_cli_refuses_a_bad_file_with_a_message_and_writes_nothing(
        csto_db: str, tmp_path: Path) -> None:
    make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    before = stored()
    batch = reports(3)
    batch[1]["occurred_at"] = "2030-01-01T00:00:00Z"
    lines = tmp_path / "reports.ndjson"
    lines.write_text(f"{json.dumps(batch[0])}\n{json.dumps(batch[1])}\n\n{json.dumps(batch[2])}\n",
                     encoding="utf-8")
    r = cli("--as", "duty-kz", "crisis", "import", str(lines))
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {lines}, line 2: report 1: occurred_at "
                               "2030-01-01T00:00:00+00:00 is in the future")
    # In Russian where the locale is, the line's place too.
    r = cli("--as", "duty-kz", "crisis", "import", str(lines), env={"LANG": "ru_RU.UTF-8"})
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {lines}, строка 2: сообщение 1: occurred_at "), r.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('[{"type": "border_clash",', encoding="utf-8")
    r = cli("--as", "duty-kz", "crisis", "import", str(broken))
    assert r.returncode == 2 and r.stderr.startswith(f"error: {broken}: not JSON at line 1")
    r = cli("--as", "duty-kz", "crisis", "import", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"reports": reports(2)}), encoding="utf-8")
    r = cli("crisis", "import", str(good))  # the operator is the Secretariat, not a centre
    assert r.returncode == 2 and "may not report incident" in r.stderr
    assert stored() == before
