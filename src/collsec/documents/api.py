"""JSON API for documents: lists and pages narrowed by the caller's clearance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from collsec.core import paging
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.documents import answers, service
from collsec.documents.model import KINDS, MARKINGS
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import date_field, following
from collsec.web.shapes import one_of

router = APIRouter(prefix="/api/v1", tags=["documents"])
DOC_ID = Path(ge=1, le=2**31 - 1, description="document id")


@router.get("/documents", response_model=answers.Documents)
def documents(request: Request, guard: Guard = Depends(Requires("read", public=True)),
              kind: str | None = Query(None, description="a kind; empty: every kind",
                                       json_schema_extra={"enum": ["", *KINDS]}),
              q: str | None = Query(None, description="search text"),
              limit: int = Query(100, ge=1, le=1000, description="documents in this page"),
              cursor: str | None = Query(None, min_length=1, max_length=100,
                                         description="the `next_cursor` of the page before"),
              ) -> dict[str, Any]:
    """Documents the caller may read (anonymous callers see public ones), newest first, a
    page at a time: `next` is the link to the following page, null on the last."""
    after = paging.after_dated("documents", cursor) if cursor else None
    rows = service.list_documents.run(guard.ctx, kind=kind, query=q, limit=limit + 1,
                                      after=after)
    return {"documents": [service.as_dict(r) for r in rows[:limit]],
            **following(request, paging.page_of(rows, limit, "documents"))}


@router.get("/documents/{doc_id}", response_model=answers.Document)
def document(doc_id: int = DOC_ID, guard: Guard = Depends(Requires("read", public=True))
             ) -> dict[str, Any]:
    """One document; 401/403 with the rule's reason when the caller may not read it."""
    # reads and refusals of non-public documents are audited: a write unit
    result = service.get_document.run(guard.ctx, doc_id)
    row, released = result.unwrap()  # a refusal is raised only after its audit row committed
    return service.as_dict(row, released if row.visibility == "restricted" else None)


class DocumentIn(Body):
    kind: str = one_of(KINDS)
    date: str = date_field()
    title_en: str = Field(min_length=1, max_length=2000)
    title_ru: str = Field("", max_length=2000)
    visibility: str = one_of(MARKINGS, "members")
    released_to: list[str] = Field([], max_length=200)
    number: str = Field("", max_length=60)
    body: str | None = Field(None, max_length=20)
    summary_en: str = Field("", max_length=20000)
    summary_ru: str = Field("", max_length=20000)


@router.post("/documents", status_code=201, response_model=answers.Document)
def create_document(doc: DocumentIn, guard: Guard = Depends(Requires("publish"))
                    ) -> dict[str, Any]:
    """Record a document with its marking (roles `editor`, `admin`)."""
    day = parse_date(doc.date, field="date")
    if day is None:
        raise InvalidInput("date is required")
    return service.create_document.answer(
        lambda row: service.as_dict(row, sorted(doc.released_to)),
        guard.ctx, kind=doc.kind, date=day, title_en=doc.title_en, title_ru=doc.title_ru,
        visibility=doc.visibility, released_to=doc.released_to, number=doc.number,
        body=doc.body, summary_en=doc.summary_en, summary_ru=doc.summary_ru, org=guard.org)
