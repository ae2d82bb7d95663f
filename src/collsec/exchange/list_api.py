"""JSON API of the unified list: its entries on a day, one entry with its designations,
and a search by any name (members' material, every read audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from collsec.core.dates import parse_date
from collsec.exchange import answers, export, listing, unified
from collsec.exchange.api import STIX_ANSWER, stix_response
from collsec.web.access import Guard, Requires
from collsec.web.params import date_query

router = APIRouter(prefix="/api/v1", tags=["exchange"])
READ = Depends(Requires("read"))
ON = date_query("the day the standing is for (default: today)")


def _day(text: str | None, guard: Guard) -> dt.date:
    return parse_date(text, field="on") or guard.today


@router.get("/unified-list", response_model=answers.Entries)
def entries(guard: Guard = READ, on: str | None = ON,
            status: str | None = Query(None, description="only entries with this standing",
                                       json_schema_extra={"enum": ["", *unified.STATUSES]})
            ) -> dict[str, Any]:
    """Every entry of the unified list with its standing on `on`."""
    day = _day(on, guard)
    views = listing.list_entries.run(guard.ctx, on=day, status=status or None)
    return {"rule": listing.rule(guard.org).rule,
            "entries": [listing.as_dict(v, day) for v in views]}


@router.get("/unified-list/search", response_model=answers.Entries)
def search(guard: Guard = READ, q: str = Query(min_length=2, max_length=200,
                                              description="a name, alias or spelling"),
           on: str | None = ON) -> dict[str, Any]:
    """The entries one of whose names matches `q` (Latin or Cyrillic, another
    transliteration, a typo), best first."""
    day = _day(on, guard)
    views = listing.find_entries.run(guard.ctx, q, on=day)
    return {"rule": listing.rule(guard.org).rule,
            "entries": [listing.as_dict(v, day) for v in views]}


@router.get("/unified-list/stix", response_class=StreamingResponse, responses=STIX_ANSWER)
def list_stix(guard: Guard = READ, on: str | None = ON) -> StreamingResponse:
    """The unified list as a STIX 2.1 bundle: each entry a threat actor of the terrorist
    kind with its aliases, and its designations and standing on `on` in collsec's
    extension."""
    objects = export.list_bundle.run(guard.ctx, on=_day(on, guard))
    return stix_response(objects)


@router.get("/unified-list/{code}", response_model=answers.EntryDetail)
def entry(code: str = Path(max_length=80, pattern=r"^[a-z0-9-]+$"), guard: Guard = READ,
          on: str | None = ON) -> dict[str, Any]:
    """One entry with every designation and step, and its standing on `on`."""
    day = _day(on, guard)
    return listing.as_dict(listing.get_entry.run(guard.ctx, code, on=day), day, steps=True)
