"""Two delegations at one session in a real browser: Debian's Chromium, loopback only.

A Secretariat editor convenes a session and puts an item on its agenda through the
API. Russia's and Armenia's representatives each open the session page in their own
browser context and record their positions with the page's form; the other context
sees the outcome change within a few seconds without reloading (static/session.js
reads the API every two seconds), and the same after a reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from tests.browser import launch, only_loopback, running_server
from tests.conftest import create_database, drop_database, pointing_at, prepare

TODAY = "2025-06-01"
PASSWORD = "correct-horse-battery"
LIVE_MS = 8000  # the page refreshes every 2 s; allow a few rounds on a slow machine

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def session_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A CSTO database of this module's own with a Secretariat editor, Russia's and
    Armenia's representatives; its URL and the editor's API token."""
    url = create_database(tmp_path_factory.mktemp("browser-session"))
    with pointing_at(url):
        prepare(url, load=True)
        engine = db.engine_for(url)
        with db.write_session(engine) as s:
            for name, principal, role in (("sec.editor", "organ:SEC", "editor"),
                                          ("ru.delegate", "delegation:RU", "representative"),
                                          ("am.delegate", "delegation:AM", "representative"),
                                          ("kz.delegate", "delegation:KZ", "representative")):
                auth.add_user(s, *auth.installer(), username=name, principal=principal,
                              roles=[role], now=clock.now(), password=PASSWORD)
        with db.write_session(engine) as s:
            _, token = auth.create_token(s, *auth.installer(), username="sec.editor",
                                         name="browser", now=clock.now())
    yield url, token
    drop_database(url)


@pytest.fixture(scope="module")
def server(session_db: tuple[str, Any]) -> Iterator[str]:
    with running_server(session_db[0], COLLSEC_TODAY=TODAY) as base:
        yield base


def _api_setup(base: str, token: str) -> tuple[int, int]:
    """The Secretariat convenes today's Council session and puts a declaration on it."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
        created = api.post("/api/v1/sessions", json={
            "body": "CSC", "kind": "regular", "date": TODAY, "host_state": "RU",
            "city_en": "Moscow", "city_ru": "Москва"})
        assert created.status_code == 201, created.text
        sid = int(created.json()["id"])
        for state in ("RU", "AM"):
            seated = api.post(f"/api/v1/sessions/{sid}/participants", json={"state": state})
            assert seated.status_code == 201, seated.text
        item = api.post(f"/api/v1/sessions/{sid}/items", json={
            "title_en": "Declaration on collective security", "title_ru":
            "Декларация о коллективной безопасности", "draft_kind": "declaration",
            "matter": "substantive"})
        assert item.status_code == 201, item.text
        return sid, int(item.json()["id"])


def test_two_delegations_see_each_others_positions_live(
        server: str, session_db: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    sid, item = _api_setup(server, session_db[1])
    blocked: list[str] = []

    def signed_in_page(browser: Any, username: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.route("**/*", only_loopback(blocked))
        page.goto(f"{server}/login?next=/sessions/{sid}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        assert urlsplit(page.url).path == f"/sessions/{sid}"
        return page

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            ru = signed_in_page(browser, "ru.delegate")
            am = signed_in_page(browser, "am.delegate")
            ru_outcome = ru.locator(f"#item-{item} [data-role=outcome]")
            am_outcome = am.locator(f"#item-{item} [data-role=outcome]")
            expect(am_outcome.locator("[data-role=verdict]")).to_have_text("Not adopted")

            # Armenia's page stays where it is: a marker on its window would not survive
            # a reload.
            am.evaluate("window.__stayed = true")
            ru.check(f"#item-{item} input[name=position][value=support]")
            ru.fill(f"#reservation-{item}", "subject to ratification")
            ru.click(f"#item-{item} form.position-form button[type=submit]")
            expect(ru_outcome.locator("[data-role=verdict]")).to_have_text("Adopted")

            expect(am_outcome.locator("[data-role=verdict]")).to_have_text(
                "Adopted", timeout=LIVE_MS)
            expect(am_outcome.locator("[data-role=explanation]")).to_contain_text(
                "adopted by consensus")
            expect(am_outcome.locator("dd[data-position=support]")).to_contain_text(
                "subject to ratification")
            assert am.evaluate("window.__stayed") is True

            # Armenia objects; Russia's page follows without a reload.
            ru.evaluate("window.__stayed = true")
            am.check(f"#item-{item} input[name=position][value=object]")
            am.click(f"#item-{item} form.position-form button[type=submit]")
            expect(am_outcome.locator("[data-role=verdict]")).to_have_text("Not adopted")
            expect(ru_outcome.locator("[data-role=verdict]")).to_have_text(
                "Not adopted", timeout=LIVE_MS)
            expect(ru_outcome.locator("[data-role=explanation]")).to_contain_text(
                "not adopted: Armenia objects")
            expect(ru_outcome).to_have_class(re.compile(r"\boutcome-rejected\b"))
            assert ru.evaluate("window.__stayed") is True
            ru.screenshot(path=str(tmp_path / "session-ru-delegate.png"), full_page=True)

            # After a reload the page shows the same, in Russian too.
            ru.reload()
            expect(ru_outcome.locator("[data-role=explanation]")).to_contain_text(
                "not adopted: Armenia objects")
            ru.goto(f"{server}/sessions/{sid}?lang=ru")
            expect(ru_outcome.locator("[data-role=verdict]")).to_have_text("Не принято")
            expect(ru_outcome.locator("[data-role=explanation]")).to_contain_text(
                "не принято: Армения возражает")
            ru.screenshot(path=str(tmp_path / "session-ru-delegate-ru.png"), full_page=True)

            # The Russian page keeps following in Russian.
            am.check(f"#item-{item} input[name=position][value=not_participating]")
            am.click(f"#item-{item} form.position-form button[type=submit]")
            expect(ru_outcome.locator("[data-role=verdict]")).to_have_text(
                "Принято", timeout=LIVE_MS)
            expect(ru_outcome.locator("[data-role=explanation]")).to_contain_text(
                "принято консенсусом")
        finally:
            browser.close()
    assert blocked == []


def test_the_secretariat_runs_a_session_in_the_browser(server: str, tmp_path: Path) -> None:
    """Convene, seat, add an item; Russia states its position, the Secretariat records
    Kazakhstan's on its written instruction and Kazakhstan overrides it; the item closes
    after a confirmation that names the silent delegations."""
    from playwright.sync_api import Page, expect, sync_playwright

    blocked: list[str] = []

    def signed_in(browser: Any, username: str, path: str) -> Page:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.route("**/*", only_loopback(blocked))
        page.goto(f"{server}/login?next={path}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        return page

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            sec = signed_in(browser, "sec.editor", "/sessions")
            sec.click("#convene-link")
            sec.select_option("#body", "CSC")
            sec.select_option("#host", "RU")
            sec.fill("#city-en", "Moscow")
            sec.fill("#city-ru", "Москва")
            sec.click("#convene button[type=submit]")
            sid = int(urlsplit(sec.url).path.rsplit("/", 1)[1])
            expect(sec.locator("#seat-delegations tr[data-state]")).to_have_count(6)
            sec.fill("#seat-delegations tr[data-state=RU] input[name=represented_by]",
                     "the President")
            sec.click("#seat-delegations button[type=submit]")
            expect(sec.locator("#participants li[data-state]")).to_have_count(6)
            expect(sec.locator("#all-seated")).to_have_count(1)
            sec.fill("#title-en", "Statement on the situation in the region")
            sec.fill("#title-ru", "Заявление о положении в регионе")
            sec.select_option("#draft-kind", "statement")
            sec.click("#add-item button[type=submit]")
            item = int(sec.locator("article.agenda-item").first.get_attribute("data-item") or 0)

            ru = signed_in(browser, "ru.delegate", f"/sessions/{sid}")
            ru.check(f"#item-{item} input[name=position][value=support]")
            ru.click(f"#item-{item} form.position-form button[type=submit]")

            sec.goto(f"{server}/sessions/{sid}")
            form = sec.locator(f"#item-{item} form.proxy-form")
            form.locator("select[name=state]").select_option("KZ")
            form.locator("input[name=position][value=abstain]").check()
            form.locator("input[name=instruction]").fill("note No. 7 of 2025-05-30")
            form.locator("button[type=submit]").click()
            expect(sec.locator(f"#item-{item} [data-proxy=KZ]")).to_contain_text("note No. 7")

            kz = signed_in(browser, "kz.delegate", f"/sessions/{sid}")
            kz.check(f"#item-{item} input[name=position][value=support]")
            kz.click(f"#item-{item} form.position-form button[type=submit]")
            expect(kz.locator(f"#item-{item} [data-confirmed=KZ]")).to_have_count(1)
            expect(kz.locator(f"#item-{item} [data-proxy=KZ]")).to_have_count(0)

            sec.goto(f"{server}/sessions/{sid}")
            sec.click(f"#item-{item} .close-form a")
            silent = sec.locator("#silent strong[data-state]")
            expect(silent).to_have_count(4)  # Armenia, Belarus, Kyrgyzstan, Tajikistan
            expect(sec.locator("#silence-rule")).to_contain_text("counts as not taking part")
            sec.screenshot(path=str(tmp_path / "close-confirmation.png"), full_page=True)
            sec.click("#close-form button[type=submit]")
            expect(sec.locator(f"#item-{item}")).to_have_attribute("data-status", "closed")
            expect(sec.locator(f"#item-{item} [data-role=explanation]")).to_contain_text(
                "limited format")
        finally:
            browser.close()
    assert blocked == []
