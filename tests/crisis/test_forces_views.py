"""The collective forces' pages, in process: the missions, one mission with its forms (offer,
accept, report, order the withdrawal, close) behind CSRF, refusals shown on the page with
nothing written, the catalogue, and labels in both languages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments
from collsec.crisis.forces import views as forces_views
from collsec.crisis.forces.tables import DeploymentReportRow, MissionRow, OfferRow
from collsec.decisions import sessions
from collsec.registry.charter import read_yaml
from collsec.web.access import Requires
from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.builders import council_decision
from tests.conftest import make_user

TODAY = "2025-06-01"
CODE = "CPF-VIEW"
PAGE = f"/missions/{CODE}"
SEC = auth.Actor(1, "sec-setup", Principal("organ", "SEC"), frozenset({"editor"}), "cli")


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2025, 5, day, hour, tzinfo=dt.UTC)


def setup(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with db.write_session() as s:
        return fn(s, auth.clearance(s, SEC, dt.date(2025, 6, 1), "CSTO"), SEC, *args, **kwargs)


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A mission decided by an agenda item, with an RU contingent in the catalogue, and
    users: a Secretariat editor, RU's representative and duty officer, a KZ viewer."""
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    setup(forces.register_contingent, force="CRRF", state="RU", unit_type="airborne battalion",
          personnel=500, readiness_hours=24, home_lon=40.97, home_lat=56.99,
          home_base="Ivanovo", now=at(1))
    setup(forces.register_contingent, force="CPF", state="BY", unit_type="peacekeeping company",
          personnel=120, readiness_hours=72, home_lon=27.56, home_lat=53.9, now=at(1))
    item_id = council_decision(dt.date(2025, 5, 2), code=CODE,
                               title_en="Peacekeeping in the test region",
                     title_ru="Миротворчество в тестовом районе",
                     mandate_en="Guard the facilities", mandate_ru="Охранять объекты",
                     area={"type": "Polygon",
                           "coordinates": [[[76, 43], [77, 43], [77, 44], [76, 43]]]})
    with db.read_session() as s:
        ids = (sessions.get_item(s, item_id).session_id, item_id)
    for name, principal, role in (("sec.editor", "organ:SEC", "editor"),
                                  ("ru.rep", "delegation:RU", "representative"),
                                  ("ru.duty", "delegation:RU", "duty_officer"),
                                  ("kz.viewer", "delegation:KZ", "viewer")):
        make_user(name, principal, [role])
    with TestClient(create_app()) as c:
        c.session_ids = ids  # type: ignore[attr-defined]
        yield c


def written() -> tuple[int, int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0,
                s.scalar(select(func.count()).select_from(OfferRow)) or 0,
                s.scalar(select(func.count()).select_from(DeploymentReportRow)) or 0)


def post(client: TestClient, path: str, **data: str) -> object:
    token = form_token(client.get(PAGE).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def as_user(client: TestClient, name: str) -> None:
    client.cookies.clear()
    assert sign_in(client, name).status_code == 303


def offer_ids(html: str) -> list[str]:
    return re.findall(r'data-offer="(\d+)"', html)


# -- reading -----------------------------------------------------------------------------

def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/missions", PAGE, "/forces"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (302, 303, 401), path
        assert "Peacekeeping in the test region" not in r.text and "airborne" not in r.text


def test_a_member_reads_the_list_the_mission_and_the_catalogue(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    listed = client.get("/missions").text
    assert f'href="/missions/{CODE}"' in listed and "Peacekeeping in the test region" in listed
    assert 'data-in-theatre="0"' in listed
    assert 'href="/missions"' in listed and 'href="/forces"' in listed  # the nav links
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    html = page.text
    sid, iid = client.session_ids  # type: ignore[attr-defined]
    assert f'href="/sessions/{sid}#item-{iid}"' in html and "On the request of Kazakhstan" in html
    assert "Guard the facilities" in html and 'data-geometry="Polygon"' in html
    assert "Mission opened" in html and "Decision on the mission" in html
    # A viewer sees no forms: it may not offer, report or manage.
    assert "<form" not in html.split('id="offers"')[1]
    catalogue = client.get("/forces").text
    assert "Collective Rapid Reaction Forces" in catalogue and "airborne battalion" in catalogue
    # The two units registered here come beside the embedded catalogue.
    embedded = read_yaml("CSTO", "contingents.yaml")

    def people(**match: str) -> int:
        return sum(c.get("personnel", 0) for c in embedded
                   if all(c[k] == v for k, v in match.items()))

    assert "56.9900, 40.9700" in catalogue
    assert f'data-total="{620 + people()}"' in catalogue
    assert f'data-force-total="{500 + people(force="CRRF")}"' in catalogue
    assert f'data-state-total="{120 + people(state="BY")}"' in catalogue
    # A strength no source gives is "not reported", never 0, and a total says "at least".
    unreported = [c for c in embedded if "personnel" not in c]
    assert unreported and catalogue.count("not-reported") == len(unreported)
    assert "at least" in catalogue and "not reported)" in catalogue
    defaults = [c for c in embedded if "readiness_hours" not in c]
    assert catalogue.count("readiness-default") == len(defaults)
    api = client.get("/api/v1/contingents", params={"limit": 500}).json()["contingents"]
    assert sum(c["personnel"] is None for c in api) == len(unreported)
    assert sum(c["readiness_default"] for c in api) == len(defaults)


def test_an_unknown_mission_is_a_404_page(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    r = client.get("/missions/NO-SUCH")
    assert r.status_code == 404 and "unknown mission" in r.text


def test_an_outsider_is_refused_by_the_service(client: TestClient) -> None:
    make_user("osce", "external:OSCE", ["viewer"])
    as_user(client, "osce")
    for path in ("/missions", PAGE, "/forces"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "Peacekeeping in the test region" not in r.text


# -- the forms ---------------------------------------------------------------------------

def test_a_mission_through_its_forms(client: TestClient) -> None:
    as_user(client, "ru.rep")
    html = client.get(PAGE).text
    assert 'action="/missions/CPF-VIEW/offers"' in html and "airborne battalion" in html
    unit = re.search(r'<option value="(\d+)" lang="en">airborne battalion', html)
    assert unit is not None
    r = post(client, f"{PAGE}/offers", personnel="400", contingent_id=unit.group(1))
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}#offers"  # type: ignore

    as_user(client, "sec.editor")
    (oid,) = offer_ids(client.get(PAGE).text)
    r = post(client, f"{PAGE}/offers/{oid}/accept")
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert 'data-offer-status="accepted"' in client.get(PAGE).text

    as_user(client, "ru.duty")
    for status, when in (("alerted", "2025-05-03T08:00"), ("deployed", "2025-05-04T10:00")):
        r = post(client, f"{PAGE}/status", state="RU", status=status, personnel="400", at=when)
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    html = client.get(PAGE, params={"as_of": "2025-05-04T12:00"}).text
    assert 'data-total="400"' in html and 'data-status="deployed"' in html

    as_user(client, "sec.editor")
    r = post(client, f"{PAGE}/withdrawal", at="2025-05-10T09:00", note="Council decision")
    assert r.status_code == 303  # type: ignore[attr-defined]
    html = client.get(PAGE).text
    assert "Withdrawal ordered" in html and "Council decision" in html
    assert 'action="/missions/CPF-VIEW/withdrawal"' not in html  # once only
    post(client, f"{PAGE}/status", state="RU", status="returned", personnel="0",
         at="2025-05-12T00:00")
    r = post(client, f"{PAGE}/close")
    assert r.status_code == 303  # type: ignore[attr-defined]
    html = client.get(PAGE).text
    events = re.findall(r'data-kind="(\w+)" data-at="([^"]+)"', html)
    times = [dt.datetime.fromisoformat(t) for _, t in events]
    assert times == sorted(times) and events[-1][0] == "release"
    assert ("withdrawal", "2025-05-10T09:00:00+00:00") in events
    assert [k for k, _ in events if k == "deployment_status"] == ["deployment_status"] * 3
    assert "Mission closed" in html and "<form" not in html.split('id="offers"')[1]
    assert 'data-in-theatre="0"' in client.get("/missions").text


def test_a_form_without_or_with_a_wrong_token_is_refused(client: TestClient) -> None:
    as_user(client, "sec.editor")
    client.get(PAGE)
    before = written()
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post(f"{PAGE}/withdrawal", data={"note": "x", **data})
        assert r.status_code == 403
        r = client.post(f"{PAGE}/close", data=data)
        assert r.status_code == 403
    assert written() == before
    with db.read_session() as s:
        m = s.execute(select(MissionRow)).scalar_one()
        assert m.status == "open" and m.withdrawal_ordered_at is None


def test_refusals_show_on_the_page_and_write_nothing(client: TestClient) -> None:
    as_user(client, "ru.rep")
    before = written()
    unit = re.findall(r'<option value="(\d+)" lang="en">airborne battalion',
                      client.get(PAGE).text)
    r = post(client, f"{PAGE}/offers", personnel="900", contingent_id=unit[0])
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert 'id="refusal"' in r.text and "more than the 500" in r.text  # type: ignore
    assert written() == before

    as_user(client, "ru.duty")  # no accepted offer yet: nothing to report on
    r = post(client, f"{PAGE}/status", state="RU", status="alerted", personnel="1")
    assert r.status_code == 409 and "no accepted offer" in r.text  # type: ignore[attr-defined]
    assert written() == before

    as_user(client, "sec.editor")
    r = post(client, f"{PAGE}/withdrawal", at="2030-01-01T00:00")
    assert r.status_code == 400 and "in the future" in r.text  # type: ignore[attr-defined]
    r = post(client, f"{PAGE}/withdrawal", at="2025-04-01")
    assert r.status_code == 400 and "before the decision" in r.text  # type: ignore
    r = post(client, f"{PAGE}/withdrawal", at="not a time")
    assert r.status_code == 400 and "is not an ISO date or time" in r.text  # type: ignore
    assert written() == before


def test_a_viewer_cannot_post_the_managers_forms(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    token = form_token(client.get("/account").text)
    before = written()
    r = client.post(f"{PAGE}/close", data={"csrf_token": token})
    assert r.status_code == 403
    r = client.post(f"{PAGE}/offers", data={"csrf_token": token, "personnel": "5"})
    assert r.status_code == 403 and "representative or duty officer" in r.text
    assert written() == before


# -- languages -----------------------------------------------------------------------------

def test_russian_labels_come_from_the_data(client: TestClient) -> None:
    setup(deployments.accept_offer, CODE, _ru_offer(), now=at(3))
    with db.write_session() as s:
        duty = auth.Actor(2, "ru.duty", Principal("delegation", "RU"),
                          frozenset({"duty_officer"}), "cli")
        c = auth.clearance(s, duty, dt.date(2025, 6, 1), "CSTO")
        deployments.report_status(s, c, duty, CODE, state="RU", status="en_route",
                                  personnel=300, at=at(3, 5), now=at(20))
    as_user(client, "kz.viewer")
    html = client.get(PAGE, params={"lang": "ru"}).text
    assert "Миротворчество в тестовом районе" in html and "Охранять объекты" in html
    assert "Решение о миссии" in html and "Предложение принято" in html
    assert "В пути" in html and "Казахстан" in html and "Россия" in html
    assert "Предложения сил" in html and "Развёртывание контингентов" in html
    forces_ru = client.get("/forces").text  # the language cookie is kept
    assert "Коллективные силы оперативного реагирования" in forces_ru


def _ru_offer() -> int:
    with db.write_session() as s:
        rep = auth.Actor(3, "ru.rep", Principal("delegation", "RU"),
                         frozenset({"representative"}), "cli")
        row = deployments.offer(s, auth.clearance(s, rep, dt.date(2025, 6, 1), "CSTO"), rep, CODE,
                           state="RU", personnel=300, now=at(3))
        return int(row.id)


def test_every_route_declares_a_signed_in_reader_or_a_manager() -> None:
    routes = [r for r in forces_views.router.routes if isinstance(r, APIRoute)]
    assert len(routes) == 9
    for r in routes:
        (req,) = [d.call for d in r.dependant.dependencies if isinstance(d.call, Requires)]
        assert not req.public and req.action in ("read", "manage_missions"), r.path
