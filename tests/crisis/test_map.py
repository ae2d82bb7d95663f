"""The situation map clustered by the database (`service.map_view`, GET
/api/v1/incidents/map): the grid of a zoom, the cells shown one by one or as a cluster,
narrowing and filters as every list has them, and the refusals."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.tables import AuditRow
from collsec.core.errors import InvalidInput
from collsec.crisis import geo
from collsec.crisis.incidents import service
from collsec.web.app import create_app
from tests.conftest import bearer, make_user
from tests.crisis.test_service import TODAY, actor, report

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
REGION = (20.0, 30.0, 110.0, 62.0)  # the members' region, Caucasus to the Altai


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def view(principal: str, bbox: geo.BBox = REGION, zoom: int = 4,
         **filters: Any) -> service.MapView:
    with db.read_session() as s:
        c = auth.clearance(s, actor(principal), TODAY, "CSTO")
        return service.map_view(s, c, bbox=bbox, zoom=zoom, **filters, now=NOW)


@pytest.fixture
def incidents(csto_db: str) -> dict[str, Any]:
    """Five Kazakh reports around Almaty (one restricted to Russia), one in Bishkek, one
    Russian in Moscow released to Armenia only, one Belarusian area near Minsk."""
    almaty = [report(geometry=point(76.9 + i * 0.01, 43.2), severity=1 + i % 4)
              for i in range(4)]
    almaty.append(report(geometry=point(76.95, 43.25), released_to=["delegation:RU"]))
    return {
        "almaty": almaty,
        "bishkek": report("delegation:KG", geometry=point(74.6, 42.9), type="drug_trafficking"),
        "moscow": report("delegation:RU", geometry=point(37.6, 55.75),
                         released_to=["delegation:AM"]),
        "minsk": report("delegation:BY", severity=2, geometry={
            "type": "Polygon", "coordinates": [[[27.4, 53.8], [27.7, 53.8], [27.7, 54.0],
                                                [27.4, 53.8]]]}),
    }


def test_a_full_cell_is_a_cluster_and_a_sparse_one_lists_its_incidents(
        incidents: dict[str, Any]) -> None:
    seen = view("delegation:RU", zoom=4)  # cells of 5.625°: Almaty and Bishkek share one
    assert seen.cell == 360 / 64 and seen.total == 8
    [cluster] = seen.clusters
    assert cluster.count == 6  # Almaty's five and Bishkek's
    assert cluster.severity == 4  # the highest among them
    assert 74.6 < cluster.lon < 77 and 42.9 < cluster.lat < 43.25  # their mean
    assert {r.id for r in seen.incidents} == {incidents["moscow"], incidents["minsk"]}

    closer = view("delegation:RU", zoom=6)  # cells of 1.4°: Bishkek is on its own now
    assert incidents["bishkek"] in {r.id for r in closer.incidents}
    assert [k.count for k in closer.clusters] == [5]


def test_a_cell_of_two_names_both(incidents: dict[str, Any]) -> None:
    # the Almaty cell at zoom 12 (0.022°) splits the five: 76.90 and 76.91 in one cell
    seen = view("delegation:RU", bbox=(76.8, 43.1, 77.1, 43.3), zoom=12)
    assert sum(k.count for k in seen.clusters) + len(seen.incidents) == 5
    assert seen.clusters == [] or all(k.count > service.SPREAD for k in seen.clusters)
    cells = Counter(geo.cell_of(r.lon, r.lat, seen.cell) for r in seen.incidents)
    assert all(n <= service.SPREAD for n in cells.values())


def test_the_grid_of_the_database_is_the_grid_of_geo(csto_db: str) -> None:
    """Points on either side of cell edges, west and south of 0 too, fall in the cells
    `geo.cell_of` says: every cell of at most two incidents comes back in full, so the
    incidents' cells can be counted from the answer."""
    rng = random.Random(7)
    size = geo.cell_size(3)  # 11.25°: the world is 32 by 16 cells
    edges = [(-180 + k * size, -90 + j * size) for k, j in ((10, 10), (20, 5), (28, 12))]
    places = [(x + dx, y + dy) for x, y in edges
              for dx, dy in ((-1e-6, -1e-6), (1e-6, 1e-6), (rng.uniform(0, size), 0.0))]
    places += [(-3.5, -7.25), (-3.5 + size, -7.25)]
    for lon, lat in places:
        report(geometry=point(lon, lat))
    seen = view("delegation:KZ", bbox=(-180, -90, 180, 90), zoom=3)
    expected = Counter(geo.cell_of(lon, lat, size) for lon, lat in places)
    got = Counter(geo.cell_of(r.lon, r.lat, size) for r in seen.incidents)
    assert seen.clusters == [] and got == expected


def test_what_is_not_released_is_neither_counted_nor_shown(
        incidents: dict[str, Any]) -> None:
    kz = view("delegation:KZ", zoom=6)
    shown = {r.id for r in kz.incidents}
    assert incidents["moscow"] not in shown and kz.total == 7  # Russia released it to Armenia
    by = view("delegation:BY", zoom=6)  # Almaty's restricted one is Russia's to read
    assert by.total == 6 and sum(k.count for k in by.clusters) == 4


def test_the_filters_are_the_lists_filters(incidents: dict[str, Any]) -> None:
    assert view("delegation:KZ", owner="delegation:KG").total == 1
    assert view("delegation:KZ", types=["drug_trafficking"]).total == 1
    assert view("delegation:KZ", severity_min=4).total == 1
    assert view("delegation:KZ", bbox=(70, 40, 80, 45)).total == 6
    # the map keeps an incident by its point: Minsk's area reaches 27.4°E, its point not
    assert view("delegation:KZ", bbox=(27.0, 53.0, 27.5, 55.0), zoom=8).total == 0
    assert view("delegation:KZ", bbox=(27.5, 53.0, 28.0, 55.0), zoom=8).total == 1


def test_only_the_incidents_shown_in_full_are_audited(incidents: dict[str, Any]) -> None:
    def audited() -> list[str]:
        with db.read_session() as s:
            return [d for d in s.scalars(select(AuditRow.detail).where(
                AuditRow.principal == "delegation:RU", AuditRow.detail.like("map:%")))]

    view("delegation:RU", zoom=4)  # Almaty's five are a cluster; Moscow and Minsk are not
    assert audited() == [f"map: {incidents['moscow']},{incidents['minsk']}"]
    view("delegation:RU", bbox=(76.94, 43.24, 76.96, 43.26), zoom=12)
    assert audited()[1:] == [f"map: {incidents['almaty'][4]}"]


def test_a_view_out_of_bounds_is_refused(csto_db: str) -> None:
    with pytest.raises(InvalidInput, match="zoom"):
        view("delegation:KZ", zoom=21)
    with pytest.raises(InvalidInput, match="too large for zoom 12"):
        view("delegation:KZ", bbox=(-180, -90, 180, 90), zoom=12)
    assert geo.cells_in((0, 0, 1, 1), geo.cell_size(10)) == 144


# -- the API ---------------------------------------------------------------------------

@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_the_map_endpoint_answers_clusters_and_incidents(
        client: TestClient, incidents: dict[str, Any]) -> None:
    token = make_user("duty-ru", "delegation:RU", ["duty_officer"])
    r = client.get("/api/v1/incidents/map", headers=bearer(token),
                   params={"bbox": "20,30,110,62", "zoom": 4, "severity_min": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["zoom"], body["total"], body["spread"]) == (4, 8, service.SPREAD)
    assert [(k["count"], k["severity"]) for k in body["clusters"]] == [(6, 4)]
    assert len(body["clusters"][0]["point"]) == 2
    assert sorted(i["id"] for i in body["incidents"]) == sorted(
        [incidents["moscow"], incidents["minsk"]])
    assert body["incidents"][0]["geometry"]["type"] in ("Point", "Polygon")


@pytest.mark.parametrize(("params", "status"), [
    ({"bbox": "20,30,110,62"}, 422), ({"zoom": 4}, 422),
    ({"bbox": "20,30,110,62", "zoom": 21}, 422),
    ({"bbox": "-180,-90,180,90", "zoom": 13}, 422),
    ({"bbox": "20,30,110,62", "zoom": 4, "owner": "x" * 61}, 422),
    ({"bbox": "20,30,110,62", "zoom": 4, "type": "alien_landing"}, 404)])
def test_the_map_endpoint_refuses_bad_input_as_a_problem(
        client: TestClient, incidents: dict[str, Any], params: dict[str, Any],
        status: int) -> None:
    token = make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    r = client.get("/api/v1/incidents/map", headers=bearer(token), params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_list_endpoint_filters_by_owner_and_severity(
        client: TestClient, incidents: dict[str, Any]) -> None:
    token = make_user("duty-kz", "delegation:KZ", ["duty_officer"])
    r = client.get("/api/v1/incidents", headers=bearer(token),
                   params={"owner": "delegation:KG"})
    assert [i["id"] for i in r.json()["incidents"]] == [incidents["bishkek"]]
    r = client.get("/api/v1/incidents", headers=bearer(token), params={"severity_min": 4})
    assert [i["severity"] for i in r.json()["incidents"]] == [4]
