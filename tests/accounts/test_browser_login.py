"""Signing in and out in a real browser: Debian's Chromium, JavaScript off, loopback only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.documents.tables import DocumentRow
from tests.browser import launch, only_loopback, running_server
from tests.conftest import create_database, drop_database, pointing_at, prepare

TODAY = "2025-06-01"
PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def accounts_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A CSTO database of this module's own (signing in writes), with a KZ delegate;
    its URL and the id of a members-only document."""
    url = create_database(tmp_path_factory.mktemp("browser-login"))
    with pointing_at(url):
        prepare(url, load=True)
        engine = db.engine_for(url)
        with db.write_session(engine) as s:
            auth.add_user(s, *auth.installer(), username="kz.delegate", principal="delegation:KZ",
                          roles=["representative"], now=clock.now(), password=PASSWORD)
        with db.read_session(engine) as s:
            doc = s.execute(select(DocumentRow.id).where(DocumentRow.visibility == "members")
                            .order_by(DocumentRow.id)).scalars().first()
    assert doc is not None
    yield url, doc
    drop_database(url)


@pytest.fixture(scope="module")
def server(accounts_db: tuple[str, Any]) -> Iterator[str]:
    with running_server(accounts_db[0], COLLSEC_TODAY=TODAY) as base:
        yield base


def test_sign_in_read_a_members_document_sign_out_and_be_refused(
        server: str, accounts_db: tuple[str, int], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    doc = accounts_db[1]
    blocked: list[str] = []

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # JavaScript off: signing in and out are plain forms.
            context = browser.new_context(java_script_enabled=False,
                                          viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.route("**/*", only_loopback(blocked))

            page.goto(f"{server}/documents/{doc}")
            expect(page.locator(".error-code")).to_have_text("404")  # as if missing
            page.click("main a:has-text('Sign in')")
            expect(page.locator("h1")).to_have_text("Sign in")
            page.screenshot(path=str(tmp_path / "login.png"), full_page=True)

            page.fill("#username", "kz.delegate")
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            # back on the document it asked for, now readable
            assert urlsplit(page.url).path == f"/documents/{doc}"
            expect(page.locator("#document .marking-members").first).to_be_visible()
            expect(page.locator("header .user-nav")).to_contain_text("kz.delegate")
            expect(page.locator("header .user-nav")).to_contain_text("Kazakhstan")
            cookies = {c["name"]: c for c in context.cookies()}
            assert cookies["collsec_session"]["httpOnly"] is True
            assert cookies["collsec_session"]["sameSite"] == "Lax"

            page.click("header .user-nav a:has-text('Account')")
            expect(page.locator("#reads")).to_contain_text("Kazakhstan is Member in CSTO")
            page.screenshot(path=str(tmp_path / "account.png"), full_page=True)

            page.click("header form.signout button")
            assert urlsplit(page.url).path == "/"
            expect(page.locator("header .user-nav a.signin")).to_be_visible()
            assert "collsec_session" not in {c["name"] for c in context.cookies()}

            response = page.goto(f"{server}/documents/{doc}")
            assert response is not None and response.status == 404  # as if missing
            expect(page.locator("main a:has-text('Sign in')")).to_be_visible()
            context.close()
        finally:
            browser.close()
    assert blocked == []
