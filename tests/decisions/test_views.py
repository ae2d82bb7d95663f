"""The session pages, in process: outcomes in both languages, the position form of a seated
delegation, closing an item, CSRF, and the live-update script."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.decisions import views as decisions_views
from collsec.decisions.tables import PositionRow
from collsec.web.access import Requires
from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.conftest import bearer, make_user

TODAY = "2025-06-01"


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    token = bearer(make_user("sec.editor", "organ:SEC", ["editor"]))
    make_user("am.rep", "delegation:AM", ["representative"])
    make_user("ru.rep", "delegation:RU", ["representative"])
    make_user("kz.viewer", "delegation:KZ", ["viewer"])
    return token


def setup_session(client: TestClient, editor: dict[str, str], date: str = "2022-11-23",
                  **item: str) -> tuple[int, int]:
    sid = client.post("/api/v1/sessions", headers=editor, json={
        "body": "CSC", "date": date, "host_state": "AM", "city_en": "Yerevan",
        "city_ru": "Ереван"}).json()["id"]
    client.post(f"/api/v1/sessions/{sid}/participants", headers=editor,
                json={"state": "AM", "represented_by": "Prime Minister"})
    iid = client.post(f"/api/v1/sessions/{sid}/items", headers=editor, json={
        "title_en": "Declaration on the situation", "title_ru": "Декларация о ситуации",
        "draft_kind": "declaration", "matter": "substantive", **item}).json()["id"]
    return sid, iid


def outcome_block(html: str, item: int) -> str:
    article = html.split(f'id="item-{item}"', 1)[1].split("</article>", 1)[0]
    return article.split('<div class="outcome', 1)[1].split("</dl>", 1)[0]


def positions_recorded() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(PositionRow)) or 0


def journal_size() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0


def record(client: TestClient, sid: int, item: int, position: str,
           reservation: str = "") -> httpx.Response:
    token = form_token(client.get(f"/sessions/{sid}").text)
    return client.post(f"/items/{item}/position", data={
        "position": position, "reservation": reservation, "csrf_token": token},
        follow_redirects=False)


# -- reading -------------------------------------------------------------------------------

def test_the_session_page_shows_the_live_outcome_in_both_languages(
        client: TestClient, editor: dict[str, str]) -> None:
    sid, item = setup_session(client, editor)
    client.put(f"/api/v1/items/{item}/positions/AM", headers=bearer(
        make_user("am.api", "delegation:AM", ["representative"])),
        json={"position": "object", "reservation": "the text on borders"})

    page = client.get(f"/sessions/{sid}")
    assert page.status_code == 200
    html = page.text
    assert "Regular session — Collective Security Council" in html
    assert "Yerevan" in html and 'href="/states/AM"' in html
    assert "Prime Minister" in html  # the seated delegation
    assert re.search(r"<dt>Chair</dt><dd><a href=\"/states/AM\">Armenia</a>", html)
    block = outcome_block(html, item)
    assert "outcome-rejected" in block and "Not adopted" in block
    assert "not adopted: Armenia objects; consensus is required" in block
    objection = block.split('data-position="object"', 1)[1].split("</dd>", 1)[0]
    assert "Armenia" in objection and "the text on borders" in objection
    assert "Kazakhstan" in block.split('data-position="absent"', 1)[1]
    assert 'action="/items/' not in html  # an anonymous visitor gets no form

    ru = client.get(f"/sessions/{sid}", params={"lang": "ru"}).text
    assert "Очередная сессия — Совет коллективной безопасности" in ru
    ru_block = outcome_block(ru, item)
    assert "Не принято" in ru_block and "не принято: Армения возражает" in ru_block
    assert "Возражение" in ru_block and "Ереван" in ru


def test_the_page_loads_the_refresh_script_and_no_inline_script(
        client: TestClient, editor: dict[str, str]) -> None:
    sid, item = setup_session(client, editor)
    html = client.get(f"/sessions/{sid}").text
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/session.js" defer>']
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None  # nothing inline
    assert f'id="agenda" data-session="{sid}" data-lang="en"' in html
    assert f'id="item-{item}" data-item="{item}" data-status="open"' in html
    js = client.get("/static/session.js")
    assert js.status_code == 200
    assert "/api/v1/sessions/" in js.text and "2000" in js.text
    assert "innerHTML" not in js.text  # text only


def test_the_session_list_filters_by_body_and_year(client: TestClient,
                                                   editor: dict[str, str]) -> None:
    sid, _ = setup_session(client, editor)
    listed = client.get("/sessions")
    assert listed.status_code == 200 and f'href="/sessions/{sid}"' in listed.text
    assert f'data-session="{sid}"' in client.get("/sessions?body=CSC&year=2022").text
    assert f'data-session="{sid}"' not in client.get("/sessions?year=2021").text
    assert "Сессии" in client.get("/sessions?lang=ru").text
    assert client.get("/sessions?year=twenty").status_code == 400
    assert client.get("/sessions/4242").status_code == 404
    assert client.get("/sessions/not-a-number").status_code == 404


# -- a delegation's position ---------------------------------------------------------------

def test_a_seated_delegation_records_its_position_and_the_outcome_follows(
        client: TestClient, editor: dict[str, str]) -> None:
    sid, item = setup_session(client, editor)
    sign_in(client, "ru.rep")
    html = client.get(f"/sessions/{sid}").text
    assert f'action="/items/{item}/position"' in html
    assert "Position of Russia" in html
    assert f'href="/items/{item}/close"' not in html  # a representative does not close

    done = record(client, sid, item, "support", "subject to ratification")
    assert done.status_code == 303
    assert done.headers["location"] == f"/sessions/{sid}#item-{item}"
    block = outcome_block(client.get(f"/sessions/{sid}").text, item)
    assert "outcome-adopted" in block and "adopted by consensus" in block
    assert "subject to ratification" in block

    sign_in(client, "am.rep")
    assert record(client, sid, item, "object").status_code == 303
    page = client.get(f"/sessions/{sid}").text
    assert "not adopted: Armenia objects" in outcome_block(page, item)
    assert re.search(r'value="object"[^>]*checked', page)  # its own choice is shown
    assert not re.search(r'value="support"[^>]*checked', page)
    assert positions_recorded() == 2


def test_a_delegation_without_a_seat_or_a_role_gets_no_form(
        client: TestClient, editor: dict[str, str]) -> None:
    # Kyrgyzstan holds no seat on its own suspension; a viewer records nothing.
    sid, item = setup_session(client, editor, date="2030-03-01", matter="suspension",
                              subject_state="KG", draft_kind="decision")
    make_user("kg.rep", "delegation:KG", ["representative"])
    sign_in(client, "kg.rep")
    assert f'action="/items/{item}/position"' not in client.get(f"/sessions/{sid}").text
    refused = record(client, sid, item, "object")
    assert refused.status_code == 403 and "holds no seat" in refused.text

    sign_in(client, "kz.viewer")
    page = client.get(f"/sessions/{sid}").text
    assert 'action="/items/' not in page
    token = form_token(page)  # the header's sign-out form
    refused = client.post(f"/items/{item}/position", data={
        "position": "support", "csrf_token": token})
    assert refused.status_code == 403 and "may not record position" in refused.text
    assert positions_recorded() == 0


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
        client: TestClient, editor: dict[str, str]) -> None:
    sid, item = setup_session(client, editor)
    sign_in(client, "ru.rep")
    before = journal_size()
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/items/{item}/position", data={"position": "support", **data})
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
        assert "security token" in response.text

    sign_in(client, "sec.editor")
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(f"/items/{item}/close", data=data).status_code == 403
    assert positions_recorded() == 0
    assert journal_size() == before
    assert 'data-status="open"' in client.get(f"/sessions/{sid}").text


def test_anonymous_posts_are_401(client: TestClient, editor: dict[str, str]) -> None:
    _, item = setup_session(client, editor)
    for path in (f"/items/{item}/position", f"/items/{item}/close"):
        response = client.post(path, data={"position": "support", "csrf_token": "x"})
        assert response.status_code == 401
        assert 'href="/login?next=' in response.text


# -- closing -------------------------------------------------------------------------------

def test_the_editor_closes_an_item_and_the_adopted_document_is_linked(
        client: TestClient, editor: dict[str, str]) -> None:
    sid, item = setup_session(client, editor)
    sign_in(client, "ru.rep")
    record(client, sid, item, "support")

    sign_in(client, "sec.editor")
    page = client.get(f"/sessions/{sid}").text
    assert f'href="/items/{item}/close"' in page
    assert f'action="/items/{item}/position"' not in page  # the Secretariat has no position
    unconfirmed = client.post(f"/items/{item}/close", data={"csrf_token": form_token(page)},
                              follow_redirects=False)
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/items/{item}/close"  # asked first
    confirm = client.get(f"/items/{item}/close").text
    silent = confirm.split('id="silent"', 1)[1].split("</div>", 1)[0]
    assert "Armenia" in silent and "Russia" not in silent  # Russia has stated its position
    assert "counts as not taking part" in silent
    closed = client.post(f"/items/{item}/close", data={"csrf_token": form_token(confirm),
                                                       "confirmed": "yes"},
                         follow_redirects=False)
    assert closed.status_code == 303

    page = client.get(f"/sessions/{sid}").text
    assert 'data-status="closed"' in page and "final outcome" in page
    assert f'href="/items/{item}/close"' not in page
    link = re.search(r'<a href="/documents/(\d+)">The adopted document</a>', page)
    assert link, "an adopted item links to its document"
    assert client.get(f"/documents/{link.group(1)}").status_code == 200
    assert "Declaration on the situation" in client.get(f"/documents/{link.group(1)}").text

    again = client.post(f"/items/{item}/close", data={"csrf_token": form_token(page),
                                                      "confirmed": "yes"})
    assert again.status_code == 409
    sign_in(client, "am.rep")
    late = record(client, sid, item, "object")
    assert late.status_code == 409 and "closed" in late.text


# -- declarations ----------------------------------------------------------------------------

def test_every_session_page_route_declares_its_access() -> None:
    routes = [r for r in decisions_views.router.routes if isinstance(r, APIRoute)]
    assert {r.path for r in routes} == {"/sessions", "/sessions/{session_id}",
                                        "/items/{item_id}/position", "/items/{item_id}/close"}
    declared = {r.path: [d.call for d in r.dependant.dependencies
                         if isinstance(d.call, Requires)] for r in routes}
    assert {p: [(d.action, d.public) for d in ds] for p, ds in declared.items()} == {
        "/sessions": [("read", True)], "/sessions/{session_id}": [("read", True)],
        "/items/{item_id}/position": [("record_position", False)],
        "/items/{item_id}/close": [("manage_sessions", False)]}
