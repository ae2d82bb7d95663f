"""Exercise mode in a real browser (Debian's Chromium, only loopback requests, the real
server under uvicorn, on SQLite or PostgreSQL).

The CRC's staff start a run of a scenario (through the service). Kazakhstan's duty officer
enters the run in the browser: every page from then on carries the watermark, and the
incident reported on the situation page is the run's (its title begins EXERCISE). A
second duty officer of Kazakhstan, in the real world, sees neither the watermark nor the
incident on the situation page, in its list or by its address; after leaving, the first
one does not either. The team's reaction is recorded on the run's page and shows on the
debrief."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.exercises import runs
from tests.browser import launch, only_loopback, running_server
from tests.conftest import create_database, drop_database, make_user, pointing_at, prepare
from tests.exercises.test_runs import scenario

TODAY = "2025-06-01"
PASSWORD = "correct-horse-battery"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def exercise_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    url = create_database(tmp_path_factory.mktemp("browser-exercise"))
    with pointing_at(url):
        prepare(url, load=True)
        for name, principal, role in (("crc.duty", "organ:CRC", "duty_officer"),
                                      ("kz.player", "delegation:KZ", "duty_officer"),
                                      ("kz.real", "delegation:KZ", "duty_officer")):
            make_user(name, principal, [role], password=PASSWORD)
        with db.write_session() as s:
            actor = auth.actor_for(auth.get_user(s, "crc.duty"), "web")
            c = auth.clearance(s, actor, dt.date.fromisoformat(TODAY), "CSTO")
            runs.add_scenario(s, c, actor, definition=scenario(), now=clock.now())
            # an hour in: every inject is due, so the request reaches Kazakhstan at once
            run = runs.start_run(s, c, actor, "BORDER-CPX", name="CPX spring",
                                 now=clock.now() - dt.timedelta(hours=1)).row.id
            runs.send_due(s, c, actor, run, now=clock.now())
    yield url, run
    drop_database(url)


@pytest.fixture(scope="module")
def server(exercise_db: tuple[str, int]) -> Iterator[str]:
    with running_server(exercise_db[0], COLLSEC_TODAY=TODAY) as base:
        yield base


def test_a_player_s_pages_carry_the_watermark_and_the_real_picture_never_shows_its_incident(
        server: str, exercise_db: tuple[str, int]) -> None:
    from playwright.sync_api import Page, sync_playwright

    _, run = exercise_db
    blocked: list[str] = []

    def signed_in(browser: Any, username: str, next_path: str) -> Page:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.route("**/*", only_loopback(blocked))
        page.goto(f"{server}/login?next={next_path}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        assert urlsplit(page.url).path == next_path
        return page

    def marked(page: Page) -> bool:
        return page.locator("#exercise-mark").count() == 1 and page.evaluate(
            "document.body.dataset.exerciseRun") == str(run)

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            kz = signed_in(browser, "kz.player", f"/exercise-runs/{run}")
            assert not marked(kz)
            kz.click("#enter-form button[type=submit]")
            assert marked(kz) and "CPX spring" in kz.inner_text("#exercise-mark")
            # the request inject reached the team; it answers on the run's page
            kz.fill("#react-3", "Kazakhstan supports sending the collective forces")
            kz.click("li[data-inject='3'] form.react-form button[type=submit]")
            assert "Kazakhstan supports" in kz.inner_text("li[data-inject='3']")
            # reported during the exercise: the run's own
            kz.goto(f"{server}/situation")
            assert marked(kz)
            kz.select_option("#report-form select[name=type]", "border_clash")
            kz.fill("#report-form input[name=lon]", "69.2")
            kz.fill("#report-form input[name=lat]", "37.4")
            kz.fill("#report-form input[name=title]", "Shots at the Panj post")
            kz.click("#report-form button[type=submit]")
            kz.wait_for_selector("#incident-list li:has-text('Shots at the Panj post')")
            listed = kz.inner_text("#incident-list")
            assert f"EXERCISE {run}: Shots at the Panj post" in listed
            link = kz.locator("#incident-list li").filter(
                has_text="Shots at the Panj post").locator(
                "a[href^='/incidents/']").first.get_attribute("href")
            assert link is not None and re.fullmatch(r"/incidents/\d+", link)
            for path in (link, "/", "/exercises", f"/exercise-runs/{run}/debrief"):
                kz.goto(f"{server}{path}")
                assert marked(kz), path
            assert "Kazakhstan supports" in kz.inner_text("#timeline")

            # the real world: no watermark, no incident, not even by its address
            real = signed_in(browser, "kz.real", "/situation")
            assert not marked(real)
            assert "Shots at the Panj post" not in real.inner_text("main")
            assert "Armed group crosses" not in real.inner_text("main")
            response = real.goto(f"{server}{link}")
            assert response is not None and response.status == 404

            # leaving: the player is back in the real world
            kz.click("#exercise-mark form button[type=submit]")
            kz.goto(f"{server}/situation")
            assert not marked(kz) and "Shots at the Panj post" not in kz.inner_text("main")
        finally:
            browser.close()
    assert blocked == []
