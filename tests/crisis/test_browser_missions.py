"""A mission's life in a real browser: Debian's Chromium, every non-loopback request
blocked, the real server under uvicorn, on SQLite or PostgreSQL.

The mission is opened the way the charter engine opens one (seeded through the
services): Kazakhstan asks for consultations and for assistance, the Secretariat tables
the request with the mission's terms, every seated delegation supports it and closing
the item defines the mission. In the browser, each actor signs in on the sign-in page:
Russia's representative and Belarus's duty officer offer contingents of the embedded
catalogue; the Secretariat accepts both offers; the duty officers report their
contingents alerted, en route and deployed; a report going back is refused on the page
and writes nothing; the Secretariat orders the withdrawal; the contingents report
withdrawing and returned (closing is refused while one is still away); the Secretariat
closes the mission. The page's timeline, its totals as of a time before and after the
withdrawal, and its Russian labels (from crisis.yaml) are checked along the way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.i18n import gettext_for
from collsec.core.journal import JournalEntry
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation.tables import AssistanceRequestRow
from collsec.crisis.forces.tables import (
    ContingentRow,
    DeploymentReportRow,
    MissionRow,
    OfferRow,
)
from collsec.crisis.incidents.service import taxonomy
from collsec.decisions import sessions
from collsec.decisions.service import entitled_states
from collsec.registry.tables import OrganizationRow, StateRow
from tests.browser import launch, only_loopback, running_server
from tests.conftest import create_database, drop_database, make_user, pointing_at, prepare

TODAY = "2025-06-01"
DAY = dt.date(2025, 6, 1)
ASKED = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
DECIDED = dt.datetime(2025, 6, 1, 15, tzinfo=dt.UTC)
PASSWORD = "correct-horse-battery"
CODE = "CPF-KZ"
PAGE = f"/missions/{CODE}"
TERMS = {"code": CODE, "title_en": "Peacekeeping contingents sent to Kazakhstan",
         "title_ru": "Миротворческие контингенты, направленные в Казахстан",
         "mandate_en": "Protect key state and military sites for a limited period",
         "end_condition_en": "until order is restored",
         "area": {"type": "Point", "coordinates": [76.95, 43.24]}}
WITHDRAWAL_NOTE = "Council decision to end the mission"
OFFERS = {"RU": 1480, "BY": 100}  # the figures of the January 2022 replay
USERS = (("ru.rep", "delegation:RU", "representative"),
         ("ru.duty", "delegation:RU", "duty_officer"),
         ("by.duty", "delegation:BY", "duty_officer"),
         ("sec.editor", "organ:SEC", "editor"))

pytestmark = pytest.mark.browser


def actor(principal: str, role: str, name: str) -> auth.Actor:
    return auth.Actor(0, name, Principal.parse(principal), frozenset({role}), "cli")


def act(who: auth.Actor, fn: Any, *args: Any, **kwargs: Any) -> Any:
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, DAY, "CSTO"), who, *args, **kwargs)


def open_mission_by_decision() -> None:
    """Kazakhstan's request, tabled with the mission's terms and adopted by consensus of
    every delegation seated that day: closing the item opens the mission."""
    kz = actor("delegation:KZ", "representative", "kz.rep")
    sec = actor("organ:SEC", "editor", "sec.setup")
    cons = act(kz, escalation.request_consultations, state="KZ", on=DAY,
               subject_en="Unrest beyond the reach of national means", now=ASKED)
    req = act(kz, escalation.submit_request, state="KZ", basis="article_4",
              needs=[{"kind": "peacekeeping_forces", "personnel": 2000}],
              summary_en="Help to restore order", consultation_id=cons.id, on=DAY, now=ASKED)
    item = act(sec, escalation.table_request, req.id, session_id=cons.session_id,
               mission=TERMS, now=ASKED)
    with db.read_session() as s:
        seated = entitled_states(s, "CSTO", DAY)
    for state in seated:
        act(actor(f"delegation:{state}", "representative", f"{state.lower()}.setup"),
            sessions.record_position, item_id=item.id, state=state, position="support",
            now=DECIDED)
    act(sec, sessions.close_item, item_id=item.id, now=DECIDED)


@pytest.fixture(scope="module")
def mission_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A CSTO database of this module's own with the mission open and its people."""
    url = create_database(tmp_path_factory.mktemp("browser-missions"))
    with pointing_at(url):
        prepare(url, load=True)
        open_mission_by_decision()
        for name, principal, role in USERS:
            make_user(name, principal, [role], password=PASSWORD)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def server(mission_db: str) -> Iterator[str]:
    with running_server(mission_db, COLLSEC_TODAY=TODAY) as base:
        yield base


def next_second() -> None:
    """Wait for the wall clock's next second: the server stamps `now` to the second, and
    the checks below need events that follow each other to carry different times."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


def catalogue_units(url: str) -> dict[str, int]:
    """Each offering state's first unit of the Peacekeeping Forces in the catalogue."""
    with db.read_session(db.engine_for(url)) as s:
        rows = s.execute(select(ContingentRow).where(
            ContingentRow.force == "CPF", ContingentRow.state.in_(OFFERS))
            .order_by(ContingentRow.id)).scalars()
        units: dict[str, int] = {}
        for r in rows:
            units.setdefault(r.state, r.id)
    assert set(units) == set(OFFERS), units
    return units


def written(url: str) -> tuple[int, int, int]:
    """What the mission's commands have written: journal entries, offers, reports."""
    with db.read_session(db.engine_for(url)) as s:
        return (s.scalar(select(func.count()).select_from(JournalEntry).where(
                    JournalEntry.command.like("crisis.%"))) or 0,
                s.scalar(select(func.count()).select_from(OfferRow)) or 0,
                s.scalar(select(func.count()).select_from(DeploymentReportRow)) or 0)


def timeline_rows(page: Any) -> list[dict[str, str]]:
    return list(page.eval_on_selector_all(
        "#timeline tr.event", """rows => rows.map(r => ({
            kind: r.dataset.kind, at: r.dataset.at,
            event: r.cells[1].textContent.trim(), by: r.cells[2].textContent.trim(),
            status: r.cells[3].textContent.trim(), personnel: r.cells[4].textContent.trim(),
            note: r.cells[5].textContent.trim()}))"""))


def totals(page: Any, as_of: str) -> tuple[dict[str, int], int]:
    """The totals the page shows as of a time typed into its form."""
    page.fill("#totals-as-of", as_of)
    page.click("#totals form.row-form button[type=submit]")
    page.wait_for_load_state()
    by_state = page.eval_on_selector_all(
        "#totals table.totals tbody tr",
        "rows => rows.map(r => [r.dataset.state, r.querySelector('[data-personnel]')"
        ".dataset.personnel])")
    total = page.get_attribute("#total-in-theatre", "data-total")
    return {st: int(n) for st, n in by_state}, int(total)


def test_a_mission_from_offers_to_closing_in_the_browser(
        server: str, mission_db: str, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    url = mission_db
    blocked: list[str] = []
    units = catalogue_units(url)
    tax = taxonomy("CSTO")
    with db.read_session(db.engine_for(url)) as s:
        names = {st.code: (st.name_en, st.name_ru) for st in s.execute(select(StateRow))
                 .scalars()}
        org = s.get(OrganizationRow, "CSTO")
        assert org is not None
        names["CSTO"] = (org.abbr_en, org.abbr_ru)  # the organization acts by its name
        request_id = s.scalar(select(AssistanceRequestRow.id))
        mission = s.execute(select(MissionRow).where(MissionRow.code == CODE)).scalar_one()
        assert mission.status == "open" and mission.decision_item_id is not None
    pages: dict[str, Page] = {}

    def as_user(browser: Any, username: str) -> Page:
        """The user's own context, signed in through the sign-in page on first use."""
        if username not in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.route("**/*", only_loopback(blocked))
            page = context.new_page()
            page.goto(f"{server}/login?next={PAGE}")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            assert urlsplit(page.url).path == PAGE
            pages[username] = page
        page = pages[username]
        page.goto(f"{server}{PAGE}")
        return page

    def report(page: Page, state: str, status: str, personnel: int) -> None:
        """A deployment status report through the form, timed now (the time left empty)."""
        page.select_option("#status-state", state)
        page.select_option("#status-status", status)
        page.fill("#status-personnel", str(personnel))
        page.click("form.status-form button[type=submit]")
        expect(page.locator("#refusal")).to_have_count(0)
        expect(page.locator(f"tr.deployment-row[data-state={state}]")).to_have_attribute(
            "data-status", status)

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # Russia's representative and Belarus's duty officer offer catalogue units.
            for username, state in (("ru.rep", "RU"), ("by.duty", "BY")):
                page = as_user(browser, username)
                expect(page.locator("form.offer-form h3")).to_contain_text(names[state][0])
                page.select_option("#offer-contingent", str(units[state]))
                page.fill("#offer-personnel", str(OFFERS[state]))
                page.click("form.offer-form button[type=submit]")
                expect(page.locator("#refusal")).to_have_count(0)
                row = page.locator(f"tr.offer-row[data-state={state}]")
                expect(row.locator("[data-offer-status]")).to_have_attribute(
                    "data-offer-status", "offered")
                expect(row.locator("td.num")).to_have_text(str(OFFERS[state]))
                # Only the managers' forms decide offers or report on others' units.
                expect(page.locator("tr.offer-row form")).to_have_count(0)
            assert written(url)[1] == 2

            # The Secretariat, which manages the mission, accepts both offers.
            sec = as_user(browser, "sec.editor")
            expect(sec.locator("form.offer-form")).to_have_count(0)
            for state in OFFERS:
                sec.click(f'tr.offer-row[data-state={state}] form[action$="/accept"] button')
                expect(sec.locator(f"tr.offer-row[data-state={state}] [data-offer-status]")
                       ).to_have_attribute("data-offer-status", "accepted")
            for state, n in OFFERS.items():
                row = sec.locator(f"tr.deployment-row[data-state={state}]")
                expect(row).to_have_attribute("data-status", "")
                expect(row.locator("td.num").first).to_have_text(str(n))

            # Each duty officer moves its contingent forward, for its own state only.
            for username, state in (("ru.duty", "RU"), ("by.duty", "BY")):
                page = as_user(browser, username)
                assert page.eval_on_selector_all(
                    "#status-state option", "os => os.map(o => o.value)") == [state]
                for status in ("alerted", "en_route", "deployed"):
                    report(page, state, status, OFFERS[state])

            # Going back is refused on the page, and nothing changes.
            by = pages["by.duty"]
            before_rows, before_db = timeline_rows(by), written(url)
            by.select_option("#status-state", "BY")
            by.select_option("#status-status", "alerted")
            by.fill("#status-personnel", "100")
            by.click("form.status-form button[type=submit]")
            expect(by.locator("#refusal")).to_contain_text("cannot go back from deployed to "
                                                           "alerted")
            assert timeline_rows(by) == before_rows
            assert written(url) == before_db
            by.goto(f"{server}{PAGE}")
            assert timeline_rows(by) == before_rows
            expect(by.locator("tr.deployment-row[data-state=BY]")).to_have_attribute(
                "data-status", "deployed")

            # All deployed: the totals as of the last report, and the list of missions.
            deployed_at = before_rows[-1]["at"]
            assert totals(by, deployed_at) == (OFFERS, sum(OFFERS.values()))
            by.goto(f"{server}/missions")
            expect(by.locator(f"tr.mission-row[data-code={CODE}] [data-in-theatre]")
                   ).to_have_attribute("data-in-theatre", str(sum(OFFERS.values())))

            # The Secretariat orders the withdrawal (once: the form goes away).
            next_second()
            sec = as_user(browser, "sec.editor")
            sec.fill("#withdrawal-note", WITHDRAWAL_NOTE)
            sec.click("form.withdrawal-form button[type=submit]")
            expect(sec.locator("#withdrawal")).to_contain_text(WITHDRAWAL_NOTE)
            expect(sec.locator("form.withdrawal-form")).to_have_count(0)

            # Both contingents withdraw; Belarus's is home first.
            next_second()
            for username, state in (("ru.duty", "RU"), ("by.duty", "BY")):
                report(as_user(browser, username), state, "withdrawing", OFFERS[state])
            by = as_user(browser, "by.duty")
            report(by, "BY", "returned", 0)
            by_home_at = timeline_rows(by)[-1]["at"]

            # Closing is refused while Russia's contingent is away.
            sec = as_user(browser, "sec.editor")
            before_db = written(url)
            sec.click("form.close-form button[type=submit]")
            expect(sec.locator("#refusal")).to_contain_text("RU (withdrawing)")
            assert written(url) == before_db

            next_second()
            report(as_user(browser, "ru.duty"), "RU", "returned", 0)
            sec = as_user(browser, "sec.editor")
            sec.click("form.close-form button[type=submit]")
            expect(sec.locator("#refusal")).to_have_count(0)
            expect(sec.locator(".lede .badge.mission-closed")).to_have_count(1)
            expect(sec.locator("#offers form, #deployment form, #timeline form")).to_have_count(0)
            sec.screenshot(path=str(tmp_path / "mission-closed.png"), full_page=True)

            # The totals as of a time before and after the withdrawal, and now.
            assert totals(sec, deployed_at) == (OFFERS, sum(OFFERS.values()))
            assert totals(sec, by_home_at) == ({"BY": 0, "RU": OFFERS["RU"]}, OFFERS["RU"])
            assert totals(sec, "") == ({"BY": 0, "RU": 0}, 0)

            # The timeline: every event in the order it happened, named from crisis.yaml.
            rows = timeline_rows(sec)
            reports = [(st, status, OFFERS[st]) for st in OFFERS
                       for status in ("alerted", "en_route", "deployed")]
            expected = [("assistance_request", "KZ", None, None), ("decision", "CSTO", None, None),
                        ("request_resource", "CSTO", None, None),
                        *(("response_to_request", st, None, n) for st, n in OFFERS.items()),
                        *(("commit", st, None, n) for st, n in OFFERS.items()),
                        *(("deployment_status", *r) for r in reports),
                        ("withdrawal", "CSTO", None, None),
                        *(("deployment_status", st, "withdrawing", n) for st, n in OFFERS.items()),
                        ("deployment_status", "BY", "returned", 0),
                        ("deployment_status", "RU", "returned", 0),
                        ("release", "CSTO", None, None)]
            assert [r["kind"] for r in rows] == [e[0] for e in expected]
            times = [dt.datetime.fromisoformat(r["at"]) for r in rows]
            assert times == sorted(times)
            with db.read_session(db.engine_for(url)) as s:
                offer_ids = {st: i for st, i in s.execute(select(OfferRow.state, OfferRow.id))}

            def note(kind: str, who: str, lang: str) -> str:
                """The note the page should show, from the catalogue of translations."""
                _ = gettext_for(lang)
                return {"assistance_request": _("request {id} for assistance").format(
                            id=request_id),
                        "decision": TERMS[f"title_{lang}"],
                        "request_resource": _("mission {code} opened").format(code=CODE),
                        "response_to_request": _("offer {id}").format(id=offer_ids.get(who)),
                        "commit": _("offer {id}").format(id=offer_ids.get(who)),
                        "withdrawal": WITHDRAWAL_NOTE,
                        "release": _("mission {code} closed").format(code=CODE)}.get(kind, "")

            for row, (kind, who, status, n) in zip(rows, expected, strict=True):
                assert row["event"] == tax.event_label(kind, "en")
                assert row["by"] == names[who][0]
                assert row["status"] == (tax.deployment_label(status, "en") if status else "")
                assert row["personnel"] == ("" if n is None else str(n))
                assert row["note"] == note(kind, who, "en")

            # In Russian: the same events, with the labels' Russian names.
            sec.goto(f"{server}{PAGE}?lang=ru")
            rows_ru = timeline_rows(sec)
            assert [r["at"] for r in rows_ru] == [r["at"] for r in rows]
            for row, (kind, who, status, _) in zip(rows_ru, expected, strict=True):
                assert row["event"] == tax.event_label(kind, "ru") != tax.event_label(kind, "en")
                assert row["by"] == names[who][1]
                assert row["status"] == (tax.deployment_label(status, "ru") if status else "")
                assert row["note"] == note(kind, who, "ru")
                if kind not in ("withdrawal", "deployment_status"):
                    assert row["note"] != note(kind, who, "en"), kind
            expect(sec.locator("#deployment tr.deployment-row[data-state=RU] td").nth(2)
                   ).to_have_text(tax.deployment_label("returned", "ru"))
            sec.screenshot(path=str(tmp_path / "mission-ru.png"), full_page=True)
        finally:
            browser.close()
    with db.read_session(db.engine_for(url)) as s:
        m = s.execute(select(MissionRow).where(MissionRow.code == CODE)).scalar_one()
        assert m.status == "closed" and m.withdrawal_ordered_at is not None
        assert s.scalar(select(func.count()).select_from(DeploymentReportRow)) == 10
    assert blocked == []
