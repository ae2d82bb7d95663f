"""Shapes the API's OpenAPI document declares the same way wherever they occur: a text in
both languages, a date or a time as the API writes it, a text that is one of a domain
constant's values, what a page of a list adds (`params.following`), and the whole
numbers a body takes.

The packages' answer models (`registry.answers`, ...) are made of these; FastAPI checks
every answer against its model on the way out (`response_model=`), so a route that starts
to answer something else fails its tests instead of drifting from its document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictInt

# As the routes write them (`isoformat()`): a day, and a time with its zone.
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def one_of(values: Iterable[str | None], default: Any = ...) -> Any:
    """A text field holding one of a domain constant's values (None: it may be null),
    declared as the document's enum; the constant stays the one list of them, and the
    code that checks a request's value against it stays the one check (its refusal names
    the field and the values, in the reader's language)."""
    return Field(default, json_schema_extra={"enum": list(values)})


def each_one_of(values: Iterable[str]) -> Any:
    """A list of texts, each one of a domain constant's values."""
    return Field(json_schema_extra={"items": {"type": "string", "enum": list(values)}})


class Words(BaseModel):
    """A text in English and in Russian."""

    en: str
    ru: str


class Page(BaseModel):
    """What a page of a keyset-paged list adds: both null on the last page."""

    next_cursor: str | None = Field(description="pass it as `cursor` for the following page")
    next: str | None = Field(description="the link to the following page")


def as_whole(value: object) -> object:
    """12.0 as 12 (a validator of whole numbers in a body: see below), anything else as
    it is, for the strict check to take or refuse."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Whole numbers a body takes: counts from 0, ids and positive counts from 1, both below
# 2**31 (the integer columns). JSON has one kind of number and JSON Schema counts 12.0 an
# integer as much as 12, so both are taken; a text ("12"), a truth value or 12.5 is not.
# (The bounds come before the validator so that the document shows them in a list or
# beside null as well.)
MAX_WHOLE = 2**31 - 1
Count = Annotated[StrictInt, Field(ge=0, le=MAX_WHOLE), BeforeValidator(as_whole)]
Positive = Annotated[StrictInt, Field(ge=1, le=MAX_WHOLE), BeforeValidator(as_whole)]
