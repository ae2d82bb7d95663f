"""Lists that come in pages (keyset cursors, `core.paging`): every row once, in order,
however small the pages; a cursor is only what the API gave."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collsec.core import paging
from collsec.web.app import create_app
from tests.conftest import bearer, make_user


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_the_audit_comes_in_pages_that_neither_skip_nor_repeat(client: TestClient) -> None:
    admin = bearer(make_user("root", "organ:SEC", ["admin"]))
    viewer = bearer(make_user("kz-viewer", "delegation:KZ", ["viewer"]))
    docs = client.get("/api/v1/documents", headers=viewer).json()["documents"]
    members = [d["id"] for d in docs if d["visibility"] == "members"][:3]
    for doc_id in members * 3:  # each read of a members document is audited
        assert client.get(f"/api/v1/documents/{doc_id}", headers=viewer).status_code == 200
    whole = client.get("/api/v1/audit", headers=admin, params={"limit": 5000}).json()
    assert whole["next"] is None and len(whole["entries"]) >= 5  # three pages at least
    seen: list[int] = []
    url: str | None = "/api/v1/audit?limit=2"
    while url is not None:
        page = client.get(url, headers=admin).json()
        assert len(page["entries"]) <= 2
        seen += [e["id"] for e in page["entries"]]
        url = page["next"]
    assert seen == [e["id"] for e in whole["entries"]]  # newest first, each once


def test_the_documents_come_in_pages_that_neither_skip_nor_repeat(client: TestClient) -> None:
    # Several documents share a date: the order is the date, newest first, then the id.
    viewer = bearer(make_user("kz-viewer", "delegation:KZ", ["viewer"]))
    whole = client.get("/api/v1/documents", headers=viewer, params={"limit": 1000}).json()
    assert whole["next"] is None and len(whole["documents"]) >= 5
    keys = [(d["date"], -d["id"]) for d in whole["documents"]]
    assert keys == sorted(keys, reverse=True)
    seen: list[int] = []
    url: str | None = "/api/v1/documents?limit=3"
    while url is not None:
        page = client.get(url, headers=viewer).json()
        assert len(page["documents"]) <= 3
        seen += [d["id"] for d in page["documents"]]
        url = page["next"]
    assert seen == [d["id"] for d in whole["documents"]]
    forged = client.get("/api/v1/documents", params={"cursor": paging.cursor("audit", 3)})
    assert forged.status_code == 422


def test_the_sessions_come_in_pages_that_neither_skip_nor_repeat(client: TestClient) -> None:
    import datetime as dt

    from collsec.core import db
    from collsec.core.auth import service as auth
    from collsec.decisions import sessions
    from tests.builders import SECRETARIAT

    days = [dt.date(2023, 5, 2), dt.date(2024, 11, 28), dt.date(2024, 11, 28),
            dt.date(2022, 1, 10), dt.date(2024, 11, 28)]  # three share a day
    with db.write_session() as s:
        c = auth.clearance(s, SECRETARIAT, dt.date(2025, 6, 1), "CSTO")
        for day in days:
            sessions.convene(s, c, SECRETARIAT, org="CSTO", body="CSC", kind="regular",
                             date=day)
    whole = client.get("/api/v1/sessions", params={"limit": 1000}).json()
    assert whole["next"] is None and len(whole["sessions"]) == len(days)
    seen: list[int] = []
    url: str | None = "/api/v1/sessions?limit=2"
    while url is not None:
        page = client.get(url).json()
        assert len(page["sessions"]) <= 2
        seen += [x["id"] for x in page["sessions"]]
        url = page["next"]
    assert seen == [x["id"] for x in whole["sessions"]]
    assert [x["date"] for x in whole["sessions"]][:3] == ["2024-11-28"] * 3


@pytest.mark.parametrize("forged", ["nonsense", paging.cursor("documents", 5),
                                    paging.cursor("audit", 0)])
def test_a_cursor_the_api_did_not_give_is_a_422(client: TestClient, forged: str) -> None:
    admin = bearer(make_user("root", "organ:SEC", ["admin"]))
    r = client.get("/api/v1/audit", headers=admin, params={"cursor": forged})
    assert r.status_code == 422 and "cursor" in r.json()["detail"]


def test_the_audit_page_links_to_older_entries(client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import html
    import re

    from collsec.accounts import views
    from tests.accounts.test_views import sign_in

    monkeypatch.setattr(views, "AUDIT_PAGE", 2)
    make_user("root", "organ:SEC", ["admin"])
    assert sign_in(client, "root").status_code == 303  # one audit row, the sign-in
    viewer = bearer(make_user("kz-viewer", "delegation:KZ", ["viewer"]))
    docs = client.get("/api/v1/documents", headers=viewer).json()["documents"]
    for d in [d for d in docs if d["visibility"] == "members"][:2]:
        client.get(f"/api/v1/documents/{d['id']}", headers=viewer)
    pages, url = 0, "/audit"
    rows: list[str] = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        rows += re.findall(r'<tr class="audit-row', page.text)
        found = re.search(r'<a class="older" href="([^"]+)"', page.text)
        url = html.unescape(found.group(1)) if found else ""
        pages += 1
    assert pages >= 2 and len(rows) >= 3


def test_requests_for_assistance_come_in_pages(client: TestClient) -> None:
    import datetime as dt

    from collsec.crisis.escalation import service as escalation
    from tests.builders import NEEDS, _act, representative

    for state, day in (("KZ", dt.date(2025, 1, 5)), ("KG", dt.date(2025, 1, 5)),
                       ("TJ", dt.date(2024, 3, 1))):
        now = dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC)
        _act(representative(state), day, escalation.submit_request, state=state,
             basis="article_4", needs=NEEDS, summary_en="Help", on=day, now=now, org="CSTO")
    viewer = bearer(make_user("ru-viewer", "delegation:RU", ["viewer"]))
    whole = client.get("/api/v1/assistance-requests", headers=viewer).json()
    assert whole["next"] is None and len(whole["requests"]) == 3
    seen: list[int] = []
    url: str | None = "/api/v1/assistance-requests?limit=1"
    while url is not None:
        page = client.get(url, headers=viewer).json()
        seen += [x["id"] for x in page["requests"]]
        url = page["next"]
    assert seen == [x["id"] for x in whole["requests"]] and len(set(seen)) == 3
    assert client.get("/api/v1/consultations", headers=viewer).json()["next"] is None
