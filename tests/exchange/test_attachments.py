"""A report's files and subjects: attached to a draft by its own service, each file's type
sniffed from its bytes, read only by those who may read the report (audited as a read of
it), and a report found by what it is about."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth.tables import AuditRow
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.crisis.incidents import service as incidents
from collsec.exchange import export
from collsec.exchange import service as exchange
from collsec.exchange.service import Withdrawn
from tests.exchange.conftest import NOW, officer
from tests.exchange.test_stix import _valid

PDF = b"%PDF-1.7\n% minutes of the meeting\n%%EOF\n"
POINT = {"type": "Point", "coordinates": [71.45, 51.17]}


def _draft(s: Session, **fields: object) -> int:
    a, c = officer(s, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    return exchange.write_report(s, c, a, title="Recruiters", tlp="AMBER", scope="states",
                                 states=("KZ", "RU"), now=NOW, **fields).id  # type: ignore[arg-type]


def _attach(s: Session, report_id: int, name: str = "minutes.pdf", data: bytes = PDF) -> int:
    a, c = officer(s, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    return exchange.attach_file(s, c, a, report_id=report_id, name=name, data=data, now=NOW).id


def _release(s: Session, report_id: int) -> None:
    a, c = officer(s, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    exchange.submit_report(s, c, a, report_id=report_id, now=NOW)
    v, cv = officer(s, "kz-vera", "delegation:KZ", ("verifier",))
    exchange.verify_report(s, cv, v, report_id=report_id, now=NOW)
    r, cr = officer(s, "kz-rel", "delegation:KZ", ("releasing_officer",))
    exchange.release_report(s, cr, r, report_id=report_id, now=NOW)


def test_a_file_is_kept_with_its_sniffed_type_hash_and_a_journaled_history(tx: Session
                                                                          ) -> None:
    report = _draft(tx)
    file_id = _attach(tx, report, name="протокол.txt", data=PDF)
    a, c = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    read = exchange.get_report(tx, c, a, report, now=NOW).unwrap()
    [held] = [exchange.attachment(f) for f in read.attachments]
    assert held == {"id": file_id, "name": "протокол.txt", "media_type": "application/pdf",
                    "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest(),
                    "added_at": held["added_at"], "added_by": "kz-ana"}
    assert [e.kind for e in read.history] == ["written", "attached"]
    [step] = [x for x in journal.pending(tx).steps if x.command == "exchange.attach_file"]
    assert step.payload["sha256"] == held["sha256"] and "content" not in step.payload


def test_the_same_file_twice_an_executable_and_a_file_after_the_draft_are_refused(
        tx: Session) -> None:
    report = _draft(tx)
    _attach(tx, report)
    with pytest.raises(Conflict, match="already carries this file, as minutes.pdf"):
        _attach(tx, report, name="again.pdf")
    with pytest.raises(InvalidInput, match="application/x-msdownload by its content"):
        _attach(tx, report, name="agenda.pdf", data=b"MZ\x90\0\x03")
    with pytest.raises(InvalidInput, match="at most 10,485,760"):
        _attach(tx, report, name="big.txt", data=b"a" * (10 * 1024 * 1024 + 1))
    _release(tx, report)
    with pytest.raises(Conflict, match="only a draft can be changed; this report is released"):
        _attach(tx, report, name="late.txt", data=b"late")


def test_another_service_may_not_attach_or_detach(tx: Session) -> None:
    report = _draft(tx)
    file_id = _attach(tx, report)
    a, c = officer(tx, "ru-ana", "delegation:RU", ("reporting_analyst",))
    with pytest.raises(NotFound, match=f"unknown report {report}"):
        exchange.attach_file(tx, c, a, report_id=report, name="x.txt", data=b"x", now=NOW)
    with pytest.raises(NotFound, match=f"unknown report {report}"):
        exchange.detach_file(tx, c, a, report_id=report, attachment_id=file_id, now=NOW)
    k, ck = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    exchange.detach_file(tx, ck, k, report_id=report, attachment_id=file_id, now=NOW)
    with pytest.raises(NotFound, match=f"report {report} has no attachment {file_id}"):
        exchange.detach_file(tx, ck, k, report_id=report, attachment_id=file_id, now=NOW)


def test_a_file_is_read_by_the_reports_readers_only_and_each_read_is_audited(tx: Session
                                                                            ) -> None:
    report = _draft(tx)
    file_id = _attach(tx, report)
    _release(tx, report)
    a, c = officer(tx, "ru-reader", "delegation:RU", ("viewer",))
    got = exchange.get_attachment(tx, c, a, report, file_id, now=NOW).unwrap()
    assert got.data == PDF and got.file is not None and got.file.media_type == "application/pdf"
    audited = tx.execute(select(AuditRow).where(
        AuditRow.object_type == "report", AuditRow.object_id == str(report),
        AuditRow.principal == "delegation:RU")).scalars().all()
    assert [r.kind for r in audited] == ["read"]
    b, cb = officer(tx, "am-reader", "delegation:AM", ("viewer",))
    with pytest.raises(NotFound, match=f"unknown report {report}"):
        exchange.get_attachment(tx, cb, b, report, file_id, now=NOW).unwrap()
    assert tx.execute(select(AuditRow.kind).where(
        AuditRow.object_id == str(report), AuditRow.principal == "delegation:AM")
    ).scalars().all() == ["read_refused"]
    r, cr = officer(tx, "kz-rel", "delegation:KZ", ("releasing_officer",))
    exchange.change_release(tx, cr, r, report_id=report, scope="states", states=("KZ",),
                            now=NOW)
    with pytest.raises(Withdrawn, match=f"report {report} was withdrawn from delegation:RU"):
        exchange.get_attachment(tx, c, a, report, file_id, now=NOW).unwrap()


def test_subjects_name_list_entries_and_incidents_that_exist_and_the_writer_may_see(
        tx: Session) -> None:
    with pytest.raises(NotFound, match="unknown list entry no-such-group"):
        _draft(tx, about=[{"kind": "organization", "ref": "no-such-group"}])
    ru, cru = officer(tx, "ru.duty", "delegation:RU", ("duty_officer",))
    hidden = incidents.report_incident(
        tx, cru, ru, type="border_clash", severity=2, occurred_at=NOW, geometry=POINT,
        title="Seen by RU and BY", released_to=["delegation:BY"], now=NOW)
    assert hidden.visibility == "restricted"
    with pytest.raises(NotFound, match=f"unknown incident {hidden.id}"):
        _draft(tx, about=[{"kind": "incident", "ref": hidden.id}])
    shared = incidents.report_incident(
        tx, cru, ru, type="border_clash", severity=2, occurred_at=NOW, geometry=POINT,
        title="Seen by every member", now=NOW)
    assert _draft(tx, about=[{"kind": "incident", "ref": str(shared.id)}])
    with pytest.raises(NotFound, match="unknown incident 999999"):
        _draft(tx, about=[{"kind": "incident", "ref": 999999}])
    report = _draft(tx, about=[{"kind": "organization", "ref": "islamic-state"},
                               {"kind": "place", "name": "Astana", "geometry": POINT},
                               {"kind": "person", "name": "A. Recruiter"}])
    a, c = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    read = exchange.get_report(tx, c, a, report, now=NOW).unwrap()
    assert [exchange.subject(x) for x in read.subjects] == [
        {"kind": "organization", "ref": "islamic-state", "name": None},
        {"kind": "place", "ref": None, "name": "Astana", "geometry": POINT},
        {"kind": "person", "ref": None, "name": "A. Recruiter"}]
    exchange.edit_report(tx, c, a, report_id=report, about=[], now=NOW)
    assert exchange.get_report(tx, c, a, report, now=NOW).unwrap().subjects == ()


def test_a_reader_finds_reports_by_subject_among_those_it_may_read(tx: Session) -> None:
    about = [{"kind": "organization", "ref": "islamic-state"},
             {"kind": "person", "name": "Abu Recruiter"}]
    shared, kept = _draft(tx, about=about), _draft(tx, about=about)
    _release(tx, shared)
    a, c = officer(tx, "ru-reader", "delegation:RU", ("viewer",))
    for entity in ("islamic-state", "recruiter"):
        assert [r.id for r in exchange.list_reports(tx, c, entity=entity, now=NOW)] == [shared]
    k, ck = officer(tx, "kz-reader", "delegation:KZ", ("viewer",))
    assert [r.id for r in exchange.list_reports(tx, ck, entity="islamic-state", now=NOW)
            ] == [kept, shared]
    assert exchange.list_reports(tx, ck, entity="al-qaeda", now=NOW) == []


def test_a_reports_subjects_travel_in_its_stix_bundle_under_its_marking(tx: Session) -> None:
    ru, cru = officer(tx, "ru.duty", "delegation:RU", ("duty_officer",))
    incident = incidents.report_incident(
        tx, cru, ru, type="border_clash", severity=2, occurred_at=NOW, geometry=POINT,
        title="Shots at the post", now=NOW)
    report = _draft(tx, about=[{"kind": "organization", "ref": "islamic-state"},
                               {"kind": "person", "name": "A. Recruiter"},
                               {"kind": "place", "name": "Astana", "geometry": POINT},
                               {"kind": "incident", "ref": incident.id}])
    _release(tx, report)
    a, c = officer(tx, "ru-reader", "delegation:RU", ("viewer",))
    objects = export.report_bundle(tx, c, a, report, now=NOW)
    _valid(objects)
    by_id = {o["id"]: o for o in objects}
    [rep] = [o for o in objects if o["type"] == "report"]
    named = [by_id[ref] for ref in rep["object_refs"]]  # every reference is in the bundle
    assert [o["type"] for o in named] == ["identity", "threat-actor", "identity", "location",
                                          "incident"]
    actor, person, place, event = named[1:]
    assert actor["name"] == "Islamic State" and "ИГИЛ" in actor["aliases"]
    assert person["identity_class"] == "individual" and person["name"] == "A. Recruiter"
    assert (place["longitude"], place["latitude"]) == (71.45, 51.17)
    assert event["name"] == f"incident {incident.id}"  # its title is not the report's to tell
    marking = rep["object_marking_refs"]
    assert person["object_marking_refs"] == place["object_marking_refs"] == marking
    assert event["object_marking_refs"] == marking and "object_marking_refs" not in actor


def test_a_reader_below_members_gets_the_report_without_the_lists_entries(tx: Session
                                                                         ) -> None:
    import datetime as dt

    from collsec.registry import service as registry

    ed, ce = officer(tx, "sec-editor", "organ:SEC", ("editor",))
    registry.add_membership(tx, ce, ed, org="CSTO", state="AF", status="observer",
                            valid_from=dt.date(2000, 1, 1))
    a, c = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    report = exchange.write_report(tx, c, a, title="For observers", tlp="GREEN",
                                   scope="observers", now=NOW,
                                   about=[{"kind": "organization", "ref": "islamic-state"}]).id
    _release(tx, report)
    types = {}
    for state in ("AF", "RU"):
        r, cr = officer(tx, f"{state.lower()}-reader", f"delegation:{state}", ("viewer",))
        objects = export.report_bundle(tx, cr, r, report, now=NOW)
        types[state] = sorted(o["type"] for o in objects)
        [rep] = [o for o in objects if o["type"] == "report"]
        assert any(ref.startswith("threat-actor--") for ref in rep["object_refs"])
    assert "threat-actor" not in types["AF"]  # the list is members' reading
    assert types["RU"].count("threat-actor") == 1  # the one entry named, not the whole list
