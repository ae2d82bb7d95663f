"""collsec end to end on a second organization: the fictitious Alpine Treaty Organization
of tests/data/orgs/ato/, found through COLLSEC_ORG_PATH, without a line of Python for it.

The issue: "A second organization folder (a small fictitious treaty organization in the
test data, with other organ codes and rules) loads and works end to end - sessions,
incidents, a mission - without a line of Python changed." Everything below passes the
organization explicitly and acts through the ATO's own organs (organ:BUR, its bureau and
secretariat; organ:OPS, its crisis centre: `access.roles` in its charter.yaml), its own
bodies (ASC decides, AFM holds consultations), its own incident workflow (logged ->
verified -> referred -> resolved) and its own rules (2/3 qualified majority with a 2/3
quorum on substantive matters, 12 months' notice, English rotation order). Each test
starts from a fresh database (`empty_db`) and loads the folder through the loader.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.errors import (
    CollsecError,
    Conflict,
    InvalidInput,
    UnknownOrganization,
)
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces import deployments, missions
from collsec.crisis.forces.tables import ContingentRow
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.tables import IncidentRow
from collsec.decisions import membership, sessions
from collsec.decisions.tables import AgreementRow
from collsec.documents.tables import DocumentRow
from collsec.registry import chairs as registry_chairs
from collsec.registry import charter, defaults
from collsec.registry import service as registry
from collsec.registry.tables import BodyRow, MembershipRow, OrganizationRow, SourceRow
from collsec.schema import metadata

ORG = "ATO"
ORGS_DIR = Path(__file__).resolve().parent / "data" / "orgs"  # holds ato/
DAY = dt.date(2026, 2, 20)
NOW = dt.datetime(2026, 2, 20, 12, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 2, 21, 9, tzinfo=dt.UTC)
SEATED = ("AT", "CH", "LI", "SI")  # HR is suspended, MC an observer
TYROL = {"type": "Point", "coordinates": [11.39454, 47.26266]}
TERMS = {"code": "ARU-AT-2026", "title_en": "Rescue in Tyrol",
         "title_ru": "Спасательная операция в Тироле",
         "mandate_en": "search and rescue after the avalanche", "ends_on": "2026-03-31",
         "area": TYROL}


def actor(principal: str, roles: tuple[str, ...], name: str) -> auth.Actor:
    return auth.Actor(1, name, Principal.parse(principal), frozenset(roles), "cli")


BUR = actor("organ:BUR", ("editor",), "bur-editor")  # the ATO's secretariat
OPS = actor("organ:OPS", ("duty_officer",), "ops-duty")  # the ATO's crisis centre


def rep(state: str) -> auth.Actor:
    return actor(f"delegation:{state}", ("representative",), f"rep-{state.lower()}")


def duty(state: str) -> auth.Actor:
    return actor(f"delegation:{state}", ("duty_officer",), f"duty-{state.lower()}")


def act(who: auth.Actor, fn: Any, *args: Any, as_of: dt.date = DAY, **kwargs: Any) -> Any:
    """Call a service as `who`, cleared by the ATO's charter as of `as_of`."""
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, as_of, ORG), who, *args, **kwargs)


def load(org: str) -> defaults.LoadResult:
    with db.write_session() as s:
        return defaults.load_default(s, actor="test", org=org)


def row_counts() -> dict[str, int]:
    with db.read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                for t in metadata.sorted_tables}


def members_of(org: str, day: dt.date) -> dict[str, str]:
    with db.read_session() as s:
        return {v.state.code: v.status.code for v in registry.members(s, org, day)}


def of_org(table: Any, org: str) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table).where(table.org == org)) or 0


@pytest.fixture
def org_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """COLLSEC_ORG_PATH names tests/data/orgs, where the loader finds ato/."""
    monkeypatch.setenv("COLLSEC_ORG_PATH", str(ORGS_DIR))
    return ORGS_DIR


@pytest.fixture
def ato_db(empty_db: str, org_path: Path) -> Iterator[str]:
    """A fresh database with only the ATO loaded."""
    result = load(ORG)
    assert result.changed and result.org == ORG
    yield empty_db


# -- finding the folder, reading it ---------------------------------------------------------

def test_the_folder_is_found_on_the_org_path(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.delenv("COLLSEC_ORG_PATH", raising=False)
    with pytest.raises(UnknownOrganization, match="ato"):
        charter.data_dir(ORG)
    monkeypatch.setenv("COLLSEC_ORG_PATH", os.pathsep.join([str(tmp_path), str(ORGS_DIR)]))
    assert Path(str(charter.data_dir(ORG))) == ORGS_DIR / "ato"
    assert charter.load_charter(ORG).org == ORG
    assert charter.load_charter("CSTO").org == "CSTO"  # the embedded one, after the path
    with pytest.raises(UnknownOrganization, match="XYZ"):
        charter.data_dir("XYZ")
    with pytest.raises(UnknownOrganization):
        charter.data_dir("../ato")


def test_on_and_off_stay_words() -> None:
    assert charter.load_yaml("on: 2026-02-20\noff: no\nyes: true") == {
        "on": dt.date(2026, 2, 20), "off": "no", "yes": True}
    assert charter.load_yaml("on: 2026-02-20", charter.TextDatesLoader) == {"on": "2026-02-20"}


def test_only_an_organization_the_data_names_has_a_charter(org_path: Path) -> None:
    assert registry.charter_for(ORG).org == ORG
    assert registry.charter_for("CST").org == "CSTO"  # charter_of: CSTO in its data
    for org in ("UN", "OSCE", "NOPE"):
        with pytest.raises(UnknownOrganization, match=org):
            registry.charter_for(org)


# -- the registry ---------------------------------------------------------------------------

def test_it_loads(ato_db: str) -> None:
    assert members_of(ORG, DAY) == {"AT": "member", "CH": "member", "LI": "member",
                                    "SI": "member", "HR": "suspended"}
    with db.read_session() as s:
        every = {v.state.code: v.status.code
                 for v in registry.members(s, ORG, DAY, every_status=True)}
        assert every["MC"] == "observer"
        assert {b.code for b in registry.bodies(s, ORG, DAY)} == {"ASC", "AFM", "BUR", "OPS",
                                                                  "MIL"}
        # English order, reference day 1 July, one calendar-year period for all time
        chair = registry_chairs.chair_on(s, ORG, dt.date(2026, 3, 1))
        assert chair.state is not None and (chair.state.code, chair.basis) == ("SI", "computed")
        assert chair.rule == "calendar_year" and chair.since == dt.date(2026, 1, 1)
        early = registry_chairs.chair_on(s, ORG, dt.date(2015, 3, 1)).state
        assert early is not None and early.code == "HR"
        docs = list(s.execute(select(DocumentRow).where(DocumentRow.org == ORG)).scalars())
        assert len(docs) == 2 and {d.owner for d in docs} == {"organ:BUR"}  # its secretariat
        assert journal.verify(s).ok
    before = row_counts()
    assert not load(ORG).changed  # a second load changes nothing
    assert row_counts() == before


def test_two_organizations_share_a_database(empty_db: str, org_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """CSTO and ATO load into one database, in either order of reloading: each keeps its
    members, bodies, documents, agreements and contingents; reloading either changes
    nothing; a new release of one replaces only its own rows."""
    csto_members = {"AM": "participation_frozen", "BY": "member", "KG": "member",
                    "KZ": "member", "RU": "member", "TJ": "member"}
    assert load("CSTO").changed
    assert members_of("CSTO", DAY) == csto_members
    csto = {t.__tablename__: of_org(t, "CSTO")
            for t in (MembershipRow, BodyRow, DocumentRow, AgreementRow, ContingentRow)}
    cst = of_org(MembershipRow, "CST")
    assert all(csto.values()) and cst
    assert load(ORG).changed
    for org, expected in (("CSTO", csto_members), (ORG, {"AT": "member", "CH": "member",
                                                         "LI": "member", "SI": "member",
                                                         "HR": "suspended"})):
        assert {k: v for k, v in members_of(org, DAY).items()} == expected, org
    assert {t.__tablename__: of_org(t, "CSTO")
            for t in (MembershipRow, BodyRow, DocumentRow, AgreementRow, ContingentRow)} == csto
    assert of_org(MembershipRow, "CST") == cst
    with db.read_session() as s:  # a shared organization: both folders' sources attest it
        un = s.get(OrganizationRow, "UN")
        assert un is not None and {"seed-003", "ato-bulletin-2024"} <= set(un.sources.split())
        assert s.get(SourceRow, "ato-treaty-2011") and s.get(SourceRow, "seed-000")
    before = row_counts()
    assert not load("CSTO").changed and not load(ORG).changed
    assert row_counts() == before
    real = defaults.digest
    monkeypatch.setattr(defaults, "digest",  # a new release of the CSTO's data
                        lambda org: "new-release" if org == "CSTO" else real(org))
    assert load("CSTO").changed
    after = row_counts()  # the same data again: the same rows, the ATO's untouched
    assert after == {**before, "journal": before["journal"] + 1}
    assert members_of(ORG, DAY)["AT"] == "member"
    with db.read_session() as s:
        assert journal.verify(s).ok


def test_a_clearance_acts_only_in_its_own_organization(empty_db: str, org_path: Path) -> None:
    """Kazakhstan is a CSTO member: its duty officer's CSTO clearance reports nothing in
    the ATO, and an act in the ATO is cleared by the ATO's registry, where it holds no
    status; a clearance made by hand must name its organization."""
    load("CSTO")
    load(ORG)
    kz = duty("KZ")
    before = row_counts()
    with db.write_session() as s:
        c = auth.clearance(s, kz, DAY, "CSTO")
        assert c.org == "CSTO"
        with pytest.raises(auth.NotEntitled, match="a clearance of CSTO does not act in ATO"):
            incidents.report_incident(
                s, c, kz, type="avalanche", severity=2, occurred_at=NOW, geometry=TYROL,
                title="Not ours to report", now=NOW, org=ORG)
        assert auth.clearance(s, kz, DAY, ORG).levels == {"public"}  # no status in the ATO
        with pytest.raises(InvalidInput, match="no organization"):
            auth.org_of(Clearance(None, "by hand", frozenset({"public"}), frozenset()))
        assert auth.org_of(Clearance(None, "by hand", frozenset(), frozenset()), "ato") == ORG
    assert row_counts() == before


def _twin(tmp_path: Path, *, publisher: str | None = None) -> Path:
    """A third organization, 'BTO': the ATO's folder with its own codes, sharing the ATO's
    sources, states and the UN; `publisher` rewrites one shared source's text."""
    root = tmp_path / "orgs"
    folder = root / "bto"
    shutil.copytree(ORGS_DIR / "ato", folder)
    for path in folder.glob("*.yaml"):
        if path.name != "sources.yaml":
            path.write_text(path.read_text(encoding="utf-8").replace("org: ATO", "org: BTO")
                            .replace("organization: ATO", "organization: BTO")
                            .replace("code: ATO\n", "code: BTO\n"), encoding="utf-8")
    (folder / "agreements.yaml").write_text("[]\n", encoding="utf-8")  # codes are global
    if publisher is not None:
        path = folder / "sources.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(
            "publisher: ATO Bureau (fictitious)\n  date: 2011-03-15",
            f"publisher: {publisher}\n  date: 2011-03-15"), encoding="utf-8")
    return root


def test_folders_sharing_a_source_must_agree_on_it(empty_db: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_ORG_PATH", str(_twin(tmp_path, publisher="Someone else")))
    load("BTO")
    monkeypatch.setenv("COLLSEC_ORG_PATH", str(ORGS_DIR))
    before = row_counts()
    with pytest.raises(Conflict, match="ato-treaty-2011.*BTO"):
        load(ORG)
    assert row_counts() == before  # refused whole: nothing written
    with db.read_session() as s:
        assert s.get(OrganizationRow, ORG) is None


def test_folders_that_agree_share_states_and_sources(empty_db: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_ORG_PATH", os.pathsep.join([str(_twin(tmp_path)),
                                                           str(ORGS_DIR)]))
    assert load(ORG).changed and load("BTO").changed
    assert members_of("BTO", DAY) == members_of(ORG, DAY)
    assert not load(ORG).changed and not load("BTO").changed


def test_a_folder_writes_only_its_own_organizations(empty_db: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = _twin(tmp_path)
    path = root / "bto" / "memberships.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- {org: UN, state: AT, status: member, "
                    "from: 2011-03-15, sources: [ato-treaty-2011]}\n", encoding="utf-8")
    monkeypatch.setenv("COLLSEC_ORG_PATH", str(root))
    with pytest.raises(InvalidInput, match="'UN' is not one this folder defines"):
        load("BTO")


# -- a session to an adopted decision -------------------------------------------------------

def test_a_session_adopts_a_decision(ato_db: str) -> None:
    sess = act(BUR, sessions.convene, org=ORG, body="ASC", kind="regular", date=DAY,
               host_state="LI", city_en="Vaduz", city_ru="Вадуц")
    assert (sess.org, sess.body, sess.chair_state) == (ORG, "ASC", "SI")
    for state in SEATED:
        act(BUR, sessions.seat, session_id=sess.id, state=state)
    with pytest.raises(CollsecError, match="suspended"):
        act(BUR, sessions.seat, session_id=sess.id, state="HR")
    item = act(BUR, sessions.add_item, session_id=sess.id, title_en="Readiness statement",
               title_ru="Заявление о готовности", draft_kind="statement", matter="substantive")
    first = act(rep("AT"), sessions.record_position, item_id=item.id, state="AT",
                position="support", now=NOW)
    assert first.outcome.reason == "no_quorum"  # 1 of 4 seats: below the 2/3 quorum
    for state, position in (("CH", "support"), ("LI", "object"), ("SI", "support")):
        ev = act(rep(state), sessions.record_position, item_id=item.id, state=state,
                 position=position, now=NOW)
    assert ev.outcome.adopted and ev.outcome.reason == "adopted_qualified_majority"
    assert ev.outcome.params["fraction"] == "2/3"
    closed = act(BUR, sessions.close_item, item_id=item.id, now=NOW)
    assert closed.evaluation.outcome.adopted and closed.document_id is not None
    with db.read_session() as s:
        assert [r.id for r in sessions.list_sessions(s, org=ORG)] == [sess.id]
        assert journal.verify(s).ok


def test_withdrawal_takes_the_charters_notice_period(ato_db: str) -> None:
    row = act(BUR, membership.notify_withdrawal, org=ORG, state="LI",
              notice_on=dt.date(2026, 3, 1))
    assert row.effective_on == dt.date(2027, 3, 1)  # 12 months, not the CSTO's 6
    with db.read_session() as s:
        held = registry.status_of(s, ORG, "LI", dt.date(2027, 3, 1))
        assert held is not None and held.status.code == "withdrawn"
        before = registry.status_of(s, ORG, "LI", dt.date(2027, 2, 28))
        assert before is not None and before.status.code == "member"


# -- an incident, a request and a mission ---------------------------------------------------

def test_the_crisis_centre_is_the_charters_organ(ato_db: str) -> None:
    """organ:OPS (`access.roles.crisis_centre`) reports and follows up incidents; its
    workflow is the ATO's, and `referred` is reached only by a member's request."""
    row = act(OPS, incidents.report_incident, type="flood", severity=None,
              occurred_at=NOW - dt.timedelta(hours=5), geometry=TYROL,
              title="Flood in the Inn valley", now=NOW, org=ORG)
    assert (row.org, row.status, row.severity, row.owner) == (ORG, "logged", 2, "organ:OPS")
    act(OPS, incidents.advance, row.id, "verified", "gauges confirm it", NOW, org=ORG)
    with pytest.raises(Conflict, match="request"):  # referred only by a member's request
        act(OPS, incidents.advance, row.id, "referred", "", NOW, org=ORG)
    crc = actor("organ:CRC", ("duty_officer",), "crc-duty")  # the CSTO's organ: nobody here
    with pytest.raises(auth.NotEntitled):
        act(crc, incidents.report_incident, type="flood", severity=1, occurred_at=NOW,
            geometry=TYROL, title="Not ours", now=NOW, org=ORG)


def test_from_an_incident_to_a_mission(ato_db: str) -> None:
    inc = act(duty("AT"), incidents.report_incident, type="avalanche", severity=3,
              occurred_at=NOW - dt.timedelta(hours=3), geometry=TYROL,
              title="Avalanche above Innsbruck", now=NOW, org=ORG)
    assert (inc.org, inc.status, inc.owner) == (ORG, "logged", "delegation:AT")
    with pytest.raises(Conflict, match="referred or verified"):  # not assessed yet
        act(rep("AT"), escalation.request_consultations, state="AT", on=DAY,
            subject_en="Too early", incidents=[inc.id], now=NOW, org=ORG)
    act(OPS, incidents.update_incident, inc.id, note="two villages cut off", severity=3,
        status="verified", now=NOW, org=ORG)
    cons = act(rep("AT"), escalation.request_consultations, state="AT", on=DAY,
               subject_en="Avalanche above Innsbruck", incidents=[inc.id], now=NOW, org=ORG)
    with db.read_session() as s:
        c_sess = sessions.get_session(s, cons.session_id)
        assert (c_sess.org, c_sess.body, c_sess.kind, c_sess.requested_by) == (
            ORG, "AFM", "extraordinary", "AT")
        row = s.get(IncidentRow, inc.id)
        assert row is not None and row.status == "referred"  # by_request
    req = act(rep("AT"), escalation.submit_request, state="AT", basis="rescue",
              needs=[{"kind": "rescue_teams", "personnel": 60}, {"kind": "helicopters"}],
              summary_en="Rescue teams and helicopters", consultation_id=cons.id,
              incidents=[inc.id], area=TYROL, on=DAY, now=NOW, org=ORG)
    with pytest.raises(CollsecError, match="ASC"):  # the AFM consults; the ASC decides
        act(BUR, escalation.table_request, req.id, session_id=cons.session_id,
            mission=TERMS, now=NOW, org=ORG)
    council = act(BUR, sessions.convene, org=ORG, body="ASC", kind="extraordinary",
                  date=DAY, format="video", requested_by=["AT"])
    item = act(BUR, escalation.table_request, req.id, session_id=council.id, mission=TERMS,
               now=NOW, org=ORG)
    assert (item.matter, item.subject_state) == ("rescue_operation", "AT")
    for state, position in (("AT", "support"), ("CH", "support"), ("LI", "abstain"),
                            ("SI", "support")):
        act(rep(state), sessions.record_position, item_id=item.id, state=state,
            position=position, now=NOW)
    closed = act(BUR, sessions.close_item, item_id=item.id, now=NOW)
    assert closed.evaluation.outcome.reason == "adopted_simple_majority"
    with db.read_session() as s:
        r = escalation.get_request(s, req.id, ORG)
        assert r.status == "granted" and r.mission_id is not None
        m = missions.get_mission(s, "ARU-AT-2026", ORG)
        assert (m.org, m.host_state, m.decision_item_id) == (ORG, "AT", item.id)
    offer = act(duty("CH"), deployments.offer, "ARU-AT-2026", state="CH", personnel=40,
                now=NOW, org=ORG)
    with pytest.raises(CollsecError, match="seat"):  # suspended: no seat, no contribution
        act(duty("HR"), deployments.offer, "ARU-AT-2026", state="HR", personnel=10, now=NOW,
            org=ORG)
    act(BUR, deployments.accept_offer, "ARU-AT-2026", offer.id, now=NOW, org=ORG)
    act(OPS, deployments.report_status, "ARU-AT-2026", state="CH", status="deployed",
        personnel=40, at=LATER, now=LATER, org=ORG)
    with db.read_session() as s:
        c = auth.clearance(s, BUR, DAY, ORG)
        assert c.in_good_standing and c.parts == {"secretariat"}  # BUR is the ATO's organ
        totals = deployments.totals(s, c, "ARU-AT-2026", LATER, ORG)
        assert (dict(totals.by_state), totals.total) == ({"CH": 40}, 40)
        kinds = [e.kind for e in deployments.timeline(s, c, "ARU-AT-2026", ORG).events]
        assert kinds[:2] == ["assistance_request", "decision"] and "deployment_status" in kinds
        assert incidents.taxonomy(ORG).deployment_label("deployed", "en") == "On site"
        assert journal.verify(s).ok


def test_a_mission_opens_only_on_the_charters_decision(ato_db: str) -> None:
    """`crisis_response.missions.decided_as`: an adopted ASC decision on a substantive
    matter is no decision to open a mission."""
    sess = act(BUR, sessions.convene, org=ORG, body="ASC", kind="regular", date=DAY)
    item = act(BUR, sessions.add_item, session_id=sess.id, title_en="A statement",
               draft_kind="statement", matter="substantive")
    for state in SEATED:
        act(rep(state), sessions.record_position, item_id=item.id, state=state,
            position="support", now=NOW)
    act(BUR, sessions.close_item, item_id=item.id, now=NOW)
    with pytest.raises(CollsecError, match="rescue operation|mutual assistance"):
        act(BUR, missions.open_mission, code="NOT-DECIDED", title_en="No", host_state="AT",
            decided_on=DAY, decision_item_id=item.id, now=NOW, org=ORG)


# -- the interfaces: the API and the pages under COLLSEC_ORG=ATO -----------------------------

def test_the_api_acts_for_the_ato(ato_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from collsec.web.app import create_app
    from tests.conftest import bearer, make_user

    monkeypatch.setenv("COLLSEC_ORG", ORG)
    token = make_user("duty-at", "delegation:AT", ["duty_officer"])
    client = TestClient(create_app())
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and "member in ATO" in me.json()["why"], me.text
    r = client.post("/api/v1/incidents", headers=bearer(token), json={
        "type": "avalanche", "severity": 2, "occurred_at": "2026-02-20T08:00:00Z",
        "geometry": TYROL, "title": "Avalanche", "released_to": []})
    assert r.status_code == 201, r.text
    assert (r.json()["organization"], r.json()["status"]) == (ORG, "logged")
    r = client.get(f"/api/v1/organizations/{ORG}/members")
    assert {m["state"]["code"] for m in r.json()["members"]} == {*SEATED, "HR"}
    assert client.get("/api/v1/organizations/UN/members").status_code == 404  # no charter
    page = client.get("/", headers=bearer(token))
    assert page.status_code == 200 and "ATO" in page.text


# -- the second organization's own bodies as recipients and as principals of users --------

def test_an_incident_released_to_the_crisis_centre(ato_db: str) -> None:
    inc = act(duty("AT"), incidents.report_incident, type="avalanche", severity=3,
              occurred_at=NOW - dt.timedelta(hours=3), geometry=TYROL, title="Avalanche",
              released_to=["organ:OPS", "delegation:CH"], now=NOW, org=ORG)
    assert inc.visibility == "restricted"
    act(OPS, incidents.update_incident, inc.id, note="seen", status="verified", now=NOW,
        org=ORG)


def test_a_user_of_the_atos_crisis_centre(ato_db: str) -> None:
    from tests.conftest import make_user

    make_user("ops-duty", "organ:OPS", ["duty_officer"])
