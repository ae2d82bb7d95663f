"""The Secretariat's work on a session in the browser's forms, in process: convene, put
an item on the agenda, close after the confirmation; refusals write nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db
from collsec.core.errors import InvalidInput
from collsec.decisions import model, seating, secretariat_views, sessions
from collsec.decisions.tables import AgendaItemRow, ParticipantRow, SessionRow
from collsec.web.access import Requires
from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.builders import journal_size
from tests.conftest import bearer, make_user
from tests.decisions.test_sessions import SECRETARIAT, clearance

D = dt.date


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    token = bearer(make_user("sec.editor", "organ:SEC", ["editor"]))
    make_user("ru.rep", "delegation:RU", ["representative"])
    return token


def _count(table: type) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_the_secretariat_convenes_from_the_form_and_lands_on_the_session(
        client: TestClient, editor: dict[str, str]) -> None:
    sign_in(client, "sec.editor")
    listed = client.get("/sessions").text
    assert 'href="/sessions/new"' in listed
    form = client.get("/sessions/new").text
    assert 'name="body"' in form and "Collective Security Council" in form
    assert "at least 1 a year, convened by the chair" in form  # the charter's rule
    r = client.post("/sessions", data={
        "csrf_token": form_token(form), "body": "CSC", "kind": "regular",
        "date": "2025-11-27", "format": "in_person", "host_state": "KG",
        "city_en": "Bishkek", "city_ru": "Бишкек"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    sid = int(r.headers["location"].split("/")[2].split("#")[0])
    with db.read_session() as s:
        row = s.get(SessionRow, sid)
        assert row is not None and (row.body, row.chair_state, row.city_ru) == (
            "CSC", "KG", "Бишкек")
    page = client.get(f"/sessions/{sid}").text
    assert 'id="manage"' in page and 'action="/sessions/' in page


def test_a_refused_convening_keeps_what_was_typed_and_writes_nothing(
        client: TestClient, editor: dict[str, str]) -> None:
    sign_in(client, "sec.editor")
    form = client.get("/sessions/new").text
    before, sessions_before = journal_size(), _count(SessionRow)
    r = client.post("/sessions", data={
        "csrf_token": form_token(form), "body": "CSC", "kind": "extraordinary",
        "date": "2025-11-27", "format": "video", "city_en": "Nowhere"})
    assert r.status_code == 400 and 'id="refusal"' in r.text
    assert "request" in r.text and 'value="Nowhere"' in r.text
    assert (journal_size(), _count(SessionRow)) == (before, sessions_before)
    assert client.post("/sessions", data={"body": "CSC", "date": "2025-11-27"}
                       ).status_code == 403  # no token


def test_an_item_is_put_on_the_agenda_from_the_session_page(
        client: TestClient, editor: dict[str, str]) -> None:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": "2025-11-27"}).json()["id"]
    sign_in(client, "sec.editor")
    page = client.get(f"/sessions/{sid}").text
    assert 'value="collective_assistance"' not in page  # it comes from a request
    r = client.post(f"/sessions/{sid}/items", data={
        "csrf_token": form_token(page), "title_en": "On the budget for 2026",
        "title_ru": "О бюджете на 2026 год", "draft_kind": "decision",
        "matter": "substantive"}, follow_redirects=False)
    assert r.status_code == 303 and "#item-" in r.headers["location"]
    assert "On the budget for 2026" in client.get(f"/sessions/{sid}").text
    before = _count(AgendaItemRow)
    bad = client.post(f"/sessions/{sid}/items", data={
        "csrf_token": form_token(page), "title_en": " ", "draft_kind": "decision",
        "matter": "substantive"})
    assert bad.status_code == 400 and _count(AgendaItemRow) == before
    sign_in(client, "ru.rep")
    assert client.post(f"/sessions/{sid}/items", data={
        "csrf_token": form_token(page), "title_en": "x"}).status_code == 403


def test_every_secretariat_route_needs_manage_sessions() -> None:
    routes = [r for r in secretariat_views.router.routes if isinstance(r, APIRoute)]
    declared = {r.path: [(d.call.action, d.call.public) for d in r.dependant.dependencies
                         if isinstance(d.call, Requires)] for r in routes}
    assert declared and all(d == [("manage_sessions", False)] for d in declared.values())


def test_the_entitled_delegations_are_seated_with_one_click_each_adjustable(
        client: TestClient, editor: dict[str, str]) -> None:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": "2025-11-27"}).json()["id"]
    sign_in(client, "sec.editor")
    page = client.get(f"/sessions/{sid}").text
    form = page.split('id="seat-delegations"', 1)[1].split("</form>", 1)[0]
    rows = re.findall(r'name="state" value="([A-Z]{2})"', form)
    assert {"AM", "BY", "KZ", "KG", "RU", "TJ"} == set(rows)  # Armenia is still a member
    chosen = [s for s in rows if s != "AM"]  # the Secretariat leaves one out
    before = journal_size()
    r = client.post(f"/sessions/{sid}/seats", data={
        "csrf_token": form_token(page), "state": rows, "seat": chosen,
        "represented_by": ["President" if s == "KG" else "" for s in rows]},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#participants")
    assert journal_size() == before + 1  # one command, one entry
    with db.read_session() as s:
        seated = {p.state: p.represented_by for p in s.execute(select(ParticipantRow).where(
            ParticipantRow.session_id == sid)).scalars()}
    assert seated == {s: ("President" if s == "KG" else "") for s in chosen}
    page = client.get(f"/sessions/{sid}").text
    left = page.split('id="seat-delegations"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'name="state" value="([A-Z]{2})"', left) == ["AM"]
    again = client.post(f"/sessions/{sid}/seats", data={
        "csrf_token": form_token(page), "state": ["KZ"], "seat": ["KZ"]})
    assert again.status_code == 409 and journal_size() == before + 1


def test_seating_nobody_or_a_stranger_is_refused_and_writes_nothing(csto_db: str) -> None:
    with db.write_session() as s:
        sess = sessions.convene_session(s, SECRETARIAT, org="CSTO", body="CSC",
                                        kind="regular", date=D(2013, 1, 15))
    before = journal_size()
    for seats, refusal in (({}, InvalidInput), ({"UZ": ""}, model.NotEntitled),
                           ({"KZ": "x" * 201}, InvalidInput)):
        with pytest.raises(refusal), db.write_session() as s:
            seating.seat_delegations(s, clearance(SECRETARIAT, D(2013, 1, 15)), SECRETARIAT,
                                     session_id=sess.id, seats=seats)
    assert journal_size() == before
    with db.read_session() as s:
        assert "UZ" not in seating.unseated(s, sess.id)  # suspended since 2012


def test_a_proxy_position_is_recorded_marked_and_overridden_by_the_delegation(
        client: TestClient, editor: dict[str, str]) -> None:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": "2025-11-27"}).json()["id"]
    item = client.post(f"/api/v1/sessions/{sid}/items", headers=editor, json={
        "title_en": "On the budget", "draft_kind": "decision",
        "matter": "substantive"}).json()["id"]
    sign_in(client, "sec.editor")
    page = client.get(f"/sessions/{sid}").text
    before = journal_size()
    r = client.post(f"/items/{item}/proxy-position", data={
        "csrf_token": form_token(page), "state": "RU", "position": "support",
        "instruction": "note No. 12 of 2025-11-20"}, follow_redirects=False)
    assert r.status_code == 303 and journal_size() == before + 1
    page = client.get(f"/sessions/{sid}").text
    assert 'data-proxy="RU"' in page and "note No. 12 of 2025-11-20" in page
    api = client.get(f"/api/v1/sessions/{sid}", headers=editor).json()
    ru = next(p for p in api["items"][0]["positions"] if p["state"] == "RU")
    assert ru["by_proxy"] and ru["instruction"] == "note No. 12 of 2025-11-20"
    empty = client.post(f"/items/{item}/proxy-position", data={
        "csrf_token": form_token(page), "state": "KZ", "position": "support",
        "instruction": " "})
    assert empty.status_code == 400 and journal_size() == before + 1

    # The delegation overrides it; its own word cannot be replaced by a proxy after.
    ru_rep = bearer(make_user("ru.rep2", "delegation:RU", ["representative"]))
    r = client.put(f"/api/v1/items/{item}/positions/RU", headers=ru_rep,
                   json={"position": "abstain"})
    assert r.status_code == 200, r.text
    page = client.get(f"/sessions/{sid}").text
    assert 'data-proxy="RU"' not in page and 'data-confirmed="RU"' in page
    again = client.put(f"/api/v1/items/{item}/proxy-positions/RU", headers=editor,
                       json={"position": "object", "instruction": "note No. 13"})
    assert again.status_code == 409
    assert client.put(f"/api/v1/items/{item}/proxy-positions/KZ", headers=ru_rep,
                      json={"position": "object", "instruction": "x"}).status_code == 403


def test_a_decision_some_members_took_no_part_in_says_it_is_limited(
        client: TestClient, editor: dict[str, str]) -> None:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": "2025-11-27"}).json()["id"]
    item = client.post(f"/api/v1/sessions/{sid}/items", headers=editor, json={
        "title_en": "On the budget", "draft_kind": "decision",
        "matter": "substantive"}).json()["id"]
    for state in ("BY", "KZ", "KG", "RU", "TJ"):
        client.put(f"/api/v1/items/{item}/proxy-positions/{state}", headers=editor,
                   json={"position": "support", "instruction": f"note of {state}"})
    client.put(f"/api/v1/items/{item}/proxy-positions/AM", headers=editor,
               json={"position": "not_participating", "instruction": "letter of 2025-11-20"})
    outcome = client.get(f"/api/v1/sessions/{sid}", headers=editor).json()[
        "items"][0]["outcome"]
    assert outcome["adopted"] and outcome["limited_format"]
    assert "AM" not in outcome["bound"] and "limited format" in outcome["explanation"]


def test_the_api_seats_every_entitled_delegation_in_one_command(
        client: TestClient, editor: dict[str, str]) -> None:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": "2025-11-27"}).json()["id"]
    before = journal_size()
    r = client.post(f"/api/v1/sessions/{sid}/seats", headers=editor, json={})
    assert r.status_code == 201, r.text
    assert sorted(x["state"] for x in r.json()) == ["AM", "BY", "KG", "KZ", "RU", "TJ"]
    assert journal_size() == before + 1
    again = client.post(f"/api/v1/sessions/{sid}/seats", headers=editor, json={})
    assert again.status_code == 422 and journal_size() == before + 1  # nobody left
