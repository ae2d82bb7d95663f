"""The embedded catalogue of national contingents: loaded as contingents.yaml says, every
unit sourced, the `until` cut-off of replays, reloads, and the sources shown on the
/forces page and in the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.errors import InvalidInput
from collsec.crisis.forces.tables import ContingentRow
from collsec.registry import defaults
from collsec.registry.charter import read_yaml
from collsec.web.app import create_app
from tests.accounts.test_views import sign_in
from tests.conftest import bearer, make_user

DAY = dt.date(2025, 6, 1)


def embedded() -> list[dict[str, Any]]:
    return list(read_yaml("CSTO", "contingents.yaml"))


def since(entry: dict[str, Any]) -> dt.date:
    value = entry["since"]
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(f"{value}-01" if len(str(value)) == 7 else str(value))


def loaded() -> list[ContingentRow]:
    with db.read_session() as s:
        return list(s.execute(select(ContingentRow).order_by(ContingentRow.id)).scalars())


def test_the_catalogue_is_loaded_as_the_data_says(csto_db: str) -> None:
    data, rows = embedded(), loaded()
    assert rows and all(r.origin == "default" for r in rows)
    assert Counter((r.force, r.state) for r in rows) == Counter(
        (c["force"], c["state"]) for c in data)
    by_key = {(r.force, r.state, r.unit_type): r for r in rows}
    assert len(by_key) == len(data)
    for c in data:
        r = by_key[(c["force"], c["state"], c["unit_type"])]
        assert r.personnel == c.get("personnel", 0)
        assert r.readiness_hours == c.get("readiness_hours", defaults.DEFAULT_READINESS_HOURS)
        assert (r.home_lon, r.home_lat) == tuple(c["home"]) and r.home_base == c["home_base"]
        assert r.since == since(c) and r.sources.split() == c["sources"]
        assert r.confidence == c["confidence"] and r.note_en.startswith(c["note"]["en"])
    with db.read_session() as s:
        entry = next(e for e in journal.entries(s) if e.command == "registry.load_default")
    assert json.loads(entry.payload)["counts"]["contingents"] == len(data)


def test_every_unit_names_known_sources_and_marks_what_is_not_reported(csto_db: str) -> None:
    known = {s["id"] for s in read_yaml("CSTO", "sources.yaml")}
    forces_known = {f["code"] for f in read_yaml("CSTO", "forces.yaml")}
    for c in embedded():
        assert c["sources"] and set(c["sources"]) <= known, c
        assert c["force"] in forces_known and c["confidence"] in ("high", "medium", "low")
    for r in loaded():
        assert ("not reported" in r.note_en) == (r.personnel == 0 or r.readiness_hours == 72)
        assert ("не сообщается" in r.note_ru) == ("not reported" in r.note_en)


def test_the_loader_refuses_an_unknown_source_force_or_place(csto_db: str) -> None:
    good = embedded()[0]
    known = {s["id"] for s in read_yaml("CSTO", "sources.yaml")}
    forces_known = {f["code"] for f in read_yaml("CSTO", "forces.yaml")}
    for bad, message in (({"sources": ["no-such-source"]}, "unknown source id"),
                         ({"sources": []}, "needs at least one source"),
                         ({"force": "XYZ"}, "unknown force"),
                         ({"home": [200, 40]}, "longitude"),
                         ({"personnel": -1}, "personnel"),
                         ({"confidence": "sure"}, "confidence")):
        with pytest.raises(InvalidInput, match=message):
            defaults._contingent({**good, **bad}, known, forces_known, "test")
    before = len(loaded())
    with pytest.raises(InvalidInput, match="unknown state"), db.write_session() as s:
        defaults._load_contingents(s, "CSTO", [{**good, "state": "FR"}], known,
                                   forces=forces_known)
    assert len(loaded()) == before


@pytest.mark.parametrize("until", [dt.date(2003, 10, 1), dt.date(2009, 6, 14),
                                   dt.date(2009, 6, 15), dt.date(2010, 12, 10)])
def test_until_leaves_out_later_contingents(empty_db: str, until: dt.date) -> None:
    with db.write_session() as s:
        result = defaults.load_default(s, actor="test", org="CSTO", until=until)
    expected = Counter((c["force"], c["state"]) for c in embedded() if since(c) < until)
    assert Counter((r.force, r.state) for r in loaded()) == expected
    assert result.counts["contingents"] == sum(expected.values())
    assert 0 < sum(expected.values()) < len(embedded())


def test_a_reload_with_other_data_replaces_the_catalogue(csto_db: str) -> None:
    with db.write_session() as s:  # a partial load is another digest: a full replace
        defaults.load_default(s, actor="test", org="CSTO", until=dt.date(2005, 1, 1))
    assert Counter(r.force for r in loaded()) == Counter(
        c["force"] for c in embedded() if since(c) < dt.date(2005, 1, 1))
    with db.write_session() as s:
        defaults.load_default(s, actor="test", org="CSTO")
    assert Counter((r.force, r.state) for r in loaded()) == Counter(
        (c["force"], c["state"]) for c in embedded())


# -- the page and the API ------------------------------------------------------------------

@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", DAY.isoformat())
    with TestClient(create_app()) as c:
        yield c


def test_the_forces_page_lists_every_unit_with_its_source_links(client: TestClient) -> None:
    make_user("kz.viewer", "delegation:KZ", ["viewer"])
    assert sign_in(client, "kz.viewer").status_code == 303
    html = client.get("/forces").text
    rows = re.findall(r'<tr class="contingent-row".*?</tr>', html, re.S)
    assert len(rows) == len(embedded())
    for c in embedded():
        assert c["unit_type"] in html
    by_id = {re.search(r'data-contingent="(\d+)"', row).group(1): row  # type: ignore[union-attr]
             for row in rows}
    for r in loaded():
        row = by_id[str(r.id)]
        assert r.since is not None and r.since.isoformat() in row
        for sid in r.sources.split():
            assert f'href="/sources/{sid}"' in row
        assert f"conf-{r.confidence}" in row
    ru = client.get("/forces?lang=ru").text
    assert "В составе сил с" in ru and "Численность: не сообщается" in ru
    page = client.get("/sources/geonames-cities")
    assert page.status_code == 200 and "GeoNames" in page.text


def test_the_api_gives_sources_and_refuses_unknown_ones(client: TestClient) -> None:
    sec = bearer(make_user("sec-editor", "organ:SEC", ["editor"]))
    listed = client.get("/api/v1/contingents", headers=sec).json()["contingents"]
    assert len(listed) == len(embedded())
    assert all(c["sources"] and c["confidence"] and c["origin"] == "default" for c in listed)
    body = {"force": "CPF", "state": "KZ", "unit_type": "own unit", "personnel": 5,
            "readiness_hours": 2, "home_lon": 71.4, "home_lat": 51.2}
    with db.read_session() as s:
        before = s.scalar(select(func.count()).select_from(journal.JournalEntry))
    r = client.post("/api/v1/contingents", headers=sec,
                    json={**body, "sources": ["no-such-source"]})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "no-such-source" in r.json()["detail"]
    assert len(loaded()) == len(embedded())
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(journal.JournalEntry)) == before
    r = client.post("/api/v1/contingents", headers=sec, json={
        **body, "sources": ["web-tass-2015-cpf"], "confidence": "low", "since": "2024-01-01"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["sources"] == ["web-tass-2015-cpf"] and made["confidence"] == "low"
    assert made["since"] == "2024-01-01" and made["origin"] == "user"
