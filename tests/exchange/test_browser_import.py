"""A bundle uploaded on /reports/import in a real browser: Debian's Chromium, loopback only.

Kazakhstan's releasing officer signs in, chooses a bundle (another tool's, the stix2
library's) and imports it. static/exchange-import.js sends the form by XMLHttpRequest: a
<progress> shows the upload, then "importing" while the server takes the bundle, and the
server's page with each object's result replaces the page without a navigation (a marker
on the window survives). The same bundle again, from the page the script put in place,
shows each object skipped; in Russian the script's texts are Russian.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from tests.browser import launch, only_loopback, running_server, wait_until
from tests.conftest import create_database, drop_database, pointing_at, prepare
from tests.exchange.test_stix_import import _foreign

TODAY = "2025-06-01"
PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.browser

# What the page showed while the upload ran, recorded as it changed: the script may be done
# before a poll from the test would see it.
WATCH = """() => {
  window.__seen = {progress: false, labels: [], states: []};
  new MutationObserver(() => {
    const form = document.getElementById("import-form");
    if (!form) { return; }
    if (form.querySelector("progress")) { window.__seen.progress = true; }
    const label = form.querySelector(".import-progress-text");
    const text = label ? label.textContent : "";
    const seen = window.__seen;
    if (text && seen.labels[seen.labels.length - 1] !== text) { seen.labels.push(text); }
    const state = form.getAttribute("data-state");
    if (state && !seen.states.includes(state)) { seen.states.push(state); }
  }).observe(document, {subtree: true, childList: true, characterData: true,
                        attributes: true});
  window.__stayed = true;
  document.body.setAttribute("data-before-upload", "");  // the server's page will not have it
}"""


@pytest.fixture(scope="module")
def import_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A CSTO database of this module's own with Kazakhstan's releasing officer."""
    url = create_database(tmp_path_factory.mktemp("browser-import"))
    with pointing_at(url):
        prepare(url, load=True)
        with db.write_session(db.engine_for(url)) as s:
            auth.add_user(s, *auth.installer(), username="kz.rel", principal="delegation:KZ",
                          roles=["releasing_officer"], now=clock.now(), password=PASSWORD)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def server(import_db: str) -> Iterator[str]:
    with running_server(import_db, COLLSEC_TODAY=TODAY) as base:
        yield base


def test_an_upload_shows_its_progress_then_each_objects_result(server: str,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(_foreign("TLP:AMBER")), encoding="utf-8")
    blocked: list[str] = []
    errors: list[str] = []  # the script's exceptions and what the CSP refused

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.route("**/*", only_loopback(blocked))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text)
                    if "Content Security Policy" in m.text else None)
            page.goto(f"{server}/login?next=/reports/import")
            page.fill("#username", "kz.rel")
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            assert urlsplit(page.url).path == "/reports/import"

            def upload() -> dict[str, Any]:
                page.evaluate(WATCH)
                page.set_input_files("#bundle-file", str(bundle))
                page.click("#import-form button[type=submit]")
                wait_until(page, "!document.body.hasAttribute('data-before-upload')", 15_000)
                expect(page.locator("#result")).to_be_visible()
                assert page.evaluate("window.__stayed") is True  # no navigation
                assert urlsplit(page.url).path == "/reports/import"
                seen: dict[str, Any] = page.evaluate("window.__seen")
                return seen

            seen = upload()
            assert seen["progress"] is True
            assert seen["states"] == ["uploading", "importing"]
            assert seen["labels"][0].startswith("Uploading the bundle: ")
            assert seen["labels"][-1] == "Importing…"
            results = page.locator("#result tr.object-result")
            expect(results).to_have_count(2)
            expect(page.locator('#result tr.object-result[data-result="added"]')
                   ).to_have_count(2)
            expect(page.locator("#counts")).to_have_text("2 added, 0 updated, 0 already held.")
            expect(page.locator("#result a[href^='/reports/']")).to_have_count(1)
            # the page in place is the server's: its form carries a fresh token and works
            assert page.locator("#import-form input[name=csrf_token]").input_value()
            expect(page.locator("#import-form progress")).to_have_count(0)

            seen = upload()
            assert seen["progress"] is True and seen["labels"][-1] == "Importing…"
            expect(page.locator('#result tr.object-result[data-result="skipped"]')
                   ).to_have_count(2)

            page.goto(f"{server}/reports/import?lang=ru")
            seen = upload()
            assert seen["labels"][0].startswith("Пакет загружается: ")
            assert seen["labels"][-1] == "Импорт…"
            expect(page.locator('#result tr.object-result[data-result="skipped"]')
                   ).to_have_count(2)
            assert page.evaluate("document.documentElement.lang") == "ru"
        finally:
            browser.close()
    assert blocked == []
    assert errors == []


def test_an_answer_that_is_no_page_is_shown_beside_the_form(import_db: str,
                                                            tmp_path: Path) -> None:
    """The size limit refuses the upload before the page (problem+json): the script shows
    why, in the page's language, and the form may be sent again."""
    from playwright.sync_api import expect, sync_playwright

    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(_foreign("TLP:AMBER")), encoding="utf-8")
    blocked: list[str] = []
    with running_server(import_db, COLLSEC_TODAY=TODAY, COLLSEC_MAX_BUNDLE_BODY="500"
                        ) as base, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_context().new_page()
            page.route("**/*", only_loopback(blocked))
            page.goto(f"{base}/login?next=/reports/import%3Flang%3Dru")
            page.fill("#username", "kz.rel")
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            page.evaluate("window.__stayed = true")
            page.set_input_files("#bundle-file", str(bundle))
            page.click("#import-form button[type=submit]")
            shown = page.locator("#import-form .import-progress.form-error")
            expect(shown).to_contain_text("Отказано, ничего не записано:")
            expect(shown).to_contain_text("не более 500")  # the limit's own words
            expect(page.locator("#import-form button[type=submit]")).to_be_enabled()
            expect(page.locator("#import-form progress")).to_be_hidden()
            assert page.evaluate("window.__stayed") is True
        finally:
            browser.close()
    assert blocked == []
