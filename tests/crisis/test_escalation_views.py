"""The escalation pages, in process: the incident page where the CRC assesses, the forms of
a delegation's representative (consultations, a request for assistance), the Secretariat
tabling a request and the requesting state withdrawing one, all behind CSRF; refusals
shown on the page with nothing written; the lists and labels in both languages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation.tables import AssistanceRequestRow, ConsultationRow
from collsec.crisis.forces.tables import MissionRow
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.tables import IncidentRow, IncidentUpdateRow
from collsec.decisions import sessions
from collsec.decisions.tables import AgendaItemRow, SessionRow
from collsec.web.app import create_app
from tests.accounts.test_views import audit_rows, form_token, sign_in
from tests.conftest import make_user

TODAY = "2025-06-01"
DAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
SEATED_2025 = ("AM", "BY", "KG", "KZ", "RU", "TJ")
KZ_DUTY = auth.Actor(1, "kz.duty", Principal("delegation", "KZ"), frozenset({"duty_officer"}),
                     "cli")


def report_incident(title: str = "Unrest in Almaty") -> int:
    with db.write_session() as s:
        row = incidents.report_incident(
            s, auth.clearance(s, KZ_DUTY, DAY, "CSTO"), KZ_DUTY, type="mass_unrest", severity=3,
            occurred_at=dt.datetime(2025, 5, 31, 10, tzinfo=dt.UTC),
            geometry={"type": "Point", "coordinates": [76.95, 43.24]}, title=title, now=NOW)
        return int(row.id)


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A KZ incident just reported, and the people of the workflow."""
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    for name, principal, role in (("crc.duty", "organ:CRC", "duty_officer"),
                                  ("by.duty", "delegation:BY", "duty_officer"),
                                  ("kz.rep", "delegation:KZ", "representative"),
                                  ("ru.rep", "delegation:RU", "representative"),
                                  ("uz.rep", "delegation:UZ", "representative"),
                                  ("kz.viewer", "delegation:KZ", "viewer"),
                                  ("sec.editor", "organ:SEC", "editor")):
        make_user(name, principal, [role])
    with TestClient(create_app()) as c:
        c.incident = report_incident()  # type: ignore[attr-defined]
        yield c


def as_user(client: TestClient, name: str) -> None:
    client.cookies.clear()
    assert sign_in(client, name).status_code == 303


def written() -> tuple[int, ...]:
    with db.read_session() as s:
        return (len(journal.entries(s, limit=100000)),
                *(s.scalar(select(func.count()).select_from(t)) or 0 for t in (
                    ConsultationRow, AssistanceRequestRow, SessionRow, AgendaItemRow,
                    IncidentUpdateRow, MissionRow)))


def status_of(incident: int) -> str:
    with db.read_session() as s:
        row = s.get(IncidentRow, incident)
        assert row is not None
        return row.status


def post(client: TestClient, page: str, path: str, data: dict[str, Any]) -> Any:
    token = form_token(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def assess(client: TestClient, incident: int) -> None:
    as_user(client, "crc.duty")
    r = post(client, f"/incidents/{incident}", f"/incidents/{incident}/status",
             {"status": "assessed", "note": "national means are overstretched"})
    assert r.status_code == 303, r.text
    assert status_of(incident) == "assessed"


def need_rows(*rows: tuple[str, str, str]) -> dict[str, list[str]]:
    return {"need_kind": [r[0] for r in rows], "need_personnel": [r[1] for r in rows],
            "need_note": [r[2] for r in rows]}


def submit(client: TestClient, **extra: Any) -> Any:
    data = {"basis": "article_4", "summary_en": "Help to restore order",
            "summary_ru": "Помочь восстановить порядок",
            **need_rows(("peacekeeping_forces", "2000", "guard facilities"), ("", "", "")),
            **extra}
    return post(client, "/requests/new", "/requests", data)


def submitted_request(client: TestClient) -> int:
    assess(client, client.incident)  # type: ignore[attr-defined]
    as_user(client, "kz.rep")
    r = submit(client, incidents=[str(client.incident)])  # type: ignore[attr-defined]
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/requests/(\d+)", r.headers["location"])
    assert found, r.headers["location"]
    return int(found.group(1))


def open_council_session() -> int:
    sec = auth.Actor(1, "sec-setup", Principal("organ", "SEC"), frozenset({"editor"}), "cli")
    with db.write_session() as s:
        sess = sessions.convene(s, auth.clearance(s, sec, DAY, "CSTO"), sec, org="CSTO", body="CSC",
                                kind="regular", date=DAY, format="video")
        return int(sess.id)


TERMS = {"code": "CPF-KZ25", "title_en": "Collective peacekeeping forces in Kazakhstan",
         "title_ru": "Коллективные миротворческие силы в Казахстане",
         "mandate_en": "Guard important state facilities",
         "mandate_ru": "Охранять важные государственные объекты",
         "end_condition_en": "until the situation is stable", "lon": "76.95", "lat": "43.24"}


# -- reading -----------------------------------------------------------------------------

def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/requests", "/requests/new", "/consultations/new", "/requests/1",
                 "/consultations/1",
                 f"/incidents/{client.incident}"):  # type: ignore[attr-defined]
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (302, 303, 401), path
        assert "Unrest in Almaty" not in r.text


def test_a_member_reads_the_lists_and_a_viewer_gets_no_forms(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    html = client.get("/requests").text
    assert "Requests for assistance and consultations" in html
    assert 'href="/requests"' in html  # the nav link
    assert "No request for assistance is recorded." in html
    assert 'href="/consultations/new"' not in html  # a viewer speaks for nobody
    assert client.get("/requests/new").status_code == 403
    page = client.get(f"/incidents/{client.incident}")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Unrest in Almaty" in page.text
    assert "assess-form" not in page.text
    # The page reads the incident through the audited service.
    reads = audit_rows(object_type="incident",
                       object_id=str(client.incident))  # type: ignore[attr-defined]
    assert [(a.username, a.kind) for a in reads][-1:] == [("kz.viewer", "read")]


def test_an_outsider_is_refused_by_the_service(client: TestClient) -> None:
    make_user("osce", "external:OSCE", ["viewer"])
    as_user(client, "osce")
    assert client.get("/requests").status_code == 403
    r = client.get(f"/incidents/{client.incident}")  # type: ignore[attr-defined]
    assert r.status_code == 404 and "Unrest in Almaty" not in r.text  # as if missing


def test_unknown_ids_are_404_pages(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    for path in ("/requests/999", "/requests/abc", "/incidents/999", "/incidents/99999999999"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html")


# -- assessing an incident ----------------------------------------------------------------

def test_the_crc_assesses_an_incident_on_its_page(client: TestClient) -> None:
    incident = client.incident  # type: ignore[attr-defined]
    as_user(client, "crc.duty")
    page = client.get(f"/incidents/{incident}").text
    assert "assess-form" in page and '<option value="assessed">Assessed</option>' in page
    assert '<option value="escalated">' not in page  # a member's request escalates
    before = written()
    forged = client.post(f"/incidents/{incident}/status",
                         data={"status": "assessed", "csrf_token": "forged"})
    assert forged.status_code == 403 and written() == before
    assess(client, incident)
    html = client.get(f"/incidents/{incident}").text
    assert "national means are overstretched" in html and 'data-to="assessed"' in html


def test_another_centre_may_not_assess_and_nothing_is_written(client: TestClient) -> None:
    incident = client.incident  # type: ignore[attr-defined]
    as_user(client, "by.duty")
    assert "assess-form" not in client.get(f"/incidents/{incident}").text
    before = written()
    token = form_token(client.get("/situation").text)
    r = client.post(f"/incidents/{incident}/status",
                    data={"status": "assessed", "note": "x", "csrf_token": token})
    assert r.status_code == 403
    assert 'id="refusal"' in r.text and "only its originator (delegation:" in r.text
    assert written() == before and status_of(incident) == "reported"


def test_the_situation_list_links_each_incident_page(client: TestClient) -> None:
    as_user(client, "kz.viewer")
    html = client.get("/situation").text
    assert f'href="/incidents/{client.incident}"' in html  # type: ignore[attr-defined]


# -- the representative's forms ----------------------------------------------------------

def test_consultations_convene_the_extraordinary_session(client: TestClient) -> None:
    incident = client.incident  # type: ignore[attr-defined]
    as_user(client, "kz.rep")
    form = client.get("/consultations/new").text
    assert f'value="{incident}"' not in form  # not assessed yet: nothing to cite
    assess(client, incident)
    as_user(client, "kz.rep")
    assert 'href="/consultations/new"' in client.get("/requests").text
    form = client.get("/consultations/new").text
    assert f'name="incidents" value="{incident}"' in form
    r = post(client, "/consultations/new", "/consultations", {
        "subject_en": "Unrest threatening the constitutional order",
        "subject_ru": "Беспорядки, угрожающие конституционному строю", "format": "video",
        "incidents": [str(incident)]})
    assert r.status_code == 303, r.text
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    with db.read_session() as s:
        sess = sessions.get_session(s, sid)
        assert (sess.body, sess.kind, sess.requested_by, sess.date) == (
            "CSC", "extraordinary", "KZ", DAY)
    assert status_of(incident) == "escalated"
    listed = client.get("/requests").text
    assert "Unrest threatening the constitutional order" in listed
    assert f'href="/sessions/{sid}"' in listed and f'data-incident-link="{incident}"' in listed
    ru = client.get("/requests?lang=ru").text
    assert "Беспорядки, угрожающие конституционному строю" in ru
    assert "Договор, статья 2" in ru and "Запросы консультаций" in ru
    with db.read_session() as s:
        cid = s.scalar(select(ConsultationRow.id).where(ConsultationRow.session_id == sid))
    assert f'href="/consultations/{cid}"' in listed
    page = client.get(f"/consultations/{cid}?lang=en").text
    assert 'id="session-link"' in page and f'href="/sessions/{sid}"' in page
    assert "not seated yet:" in page and "Kazakhstan" in page  # nobody seated so far
    assert 'id="next-steps"' not in page  # a representative does not manage sessions
    assert client.get("/consultations/999999").status_code == 404


def test_a_state_without_a_seat_is_refused_with_the_rule(client: TestClient) -> None:
    as_user(client, "uz.rep")
    before = written()
    r = post(client, "/consultations/new", "/consultations",
             {"subject_en": "A threat", "format": "video"})
    assert r.status_code == 403
    assert 'id="refusal"' in r.text and "only states seated in the bodies" in r.text
    assert 'value="A threat"' in r.text  # what was typed is kept
    r = submit(client)
    assert r.status_code == 403 and "UZ may not request assistance" in r.text
    assert written() == before


def test_a_request_for_assistance_from_the_form(client: TestClient) -> None:
    rid = submitted_request(client)
    page = client.get(f"/requests/{rid}").text
    assert "collective assistance (Treaty, Article 4)" in page
    assert 'data-need="peacekeeping_forces"' in page and "2000 personnel" in page
    assert 'data-request-status="submitted"' in page and "Help to restore order" in page
    assert f'data-incident-link="{client.incident}"' in page  # type: ignore[attr-defined]
    assert "withdraw-form" in page and "table-form" not in page  # not the Secretariat
    with db.read_session() as s:
        d = escalation.request_dict(s, escalation.get_request(s, rid, "CSTO"))
    assert d["needs"] == [{"kind": "peacekeeping_forces", "personnel": 2000,
                           "note": "guard facilities"}]
    assert d["area"] is None and d["incidents"] == [client.incident]  # type: ignore[attr-defined]
    ru = client.get(f"/requests/{rid}?lang=ru").text
    assert "коллективная помощь (Договор, статья 4)" in ru and "миротворческие силы" in ru
    assert "Помочь восстановить порядок" in ru and "Подана" in ru
    listed = client.get("/requests?lang=ru").text
    assert f'href="/requests/{rid}"' in listed and "миротворческие силы" in listed


def test_text_typed_in_english_only_is_marked_english_on_russian_pages(
        client: TestClient) -> None:
    assess(client, client.incident)  # type: ignore[attr-defined]
    as_user(client, "kz.rep")
    r = submit(client, summary_en="Help <b>now</b>", summary_ru="",
               incidents=[str(client.incident)])  # type: ignore[attr-defined]
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    ru = client.get(f"/requests/{rid}?lang=ru").text
    assert '<p class="summary"><span lang="en">Help &lt;b&gt;now&lt;/b&gt;</span></p>' in ru
    en = client.get(f"/requests/{rid}?lang=en").text  # an English page needs no marking
    assert '<p class="summary">Help &lt;b&gt;now&lt;/b&gt;</p>' in en


@pytest.mark.parametrize("extra,status,message", [
    (need_rows(("", "", "")), 400, "must name what it needs"),
    (need_rows(("tanks", "", "")), 400, "unknown kind"),
    (need_rows(("advisers", "many", "")), 400, "personnel must be a whole number"),
    ({"basis": "article_5"}, 400, "unknown basis"),
    ({"summary_en": "  "}, 400, "a request needs a summary"),
    ({"area": "{not json"}, 400, "the area is not GeoJSON"),
    ({"lon": "200", "lat": "43"}, 400, "longitude"),
    ({"incidents": ["999"]}, 404, "unknown incident 999"),
    ({"consultation_id": "77"}, 404, "no consultations numbered 77"),
])
def test_a_bad_request_is_refused_on_the_page_and_writes_nothing(
        client: TestClient, extra: dict[str, Any], status: int, message: str) -> None:
    as_user(client, "kz.rep")
    before = written()
    r = submit(client, **extra)
    assert r.status_code == status, r.text[:400]
    assert 'id="refusal"' in r.text and message in r.text
    assert 'class="stack request-form"' in r.text  # the form again, to correct
    assert written() == before


def test_an_unassessed_incident_cannot_be_cited(client: TestClient) -> None:
    as_user(client, "kz.rep")
    before = written()
    r = submit(client, incidents=[str(client.incident)])  # type: ignore[attr-defined]
    assert r.status_code == 409 and "has not been assessed" in r.text
    assert written() == before


def test_forms_without_their_token_or_the_role_write_nothing(client: TestClient) -> None:
    as_user(client, "kz.rep")
    before = written()
    for path, data in (("/consultations", {"subject_en": "x"}),
                       ("/requests", {"basis": "article_4", "summary_en": "x",
                                      "need_kind": "advisers"})):
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf_token": "wrong"}).status_code == 403
    as_user(client, "kz.viewer")
    token = form_token(client.get("/requests").text)
    r = client.post("/consultations", data={"subject_en": "x", "csrf_token": token})
    assert r.status_code == 403
    assert written() == before


# -- the Secretariat tables, the Council decides -----------------------------------------

def test_the_secretariat_tables_and_the_council_grants(client: TestClient) -> None:
    rid = submitted_request(client)
    sid = open_council_session()
    as_user(client, "sec.editor")
    page = client.get(f"/requests/{rid}").text
    assert "table-form" in page and f'<option value="{sid}"' in page
    assert "withdraw-form" not in page
    r = post(client, f"/requests/{rid}", f"/requests/{rid}/agenda",
             {"session_id": str(sid), **TERMS})
    assert r.status_code == 303, r.text
    with db.read_session() as s:
        req = escalation.get_request(s, rid, "CSTO")
        assert req.status == "on_agenda" and req.item_id is not None
        item = sessions.get_item(s, req.item_id)
        assert (item.session_id, item.matter, item.subject_state) == (
            sid, "collective_assistance", "KZ")
    html = client.get(f"/requests/{rid}").text
    assert f'href="/sessions/{sid}#item-{item.id}"' in html and "table-form" not in html
    for state in SEATED_2025:
        who = auth.Actor(1, f"rep-{state}", Principal("delegation", state),
                         frozenset({"representative"}), "web")
        with db.write_session() as s:
            sessions.record_position(s, auth.clearance(s, who, DAY, "CSTO"), who, item_id=item.id,
                                     state=state, position="support", now=NOW)
    closed = post(client, f"/items/{item.id}/close", f"/items/{item.id}/close",
                  {"confirmed": "yes"})
    assert closed.status_code == 303, closed.text
    html = client.get(f"/requests/{rid}").text
    assert 'data-request-status="granted"' in html and 'href="/missions/CPF-KZ25"' in html
    assert 'data-adopted="yes"' in html
    assert 'href="/missions/CPF-KZ25"' in client.get("/requests").text
    mission = client.get("/missions/CPF-KZ25").text
    assert "Guard important state facilities" in mission and "assistance_request" in mission
    assert f'href="/requests/{rid}" class="request-link"' in mission
    end = mission[mission.index('id="mission-end"'):]
    assert TERMS["end_condition_en"] in end[:300]
    assert "Удовлетворена" in client.get(f"/requests/{rid}?lang=ru").text


@pytest.mark.parametrize("change,status,message", [
    ({"end_condition_en": ""}, 400, "needs an end date or an end condition"),
    ({"mandate_en": ""}, 400, "needs a mandate"),
    ({"ends_on": "2025-05-01"}, 400, "would end (2025-05-01) before the decision"),
    ({"ends_on": "2025-13-01"}, 400, "is not a date"),
    ({"area": '{"type": "Point", "coordinates": [500, 0]}'}, 400, "longitude"),
    ({"session_id": "x"}, 400, "the session must be a whole number"),
    ({"session_id": "4242"}, 404, "unknown session 4242"),
])
def test_bad_mission_terms_are_refused_on_the_page(
        client: TestClient, change: dict[str, str], status: int, message: str) -> None:
    rid = submitted_request(client)
    sid = open_council_session()
    as_user(client, "sec.editor")
    before = written()
    r = post(client, f"/requests/{rid}", f"/requests/{rid}/agenda",
             {"session_id": str(sid), **TERMS, **change})
    assert r.status_code == status, r.text[:400]
    assert 'id="refusal"' in r.text and message in r.text
    assert 'value="CPF-KZ25"' in r.text  # the terms typed are kept
    assert written() == before


def test_a_representative_may_not_table(client: TestClient) -> None:
    rid = submitted_request(client)
    sid = open_council_session()
    before = written()
    r = post(client, f"/requests/{rid}", f"/requests/{rid}/agenda",
             {"session_id": str(sid), **TERMS})
    assert r.status_code == 403 and written() == before


def test_the_requesting_state_withdraws_and_another_may_not(client: TestClient) -> None:
    rid = submitted_request(client)
    as_user(client, "ru.rep")
    page = client.get(f"/requests/{rid}").text
    assert "withdraw-form" not in page
    before = written()
    r = post(client, f"/requests/{rid}", f"/requests/{rid}/withdrawal", {})
    assert r.status_code == 403 and "only delegation:KZ may request assistance" in r.text
    assert written() == before
    as_user(client, "kz.rep")
    r = post(client, f"/requests/{rid}", f"/requests/{rid}/withdrawal", {})
    assert r.status_code == 303
    html = client.get(f"/requests/{rid}").text
    assert 'data-request-status="withdrawn"' in html and "withdraw-form" not in html
    again = post(client, f"/requests/{rid}", f"/requests/{rid}/withdrawal", {})
    assert again.status_code == 409 and "that is final" in again.text
