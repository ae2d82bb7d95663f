"""The exchange's use cases: a report is written, checked and released by its own
service, and reaches only those its releasability names, on every path.

Every read goes through the decision point: lists are narrowed in SQL (`auth.narrow`) and
audit the restricted reports they return; one report's read, or its refusal, is audited
before the answer leaves. A report taken back from a principal that had read it is shown
to that principal as a withdrawal, never as the report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session, object_session

from collsec.core import commands, journal
from collsec.core.auth import model as access
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking, Principal
from collsec.core.auth.tables import AuditRow, ReleaseRow
from collsec.core.commands import command
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, Phrase
from collsec.crisis.incidents.tables import IncidentRow
from collsec.exchange import files, model, search, stix_store, subjects
from collsec.exchange.tables import (
    AttachmentRow,
    ListEntryRow,
    ReportEventRow,
    ReportRow,
    SubjectRow,
    WithdrawalRow,
)
from collsec.registry import service as registry

OBJECT = "report"
MAX_TITLE = 500
MAX_BODY = 200_000  # characters of Markdown
MAX_NOTE = 2000


def rules(org: str) -> model.Rules:
    """The organization's exchange rules (`exchange` in its charter data)."""
    return stix_store.rules(org)


# -- writing --------------------------------------------------------------------------------

def _text(value: str, field_name: str, most: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput("{field} is required", field=field_name)
    if len(text) > most:
        raise InvalidInput("{field} is at most {most} characters", field=field_name, most=most)
    return text


def _release_terms(session: Session, r: model.Rules, tlp: str, scope: str,
                   states: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    label, named = model.check_release(r, tlp, scope, states)
    for st in named:
        registry.get_state(session, st)  # a state that does not exist is a typo
    return label, named


def _event(session: Session, row: ReportRow, actor: auth.Actor, kind: str, now: dt.datetime,
           note: str = "", *, release: bool = False) -> None:
    session.add(ReportEventRow(report_id=row.id, at=now, by=actor.name, kind=kind, note=note,
                               scope=row.scope if release else "",
                               states=row.states if release else ""))


@command("exchange.write_report", action="draft_report")
def write_report(session: Session, c: Clearance, actor: auth.Actor, *, title: str,
                 body: str = "", tlp: str, scope: str, states: Iterable[str] = (),
                 classification: str | None = None, about: Iterable[Any] = (),
                 now: dt.datetime, org: str | None = None) -> ReportRow:
    """A new draft of the writer's own service: it reaches nobody else until released;
    `about`: its subjects (`subjects.check`)."""
    org = auth.org_of(c, org)
    auth.require_for(c, "draft_report", originator=c.principal)
    assert c.principal is not None  # require_for refused an anonymous writer
    r = rules(org)
    label, named = _release_terms(session, r, tlp, scope, states)
    row = ReportRow(org=org, title=_text(title, "title", MAX_TITLE, required=True),
                    body=_text(body, "body", MAX_BODY), tlp=label, scope=scope,
                    states=" ".join(named), classification=_classification(r, classification),
                    status="draft", owner=c.principal, visibility="restricted",
                    author=actor.name, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    named_subjects = _set_subjects(session, c, row, about)
    _event(session, row, actor, "written", now, release=True)
    journal.record(session, actor=actor, command="exchange.write_report", payload={
        "id": row.id, "title": row.title, "tlp": label, "scope": scope,
        "states": list(named), "classification": row.classification,
        "subjects": [x.as_dict() for x in named_subjects]})
    return row


def _set_subjects(session: Session, c: Clearance, row: ReportRow, about: Iterable[Any]
                  ) -> tuple[subjects.Subject, ...]:
    """Replace the report's subjects with `about`, each checked: a list entry of the
    organization, an incident the writer may read."""
    checked = subjects.check(about)
    for x in checked:
        if x.kind == "organization" and session.execute(select(ListEntryRow.id).where(
                ListEntryRow.org == row.org, ListEntryRow.code == x.ref)).first() is None:
            raise NotFound("unknown list entry {code}", code=x.ref)
        if x.kind == "incident":
            incident = session.get(IncidentRow, int(x.ref))
            if incident is None or incident.org != row.org or not access.may_read(
                    c, auth.marking(session, "incident", incident)).allowed:
                raise NotFound("unknown incident {id}", id=int(x.ref))
    session.execute(delete(SubjectRow).where(SubjectRow.report_id == row.id))
    session.add_all(SubjectRow(report_id=row.id, position=n, kind=x.kind, ref=x.ref,
                               name=x.name, geometry="" if x.geometry is None
                               else json.dumps(x.geometry, separators=(",", ":")))
                    for n, x in enumerate(checked))
    return checked


def _classification(r: model.Rules, value: str | None) -> str:
    if value is None or not value.strip():
        return r.default_classification
    if value not in r.classifications:
        raise InvalidInput("unknown classification '{value}'; one of: {known}", value=value,
                           known=", ".join(r.classifications))
    return value


def _own(session: Session, c: Clearance, report_id: int, action: str) -> ReportRow:
    """A report of the caller's organization for `action` by its own service; a report of
    another service is unknown to the caller, as it is everywhere else."""
    row = session.get(ReportRow, report_id)
    if row is None or row.org != auth.org_of(c) or not _readable(session, c, row):
        raise NotFound("unknown report {id}", id=report_id)
    auth.require_for(c, action, originator=row.owner)
    return row


def _readable(session: Session, c: Clearance, row: ReportRow) -> bool:
    return access.may_read(c, auth.marking(session, OBJECT, row)).allowed


@command("exchange.edit_report", action="draft_report")
def edit_report(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                title: str | None = None, body: str | None = None, tlp: str | None = None,
                scope: str | None = None, states: Iterable[str] | None = None,
                classification: str | None = None, about: Iterable[Any] | None = None,
                now: dt.datetime) -> ReportRow:
    """Change a draft (a submitted report goes back to its author first); `about`, when
    given, replaces its subjects."""
    row = _own(session, c, report_id, "draft_report")
    if row.status != "draft":
        raise _not_a_draft(row.status)
    r = rules(row.org)
    if title is not None:
        row.title = _text(title, "title", MAX_TITLE, required=True)
    if body is not None:
        row.body = _text(body, "body", MAX_BODY)
    if classification is not None:
        row.classification = _classification(r, classification)
    if tlp is not None or scope is not None or states is not None:
        label, named = _release_terms(session, r, tlp or row.tlp, scope or row.scope,
                                      row.states.split() if states is None else states)
        row.tlp, row.scope, row.states = label, scope or row.scope, " ".join(named)
    extra: dict[str, Any] = {}
    if about is not None:
        extra["subjects"] = [x.as_dict() for x in _set_subjects(session, c, row, about)]
    row.updated_at = now
    _event(session, row, actor, "edited", now, release=True)
    journal.record(session, actor=actor, command="exchange.edit_report", payload={
        "id": row.id, "title": row.title, "tlp": row.tlp, "scope": row.scope,
        "states": row.states.split(), "classification": row.classification, **extra})
    return row


# -- attachments ------------------------------------------------------------------------------

def _held(session: Session, report_id: int) -> list[AttachmentRow]:
    return list(session.execute(select(AttachmentRow).where(
        AttachmentRow.report_id == report_id).order_by(AttachmentRow.id)).scalars())


@command("exchange.attach_file", action="draft_report")
def attach_file(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                name: str, data: bytes, now: dt.datetime) -> AttachmentRow:
    """A file for a draft, its type sniffed from its bytes and kept with their SHA-256; the
    same file twice on one report is refused."""
    row = _own(session, c, report_id, "draft_report")
    if row.status != "draft":
        raise _not_a_draft(row.status)
    held = _held(session, row.id)
    checked = files.check(rules(row.org).attachments, name, data, len(held))
    for h in held:
        if h.sha256 == checked.sha256:
            raise Conflict("report {id} already carries this file, as {name}", id=row.id,
                           name=h.name)
    file = AttachmentRow(report_id=row.id, name=checked.name, media_type=checked.media_type,
                         size=checked.size, sha256=checked.sha256, content=data,
                         added_at=now, added_by=actor.name)
    session.add(file)
    session.flush()
    row.updated_at = now
    _event(session, row, actor, "attached", now, checked.name)
    journal.record(session, actor=actor, command="exchange.attach_file", payload={
        "report": row.id, "attachment": file.id, "name": checked.name,
        "media_type": checked.media_type, "size": checked.size, "sha256": checked.sha256})
    return file


@command("exchange.detach_file", action="draft_report")
def detach_file(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                attachment_id: int, now: dt.datetime) -> ReportRow:
    """Take a file off a draft."""
    row = _own(session, c, report_id, "draft_report")
    if row.status != "draft":
        raise _not_a_draft(row.status)
    file = session.get(AttachmentRow, attachment_id)
    if file is None or file.report_id != row.id:
        raise NotFound("report {id} has no attachment {n}", id=row.id, n=attachment_id)
    session.delete(file)
    row.updated_at = now
    _event(session, row, actor, "detached", now, file.name)
    journal.record(session, actor=actor, command="exchange.detach_file", payload={
        "report": row.id, "attachment": attachment_id, "name": file.name,
        "sha256": file.sha256})
    return row


def _not_a_draft(status: str) -> CollsecError:
    return Conflict("only a draft can be changed; this report is {status}",
                    status=Phrase(status))


def _move(session: Session, c: Clearance, actor: auth.Actor, report_id: int, move: str,
          action: str, note: str, now: dt.datetime) -> ReportRow:
    row = _own(session, c, report_id, action)
    row.status = model.step(row.status, move, author=row.author, user=actor.username)
    row.updated_at = now
    past = {"submit": "submitted", "return": "returned", "verify": "verified",
            "release": "released"}[move]
    if move == "release":
        row.released_at = now
        _apply(session, row, rules(row.org))
        stix_store.materialize(session, row, actor, now)
    _event(session, row, actor, past, now, _text(note, "note", MAX_NOTE), release=move == "release")
    if move == "release":
        commands.announce(session, model.LIVE_TOPIC, row.id, "released")
    journal.record(session, actor=actor, command=f"exchange.{move}_report", payload={
        "id": row.id, "status": row.status, **({"note": note.strip()} if note.strip() else {})})
    return row


@command("exchange.submit_report", action="draft_report")
def submit_report(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                  note: str = "", now: dt.datetime) -> ReportRow:
    """The author hands the draft to a verifier of the same service."""
    return _move(session, c, actor, report_id, "submit", "draft_report", note, now)


@command("exchange.return_report", action="verify_report")
def return_report(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                  note: str = "", now: dt.datetime) -> ReportRow:
    """A verifier sends a submitted report back to its author, saying why."""
    if not note.strip():
        raise InvalidInput("say why the report goes back to its author (note)")
    return _move(session, c, actor, report_id, "return", "verify_report", note, now)


@command("exchange.verify_report", action="verify_report")
def verify_report(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                  note: str = "", now: dt.datetime) -> ReportRow:
    """Another officer of the service checks the report (never its author)."""
    return _move(session, c, actor, report_id, "verify", "verify_report", note, now)


@command("exchange.release_report", action="release_report")
def release_report(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                   note: str = "", now: dt.datetime) -> ReportRow:
    """The releasing officer lets a verified report go to those its releasability names."""
    return _move(session, c, actor, report_id, "release", "release_report", note, now)


def _marking(r: model.Rules, row: ReportRow) -> Marking:
    return model.marking_of(r, row.scope, row.states.split(), row.owner,
                            row.status == "released")


def _apply(session: Session, row: ReportRow, r: model.Rules) -> None:
    """Give the report the marking of its status and releasability."""
    mark = _marking(r, row)
    row.visibility = mark.level
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == OBJECT,
                                             ReleaseRow.object_id == row.id))
    session.flush()
    if mark.released_to:
        auth.release(session, OBJECT, row.id, sorted(mark.released_to), row.org)


@command("exchange.change_release", action="release_report")
def change_release(session: Session, c: Clearance, actor: auth.Actor, *, report_id: int,
                   scope: str, states: Iterable[str] = (), note: str = "", now: dt.datetime
                   ) -> tuple[ReportRow, list[str]]:
    """Widen a released report's releasability, or narrow it: a narrowing is a withdrawal,
    and each principal that had read the report and reads it no more is told so. The
    report and the principals it was withdrawn from."""
    row = _own(session, c, report_id, "release_report")
    if row.status != "released":
        raise InvalidInput("a report not yet released changes its releasability as a draft")
    r = rules(row.org)
    _, named = _release_terms(session, r, row.tlp, scope, states)
    before = _marking(r, row)
    row.scope, row.states, row.updated_at = scope, " ".join(named), now
    after = _marking(r, row)
    if before == after:
        raise InvalidInput("the report is already released so")
    _apply(session, row, r)
    stix_store.materialize(session, row, actor, now)
    narrowed = model.narrows(before, after)
    lost = _withdrawn_from(session, row, after, now) if narrowed else []
    for principal in lost:
        session.add(WithdrawalRow(report_id=row.id, principal=principal, at=now,
                                  by=actor.name, note=_text(note, "note", MAX_NOTE)))
    _event(session, row, actor, "narrowed" if narrowed else "widened", now,
           _text(note, "note", MAX_NOTE), release=True)
    commands.announce(session, model.LIVE_TOPIC, row.id, "narrowed" if narrowed else "widened")
    journal.record(session, actor=actor, command="exchange.change_release", payload={
        "id": row.id, "change": "withdrawal" if narrowed else "widening", "scope": scope,
        "states": list(named), "withdrawn_from": lost})
    return row, lost


def _withdrawn_from(session: Session, row: ReportRow, after: Marking, now: dt.datetime
                    ) -> list[str]:
    """The principals that read the report (the audit says so) and may not read it now."""
    readers = set(session.execute(select(AuditRow.principal).where(
        AuditRow.kind == "read", AuditRow.object_type == OBJECT,
        AuditRow.object_id == str(row.id), AuditRow.principal.is_not(None))).scalars())
    readers.discard(row.owner)
    lost = []
    for key in sorted(p for p in readers if p is not None):
        reader = auth.Actor(None, None, Principal.parse(key), frozenset(), "exchange")
        cleared = auth.clearance(session, reader, now.date(), row.org)
        if not access.may_read(cleared, after).allowed:
            lost.append(key)
    return lost


# -- reading ---------------------------------------------------------------------------------

@commands.query()
def list_reports(session: Session, c: Clearance, *, org: str | None = None,
                 query: str | None = None, tlp: str | None = None, scope: str | None = None,
                 originator: str | None = None, status: str | None = None,
                 entity: str | None = None, limit: int = 100, before: int | None = None,
                 now: dt.datetime) -> list[ReportRow]:
    """The reports `c` may read, newest first, `limit` at most, with ids below `before`;
    `query`: words of the title or the body (`search`); `entity`: about a subject of that
    code, number or name. The restricted ones it returns are audited."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    stmt = reports_query(session, org, query=query, tlp=tlp, scope=scope,
                         originator=originator, status=status, entity=entity, limit=limit,
                         before=before, narrowed_for=c)
    rows = list(session.execute(stmt).scalars())
    auth.audit_returned(session, c, OBJECT, rows, at=now)
    return rows


def reports_query(session: Session, org: str, *, query: str | None = None,
                  tlp: str | None = None, scope: str | None = None,
                  originator: str | None = None, status: str | None = None,
                  entity: str | None = None, limit: int = 100, before: int | None = None,
                  narrowed_for: Clearance | None) -> Select[Any]:
    """The statement of a list of reports, newest first; narrowed to what `narrowed_for`
    may read (None: unrestricted, for the search benchmark's baseline alone)."""
    stmt = select(ReportRow).where(ReportRow.org == org)
    newest: Any = ReportRow.id
    if query and query.strip():
        stmt, newest = search.matching(stmt, session.get_bind().dialect.name, query)
    if tlp:
        stmt = stmt.where(ReportRow.tlp == rules(org).label(tlp).code)
    if scope:
        stmt = stmt.where(ReportRow.scope == rules(org).scope(scope).code)
    if originator:
        stmt = stmt.where(ReportRow.owner == originator)
    if status:
        if status not in model.STATUSES:
            raise InvalidInput("unknown status '{status}'; one of: {known}", status=status,
                               known=", ".join(model.STATUSES))
        stmt = stmt.where(ReportRow.status == status)
    if entity and entity.strip():
        key = entity.strip()
        stmt = stmt.where(ReportRow.id.in_(select(SubjectRow.report_id).where(or_(
            SubjectRow.ref == key, SubjectRow.name.icontains(key, autoescape=True)))))
    if before is not None:
        stmt = stmt.where(ReportRow.id < before)
    if narrowed_for is not None:
        stmt = auth.narrow(stmt, ReportRow, OBJECT, narrowed_for, page=True)
    return stmt.order_by(newest.desc()).limit(limit)


class Withdrawn(CollsecError):
    status = 410
    title = "Withdrawn"
    type_slug = "withdrawn"


@dataclass(frozen=True)
class ReportRead:
    """One read: the report with its history and releases, or the withdrawal the reader is
    shown, or the refusal to raise once its audit row is committed."""

    row: ReportRow | None
    released_to: tuple[str, ...] = ()
    history: tuple[ReportEventRow, ...] = ()
    withdrawal: WithdrawalRow | None = None
    refusal: CollsecError | None = None
    readers: tuple[AuditRow, ...] = field(default=())  # for the originator: who read it
    owner_view: bool = False  # read by its originator (who is shown who read it)
    subjects: tuple[SubjectRow, ...] = ()
    attachments: tuple[AttachmentRow, ...] = ()

    def unwrap(self) -> ReportRead:
        """The read, or its refusal raised: 404 as for a report that does not exist, 410
        for one withdrawn from the reader."""
        if self.refusal is not None:
            raise self.refusal
        if self.withdrawal is not None:
            w = self.withdrawal
            raise Withdrawn("report {id} was withdrawn from {principal} on {day} by {by}; "
                            "{note}", id=w.report_id, principal=w.principal,
                            day=w.at.date().isoformat(), by=w.by,
                            note=w.note or Phrase("no reason given"))
        return self


@commands.query(writes=True)  # a refusal's audit row commits before it is raised
def get_report(session: Session, c: Clearance, actor: auth.Actor, report_id: int,
               now: dt.datetime) -> ReportRead:
    """One report, audited; to a principal it was withdrawn from, the withdrawal; to its
    originator, also who has read it."""
    row = session.get(ReportRow, report_id)
    if row is None or row.org != auth.org_of(c):
        raise NotFound("unknown report {id}", id=report_id)
    mark, refusal = auth.read_marked(session, c, actor, OBJECT, row, now)
    if refusal is not None:
        return _refused(session, c, row, refusal)
    history = _history(session, row.id)
    readers: tuple[AuditRow, ...] = ()
    if c.principal == row.owner:
        readers = tuple(session.execute(select(AuditRow).where(
            AuditRow.kind == "read", AuditRow.object_type == OBJECT,
            AuditRow.object_id == str(row.id)).order_by(AuditRow.id.desc()).limit(200)
        ).scalars())
    return ReportRead(row, tuple(sorted(mark.released_to)), history, readers=readers,
                      owner_view=c.principal == row.owner, **_parts(session, row.id))


def _refused(session: Session, c: Clearance, row: ReportRow, refusal: CollsecError
             ) -> ReportRead:
    """A refused read: the withdrawal, to a principal the report was taken from."""
    taken = None if c.principal is None else session.execute(
        select(WithdrawalRow).where(WithdrawalRow.report_id == row.id,
                                    WithdrawalRow.principal == c.principal)
        .order_by(WithdrawalRow.id.desc()).limit(1)).scalar_one_or_none()
    if taken is not None:
        return ReportRead(None, withdrawal=taken)
    return ReportRead(None, refusal=refusal)


def _history(session: Session, report_id: int) -> tuple[ReportEventRow, ...]:
    return tuple(session.execute(select(ReportEventRow).where(
        ReportEventRow.report_id == report_id).order_by(ReportEventRow.id)).scalars())


def _parts(session: Session, report_id: int) -> dict[str, Any]:
    return {"subjects": tuple(session.execute(select(SubjectRow).where(
                SubjectRow.report_id == report_id).order_by(SubjectRow.position)).scalars()),
            "attachments": tuple(_held(session, report_id))}


@dataclass(frozen=True)
class FileRead:
    """One attachment's read: its row and bytes, or what the reader is shown instead."""

    file: AttachmentRow | None
    data: bytes = b""
    report: ReportRead | None = None  # the withdrawal or the refusal

    def unwrap(self) -> FileRead:
        if self.report is not None:
            self.report.unwrap()
        return self


@commands.query(writes=True)  # as get_report: a refusal's audit row commits first
def get_attachment(session: Session, c: Clearance, actor: auth.Actor, report_id: int,
                   attachment_id: int, now: dt.datetime) -> FileRead:
    """A file of a report the reader may read, audited as a read of the report (its
    originator sees it among the report's readers)."""
    row = session.get(ReportRow, report_id)
    if row is None or row.org != auth.org_of(c):
        raise NotFound("unknown report {id}", id=report_id)
    _, refusal = auth.read_marked(session, c, actor, OBJECT, row, now)
    if refusal is not None:
        return FileRead(None, report=_refused(session, c, row, refusal))
    file = session.get(AttachmentRow, attachment_id)
    if file is None or file.report_id != row.id:
        raise NotFound("report {id} has no attachment {n}", id=row.id, n=attachment_id)
    return FileRead(file, file.content)


@commands.query()
def withdrawn_from(session: Session, c: Clearance, *, limit: int = 50) -> list[WithdrawalRow]:
    """The reports taken back from the caller's principal, newest first."""
    if c.principal is None:
        return []
    return list(session.execute(select(WithdrawalRow).where(
        WithdrawalRow.principal == c.principal).order_by(WithdrawalRow.id.desc())
        .limit(limit)).scalars())


def own_view(row: ReportRow) -> ReportRead:
    """A report as its own service sees it right after a command changed it (no read to
    audit: its originator acts on it)."""
    session = object_session(row)
    assert session is not None
    session.flush()
    released = tuple(sorted(auth.marking(session, OBJECT, row).released_to))
    return ReportRead(row, released, _history(session, row.id), owner_view=True,
                      **_parts(session, row.id))


# -- answers ---------------------------------------------------------------------------------

def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def summary(row: ReportRow) -> dict[str, Any]:
    return {"id": row.id, "organization": row.org, "title": row.title, "tlp": row.tlp,
            "releasability": {"scope": row.scope, "states": row.states.split()},
            "classification": row.classification, "status": row.status,
            "originator": row.owner, "visibility": row.visibility,
            "created_at": _iso(row.created_at), "released_at": _iso(row.released_at)}


def detail(read: ReportRead) -> dict[str, Any]:
    row = read.row
    assert row is not None
    steps = [{"at": _iso(e.at), "by": e.by, "kind": e.kind, "note": e.note,
              "releasability": {"scope": e.scope, "states": e.states.split()}
              if e.scope else None} for e in read.history]
    reads = [{"at": _iso(a.at), "principal": a.principal, "username": a.username,
              "via": a.via} for a in read.readers] if read.owner_view else None
    return {**summary(row), "body": row.body, "author": row.author,
            "released_to": list(read.released_to), "history": steps, "reads": reads,
            "subjects": [subject(x) for x in read.subjects],
            "attachments": [attachment(f) for f in read.attachments]}


def subject(x: SubjectRow) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": x.kind, "ref": x.ref or None, "name": x.name or None}
    if x.geometry:
        out["geometry"] = json.loads(x.geometry)
    return out


def attachment(f: AttachmentRow) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "media_type": f.media_type, "size": f.size,
            "sha256": f.sha256, "added_at": _iso(f.added_at), "added_by": f.added_by}


def withdrawal(w: WithdrawalRow) -> dict[str, Any]:
    return {"report": w.report_id, "at": _iso(w.at), "by": w.by, "note": w.note}
