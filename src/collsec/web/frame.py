"""The frame the crisis pages share: the organization a page shows, its language and day,
the layout around it (organization, sources, the navigation), one read session per page
with its error page, times and places as pages show them, names of states and charter
labels (principals and bodies are `web.names`'), an id read from a path, and the status a
refusal answers with."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import suppress
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from collsec.core import settings
from collsec.core.commands import Reading, reading
from collsec.core.errors import CollsecError, NotFound, Phrase
from collsec.core.times import parse_time
from collsec.crisis import geo
from collsec.crisis.escalation import service as escalation
from collsec.decisions import sessions
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.registry.charter import read_yaml
from collsec.web.access import Guard
from collsec.web.render import Ctx, choose_language, current_path, render


def org_code() -> str:
    return settings.load().organization.upper()


def page_ctx(request: Request, guard: Guard) -> Ctx:
    lang, from_param = choose_language(request)
    return Ctx(lang, from_param, guard.today, False, current_path(request))


def page_layout(read: Reading, guard: Guard, lang: str) -> dict[str, Any]:
    organization = None
    with suppress(CollsecError):
        organization = read(registry.get_organization, guard.org)
    known = {src.id for src in read(registry.sources)}
    return {"organization": organization, "known_sources": known, "when": when,
            "fact_of": fact_of, **registry_views.chrome(read, guard, lang)}


def when(value: dt.datetime) -> str:
    """A stored time in UTC for a page (SQLite gives it back naive; PostgreSQL zoned)."""
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def fact_of(row: Any) -> registry.Fact:
    return registry.Fact(sources=row.sources.split(), confidence=row.confidence,
                         note_en=row.note_en, note_ru=row.note_ru)


def show(request: Request, guard: Guard, template: str, build: Any, *, status: int = 200,
          **extra: Any) -> HTMLResponse:
    """Run `build(read, ctx)` in one read unit (`read(query, ...)` runs a query in it) and
    render its page, or the error."""
    ctx = page_ctx(request, guard)
    try:
        with reading(guard.ctx) as read:
            data = build(read, ctx)
            return render(ctx, template, status=status, **page_layout(read, guard, ctx.lang),
                          **data, **extra)
    except CollsecError as exc:
        return registry_views.error_page(request, exc)


def parse_when(text: str | None, field: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """A date, a zoned time, or a browser's `datetime-local` value, which carries no zone
    and is taken as UTC (the forms say so)."""
    return parse_time(text, field, end_of_day=end_of_day, naive_is_utc=True)


def describe_area(text: str | None) -> dict[str, Any] | None:
    """What the crisis pages show of a stored GeoJSON area: its type, box, point, size."""
    if not text:
        return None
    place = geo.validate_geometry(json.loads(text))
    return {"type": place.type, "bbox": place.bbox, "point": place.point,
            "positions": len(place.positions)}


def agenda_item(read: Reading, item_id: int | None) -> dict[str, Any] | None:
    """An agenda item with its session, for a link to it (a mission's decision, the item a
    request was tabled as); None when there is none."""
    if item_id is None:
        return None
    with suppress(NotFound):
        item = read(sessions.get_item, item_id)
        return {"item": item, "session": read(sessions.get_session, item.session_id)}
    return None


def refusal_status(exc: CollsecError) -> int:
    """A refusal's status for a page: a bad form value (422 in the API) is a bad request."""
    return 400 if exc.status == 422 else exc.status


def path_id(text: str, what: str) -> int:
    """A numeric id from a URL; anything else is simply not found."""
    value = text.strip()
    if not value.isdigit() or len(value) > 9:
        raise NotFound("unknown {kind} {id}", kind=Phrase(what), id=value[:20])
    return int(value)


def labels(org: str, lang: str) -> dict[str, Any]:
    """Bases and kinds of need from the charter data, statuses from crisis.yaml."""
    spec = escalation.rules(org)
    statuses = {str(s["code"]): str(s["name"][lang])
                for s in read_yaml(org, "crisis.yaml").get("incident_statuses", [])}
    return {"bases": {code: b.name.get(lang) or b.name["en"] for code, b in spec.bases.items()},
            "needs": {code: names.get(lang) or names.get("en", code)
                      for code, names in spec.needs.items()},
            "incident_statuses": statuses,
            "article": spec.consultation_article.get(lang) or spec.consultation_article.get(
                "en", "")}


def page_names(read: Reading, ctx: Ctx) -> dict[str, Any]:
    """The labels and the states every escalation page names."""
    org = read.ctx.org if read.ctx else org_code()
    return {"labels": labels(org, ctx.lang),
            "states": {st.code: st for st in read(registry.list_states)}}
