"""How the API declares a date or a time it takes as text, so the OpenAPI document says
what the route parses (`format: date`, `format: date-time`) and a client, or schemathesis,
sends one. The routes still parse the text themselves (`core.dates`, `core.times`), which
is where the bounds and the messages are; these only describe it."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from pydantic import Field

_DATE = {"format": "date"}
# A time may also be given as a date alone (its day's start, or end for `until`); the
# document names the fuller form.
_TIME = {"format": "date-time"}


def date_query(description: str = "ISO date (YYYY-MM-DD)", **more: Any) -> Any:
    return Query(None, min_length=1, max_length=10, description=description,
                 json_schema_extra=_DATE, **more)


def time_query(description: str = "ISO date or time") -> Any:
    return Query(None, min_length=1, max_length=40, description=description,
                 json_schema_extra=_TIME)


def date_field(default: Any = ..., description: str = "ISO date (YYYY-MM-DD)") -> Any:
    return Field(default, min_length=1, max_length=10, description=description,
                 json_schema_extra=_DATE)


def time_field(default: Any = ..., description: str = "ISO time with its zone") -> Any:
    return Field(default, min_length=1, max_length=40, description=description,
                 json_schema_extra=_TIME)


# A page of a keyset-paged list: how many rows, and where the page before ended.
PAGE_LIMIT = Query(100, ge=1, le=1000, description="rows in this page")
PAGE_CURSOR = Query(None, min_length=1, max_length=100,
                    description="the `next_cursor` of the page before")


def following(request: Request, cursor: str | None) -> dict[str, str | None]:
    """What a paged answer adds: the next page's cursor and the link to it (both None on
    the last page)."""
    return {"next_cursor": cursor,
            "next": str(request.url.include_query_params(cursor=cursor)) if cursor else None}
