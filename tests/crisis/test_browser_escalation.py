"""The escalation workflow in a real browser: Debian's Chromium, every non-loopback request
blocked, the real server under uvicorn, on SQLite or PostgreSQL.

Kazakhstan's duty officer has reported an incident (seeded through the service). In the
browser the CRC's duty officer assesses it from the situation list's link; Kazakhstan's
representative asks for consultations, which convenes the Council's extraordinary
session, and then requests assistance with the request form; the Secretariat puts the
request on that session's agenda with the mission's terms. Five delegations' positions
are recorded through the service and Kazakhstan's on the session page; the Secretariat
closes the item there, and the mission the decision defined shows with its mandate and
the request on its page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.crisis.escalation import service as escalation
from collsec.crisis.incidents import service as incidents
from collsec.decisions import sessions
from tests.browser import launch, only_loopback, running_server
from tests.conftest import create_database, drop_database, make_user, pointing_at, prepare

TODAY = "2025-06-01"  # all six members are seated in the bodies (Armenia counts as seated)
PASSWORD = "correct-horse-battery"
OTHERS = ("AM", "BY", "KG", "RU", "TJ")  # whose positions the service records
MANDATE = "Guard important state and military facilities in Almaty"

pytestmark = pytest.mark.browser


def as_user(username: str) -> tuple[auth.Actor, Any]:
    """The actor and clearance of a user of the database COLLSEC_DATABASE_URL names."""
    with db.read_session() as s:
        actor = auth.actor_for(auth.get_user(s, username), "web")
        return actor, auth.clearance(s, actor, dt.date.fromisoformat(TODAY), "CSTO")


@pytest.fixture(scope="module")
def escalation_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A CSTO database of this module's own with the people of the workflow and the
    incident Kazakhstan's duty officer reported; its URL and the incident's id."""
    url = create_database(tmp_path_factory.mktemp("browser-escalation"))
    with pointing_at(url):
        prepare(url, load=True)
        for name, principal, role in (
                ("kz.duty", "delegation:KZ", "duty_officer"),
                ("crc.duty", "organ:CRC", "duty_officer"),
                ("kz.rep", "delegation:KZ", "representative"),
                ("sec.editor", "organ:SEC", "editor"),
                *((f"{st.lower()}.rep", f"delegation:{st}", "representative") for st in OTHERS)):
            make_user(name, principal, [role], password=PASSWORD)
        actor, c = as_user("kz.duty")
        with db.write_session() as s:
            incident = incidents.report_incident(
                s, c, actor, type="mass_unrest", severity=3,
                occurred_at=dt.datetime(2025, 5, 31, 10, tzinfo=dt.UTC),
                geometry={"type": "Point", "coordinates": [76.95, 43.24]},
                title="Mass unrest in Almaty", now=clock.now()).id
    yield url, incident
    drop_database(url)


@pytest.fixture(scope="module")
def server(escalation_db: tuple[str, int]) -> Iterator[str]:
    with running_server(escalation_db[0], COLLSEC_TODAY=TODAY) as base:
        yield base


def record_others(url: str, item_id: int) -> None:
    """Five delegations state their support through the service, as their API would."""
    with pointing_at(url):
        for state in OTHERS:
            actor, c = as_user(f"{state.lower()}.rep")
            with db.write_session() as s:
                sessions.record_position(s, c, actor, item_id=item_id, state=state,
                                         position="support", now=clock.now())


def test_from_an_assessed_incident_to_a_mission_in_the_browser(
        server: str, escalation_db: tuple[str, int], tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    url, incident = escalation_db
    blocked: list[str] = []

    def signed_in(browser: Any, username: str, next_path: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.route("**/*", only_loopback(blocked))
        page.goto(f"{server}/login?next={next_path}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        assert urlsplit(page.url).path == next_path
        return page

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # The CRC's duty officer opens the incident from the situation list and
            # assesses it.
            crc = signed_in(browser, "crc.duty", "/situation")
            crc.click(f'.incident-list a.incident-open[href="/incidents/{incident}"]')
            expect(crc.locator("#incident-status")).to_have_attribute("data-status", "reported")
            crc.select_option("#assess-status", "assessed")
            crc.fill("#assess-note", "national means are overstretched")
            crc.click("form.assess-form button[type=submit]")
            expect(crc.locator("#incident-status")).to_have_attribute("data-status", "assessed")
            expect(crc.locator("#updates")).to_contain_text("national means are overstretched")

            # Kazakhstan's representative asks for consultations, citing it ...
            kz = signed_in(browser, "kz.rep", "/requests")
            kz.click("#ask-consultations")
            kz.fill("#subject-en", "Unrest threatening the constitutional order")
            kz.fill("#subject-ru", "Беспорядки, угрожающие конституционному строю")
            kz.check(f'input[name=incidents][value="{incident}"]')
            kz.click("form.consultation-form button[type=submit]")
            kz.wait_for_url(re.compile(r"/sessions/\d+$"))
            sid = int(urlsplit(kz.url).path.rsplit("/", 1)[1])
            expect(kz.locator("main")).to_contain_text("Kazakhstan")

            # ... and requests assistance, naming what it needs.
            kz.goto(f"{server}/requests")
            expect(kz.locator("#consultations")).to_contain_text(
                "Unrest threatening the constitutional order")
            kz.click("#ask-assistance")
            kz.check("input[name=basis][value=article_4]")
            kz.select_option("#need-kind-0", "peacekeeping_forces")
            kz.fill("#need-personnel-0", "2000")
            kz.fill("#need-note-0", "to guard facilities")
            kz.select_option("#need-kind-1", "military_equipment")
            kz.fill("#summary-en", "Help to restore constitutional order")
            kz.check(f'input[name=incidents][value="{incident}"]')
            kz.select_option("#request-consultation", index=1)
            kz.screenshot(path=str(tmp_path / "request-form.png"), full_page=True)
            kz.click("form.request-form button[type=submit]")
            kz.wait_for_url(re.compile(r"/requests/\d+$"))
            rid = int(urlsplit(kz.url).path.rsplit("/", 1)[1])
            expect(kz.locator("#basis")).to_have_text("collective assistance (Treaty, Article 4)")
            expect(kz.locator("#about")).to_contain_text("2000 personnel")
            expect(kz.locator("#about")).to_contain_text("military equipment")
            expect(kz.locator("[data-request-status]").first).to_have_attribute(
                "data-request-status", "submitted")

            # The Secretariat puts it on the extraordinary session's agenda.
            sec = signed_in(browser, "sec.editor", f"/requests/{rid}")
            sec.select_option("#table-session", str(sid))
            sec.fill("#mission-code", "CPF-KZ")
            sec.fill("#mission-title-en", "Collective peacekeeping forces in Kazakhstan")
            sec.fill("#mission-mandate-en", MANDATE)
            sec.fill("#mission-end-en", "until the situation is stable")
            sec.fill("#mission-lon", "76.95")
            sec.fill("#mission-lat", "43.24")
            sec.screenshot(path=str(tmp_path / "table-form.png"), full_page=True)
            sec.click("form.table-form button[type=submit]")
            expect(sec.locator("#agenda-link")).to_be_visible()
            expect(sec.locator("[data-request-status]").first).to_have_attribute(
                "data-request-status", "on_agenda")
            with db.read_session(db.engine_for(url)) as s:
                item_id = escalation.get_request(s, rid, "CSTO").item_id
            assert item_id is not None

            # Five positions through the service, Kazakhstan's on the session page.
            record_others(url, item_id)
            kz.goto(f"{server}/sessions/{sid}")
            kz.check(f"#item-{item_id} input[name=position][value=support]")
            kz.click(f"#item-{item_id} form.position-form button[type=submit]")
            expect(kz.locator(f"#item-{item_id} [data-role=verdict]")).to_have_text("Adopted")
            # The session page polls and reloads itself once the item closes; leave it
            # before the Secretariat closes the item so no reload races a later goto.
            kz.goto(f"{server}/requests")

            # The Secretariat closes the item: the decision opens the mission.
            sec.click("#agenda-link")
            sec.click(f"#item-{item_id} .close-form a")  # the confirmation comes first
            expect(sec.locator("#silent, #all-stated")).to_have_count(1)
            sec.click("#close-form button[type=submit]")
            expect(sec.locator(f"#item-{item_id} [data-role=verdict]")).to_have_text("Adopted")
            sec.goto(f"{server}/requests/{rid}")
            expect(sec.locator("[data-request-status]").first).to_have_attribute(
                "data-request-status", "granted")
            sec.click("#mission-link")
            assert urlsplit(sec.url).path == "/missions/CPF-KZ"
            expect(sec.locator("p.mandate")).to_have_text(MANDATE)
            expect(sec.locator("tr[data-kind=assistance_request]")).to_contain_text(
                f"request {rid} for assistance")
            expect(sec.locator("#decision-link")).to_have_attribute(
                "href", f"/sessions/{sid}#item-{item_id}")
            sec.screenshot(path=str(tmp_path / "mission.png"), full_page=True)

            # The representative reads the outcome in Russian.
            kz.goto(f"{server}/requests/{rid}?lang=ru")
            expect(kz.locator("#basis")).to_have_text("коллективная помощь (Договор, статья 4)")
            expect(kz.locator("[data-request-status]").first).to_have_text("Удовлетворена")
            kz.screenshot(path=str(tmp_path / "request-ru.png"), full_page=True)
        finally:
            browser.close()
    assert blocked == []
