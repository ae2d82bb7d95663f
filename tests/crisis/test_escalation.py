"""Escalation on a real database: an assessed incident, consultations convening an
extraordinary session, a request for assistance, the Council's decision by the engine
defining a mission; a request not granted; refusals (a suspended state, another
state's delegation, bad input) that write nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation.tables import AssistanceRequestRow, ConsultationRow
from collsec.crisis.forces import deployments, missions
from collsec.crisis.forces.tables import MissionRow
from collsec.crisis.incidents import service as incidents
from collsec.decisions import sessions
from collsec.decisions.tables import SessionRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

DAY = dt.date(2022, 1, 5)
NOW = dt.datetime(2022, 1, 5, 12, tzinfo=dt.UTC)
MEMBERS_2022 = ("AM", "BY", "KG", "KZ", "RU", "TJ")
TERMS = {"code": "CPF-KZ", "title_en": "Collective peacekeeping forces in Kazakhstan",
         "mandate_en": "guard important state and military facilities",
         "end_condition_en": "for a limited time, until the situation is stable",
         "area": {"type": "Point", "coordinates": [76.95, 43.24]}}
NEEDS = [{"kind": "peacekeeping_forces", "personnel": 2000, "note": "guard facilities"}]


def actor(principal: str, roles: tuple[str, ...], name: str = "user") -> auth.Actor:
    return auth.Actor(1, name, Principal.parse(principal), frozenset(roles), "cli")


SEC = actor("organ:SEC", ("editor",), "sec-editor")
CRC = actor("organ:CRC", ("duty_officer",), "crc-duty")


def rep(state: str) -> auth.Actor:
    return actor(f"delegation:{state}", ("representative",), f"rep-{state.lower()}")


def act(who: auth.Actor, fn: Any, *args: Any, as_of: dt.date | None = None,
        **kwargs: Any) -> Any:
    """Call a service as `who`, cleared as of `as_of` (else the command's day, else DAY)."""
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, as_of or kwargs.get("on") or DAY, "CSTO"), who, *args,
                  **kwargs)


def counts() -> tuple[int, int, int, int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0,
                s.scalar(select(func.count()).select_from(ConsultationRow)) or 0,
                s.scalar(select(func.count()).select_from(AssistanceRequestRow)) or 0,
                s.scalar(select(func.count()).select_from(SessionRow)) or 0,
                s.scalar(select(func.count()).select_from(MissionRow)) or 0)


def assessed_incident() -> int:
    duty = actor("delegation:KZ", ("duty_officer",), "duty-kz")
    row = act(duty, incidents.report_incident, type="mass_unrest", severity=3,
              occurred_at=dt.datetime(2022, 1, 2, 10, tzinfo=dt.UTC),
              geometry={"type": "Point", "coordinates": [76.95, 43.24]},
              title="Unrest in Almaty", now=NOW)
    act(CRC, incidents.advance, row.id, "assessed", "national means are overstretched", NOW)
    return int(row.id)


def test_from_an_incident_to_a_mission(csto_db: str) -> None:
    incident = assessed_incident()
    cons = act(rep("KZ"), escalation.request_consultations, state="KZ", on=DAY,
               subject_en="Unrest threatening the constitutional order", incidents=[incident],
               now=NOW)
    with db.read_session() as s:
        sess = sessions.get_session(s, cons.session_id)
        assert (sess.body, sess.kind, sess.requested_by) == ("CSC", "extraordinary", "KZ")
        assert s.get(incidents.IncidentRow, incident).status == "escalated"
    req = act(rep("KZ"), escalation.submit_request, state="KZ", basis="article_4",
              needs=NEEDS, summary_en="Help to restore order", consultation_id=cons.id,
              incidents=[incident], on=DAY, now=NOW)
    assert req.status == "submitted"
    item = act(SEC, escalation.table_request, req.id, session_id=cons.session_id,
               mission=TERMS, now=NOW)
    assert item.matter == "collective_assistance" and item.subject_state == "KZ"
    later = dt.datetime(2022, 1, 6, 1, tzinfo=dt.UTC)
    for state in MEMBERS_2022:
        act(rep(state), sessions.record_position, item_id=item.id, state=state,
            position="support", now=later)
    closed = act(SEC, sessions.close_item, item_id=item.id, now=later)
    assert closed.evaluation.outcome.adopted
    with db.read_session() as s:
        r = escalation.get_request(s, req.id, "CSTO")
        assert r.status == "granted" and r.mission_id is not None
        m = missions.get_mission(s, "CPF-KZ", "CSTO")
        assert (m.host_state, m.decision_item_id, m.decided_on) == ("KZ", item.id, DAY)
        assert m.end_condition_en.startswith("for a limited time") and m.ends_on is None
        d = escalation.request_dict(s, r)
        assert d["mission"] == "CPF-KZ" and d["needs"][0]["personnel"] == 2000
        kinds = [e.kind for e in deployments.timeline(
            s, auth.clearance(s, SEC, DAY, "CSTO"), "CPF-KZ").events]
        assert kinds[:2] == ["assistance_request", "decision"]


def test_a_request_the_council_does_not_grant(csto_db: str) -> None:
    day = dt.date(2022, 9, 13)
    now = dt.datetime(2022, 9, 13, 12, tzinfo=dt.UTC)
    cons = act(rep("AM"), escalation.request_consultations, state="AM", on=day,
               subject_en="Attacks on the border", now=now)
    req = act(rep("AM"), escalation.submit_request, state="AM", basis="article_4",
              needs=[{"kind": "military_units"}], summary_en="Help against the attacks",
              on=day, now=now)
    item = act(SEC, escalation.table_request, req.id, session_id=cons.session_id,
               mission={**TERMS, "code": "AM-2022"}, now=now, as_of=day)
    for state in MEMBERS_2022:
        act(rep(state), sessions.record_position, item_id=item.id, state=state,
            position="object" if state == "AM" else "support", now=now, as_of=day)
    closed = act(SEC, sessions.close_item, item_id=item.id, now=now, as_of=day)
    assert not closed.evaluation.outcome.adopted
    with db.read_session() as s:
        r = escalation.get_request(s, req.id, "CSTO")
        assert (r.status, r.outcome, r.mission_id) == ("not_granted", "consensus_objection",
                                                       None)
        # one entry for the closing, the Council's answer to the request one of its steps
        newest = journal.entries(s, limit=2)
        assert [e.command for e in newest] == ["decisions.close_item", "decisions.record_position"]
        steps = [step["command"] for step in json.loads(newest[0].payload)["steps"]]
        assert steps == ["crisis.decide_request"]
        assert s.scalar(select(func.count()).select_from(MissionRow)) == 0


def test_a_suspended_state_is_refused_with_the_rule(csto_db: str) -> None:
    day = dt.date(2013, 3, 1)
    now = dt.datetime(2013, 3, 1, 12, tzinfo=dt.UTC)
    before = counts()
    for fn, kwargs in ((escalation.submit_request,
                        {"basis": "article_4", "needs": NEEDS, "summary_en": "help"}),
                       (escalation.request_consultations, {"subject_en": "threat"})):
        with pytest.raises(auth.NotEntitled) as err:
            act(rep("UZ"), fn, state="UZ", on=day, now=now, **kwargs)
        assert "participation_suspended" in err.value.detail
        assert "holds no seat in the bodies" in err.value.detail
    assert counts() == before


@pytest.mark.parametrize("who,kwargs,message", [
    ("RU", {}, "only delegation:KZ"),
    ("KZ", {"basis": "article_9"}, "unknown basis"),
    ("KZ", {"needs": []}, "must name what it needs"),
    ("KZ", {"needs": [{"kind": "tanks"}]}, "unknown kind"),
    ("KZ", {"needs": [{"kind": "advisers", "personnel": -3}]}, "positive whole number"),
    ("KZ", {"area": {"type": "Point", "coordinates": [200, 43]}}, "longitude"),
    ("KZ", {"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}}, "ring"),
    ("KZ", {"on": dt.date(2022, 2, 1)}, "in the future"),
])
def test_bad_requests_write_nothing(csto_db: str, who: str, kwargs: dict[str, Any],
                                    message: str) -> None:
    before = counts()
    args = {"state": "KZ", "basis": "article_4", "needs": NEEDS, "summary_en": "help",
            "on": DAY, **kwargs}
    with pytest.raises(CollsecError) as err:
        act(rep(who), escalation.submit_request, now=NOW, **args)
    assert message in err.value.detail
    assert counts() == before


def test_an_unassessed_incident_cannot_be_escalated(csto_db: str) -> None:
    duty = actor("delegation:KZ", ("duty_officer",), "duty-kz")
    row = act(duty, incidents.report_incident, type="mass_unrest", severity=3,
              occurred_at=dt.datetime(2022, 1, 2, 10, tzinfo=dt.UTC),
              geometry={"type": "Point", "coordinates": [76.95, 43.24]}, title="Unrest",
              now=NOW)
    before = counts()
    with pytest.raises(CollsecError) as err:
        act(rep("KZ"), escalation.request_consultations, state="KZ", on=DAY,
            subject_en="Unrest", incidents=[row.id], now=NOW)
    assert "has not been assessed" in err.value.detail
    assert counts() == before


def test_terms_are_checked_when_tabled(csto_db: str) -> None:
    cons = act(rep("KZ"), escalation.request_consultations, state="KZ", on=DAY,
               subject_en="Unrest", now=NOW)
    req = act(rep("KZ"), escalation.submit_request, state="KZ", basis="peacekeeping",
              needs=NEEDS, summary_en="help", on=DAY, now=NOW)
    before = counts()
    for terms, message in (({**TERMS, "end_condition_en": ""}, "end date or an end condition"),
                           ({**TERMS, "ends_on": "2021-12-31"}, "before the decision"),
                           ({**TERMS, "colour": "blue"}, "unknown mission term"),
                           ({**TERMS, "mandate_en": ""}, "needs a mandate")):
        with pytest.raises(CollsecError) as err:
            act(SEC, escalation.table_request, req.id, session_id=cons.session_id,
                mission=terms, now=NOW)
        assert message in err.value.detail
    with pytest.raises(CollsecError) as err:  # the delegation may not set the agenda
        act(rep("KZ"), escalation.table_request, req.id, session_id=cons.session_id,
            mission=TERMS, now=NOW)
    assert counts() == before
    item = act(SEC, escalation.table_request, req.id, session_id=cons.session_id,
               mission={**TERMS, "ends_on": "2022-02-05"}, now=NOW)
    assert item.matter == "peacekeeping_operation"
    with pytest.raises(CollsecError) as err:
        act(rep("KZ"), escalation.withdraw_request, req.id, now=NOW)
    assert "on the agenda" in err.value.detail


def test_the_generic_agenda_refuses_an_assistance_matter_without_terms(csto_db: str) -> None:
    cons = act(rep("KZ"), escalation.request_consultations, state="KZ", on=DAY,
               subject_en="Unrest", now=NOW)
    with pytest.raises(CollsecError) as err:
        act(SEC, sessions.add_item, session_id=cons.session_id, title_en="Help KZ",
            draft_kind="decision", matter="collective_assistance", subject_state="KZ")
    assert "needs its terms" in err.value.detail


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def test_escalation_through_the_api(client: TestClient) -> None:
    kz = bearer(make_user("rep-kz", "delegation:KZ", ["representative"]))
    ru = bearer(make_user("rep-ru", "delegation:RU", ["representative"]))
    sec = bearer(make_user("sec-editor", "organ:SEC", ["editor"]))
    r = client.post("/api/v1/consultations", headers=kz, json={
        "state": "KZ", "subject_en": "Unrest", "on": "2025-06-01"})
    assert r.status_code == 201, r.text
    session_id = r.json()["session_id"]
    one = client.get(f"/api/v1/consultations/{r.json()['id']}", headers=ru)
    assert one.status_code == 200 and one.json()["session_id"] == session_id
    assert client.get("/api/v1/consultations/999", headers=ru).status_code == 404
    r = client.post("/api/v1/assistance-requests", headers=kz, json={
        "state": "KZ", "basis": "article_4", "needs": NEEDS, "summary_en": "help",
        "consultation_id": r.json()["id"]})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = client.post("/api/v1/assistance-requests", headers=ru, json={
        "state": "KZ", "basis": "article_4", "needs": NEEDS, "summary_en": "help"})
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith(
        "application/problem+json")
    r = client.post("/api/v1/assistance-requests", headers=kz, json={
        "state": "KZ", "basis": "article_4", "needs": NEEDS, "summary_en": "help",
        "area": {"type": "LineString", "coordinates": [[1, 2]]}})
    assert r.status_code == 422 and r.headers["content-type"].startswith(
        "application/problem+json")
    r = client.post(f"/api/v1/assistance-requests/{rid}/agenda", headers=kz,
                    json={"session_id": session_id, "mission": TERMS})
    assert r.status_code == 403
    r = client.post(f"/api/v1/assistance-requests/{rid}/agenda", headers=sec,
                    json={"session_id": session_id, "mission": TERMS})
    assert r.status_code == 201, r.text
    listed = client.get("/api/v1/assistance-requests", headers=ru).json()["requests"]
    assert [(x["id"], x["status"]) for x in listed] == [(rid, "on_agenda")]
    assert json.dumps(client.get("/api/v1/consultations", headers=ru).json()).count(
        '"state": "KZ"') == 1
    assert client.get("/api/v1/assistance-requests").status_code == 401
