"""The situation picture: counts per reporting state and the newest incidents of a window,
narrowed like every list, in the service and at GET /api/v1/incidents/summary."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.errors import InvalidInput
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user
from tests.crisis.test_service import MINSK, TODAY, actor, report

ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
MOSCOW = {"type": "Point", "coordinates": [37.62, 55.75]}
MAY = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


def picture(principal: str, **filters: Any) -> service.Situation:
    with db.read_session() as s:
        return service.situation(s, auth.clearance(s, actor(principal), TODAY, "CSTO"), **filters,
                                 now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))


@pytest.fixture
def incidents(csto_db: str) -> dict[str, int]:
    """Three Kazakh, two Russian and one Belarusian report, two of them restricted."""
    def at(day: int) -> dt.datetime:
        return MAY + dt.timedelta(days=day, hours=6)

    return {
        "kz1": report(geometry=ALMATY, occurred_at=at(1)),
        "kz2": report(geometry=ALMATY, occurred_at=at(2), type="drug_trafficking"),
        "kz3": report(geometry=ALMATY, occurred_at=at(20)),
        "ru1": report("delegation:RU", geometry=MOSCOW, occurred_at=at(3)),
        "ru_for_kz": report("delegation:RU", geometry=MOSCOW, occurred_at=at(4),
                            released_to=["delegation:KZ"]),
        "by_for_ru": report("delegation:BY", geometry=MINSK, occurred_at=at(5),
                            released_to=["delegation:RU"]),
    }


def test_counts_per_state_match_a_direct_count(incidents: dict[str, int]) -> None:
    seen = picture("delegation:KZ")
    with db.read_session() as s:
        owners = {i: owner for i, owner in s.execute(select(IncidentRow.id, IncidentRow.owner))}
    readable = {i for name, i in incidents.items() if name != "by_for_ru"}
    assert seen.per_state == dict(Counter(owners[i] for i in readable))
    assert seen.per_state == {"delegation:KZ": 3, "delegation:RU": 2}
    assert seen.total == 5 == len(seen.incidents) and not seen.truncated
    assert [r.id for r in seen.incidents][:2] == [incidents["kz3"], incidents["ru_for_kz"]]
    with db.read_session() as s:
        assert seen.total < (s.scalar(select(func.count()).select_from(IncidentRow)) or 0)


def test_a_restricted_incident_counts_only_where_it_is_released(
        incidents: dict[str, int]) -> None:
    assert "delegation:BY" not in picture("delegation:KZ").per_state
    assert picture("delegation:RU").per_state == {"delegation:BY": 1, "delegation:KZ": 3,
                                                  "delegation:RU": 2}
    assert picture("delegation:BY").per_state == {"delegation:BY": 1, "delegation:KZ": 3,
                                                  "delegation:RU": 1}


def test_filters_narrow_the_counts_like_the_list(incidents: dict[str, int]) -> None:
    filters: dict[str, Any] = {"bbox": service.parse_bbox("70,40,80,45"),
                               "since": MAY, "until": MAY + dt.timedelta(days=10),
                               "types": ["border_clash"]}
    seen = picture("delegation:KZ", **filters)
    assert seen.per_state == {"delegation:KZ": 1}
    assert [r.id for r in seen.incidents] == [incidents["kz1"]]
    with db.read_session() as s:
        listed = service.list_incidents(s, auth.clearance(s, actor("delegation:RU"), TODAY, "CSTO"),
                                        since=MAY + dt.timedelta(days=3), severity_min=3,
                                        now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert picture("delegation:RU", since=MAY + dt.timedelta(days=3),
                   severity_min=3).per_state == dict(Counter(r.owner for r in listed))
    assert picture("delegation:KZ", since=MAY + dt.timedelta(days=30)).per_state == {}


def test_the_newest_are_capped_but_every_one_is_counted(incidents: dict[str, int]) -> None:
    seen = picture("delegation:KZ", limit=2)
    assert seen.total == 5 and len(seen.incidents) == 2 and seen.truncated
    with pytest.raises(InvalidInput):
        picture("delegation:KZ", limit=0)
    with pytest.raises(InvalidInput):
        picture("delegation:KZ", severity_min=9)


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_the_summary_endpoint_counts_what_the_caller_may_read(
        client: TestClient, incidents: dict[str, int]) -> None:
    by = make_user("duty-by", "delegation:BY", ["duty_officer"])
    kz = make_user("duty-kz", "delegation:KZ", ["viewer"])
    r = client.get("/api/v1/incidents/summary", headers=bearer(kz),
                   params={"bbox": "20,40,90,60", "since": "2025-05-01", "until": "2025-05-10",
                           "type": "border_clash,drug_trafficking", "limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["per_state"] == {"delegation:KZ": 2, "delegation:RU": 2}
    assert (body["total"], body["truncated"], len(body["incidents"])) == (4, True, 3)
    assert body["incidents"][0]["id"] == incidents["ru_for_kz"]
    assert body["incidents"][0]["occurred_at"].endswith("+00:00")
    r = client.get("/api/v1/incidents/summary", headers=bearer(by))
    assert r.status_code == 200 and r.json()["per_state"]["delegation:BY"] == 1
    assert r.json()["total"] == 5


@pytest.mark.parametrize(("params", "status"), [
    ({"bbox": "80,40,70,45"}, 422), ({"type": "alien_landing"}, 404), ({"limit": "0"}, 422),
    ({"since": "May"}, 422), ({"severity_min": "7"}, 422)])
def test_the_summary_refuses_bad_input_as_a_problem(
        client: TestClient, incidents: dict[str, int], params: dict[str, str],
        status: int) -> None:
    token = make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    r = client.get("/api/v1/incidents/summary", headers=bearer(token), params=params)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_summary_is_for_signed_in_callers(client: TestClient,
                                              incidents: dict[str, int]) -> None:
    r = client.get("/api/v1/incidents/summary")
    assert r.status_code == 401
