"""The exchange's use cases on the embedded CSTO: a report travels only as far as its
originator released it, on every read, and every read of a restricted report is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.tables import AuditRow
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.exchange import model
from collsec.exchange import service as exchange
from collsec.exchange.tables import ReportRow
from tests.exchange.conftest import NOW, officer

ANALYST = ("reporting_analyst",)
VERIFIER = ("verifier",)
RELEASER = ("releasing_officer",)


def _released(s: Session, *, scope: str = "states", states: tuple[str, ...] = ("KZ", "RU"),
              tlp: str = "AMBER", title: str = "Recruiters in the Fergana valley") -> ReportRow:
    """A report of Kazakhstan's service, written, verified and released by three officers."""
    a, c = officer(s, "kz-ana", "delegation:KZ", ANALYST)
    row = exchange.write_report(s, c, a, title=title, body="Two *channels*.", tlp=tlp,
                                scope=scope, states=states, now=NOW)
    exchange.submit_report(s, c, a, report_id=row.id, now=NOW)
    v, cv = officer(s, "kz-vera", "delegation:KZ", VERIFIER)
    exchange.verify_report(s, cv, v, report_id=row.id, now=NOW)
    r, cr = officer(s, "kz-rel", "delegation:KZ", RELEASER)
    return exchange.release_report(s, cr, r, report_id=row.id, now=NOW)


DAY = NOW.date()


def _reader(s: Session, state: str, day: dt.date = DAY) -> tuple[auth.Actor, auth.Clearance]:
    return officer(s, f"{state.lower()}-reader", f"delegation:{state}", ("viewer",), day)


def _listed(s: Session, state: str, day: dt.date = DAY, **filters: object) -> list[int]:
    _, c = _reader(s, state, day)
    return [r.id for r in exchange.list_reports(s, c, now=NOW, **filters)]  # type: ignore[arg-type]


def test_a_report_released_to_kz_and_ru_reaches_them_and_nobody_else(tx: Session) -> None:
    row = _released(tx)
    assert row.status == "released" and row.visibility == "restricted"
    for state in ("KZ", "RU"):
        assert row.id in _listed(tx, state)
        a, c = _reader(tx, state)
        assert exchange.get_report(tx, c, a, row.id, now=NOW).unwrap().row is row
    for state in ("AM", "BY", "KG", "TJ", "UZ"):
        assert row.id not in _listed(tx, state)
        a, c = _reader(tx, state)
        with pytest.raises(NotFound, match=f"unknown report {row.id}"):
            exchange.get_report(tx, c, a, row.id, now=NOW).unwrap()
    for organ in ("SEC", "CRC"):
        a, c = officer(tx, "organ-reader", f"organ:{organ}", ("viewer",))
        assert row.id not in [r.id for r in exchange.list_reports(tx, c, now=NOW)]


def test_before_release_only_the_originating_service_sees_the_report(tx: Session) -> None:
    a, c = officer(tx, "kz-ana", "delegation:KZ", ANALYST)
    row = exchange.write_report(tx, c, a, title="Draft", tlp="CLEAR", scope="public", now=NOW)
    assert row.visibility == "restricted" and row.status == "draft"
    assert row.id in _listed(tx, "KZ")
    assert row.id not in _listed(tx, "RU")
    _, anon = officer(tx, "x", "delegation:RU", ("viewer",))
    assert row.id not in [r.id for r in exchange.list_reports(
        tx, auth.clearance(tx, auth.anonymous("api"), NOW.date(), "CSTO"), now=NOW)]
    assert anon  # a member's reader sees the draft nowhere either


def test_levels_follow_the_readers_status(tx: Session) -> None:
    members = _released(tx, scope="members", states=(), title="For members")
    partners = _released(tx, scope="members_and_partners", states=(), tlp="GREEN",
                         title="For members and partners")
    public = _released(tx, scope="public", states=(), tlp="CLEAR", title="Public")
    # Armenia's participation is frozen: it keeps a member's reads
    assert {members.id, partners.id, public.id} <= set(_listed(tx, "AM"))
    # Uzbekistan's participation is suspended: public material only
    seen = set(_listed(tx, "UZ"))
    assert public.id in seen and not {members.id, partners.id} & seen


def test_a_suspended_states_readers_lose_access_on_the_suspension_date(tx: Session) -> None:
    row = _released(tx, scope="members", states=(), title="Before the suspension")
    assert row.id in _listed(tx, "UZ", dt.date(2012, 6, 27))
    assert row.id not in _listed(tx, "UZ", dt.date(2012, 6, 28))


def test_narrowing_withdraws_the_report_and_tells_those_who_read_it(tx: Session) -> None:
    row = _released(tx)
    ru, c_ru = _reader(tx, "RU")
    exchange.get_report(tx, c_ru, ru, row.id, now=NOW).unwrap()
    tx.flush()  # the read's audit row, which names the reader
    r, cr = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    _, lost = exchange.change_release(tx, cr, r, report_id=row.id, scope="states",
                                      states=["KZ"], note="source at risk", now=NOW)
    assert lost == ["delegation:RU"]
    assert row.id not in _listed(tx, "RU")
    shown = exchange.get_report(tx, c_ru, ru, row.id, now=NOW)
    assert shown.row is None and shown.withdrawal is not None
    with pytest.raises(exchange.Withdrawn, match="withdrawn from delegation:RU on 2025-06-01"):
        shown.unwrap()
    assert shown.withdrawal.note == "source at risk"
    assert [w.report_id for w in exchange.withdrawn_from(tx, c_ru)] == [row.id]
    kinds = [e.kind for e in exchange.get_report(
        tx, *reversed(officer(tx, "kz-ana", "delegation:KZ", ANALYST)), row.id, now=NOW
    ).unwrap().history]
    assert kinds == ["written", "submitted", "verified", "released", "narrowed"]


def test_widening_adds_readers_and_withdraws_from_nobody(tx: Session) -> None:
    row = _released(tx)
    r, cr = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    _, lost = exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)
    assert lost == [] and row.id in _listed(tx, "BY")
    with pytest.raises(InvalidInput, match="already released so"):
        exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)
    with pytest.raises(InvalidInput, match="TLP:AMBER allows at most 'members'"):
        exchange.change_release(tx, cr, r, report_id=row.id, scope="public", now=NOW)


def test_only_the_originating_service_changes_its_report(tx: Session) -> None:
    row = _released(tx)
    r, cr = officer(tx, "ru-rel", "delegation:RU", RELEASER)  # RU reads it, may not widen it
    with pytest.raises(auth.NotEntitled, match="only its originator"):
        exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)
    r, cr = officer(tx, "by-rel", "delegation:BY", RELEASER)  # BY does not even see it
    with pytest.raises(NotFound, match=f"unknown report {row.id}"):
        exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)


def test_the_author_neither_verifies_nor_releases_their_own_report(tx: Session) -> None:
    a, c = officer(tx, "kz-ana", "delegation:KZ", ANALYST + VERIFIER + RELEASER)
    row = exchange.write_report(tx, c, a, title="Alone", tlp="RED", scope="states",
                                states=["RU"], now=NOW)
    exchange.submit_report(tx, c, a, report_id=row.id, now=NOW)
    with pytest.raises(model.AuthorMayNot, match="kz-ana wrote this report"):
        exchange.verify_report(tx, c, a, report_id=row.id, now=NOW)
    v, cv = officer(tx, "kz-vera", "delegation:KZ", VERIFIER)
    with pytest.raises(InvalidInput, match="say why"):
        exchange.return_report(tx, cv, v, report_id=row.id, now=NOW)
    exchange.return_report(tx, cv, v, report_id=row.id, note="name the sources", now=NOW)
    assert row.status == "draft"
    exchange.edit_report(tx, c, a, report_id=row.id, body="Sources: two.", now=NOW)
    exchange.submit_report(tx, c, a, report_id=row.id, now=NOW)
    exchange.verify_report(tx, cv, v, report_id=row.id, now=NOW)
    with pytest.raises(Conflict, match="only a draft can be changed"):
        exchange.edit_report(tx, c, a, report_id=row.id, title="Changed", now=NOW)


def test_a_suspended_states_service_writes_nothing(tx: Session) -> None:
    a, c = officer(tx, "uz-ana", "delegation:UZ", ANALYST)
    with pytest.raises(auth.NotEntitled):
        exchange.write_report(tx, c, a, title="x", tlp="RED", scope="originator", now=NOW)


def test_every_read_of_a_restricted_report_is_audited(tx: Session) -> None:
    row = _released(tx)
    ru, c_ru = _reader(tx, "RU")
    am, c_am = _reader(tx, "AM")
    exchange.list_reports(tx, c_ru, now=NOW)
    exchange.get_report(tx, c_ru, ru, row.id, now=NOW)
    exchange.get_report(tx, c_am, am, row.id, now=NOW)
    tx.flush()
    audit = [(a.kind, a.principal, a.object_id, a.detail) for a in tx.execute(
        select(AuditRow).where(AuditRow.object_type == "report")).scalars()]
    assert ("read", "delegation:RU", None, f"list: {row.id}") in audit
    assert any(k == "read" and p == "delegation:RU" and o == str(row.id) for k, p, o, _ in audit)
    assert any(k == "read_refused" and p == "delegation:AM" for k, p, _, _ in audit)
    kz = officer(tx, "kz-ana", "delegation:KZ", ANALYST)
    readers = exchange.get_report(tx, kz[1], kz[0], row.id, now=NOW).unwrap().readers
    assert "delegation:RU" in {r.principal for r in readers}


def test_filters_and_bad_values(tx: Session) -> None:
    red = _released(tx, tlp="RED", title="Red one")
    amber = _released(tx, scope="members", states=(), title="Amber one")
    assert _listed(tx, "KZ", tlp="red") == [red.id]
    assert amber.id in _listed(tx, "KZ", scope="members", query="amber")
    with pytest.raises(InvalidInput, match="unknown TLP label"):
        _listed(tx, "KZ", tlp="purple")
    with pytest.raises(InvalidInput, match="unknown status"):
        _listed(tx, "KZ", status="lost")
    a, c = officer(tx, "kz-ana", "delegation:KZ", ANALYST)
    with pytest.raises(InvalidInput, match="title is required"):
        exchange.write_report(tx, c, a, title="  ", tlp="RED", scope="originator", now=NOW)
    with pytest.raises(NotFound, match="unknown state code 'XX'"):
        exchange.write_report(tx, c, a, title="t", tlp="RED", scope="states", states=["XX"],
                              now=NOW)
    with pytest.raises(InvalidInput, match="unknown classification"):
        exchange.write_report(tx, c, a, title="t", tlp="RED", scope="originator",
                              classification="cosmic", now=NOW)
