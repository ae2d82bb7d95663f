"""The pages in a real browser: Debian's Chromium, JavaScript off, nothing loaded from elsewhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    """Skip where there is no browser, unless the run says a browser is required."""
    if CHROMIUM.exists():
        return
    if os.environ.get("COLLSEC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"COLLSEC_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(csto_readonly: str, today: str) -> Iterator[str]:
    """The real app under uvicorn in its own process, on a free loopback port."""
    _require_chromium()
    port = _free_port()
    env = {**os.environ, "COLLSEC_DATABASE_URL": csto_readonly, "COLLSEC_TODAY": today}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "collsec.web.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"server exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{base}/static/collsec.css", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_dashboard_language_switch_and_state_page(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import Route, expect, sync_playwright

    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            # JavaScript off: every page, link and form must work without it.
            context = browser.new_context(java_script_enabled=False,
                                          viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.route("**/*", only_loopback)

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
