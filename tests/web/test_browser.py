"""The pages in a real browser: Debian's Chromium, JavaScript off, nothing loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import launch, only_loopback, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(csto_readonly: str, today: str) -> Iterator[str]:
    with running_server(csto_readonly, COLLSEC_TODAY=today) as base:
        yield base


def test_dashboard_language_switch_and_state_page(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # JavaScript off: every page, link and form must work without it.
            context = browser.new_context(java_script_enabled=False,
                                          viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.route("**/*", only_loopback(blocked))

            page.goto(f"{server}/")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("tr.member-row")).to_have_count(6)
            expect(page.locator("tr.member-row[data-state=AM] .badge")).to_have_text(
                "Member, participation frozen")
            expect(page.locator("#chair .chair-state")).not_to_have_text("")
            expect(page.locator("#chair .basis")).to_have_count(1)
            page.screenshot(path=str(tmp_path / "dashboard-en.png"), full_page=True)

            page.click("nav.lang-switch a[hreflang=ru]")
            expect(page.locator("html")).to_have_attribute("lang", "ru")
            expect(page.locator("tr.member-row[data-state=KZ]")).to_contain_text("Казахстан")
            page.screenshot(path=str(tmp_path / "dashboard-ru.png"), full_page=True)

            page.click("nav.main-nav >> text=Хронология")  # the choice survives navigation
            expect(page.locator("h1")).to_have_text("Хронология")
            page.click("nav.main-nav >> text=Обзор")
            expect(page.locator("html")).to_have_attribute("lang", "ru")

            page.click("tr.member-row[data-state=KZ] td:first-child a")
            expect(page.locator("h1")).to_have_text("Казахстан")
            history = page.locator("#history table.history tbody tr")
            expect(history).to_have_count(2)  # CST party since 1994, CSTO member since 2002
            expect(page.locator("#history")).to_contain_text("2002-10-07")
            expect(page.locator("#history")).to_contain_text("1994-04-20")

            # the source of a fact opens without JavaScript
            details = page.locator("#history details.fact").first
            details.locator("summary").click()
            expect(details.locator("a").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "state-ru.png"), full_page=True)
            context.close()
        finally:
            browser.close()
    assert blocked == []


def test_a_chart_reads_out_the_value_under_focus_where_javascript_runs(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_loopback(blocked))
            page.goto(f"{server}/operations/channel?indicator=drugs_seized_total")
            bar = page.locator("#figure-bars [data-value]").first
            bar.focus()
            readout = page.locator("#figure-bars .chart-readout")
            expect(readout).to_contain_text(bar.get_attribute("data-category") or "")
            page.goto(f"{server}/exercises?series=interaction")
            expect(page.locator("#figure-personnel svg.chart")).to_be_visible()
        finally:
            browser.close()
    assert blocked == []
