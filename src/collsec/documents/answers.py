"""What the documents' API answers (`documents.api`), as the OpenAPI document declares it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from collsec.documents.model import KINDS, MARKINGS
from collsec.registry.model import CONFIDENCE
from collsec.web.shapes import Day, Page, Words, one_of


class Document(BaseModel):
    id: int
    organization: str
    kind: str = one_of(KINDS)
    number: str
    date: Day
    body: str | None  # the body that adopted it
    title: Words
    summary: Words
    visibility: str = one_of(MARKINGS)
    owner: str | None  # the originating principal
    released_to: list[str] | None = Field(
        description="the principals a restricted document is released to, in the answer "
                    "for that document; null in a list and for other markings")
    sources: list[str]
    confidence: str = one_of(CONFIDENCE)


class Documents(Page):
    documents: list[Document]
