"""The situation page without a browser: signed-in only, narrowed like the API, the report
form guarded by CSRF, and a clear message when the map's files are not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db
from collsec.crisis.incidents import situation_views as views
from collsec.crisis.incidents.tables import IncidentRow
from collsec.web.access import PRE_CSRF_COOKIE
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

CSRF = "situation-test-csrf-" + "y" * 24


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app(), follow_redirects=False) as c:
        c.cookies.set(PRE_CSRF_COOKIE, CSRF)
        yield c


@pytest.fixture
def tokens(csto_db: str) -> dict[str, str]:
    return {state: make_user(f"duty-{state.lower()}", f"delegation:{state}", ["duty_officer"])
            for state in ("KZ", "KG", "RU")} | {
        "viewer": make_user("viewer-ru", "delegation:RU", ["viewer"])}


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": CSRF, "type": "border_clash", "severity": "3",
                            "occurred_at": "2025-05-01T10:30", "lon": "72.8", "lat": "40.5",
                            "title": "Shots near Osh", "description": "", "release": "members"}
    data.update(overrides)
    return data


def stored() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(IncidentRow)) or 0


def test_the_page_needs_a_signed_in_reader(client: TestClient) -> None:
    page = client.get("/situation")
    assert page.status_code == 401
    assert "/login?next=" in page.text


def test_a_restricted_report_is_listed_for_its_recipient_only(
        client: TestClient, tokens: dict[str, str]) -> None:
    posted = client.post("/situation/incidents", headers=bearer(tokens["KZ"]), data=form(
        release="named", released_to=["delegation:KG"], title="For Kyrgyzstan only"))
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/situation?reported=")
    assert "For Kyrgyzstan only" in client.get("/situation", headers=bearer(tokens["KG"])).text
    assert "For Kyrgyzstan only" in client.get("/situation", headers=bearer(tokens["KZ"])).text
    assert "For Kyrgyzstan only" not in client.get("/situation",
                                                   headers=bearer(tokens["RU"])).text


def test_the_script_gets_the_incident_as_json(client: TestClient,
                                               tokens: dict[str, str]) -> None:
    r = client.post("/situation/incidents", data=form(occurred_at="2025-05-01T10:30+05:00"),
                    headers={**bearer(tokens["KZ"]), "Accept": "application/json"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["owner"], body["visibility"], body["occurred_at"], body["point"]) == (
        "delegation:KZ", "members", "2025-05-01T05:30:00+00:00", [72.8, 40.5])


@pytest.mark.parametrize("change,status", [
    ({"csrf_token": "forged"}, 403),
    ({"lon": "east"}, 400),
    ({"lat": "95"}, 400),
    ({"release": "named"}, 400),  # named, but nobody named
    ({"title": " "}, 400),
    ({"occurred_at": "yesterday"}, 400),
])
def test_a_bad_form_is_refused_and_writes_nothing(client: TestClient, tokens: dict[str, str],
                                                  change: dict[str, str], status: int) -> None:
    page = client.post("/situation/incidents", headers=bearer(tokens["KZ"]), data=form(**change))
    assert page.status_code == status and page.headers["content-type"].startswith("text/html")
    api = client.post("/situation/incidents", data=form(**change),
                      headers={**bearer(tokens["KZ"]), "Accept": "application/json"})
    assert api.status_code in (status, 422)
    assert api.headers["content-type"].startswith("application/problem+json")
    assert stored() == 0


def test_only_a_duty_officer_gets_the_form_and_may_post(client: TestClient,
                                                        tokens: dict[str, str]) -> None:
    assert 'id="report-form"' in client.get("/situation", headers=bearer(tokens["KZ"])).text
    viewer = client.get("/situation", headers=bearer(tokens["viewer"]))
    assert viewer.status_code == 200 and 'id="report-form"' not in viewer.text
    assert client.post("/situation/incidents", headers=bearer(tokens["viewer"]),
                       data=form()).status_code == 403
    assert stored() == 0


def test_labels_and_filters_in_russian(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/situation/incidents", headers=bearer(tokens["KZ"]), data=form())
    client.post("/situation/incidents", headers=bearer(tokens["KZ"]),
                data=form(type="drug_trafficking", severity="1", title="Caravan"))
    page = client.get("/situation?lang=ru&min_severity=3", headers=bearer(tokens["RU"])).text
    assert "Ситуационная картина" in page and "Пограничный конфликт" in page
    assert "Shots near Osh" in page and "Caravan" not in page
    typed = client.get("/situation?type=drug_trafficking", headers=bearer(tokens["RU"])).text
    assert "Caravan" in typed and "Shots near Osh" not in typed


def test_without_its_files_the_page_says_so_instead_of_drawing_a_map(
        client: TestClient, tokens: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "VENDOR", tmp_path)  # an empty folder: nothing installed
    page = client.get("/situation", headers=bearer(tokens["KZ"]))
    assert page.status_code == 200
    assert 'id="map-missing"' in page.text and "make install" in page.text
    assert "leaflet.js" in page.text and "/static/vendor/leaflet.js" not in page.text
    assert 'id="situation-map"' not in page.text
