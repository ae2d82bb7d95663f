"""Long lists on the pages come a page at a time (keyset cursors, `core.paging`): a full
first page with a link to the next, every row once and in order however small the pages,
no link on the last page, the page's filters and language kept, and a cursor no page gave
refused with the page's error (400) in the page's language. The sessions list costs the
same queries however many sessions it shows."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collsec.accounts import admin_views
from collsec.accounts import views as account_views
from collsec.core import paging
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation import views as escalation_views
from collsec.crisis.forces import views as forces_views
from collsec.decisions import sessions
from collsec.decisions import views as decisions_views
from collsec.web.app import create_app
from tests.accounts.test_views import sign_in
from tests.builders import SECRETARIAT, _act, council_decision, representative
from tests.conftest import make_user, selects

TODAY = "2025-06-01"
# Not a cursor at all, and one of another list (the API's contingents).
FORGED = ["nonsense", paging.cursor("contingents", "CPF", "KZ", 5)]
LINK = re.compile(r'<a class="next-page" rel="next" href="([^"]+)"')
# Missions (each with its request for assistance and the Council's session), on three days.
DECISIONS = (("M-ONE", "KZ", dt.date(2025, 5, 2)), ("M-TWO", "KG", dt.date(2025, 5, 3)),
             ("M-THREE", "TJ", dt.date(2025, 5, 3)))


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def crisis(client: TestClient) -> TestClient:
    """Three missions (so three requests for assistance and three Council sessions), three
    requests for consultations, and a members-level reader signed in."""
    for code, host, day in DECISIONS:
        council_decision(day, code=code, host=host)
    for state, day in (("KZ", dt.date(2025, 5, 10)), ("KG", dt.date(2025, 5, 11)),
                       ("KG", dt.date(2025, 5, 11))):
        now = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        _act(representative(state), day, escalation.request_consultations, state=state,
             on=day, subject_en=f"Talks asked by {state}", now=now, org="CSTO")
    make_user("ru.viewer", "delegation:RU", ["viewer"])
    assert sign_in(client, "ru.viewer").status_code == 303
    return client


def link(page: str, anchor: str = "") -> str | None:
    """The page's next-page link (the one to the list at `anchor`, when several)."""
    for href in LINK.findall(page):
        if href.endswith(f"#{anchor}") or not anchor:
            return html.unescape(href)
    return None


def walk(client: TestClient, url: str, rows: str, size: int, anchor: str = ""
         ) -> tuple[list[str], list[str]]:
    """Follow the next-page links from `url`: the rows (`rows` captures each one's key) of
    every page in order, and the links followed. Every page but the last is full."""
    seen: list[str] = []
    links: list[str] = []
    next_url: str | None = url
    while next_url is not None:
        page = client.get(next_url)
        assert page.status_code == 200, page.text
        found = re.findall(rows, page.text)
        next_url = link(page.text, anchor)
        assert len(found) == size if next_url else 1 <= len(found) <= size
        seen += found
        links += [next_url] if next_url else []
    return seen, links


def whole(client: TestClient, monkeypatch: pytest.MonkeyPatch, module: Any, constant: str,
          url: str, rows: str, anchor: str = "") -> list[str]:
    """The list on one page, as it shows when the page is large enough for all of it."""
    monkeypatch.setattr(module, constant, 1000)
    page = client.get(url)
    assert page.status_code == 200 and link(page.text, anchor) is None
    return re.findall(rows, page.text)


def assert_paged(client: TestClient, monkeypatch: pytest.MonkeyPatch, module: Any,
                 constant: str, url: str, rows: str, *, size: int = 2, anchor: str = ""
                 ) -> list[str]:
    """The list at `url` in pages of `size` is the list on one page: no gap, no repeat,
    in order. Returns the links followed."""
    every = whole(client, monkeypatch, module, constant, url, rows, anchor)
    assert len(every) > size, "the test needs more rows than a page"
    assert len(set(every)) == len(every)
    monkeypatch.setattr(module, constant, size)
    seen, links = walk(client, url, rows, size, anchor)
    assert seen == every
    return links


def assert_refused(client: TestClient, url: str, param: str = "cursor") -> None:
    """A cursor no page gave is the page's bad-request error, worded in its language."""
    for forged in FORGED:
        joiner = "&" if "?" in url else "?"
        page = client.get(f"{url}{joiner}{param}={forged}&lang=ru")
        assert page.status_code == 400, (url, forged)
        assert "курсор выдан не этим API" in page.text


# -- the missions and a mission's timeline -------------------------------------------------

def test_the_missions_come_in_pages(crisis: TestClient,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rows = r'<tr class="mission-row" data-code="([^"]+)"'
    links = assert_paged(crisis, monkeypatch, forces_views, "MISSION_PAGE", "/missions", rows)
    assert links and all(u.startswith("/missions?cursor=") for u in links)
    assert_refused(crisis, "/missions")


def test_a_missions_timeline_comes_in_pages_that_split_an_instant(
        crisis: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The request and the decision share midnight of the decision's day: a page of one
    # event ends between them.
    rows = r'<tr class="event event-\w+" data-kind="(\w+)" data-at="([^"]+)"'
    url = "/missions/M-ONE?as_of=2025-05-31"
    every = whole(crisis, monkeypatch, forces_views, "TIMELINE_PAGE", url, rows)
    assert len(every) >= 3 and every[0][1] == every[1][1]
    monkeypatch.setattr(forces_views, "TIMELINE_PAGE", 1)
    seen, links = walk(crisis, url, rows, 1, "timeline")
    assert seen == every
    assert all(u.startswith("/missions/M-ONE?as_of=2025-05-31&timeline=") for u in links)
    assert_refused(crisis, "/missions/M-ONE", "timeline")


# -- requests for assistance and consultations ---------------------------------------------

def test_the_requests_and_the_consultations_come_in_pages_each_on_its_own(
        crisis: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = r'<tr class="request-row" data-request="(\d+)"'
    consultations = r'<tr class="consultation-row" id="consultation-\d+" data-consultation="(\d+)"'
    assert_paged(crisis, monkeypatch, escalation_views, "REQUEST_PAGE", "/requests",
                 requests, anchor="assistance-requests")
    links = assert_paged(crisis, monkeypatch, escalation_views, "CONSULTATION_PAGE",
                         "/requests", consultations, anchor="consultations")
    assert all("consultations=" in u and "cursor=" not in u for u in links)
    # Turning the consultations' page keeps the requests' own page.
    monkeypatch.setattr(escalation_views, "REQUEST_PAGE", 2)
    second = link(crisis.get("/requests").text, "assistance-requests")
    assert second is not None
    page = crisis.get(second).text
    both = link(page, "consultations")
    assert both is not None and "cursor=" in both
    assert re.findall(requests, crisis.get(both).text) == re.findall(requests, page)
    assert_refused(crisis, "/requests")
    assert_refused(crisis, "/requests", "consultations")


# -- sessions --------------------------------------------------------------------------------

def convene(days: list[dt.date]) -> None:
    """Regular sessions of the Council on these days, each with an agenda item."""
    for day in days:
        sess = _act(SECRETARIAT, dt.date(2025, 6, 1), sessions.convene, org="CSTO",
                    body="CSC", kind="regular", date=day)
        _act(SECRETARIAT, dt.date(2025, 6, 1), sessions.add_item, session_id=sess.id,
             title_en=f"Decision of {day}", draft_kind="decision", matter="procedural")


def test_the_sessions_come_in_pages_keeping_the_filters_and_the_language(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    convene([dt.date(2024, 11, 28)] * 3 + [dt.date(2024, 5, 2), dt.date(2023, 5, 2)])
    rows = r'<tr class="session-row" data-session="(\d+)"'
    links = assert_paged(client, monkeypatch, decisions_views, "SESSION_PAGE",
                         "/sessions?body=CSC&year=2024&lang=ru", rows)
    assert links and all(u.startswith("/sessions?body=CSC&year=2024&lang=ru&cursor=")
                         for u in links)
    assert 'lang="ru"' in client.get(links[0]).text
    assert_refused(client, "/sessions")


def test_the_sessions_lists_cost_the_same_queries_for_two_sessions_or_eight(
        client: TestClient) -> None:
    def listed() -> int:
        page = client.get("/sessions")
        assert page.status_code == 200
        return len(re.findall(r'<tr class="session-row"', page.text))

    def api() -> int:
        answer = client.get("/api/v1/sessions")
        assert answer.status_code == 200
        return len(answer.json()["sessions"])

    convene([dt.date(2024, 1, 10), dt.date(2024, 2, 10)])
    assert listed() == 2 and api() == 2  # warm: what a first request caches is not counted
    few, few_api = len(selects(listed)), len(selects(api))
    convene([dt.date(2023, m, 10) for m in range(1, 7)])
    assert listed() == 8 and api() == 8
    assert (len(selects(listed)), len(selects(api))) == (few, few_api)


# -- documents, the audit, the accounts -----------------------------------------------------

def test_the_documents_come_in_pages(client: TestClient,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("kz.viewer", "delegation:KZ", ["viewer"])
    assert sign_in(client, "kz.viewer").status_code == 303
    rows = r'<tr class="doc-row" data-doc="(\d+)"'
    links = assert_paged(client, monkeypatch, account_views, "DOCUMENT_PAGE",
                         "/documents?lang=en", rows)
    assert all(u.startswith("/documents?lang=en&cursor=") for u in links)
    assert "on this page" in client.get(links[0]).text
    assert_refused(client, "/documents")


def test_the_audit_comes_in_pages_newest_first(client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = make_user("kz.viewer", "delegation:KZ", ["viewer"])
    docs = client.get("/api/v1/documents", headers={"Authorization": f"Bearer {viewer}"})
    for d in [d for d in docs.json()["documents"] if d["visibility"] == "members"][:2]:
        client.get(f"/api/v1/documents/{d['id']}",
                   headers={"Authorization": f"Bearer {viewer}"})  # each read is audited
    make_user("root", "organ:SEC", ["admin"])
    assert sign_in(client, "root").status_code == 303
    rows = r'<tr class="audit-row[^"]*" data-entry="(\d+)"'
    every = whole(client, monkeypatch, account_views, "AUDIT_PAGE", "/audit", rows)
    assert len(every) >= 3 and [int(i) for i in every] == sorted(map(int, every), reverse=True)
    monkeypatch.setattr(account_views, "AUDIT_PAGE", 2)
    seen: list[str] = []
    url: str | None = "/audit"
    while url is not None:
        page = client.get(url).text
        found = re.findall(rows, page)
        older = re.search(r'<a class="older" href="([^"]+)"', page)
        url = html.unescape(older.group(1)) if older else None
        assert len(found) == 2 if url else 1 <= len(found) <= 2
        seen += found
    assert seen == every
    assert_refused(client, "/audit")


def test_the_accounts_come_in_pages_by_user_name(client: TestClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("dana", "bob", "carl"):
        make_user(name, "organ:SEC", ["viewer"])
    make_user("root", "organ:SEC", ["admin"])
    assert sign_in(client, "root").status_code == 303
    rows = r'<tr class="user-row[^"]*" data-user="([^"]+)"'
    every = whole(client, monkeypatch, admin_views, "USER_PAGE", "/admin/users", rows)
    assert every == sorted(every)
    links = assert_paged(client, monkeypatch, admin_views, "USER_PAGE",
                         "/admin/users?done=roles", rows)
    assert links and all("done=" not in u for u in links)  # the notice was for one page
    assert_refused(client, "/admin/users")
