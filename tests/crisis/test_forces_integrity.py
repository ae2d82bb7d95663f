"""A mission's events keep their order (issue 12, point 8): reports before the decision or
in the future, offers of no one, offers made or accepted after the withdrawal order, a
withdrawal order out of place and a close before the last event are refused with the rule
in words; the rules on the pure model, then once through the API and once on the mission's
page, where a refusal writes nothing and reads in Russian too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from collsec.core import db, i18n, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError, Conflict, InvalidInput
from collsec.crisis.forces import deployments, model
from collsec.crisis.forces.tables import DeploymentReportRow, OfferRow
from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.builders import council_decision
from tests.conftest import bearer, make_user

UTC = dt.UTC
DECIDED = dt.date(2025, 5, 2)
ORDERED = dt.datetime(2025, 5, 20, 9, tzinfo=UTC)
MISSION = model.MissionCourse("CPF-RULES", DECIDED)
WITHDRAWING = model.MissionCourse("CPF-RULES", DECIDED, ORDERED)
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=UTC)


# -- the rules, on the pure model -------------------------------------------------------

def test_a_report_before_the_decision_is_refused_with_the_rule() -> None:
    years_before = dt.datetime(2019, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match=r"before the decision on mission CPF-RULES "
                       r"\(2025-05-02\); a contingent reports on a mission only from the "
                       r"day it was decided"):
        model.check_report_time(MISSION, years_before, NOW)
    # The decision is at the start of its day in UTC, as on the timeline: 01:00 in Moscow
    # that day is still the day before.
    msk = dt.timezone(dt.timedelta(hours=3))
    with pytest.raises(InvalidInput, match="before the decision"):
        model.check_report_time(MISSION, dt.datetime(2025, 5, 2, 1, tzinfo=msk), NOW)
    model.check_report_time(MISSION, at(2), NOW)


def test_a_report_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput, match="the report time 2025-06-01T12:00:01"
                                           r"\+00:00 is in the future"):
        model.check_report_time(MISSION, NOW + dt.timedelta(seconds=1), NOW)
    model.check_report_time(MISSION, NOW, NOW)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1),
                    timezones=st.just(UTC)))
def test_a_report_is_taken_exactly_from_the_decision_to_now(when: dt.datetime) -> None:
    try:
        model.check_report_time(MISSION, when, NOW)
        taken = True
    except InvalidInput:
        taken = False
    assert taken == (MISSION.decided_at <= when <= NOW)


def test_a_report_before_the_states_last_report_is_refused() -> None:
    ru = model.Contingent("RU", 400)
    history = model.report_deployment_status(
        ru, (), model.DeploymentReport("RU", "en_route", at(4), 400))
    with pytest.raises(Conflict, match=r"report time 2025-05-03T00:00:00\+00:00 is before "
                                       r"the last report of RU \(2025-05-04"):
        model.report_deployment_status(ru, history,
                                       model.DeploymentReport("RU", "deployed", at(3), 400))


@pytest.mark.parametrize("personnel", [0, -5, True, "100"])
def test_an_offer_of_no_one_is_refused(personnel: object) -> None:
    with pytest.raises(InvalidInput, match="an offer is of one person or more: personnel "
                                           "must be a whole number of at least 1"):
        model.check_offer(MISSION, personnel)
    model.check_offer(MISSION, 1)


def test_no_offer_is_made_once_the_withdrawal_is_ordered() -> None:
    with pytest.raises(Conflict, match=r"the withdrawal of mission CPF-RULES was ordered at "
                                       r"2025-05-20T09:00:00\+00:00; a mission takes no "
                                       r"offer once its withdrawal is ordered"):
        model.check_offer(WITHDRAWING, 100)


def test_no_offer_is_accepted_once_the_withdrawal_is_ordered_but_one_may_be_declined(
        ) -> None:
    with pytest.raises(Conflict, match="no offer is accepted once the withdrawal is ordered"):
        model.check_offer_decision(WITHDRAWING, 7, at(10), NOW, accept=True)
    model.check_offer_decision(WITHDRAWING, 7, at(10), NOW, accept=False)
    model.check_offer_decision(MISSION, 7, at(10), NOW, accept=True)


def test_an_offer_is_not_decided_before_it_was_made() -> None:
    with pytest.raises(Conflict, match=r"offer 7 was made at 2025-05-10T00:00:00\+00:00; it "
                                       r"cannot be decided earlier"):
        model.check_offer_decision(MISSION, 7, at(10), at(9), accept=False)
    model.check_offer_decision(MISSION, 7, at(10), at(10), accept=True)


@pytest.mark.parametrize(("mission", "when", "refusal"), [
    (WITHDRAWING, at(21), "was already ordered at 2025-05-20T09:00:00"),
    (MISSION, NOW + dt.timedelta(hours=1), "is in the future"),
    (MISSION, at(1, 23), r"is before the decision on the mission \(2025-05-02\)"),
])
def test_a_withdrawal_order_is_given_once_and_between_the_decision_and_now(
        mission: model.MissionCourse, when: dt.datetime, refusal: str) -> None:
    with pytest.raises(CollsecError, match=refusal):
        model.check_withdrawal_order(mission, when, NOW)


def test_a_withdrawal_order_on_the_decision_day_is_taken() -> None:
    model.check_withdrawal_order(MISSION, at(2), NOW)


def test_a_mission_does_not_close_before_its_last_event() -> None:
    home = [model.DeploymentReport("RU", "returned", at(25, 18), 0)]
    with pytest.raises(Conflict, match=r"cannot close at 2025-05-20T08:00:00\+00:00, before "
                                       r"its withdrawal order of 2025-05-20T09:00"):
        model.check_closing(WITHDRAWING, (), at(20, 8))
    with pytest.raises(Conflict, match=r"before the report of RU of 2025-05-25T18:00:00\+00:00;"
                                       r" a mission closes after its last event"):
        model.check_closing(WITHDRAWING, home, at(25, 12))
    model.check_closing(WITHDRAWING, home, at(25, 18))


# -- a mission on a real database ---------------------------------------------------------

SEC = auth.Actor(1, "sec-rules", Principal("organ", "SEC"), frozenset({"editor"}), "cli")
RU_REP = auth.Actor(2, "ru.rep", Principal("delegation", "RU"), frozenset({"representative"}),
                    "cli")
RU_DUTY = auth.Actor(3, "ru.duty", Principal("delegation", "RU"), frozenset({"duty_officer"}),
                     "cli")
CODE = MISSION.code
PAGE = f"/missions/{CODE}"
PROBLEM = "application/problem+json"


def act(who: auth.Actor, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, dt.date(2025, 6, 1), "CSTO"), who, *args, **kwargs)


def written() -> tuple[int, int, int]:
    """The journal's size and the mission's offers and reports."""
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0,
                s.scalar(select(func.count()).select_from(OfferRow)) or 0,
                s.scalar(select(func.count()).select_from(DeploymentReportRow)) or 0)


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """Mission CPF-RULES decided on 2 May 2025, RU's offer of 400 accepted, a second offer
    of RU still open; users: a Secretariat editor, RU's representative and duty officer."""
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    council_decision(DECIDED, code=CODE, title_en="Mission kept in order")
    accepted = act(RU_REP, deployments.offer, CODE, state="RU", personnel=400, now=at(3))
    act(SEC, deployments.accept_offer, CODE, accepted.id, now=at(3, 6))
    act(RU_REP, deployments.offer, CODE, state="RU", personnel=50, now=at(4))
    for name, principal, role in (("sec.editor", "organ:SEC", "editor"),
                                  ("ru.rep", "delegation:RU", "representative"),
                                  ("ru.duty", "delegation:RU", "duty_officer")):
        make_user(name, principal, [role])
    with TestClient(create_app()) as c:
        yield c


def test_a_refusal_writes_nothing_and_reads_in_russian(client: TestClient) -> None:
    """The issue's finding: a report dated years before the decision headed the timeline."""
    def timeline() -> tuple[model.TimelineEvent, ...]:
        with db.read_session() as s:
            c = auth.clearance(s, SEC, dt.date(2025, 6, 1), "CSTO")
            return deployments.timeline(s, c, CODE).events

    before, events = written(), timeline()
    with pytest.raises(InvalidInput) as refused:
        act(RU_DUTY, deployments.report_status, CODE, state="RU", status="alerted",
            personnel=400, at=dt.datetime(2019, 3, 1, tzinfo=UTC), now=NOW)
    assert (written(), timeline()) == (before, events)
    english, russian = refused.value.detail, i18n.message(refused.value, "ru")
    assert "before the decision on mission CPF-RULES (2025-05-02)" in english
    assert russian != english and "раньше решения о миссии CPF-RULES" in russian
    assert timeline()[0].kind == "assistance_request"


def test_refusals_through_the_api_are_problems_that_say_the_rule(client: TestClient) -> None:
    sec = bearer(make_user("sec-api", "organ:SEC", ["editor"]))
    rep = bearer(make_user("rep-api", "delegation:RU", ["representative"]))
    duty = bearer(make_user("duty-api", "delegation:RU", ["duty_officer"]))
    api = f"/api/v1/missions/{CODE}"
    before = written()

    r = client.post(f"{api}/status", headers={**duty, "Accept-Language": "ru"}, json={
        "state": "RU", "status": "alerted", "personnel": 400, "at": "2019-03-01T00:00:00Z"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert "донесения по миссии принимаются только со дня решения о ней" in r.json()["detail"]

    r = client.post(f"{api}/offers", headers=rep, json={"state": "RU", "personnel": 0})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert "an offer is of one person or more" in r.json()["detail"]
    assert written() == before

    r = client.post(f"{api}/withdrawal", headers=sec, json={"at": "2025-05-20T09:00:00Z"})
    assert r.status_code == 200, r.text
    ordered = written()
    r = client.post(f"{api}/offers", headers=rep, json={"state": "RU", "personnel": 10})
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert "a mission takes no offer once its withdrawal is ordered" in r.json()["detail"]
    (open_offer,) = [o["id"] for o in client.get(api, headers=sec).json()["offers"]
                     if o["status"] == "offered"]
    r = client.post(f"{api}/offers/{open_offer}/accept", headers=sec)
    assert r.status_code == 409
    assert "no offer is accepted once the withdrawal is ordered" in r.json()["detail"]
    assert written() == ordered
    r = client.post(f"{api}/offers/{open_offer}/decline", headers=sec)
    assert r.status_code == 200 and r.json()["status"] == "declined"


def test_the_mission_page_shows_the_refusal_and_hides_what_it_would_refuse(
        client: TestClient) -> None:
    def post(path: str, **data: str):  # type: ignore[no-untyped-def]
        token = form_token(client.get(PAGE).text)
        return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)

    def as_user(name: str) -> None:
        client.cookies.clear()
        assert sign_in(client, name).status_code == 303

    as_user("ru.rep")
    before = written()
    r = post(f"{PAGE}/offers", personnel="0")
    assert r.status_code == 400 and 'id="refusal"' in r.text
    assert "an offer is of one person or more" in r.text
    assert written() == before

    html = client.get(PAGE).text  # the offer form, loaded before the order
    assert "offer-form" in html
    stale = form_token(html)
    act(SEC, deployments.order_withdrawal, CODE, at=ORDERED, now=NOW)
    before = written()
    html = client.get(PAGE).text
    assert "offer-form" not in html
    r = client.post(f"{PAGE}/offers", data={"csrf_token": stale, "personnel": "10"},
                    follow_redirects=False)
    assert r.status_code == 409 and 'id="refusal"' in r.text
    assert "a mission takes no offer once its withdrawal is ordered" in r.text
    assert written() == before

    as_user("sec.editor")  # before the order it could accept: see test_forces_views
    html = client.get(PAGE).text
    assert not re.search(r'action="[^"]+/accept"', html)
    assert re.search(r'action="[^"]+/decline"', html)  # the open offer can still be settled
