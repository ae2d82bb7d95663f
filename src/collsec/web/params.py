"""How the API declares a date or a time it takes as text, so the OpenAPI document says
what the route parses (`format: date`, `format: date-time`) and a client, or schemathesis,
sends one. The routes still parse the text themselves (`core.dates`, `core.times`), which
is where the bounds and the messages are; these only describe it. Also how a keyset-paged
list, in the API or on a page, takes its cursor and links the page after it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

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


# A page's cursor as typed in its address: longer text is not one a page gave, so it is
# cut before it is decoded (and then refused like any other forged cursor).
PAGE_CURSOR_MAX = 200


def page_cursor(text: str) -> str | None:
    """The cursor a page's address carries, bounded; None for the first page."""
    return text.strip()[:PAGE_CURSOR_MAX] or None


def page_link(request: Request, cursor: str | None, *, name: str = "cursor",
              path: str | None = None, anchor: str = "", drop: Iterable[str] = ()
              ) -> str | None:
    """A page's link to the page after it: `path` (default the request's) with the
    request's query (filters, language) and `name` set to the cursor, at `anchor` (the
    list's place on the page); a relative link, so it holds behind any proxy. None on the
    last page. `drop` names parameters that only meant something on this page (a notice
    of what was just done)."""
    if cursor is None:
        return None
    skip = {name, *drop}
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in skip]
    link = f"{path or request.url.path}?{urlencode([*query, (name, cursor)])}"
    return f"{link}#{anchor}" if anchor else link


def given_once(request: Request, *names: str) -> None:
    """Refuse a query that gives one of these one-valued parameters twice: the framework
    would take the last one silently, whatever the others say."""
    from collsec.core.errors import InvalidInput

    for name in names:
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidInput("{name} is given more than once; give it once", name=name)
