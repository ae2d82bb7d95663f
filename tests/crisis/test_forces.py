"""Collective forces on a real database: the catalogue, a mission with contingents from
RU, BY, AM, TJ and KG through offers, acceptance and deployment to their return; totals,
the timeline, refusals that write nothing, closing, and the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collsec.core import db, i18n, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError, Conflict, InvalidInput
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments, missions
from collsec.crisis.forces.tables import DeploymentReportRow, MissionRow
from tests.builders import council_decision, journal_size

COLLSEC = str(Path(sys.executable).parent / "collsec")
DAY = dt.date(2022, 1, 6)
UTC = dt.UTC
STRENGTH = {"RU": 1500, "BY": 150, "AM": 100, "TJ": 200, "KG": 150}


def t(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2022, 1, day, hour, tzinfo=UTC)


def actor(principal: str, roles: tuple[str, ...], name: str = "user") -> auth.Actor:
    return auth.Actor(1, name, Principal.parse(principal), frozenset(roles), "cli")


SEC = actor("organ:SEC", ("editor",), "sec-editor")


def act(who: auth.Actor, fn, *args, on: dt.date = DAY, **kwargs):  # type: ignore[no-untyped-def]
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, on, "CSTO"), who, *args, **kwargs)


def reports_count() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(DeploymentReportRow)) or 0


def open_mission(code: str = "CPF-KZ-2022", day: dt.date = DAY) -> None:
    now = dt.datetime.combine(day, dt.time(6), tzinfo=UTC)
    council_decision(day, code=code, title_en="Peacekeeping operation in Kazakhstan",
                     title_ru="Миротворческая операция в Казахстане",
                     mandate_en="guard state and strategic facilities",
                     area={"type": "Point", "coordinates": [76.95, 43.24]}, at=now.time())


def offer(state: str, personnel: int, code: str = "CPF-KZ-2022",
          when: dt.datetime | None = None, on: dt.date = DAY) -> int:
    rep = actor(f"delegation:{state}", ("representative",), f"rep-{state.lower()}")
    row = act(rep, deployments.offer, code, state=state, personnel=personnel,
              now=when or t(6, 8), on=on)
    return int(row.id)


def report(state: str, status: str, personnel: int, at: dt.datetime) -> None:
    duty = actor(f"delegation:{state}", ("duty_officer",), f"duty-{state.lower()}")
    act(duty, deployments.report_status, "CPF-KZ-2022", state=state, status=status,
        personnel=personnel, at=at, now=t(25))


@pytest.fixture
def mission(csto_db: str) -> str:
    for state, n in STRENGTH.items():
        act(SEC, forces.register_contingent, force="CPF", state=state, unit_type="infantry",
            personnel=n, readiness_hours=72, home_lon=37.6, home_lat=55.75, now=t(5))
    open_mission()
    for state, n in STRENGTH.items():
        act(SEC, deployments.accept_offer, "CPF-KZ-2022", offer(state, n), now=t(6, 10))
    for state, n in STRENGTH.items():
        report(state, "alerted", n, t(6, 12))
        report(state, "deployed", n, t(7 if state == "RU" else 8))
    return csto_db


def test_the_catalogue_lists_the_contingents(mission: str) -> None:
    with db.read_session() as s:
        rows = forces.contingents(s, auth.clearance(s, SEC, DAY, "CSTO"), force="cpf")
    registered = [r for r in rows if r.origin == "user"]  # beside the embedded catalogue
    assert sorted(r.state for r in registered) == sorted(STRENGTH)
    assert all(r.force == "CPF" and r.readiness_hours == 72 for r in rows)


def test_totals_at_chosen_times(mission: str) -> None:
    def total(at: dt.datetime) -> tuple[int, dict[str, int]]:
        with db.read_session() as s:
            got = deployments.totals(s, auth.clearance(s, SEC, DAY, "CSTO"), "CPF-KZ-2022", at)
        return got.total, dict(got.by_state)

    assert total(t(6, 11)) == (0, {})
    assert total(t(6, 13))[0] == 0  # alerted is not in theatre
    assert total(t(7, 12)) == (1500, {"AM": 0, "BY": 0, "KG": 0, "RU": 1500, "TJ": 0})
    assert total(t(9))[0] == sum(STRENGTH.values())
    report("RU", "withdrawing", 1200, t(13))
    for state in STRENGTH:
        if state != "RU":
            report(state, "returned", 0, t(14))
    assert total(t(13, 12)) == (1200 + 600, {"AM": 100, "BY": 150, "KG": 150, "RU": 1200,
                                             "TJ": 200})
    assert total(t(14, 12)) == (1200, {"AM": 0, "BY": 0, "KG": 0, "RU": 1200, "TJ": 0})
    report("RU", "returned", 0, t(19))
    assert total(t(20))[0] == 0


def test_the_timeline_is_in_order(mission: str) -> None:
    with db.read_session() as s:
        events = deployments.timeline(s, auth.clearance(s, SEC, DAY, "CSTO"), "cpf-kz-2022").events
    kinds = [e.kind for e in events]
    # the member's request comes first: a mission opens only on the Council's decision on it
    assert kinds[:3] == ["assistance_request", "decision", "request_resource"]
    assert kinds[3:8] == ["response_to_request"] * 5
    assert kinds[8:13] == ["commit"] * 5
    assert [e.at for e in events] == sorted(e.at for e in events)
    ru = [(e.status, e.at) for e in events if e.kind == "deployment_status" and e.actor == "RU"]
    assert ru == [("alerted", t(6, 12)), ("deployed", t(7))]


def test_going_back_is_refused_and_nothing_is_written(mission: str) -> None:
    before = (journal_size(), reports_count())
    with pytest.raises(Conflict, match="cannot go back from deployed to alerted"):
        report("BY", "alerted", 150, t(9))
    with pytest.raises(Conflict, match="more than the 150 it committed"):
        report("BY", "deployed", 151, t(9))
    assert (journal_size(), reports_count()) == before


def test_only_the_state_itself_reports_its_contingent(mission: str) -> None:
    kz = actor("delegation:BY", ("duty_officer",), "duty-by")
    refused = "only delegation:RU or the crisis centre or the secretariat may report deployment"
    with pytest.raises(auth.NotEntitled, match=refused):
        act(kz, deployments.report_status, "CPF-KZ-2022", state="RU", status="withdrawing",
            personnel=1, at=t(10), now=t(25))


def test_an_offer_from_a_suspended_state_is_refused_with_the_rule(csto_db: str) -> None:
    day = dt.date(2013, 5, 28)
    open_mission("CRRF-2013", day)
    before = journal_size()
    with pytest.raises(auth.NotEntitled) as exc:
        offer("UZ", 100, "CRRF-2013", dt.datetime(2013, 5, 29, tzinfo=UTC), on=day)
    assert "participation_suspended" in exc.value.detail
    assert "only states seated in the bodies" in exc.value.detail
    assert journal_size() == before
    offer("KG", 100, "CRRF-2013", dt.datetime(2013, 5, 29, tzinfo=UTC), on=day)


def test_an_offer_for_another_state_is_refused(mission: str) -> None:
    rep = actor("delegation:BY", ("representative",))
    with pytest.raises(auth.NotEntitled, match="only delegation:RU may offer forces"):
        act(rep, deployments.offer, "CPF-KZ-2022", state="RU", personnel=10, now=t(6, 9))


def test_close_waits_for_every_contingent_to_return(mission: str) -> None:
    for state in STRENGTH:
        report(state, "withdrawing", STRENGTH[state], t(13))
        if state != "TJ":
            report(state, "returned", 0, t(15))
    before = journal_size()
    with pytest.raises(Conflict, match=r"not returned: TJ \(withdrawing\)"):
        act(SEC, deployments.close_mission, "CPF-KZ-2022", now=t(16))
    assert journal_size() == before
    report("TJ", "returned", 0, t(19))
    act(SEC, deployments.close_mission, "CPF-KZ-2022", now=t(20))
    with db.read_session() as s:
        m = s.execute(select(MissionRow)).scalar_one()
        assert m.status == "closed"
        events = deployments.timeline(s, auth.clearance(s, SEC, DAY, "CSTO"), "CPF-KZ-2022").events
    assert events[-1].kind == "release"
    with pytest.raises(Conflict, match="closed"):
        report("TJ", "returned", 0, t(21))


def test_reads_need_members_level(mission: str) -> None:
    outsider = actor("external:OSCE", ("viewer",))
    with db.read_session() as s, pytest.raises(CollsecError) as exc:
        missions.list_missions(s, auth.clearance(s, outsider, DAY, "CSTO"))
    assert exc.value.status == 403


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", "COLLSEC_TODAY": "2025-06-01"})


def test_the_cli_prints_the_timeline_and_totals(mission: str) -> None:
    r = run("crisis", "timeline", "CPF-KZ-2022")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("2022-01-06T00:00:00+00:00  Request for assistance  KZ")
    assert lines[1].startswith("2022-01-06T00:00:00+00:00  Decision on the mission  CSTO")
    assert any("Deployment status  RU  Deployed  1500 personnel" in line for line in lines)
    data = json.loads(run("crisis", "timeline", "CPF-KZ-2022", "--json").stdout)
    assert len(data["events"]) == 3 + 5 + 5 + 10
    r = run("crisis", "totals", "CPF-KZ-2022", "--as-of", "2022-01-07T12:00:00Z", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"] == 1500
    r = run("crisis", "timeline", "NO-SUCH")
    assert r.returncode == 2 and "unknown mission" in r.stderr


# -- the withdrawal order ------------------------------------------------------------------

def order(at: dt.datetime, now: dt.datetime, note: str = "decision of the CSC") -> None:
    act(SEC, deployments.order_withdrawal, "CPF-KZ-2022", at=at, note=note, now=now)


def test_the_withdrawal_is_ordered_once_and_takes_its_place_on_the_timeline(
        mission: str) -> None:
    report("BY", "withdrawing", 150, t(12))  # a unit that starts early is still recorded
    order(t(13, 9), t(14))
    report("RU", "withdrawing", 1500, t(13, 12))
    with db.read_session() as s:
        c = auth.clearance(s, SEC, DAY, "CSTO")
        events = deployments.timeline(s, c, "CPF-KZ-2022").events
        m = missions.get_mission(s, "CPF-KZ-2022", "CSTO")
        as_dict = missions.mission_dict(m)
    assert [e.at for e in events] == sorted(e.at for e in events)
    (w,) = [e for e in events if e.kind == "withdrawal"]
    assert (w.at, w.actor, w.note) == (t(13, 9), "CSTO", "decision of the CSC")
    order_of = [(e.kind, e.actor, e.status) for e in events]
    assert order_of.index(("deployment_status", "BY", "withdrawing")) < \
        order_of.index(("withdrawal", "CSTO", None)) < \
        order_of.index(("deployment_status", "RU", "withdrawing"))
    assert as_dict["withdrawal"] == {"ordered_at": "2022-01-13T09:00:00+00:00",
                                     "note": "decision of the CSC"}
    assert deployments.event_dict(w)["kind"] == "withdrawal"
    before = journal_size()
    with pytest.raises(Conflict, match="already ordered at 2022-01-13T09:00:00"):
        order(t(14), t(15))
    assert journal_size() == before
    with db.read_session() as s:
        commands = [e.command for e in journal.entries(s, limit=1000)]
    assert commands.count("crisis.order_withdrawal") == 1


def test_a_withdrawal_in_the_future_or_before_the_decision_is_refused(mission: str) -> None:
    before = journal_size()
    with pytest.raises(InvalidInput, match="in the future"):
        order(t(20), t(14))
    with pytest.raises(InvalidInput, match="before the decision"):
        order(t(5, 23), t(14))
    with pytest.raises(InvalidInput, match="must carry a time zone"):
        order(dt.datetime(2022, 1, 13), t(14))
    with pytest.raises(auth.NotEntitled):
        act(actor("delegation:RU", ("representative",)), deployments.order_withdrawal,
            "CPF-KZ-2022", at=t(13), now=t(14))
    assert journal_size() == before
    with db.read_session() as s:
        assert missions.get_mission(s, "CPF-KZ-2022", "CSTO").withdrawal_ordered_at is None


def test_a_closed_mission_takes_no_withdrawal_order(mission: str) -> None:
    for state in STRENGTH:
        report(state, "returned", 0, t(15))
    act(SEC, deployments.close_mission, "CPF-KZ-2022", now=t(16))
    before = journal_size()
    with pytest.raises(Conflict, match="is closed"):
        order(t(16), t(17))
    assert journal_size() == before


def test_the_cli_speaks_russian_and_json_keeps_the_codes(mission: str) -> None:
    order(t(13), t(14))
    r = run("crisis", "timeline", "CPF-KZ-2022", "--lang", "ru")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "Решение о миссии  CSTO" in text and "Объявлен вывод  CSTO" in text
    assert "Состояние развёртывания  RU  Развёрнут  1500 чел." in text
    assert "deployment_status" not in text and "deployed" not in text
    assert "миссия CPF-KZ-2022 открыта" in text and "opened" not in text  # worded, not noted
    assert "предложение № " in text and "offer " not in text
    data = json.loads(run("crisis", "timeline", "CPF-KZ-2022", "--lang", "ru", "--json").stdout)
    assert {"decision", "withdrawal", "deployment_status"} <= {e["kind"] for e in data["events"]}
    assert "deployed" in {e["status"] for e in data["events"]}
    r = run("crisis", "totals", "CPF-KZ-2022", "--as-of", "2022-01-09", "--lang", "ru")
    assert r.returncode == 0, r.stderr
    assert "Россия (RU)  1500" in r.stdout and "всего в районе миссии  2100" in r.stdout
    assert "CPF-KZ-2022 на 2022-01-09T23:59:59+00:00" in r.stdout
    english = run("crisis", "totals", "CPF-KZ-2022", "--as-of", "2022-01-09").stdout
    assert "Russia (RU)  1500" in english and "total in theatre  2100" in english


@pytest.mark.parametrize("how", ["none", "not adopted", "another matter", "still open"])
def test_a_mission_opens_only_on_an_adopted_council_decision(csto_db: str, how: str) -> None:
    """The charter's rule (crisis_response.missions): no decision, a decision not adopted,
    one on another matter or one still open is refused in words, and nothing is written."""
    from collsec.decisions import sessions

    if how == "none":
        item: int | None = None
    elif how == "not adopted":
        item = council_decision(DAY, adopted=False)
    elif how == "still open":
        item = council_decision(DAY, close=False)
    else:
        with db.write_session() as s:
            c = auth.clearance(s, SEC, DAY, "CSTO")
            sess = sessions.convene(s, c, SEC, org="CSTO", body="CSC", kind="regular",
                                    date=DAY)
            item = sessions.add_item(s, c, SEC, session_id=sess.id, title_en="Draft",
                                     draft_kind="decision", matter="substantive").id
    before = journal_size()
    with pytest.raises(CollsecError) as refused:
        act(SEC, missions.open_mission, code="M-X", title_en="X", host_state="KZ",
            decided_on=DAY, decision_item_id=item, now=t(6, 6))
    assert "a mission opens only on an adopted decision on collective assistance (decided " \
           "by the Collective Security Council) or a peacekeeping operation" \
           in refused.value.detail
    # In Russian the matters, the body and the "or" are Russian too.
    assert "коллективная помощь (решает Совет коллективной безопасности) или миротворческая " \
           "операция" in i18n.message(refused.value, "ru")
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(MissionRow)) == 0
    assert journal_size() == before
