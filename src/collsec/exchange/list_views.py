"""HTML pages of the unified list: its entries on a day with a search by any name, and one
entry with each member state's designations and its timeline. Members' material: the
service refuses other readers and audits every read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from collsec.core.commands import Reading
from collsec.core.dates import parse_date
from collsec.exchange import listing
from collsec.registry import service as registry
from collsec.web.access import Guard, Requires
from collsec.web.frame import show as _show
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
SIGNED_IN = Depends(Requires("read"))


@router.get("/unified-list", response_class=HTMLResponse)
def list_page(request: Request, guard: Guard = SIGNED_IN, q: str = "", on: str = ""
              ) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = parse_date(on.strip()[:10] or None, field="on") or guard.today
        text = q.strip()[:200]
        views = read(listing.find_entries, text, on=day) if text else read(
            listing.list_entries, on=day)
        raw = listing.rule(guard.org)
        return {"entries": views, "q": text, "on": day, "rule": raw,
                "list_name": _list_name(guard.org, ctx.lang)}
    return _show(request, guard, "exchange/unified_list.html", build)


@router.get("/unified-list/{code}", response_class=HTMLResponse)
def entry_page(request: Request, code: str, guard: Guard = SIGNED_IN, on: str = ""
               ) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        day = parse_date(on.strip()[:10] or None, field="on") or guard.today
        view = read(listing.get_entry, code[:80], on=day)
        by_state: dict[str, list[Any]] = {}
        for s in view.steps:
            if s.state is not None:
                by_state.setdefault(s.state, []).append(s)
        return {"entry": view, "on": day, "by_state": by_state,
                "own": [s for s in view.steps if s.state is None],
                "list_name": _list_name(guard.org, ctx.lang)}
    return _show(request, guard, "exchange/entry.html", build)


def _list_name(org: str, lang: str) -> str:
    name = registry.charter_for(org).raw["exchange"]["unified_list"].get("name", {})
    return str(name.get(lang) or name.get("en") or "")
