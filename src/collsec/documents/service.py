"""Document use cases. Every read goes through the access-decision point and is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collsec.core import commands, journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command
from collsec.core.errors import CollsecError, InvalidInput, NotFound
from collsec.documents import model
from collsec.documents.tables import DocumentRow

OBJECT = "document"


@commands.query()
def list_documents(session: Session, c: Clearance, *, org: str | None = None,
                   kind: str | None = None, query: str | None = None,
                   until: dt.date | None = None, limit: int | None = None,
                   after: tuple[dt.date, int] | None = None) -> list[DocumentRow]:
    """Documents `c` may read, newest first (by date, then id); `until` hides those dated
    later; `limit` rows at most, from the one after `after` (a page's last date and id)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    stmt = select(DocumentRow).where(DocumentRow.org == org.upper())
    if kind:
        stmt = stmt.where(DocumentRow.kind == model.check_kind(kind))
    if until:
        stmt = stmt.where(DocumentRow.date <= until)
    if query:
        text = query.strip()
        stmt = stmt.where(or_(*(col.icontains(text, autoescape=True) for col in (
            DocumentRow.title_en, DocumentRow.title_ru, DocumentRow.summary_en,
            DocumentRow.summary_ru))))
    stmt = auth.narrow(stmt, DocumentRow, OBJECT, c)
    return list(session.execute(paging.newest_first(
        stmt, DocumentRow.date, DocumentRow.id, limit=limit, after=after,
        ids_descending=False)).scalars())


@dataclass(frozen=True)
class DocumentRead:
    """A read's result: the document, or the refusal to raise once the audit is committed."""

    row: DocumentRow | None
    released_to: list[str]
    refusal: CollsecError | None = None

    def unwrap(self) -> tuple[DocumentRow, list[str]]:
        if self.refusal is not None or self.row is None:
            raise self.refusal or NotFound("no document")
        return self.row, self.released_to


@commands.query(writes=True)  # a refusal's audit row commits before it is raised
def get_document(session: Session, c: Clearance, actor: auth.Actor, doc_id: int,
                 now: dt.datetime, org: str | None = None) -> DocumentRead:
    """One document and whom it is released to; every non-public read is audited, and so is
    every refused one (returned, not raised, so the audit row commits with the refusal)."""
    org = auth.org_of(c, org)
    row = session.get(DocumentRow, doc_id)
    if row is None or row.org != org.upper():
        raise NotFound("unknown document {id}", id=doc_id)
    mark, refusal = auth.read_marked(session, c, actor, OBJECT, row, now)
    if refusal is not None:
        return DocumentRead(None, [], refusal)
    return DocumentRead(row, sorted(mark.released_to))


@command("documents.create", action="publish")
def create_document(session: Session, c: Clearance, actor: auth.Actor, **terms: Any
                    ) -> DocumentRow:
    """Record a document; only roles that may publish can, and only with a valid marking
    (`record_document` names the terms)."""
    return record_document(session, actor, owner=c.principal,
                           **{**terms, "org": auth.org_of(c, terms.get("org"))})


def record_document(session: Session, actor: auth.Actor, *, owner: str | None, kind: str,
                    date: dt.date, title_en: str, title_ru: str, visibility: str,
                    released_to: list[str] | None = None, number: str = "",
                    body: str | None = None, summary_en: str = "", summary_ru: str = "",
                    org: str, sources: list[str] | None = None,
                    origin: str = "user") -> DocumentRow:
    """Record a document as a step of a command that authorizes it: `create_document`, or
    closing an agenda item, whose adopted text is published with it."""
    recipients = released_to or []
    model.check_marking(visibility, recipients)
    model.check_kind(kind)
    if not title_en.strip():
        raise InvalidInput("a document needs an English title")
    if body is not None:
        from collsec.registry import service as registry

        body = registry.body(session, org, body).code
    row = DocumentRow(org=org.upper(), kind=kind, number=number, date=date, body=body,
                      title_en=title_en.strip(), title_ru=title_ru.strip() or title_en.strip(),
                      summary_en=summary_en, summary_ru=summary_ru, visibility=visibility,
                      owner=owner, sources=" ".join(sources or []), origin=origin)
    session.add(row)
    session.flush()
    auth.release(session, OBJECT, row.id, recipients, row.org)
    journal.record(session, actor=actor, command="documents.create", payload={
        "id": row.id, "kind": kind, "date": date, "title": row.title_en,
        "visibility": visibility, "released_to": sorted(recipients)})
    return row


def as_dict(row: DocumentRow, released_to: list[str] | None = None) -> dict[str, Any]:
    return {"id": row.id, "organization": row.org, "kind": row.kind, "number": row.number,
            "date": row.date.isoformat(), "body": row.body,
            "title": {"en": row.title_en, "ru": row.title_ru},
            "summary": {"en": row.summary_en, "ru": row.summary_ru},
            "visibility": row.visibility, "owner": row.owner,
            "released_to": released_to, "sources": row.sources.split(),
            "confidence": row.confidence}
