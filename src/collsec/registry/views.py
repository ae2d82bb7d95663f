"""HTML pages of the registry: dashboard, state, body, timeline and source pages in EN and RU.

Every page reads through `service` in one read unit, shows the registry as of
a date (`?as_of=`, default today) and works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import clock, i18n, settings
from collsec.core.auth import service as auth
from collsec.core.commands import Reading, reading
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError, NotFound
from collsec.core.i18n import LANGUAGES
from collsec.registry import chairs, participation, relations, service
from collsec.web import names
from collsec.web.access import Guard, Requires
from collsec.web.params import page_cursor, page_link
from collsec.web.render import (
    Ctx,
    choose_language,
    current_path,
    remember_language,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)
PUBLIC = Depends(Requires("read", public=True))  # registry pages serve anonymous readers too

BODY_KINDS = ("statutory", "working", "auxiliary")

Build = Callable[[Reading, Ctx, str], dict[str, Any]]


def _org() -> str:
    return settings.load().organization.upper()


def _fact(row: Any) -> service.Fact:
    """The provenance of a row the service returns as a table row (bodies, forces)."""
    return service.Fact(sources=row.sources.split(), confidence=row.confidence,
                        note_en=row.note_en, note_ru=row.note_ru)


def _html_status(exc: CollsecError) -> int:
    # A malformed URL (bad date, bad year) is a bad request for a page; 422 is for API bodies.
    return 400 if exc.status == 422 else exc.status


def chrome(read: Reading, guard: Guard | None, lang: str) -> dict[str, Any]:
    """What the page header needs about the visitor: the guard, whether to nag for a new
    password (the header shows who is signed in, for whom, and a sign-out form), and the
    names of keys every page shows (`web.names`)."""
    must_change = False
    if guard is not None and guard.signed_in and guard.actor.username:
        with suppress(NotFound):
            must_change = read(auth.get_user, guard.actor.username).must_change_password
    return {"guard": guard, "must_change_password": must_change,
            "named": names.for_page(read, guard.org if guard is not None else _org(), lang)}


def bare_chrome(guard: Guard | None, lang: str) -> dict[str, Any]:
    """The header when nothing could be read: the visitor, keys shown as they are."""
    return {"guard": guard, "must_change_password": False, "named": names.Names(lang)}


def _page(request: Request, template: str, build: Build, guard: Guard) -> HTMLResponse:
    """Parse language and date, run `build` in one read unit, render or show the error."""
    lang, from_param = choose_language(request)
    ctx = Ctx(lang, from_param, guard.today, False, current_path(request))
    try:
        day = parse_date(request.query_params.get("as_of"), field="as_of")
        if day is not None:
            ctx = replace(ctx, as_of=day, pinned=True)
        with reading(guard.ctx) as read:
            organization = read(service.get_organization, guard.org)
            data = build(read, ctx, organization.code)
            known = {src.id for src in read(service.sources)}
            return render(ctx, template, organization=organization, known_sources=known,
                          **chrome(read, guard, ctx.lang), **data)
    except CollsecError as exc:
        return _error(ctx, exc, guard)


def _error(ctx: Ctx, exc: CollsecError, guard: Guard | None = None) -> HTMLResponse:
    """An HTML error page; the header still names the organization when it can be read."""
    organization = None
    header = bare_chrome(guard, ctx.lang)
    with suppress(CollsecError), reading(guard.ctx if guard is not None else None) as read:
        header = chrome(read, guard, ctx.lang)
        organization = read(service.get_organization, _org())
    status = _html_status(exc)
    title, detail = i18n.worded(exc, ctx.lang)
    return render(ctx, "error.html", status=status, response_status=status,
                  organization=organization, known_sources=set(), title=title,
                  detail=detail, **header)


def request_guard(request: Request) -> Guard | None:
    """The guard a route's `Requires` left on the request; when the declaration itself
    refused (401/403), the visitor as a public reader, so the header still says who it is."""
    guard = getattr(request.state, "guard", None)
    if isinstance(guard, Guard):
        return guard
    with suppress(CollsecError):
        return Requires("read", public=True)(request)
    return None


def error_page(request: Request, exc: CollsecError) -> HTMLResponse:
    """An HTML page for a domain error raised outside a page's own handler."""
    lang, from_param = choose_language(request)
    ctx = Ctx(lang, from_param, clock.today(), False, current_path(request))
    return _error(ctx, exc, request_guard(request))


def http_error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An HTML page for a path no route serves (or another plain HTTP error)."""
    lang, from_param = choose_language(request)
    ctx = Ctx(lang, from_param, clock.today(), False, current_path(request))
    exc = CollsecError("no page at {path}", path=request.url.path) if status == 404 \
        else CollsecError(detail)
    exc.status, exc.title = status, ("Page not found" if status == 404 else "Error")
    return _error(ctx, exc, request_guard(request))


# -- pages -----------------------------------------------------------------------

COURSE_SHOWN = 200  # a state page lists this many of a member's newest events


@router.get("/", response_class=HTMLResponse)
def home(request: Request, guard: Guard = PUBLIC) -> HTMLResponse:
    return _page(request, "registry/home.html", _home, guard)


def _home(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
    every = read(service.members, org, ctx.as_of, every_status=True)
    chair = read(chairs.chair_on, org, ctx.as_of)
    all_bodies = {b.code: b for b in read(service.bodies, org)}
    current = read(service.bodies, org, ctx.as_of)
    return {
        "members": [m for m in every if m.counted_as_member],
        "others": [m for m in every if not m.counted_as_member],
        "chair": chair,
        "chair_bases": chairs.BASES,
        "chair_rules": chairs.RULES,
        "offices": read(service.office_terms, org, ctx.as_of),
        "body_groups": [(k, [b for b in current if b.kind == k]) for k in BODY_KINDS],
        "bodies_total": len(current),
        "all_bodies": all_bodies,
        "forces": read(service.forces, org, ctx.as_of),
        "states": {st.code: st for st in read(service.list_states)},
        "fact_of": _fact,
    }


@router.get("/states/{code}", response_class=HTMLResponse)
def state(request: Request, code: str, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        st = read(service.get_state, code)
        history = read(service.state_history, st.code)
        current = [v for v in history
                   if v.valid_from <= ctx.as_of and (v.valid_to is None or ctx.as_of < v.valid_to)]
        return {"state": st, "current": current, "history": history,
                "orgs": {o.code: o for o in read(service.list_organizations)},
                "chairs": read(chairs.chairs_of_state, org, st.code, ctx.as_of),
                "chair_bases": chairs.BASES, "chair_org": org,
                "course": read(participation.course, org, st.code, ctx.as_of,
                               limit=COURSE_SHOWN),
                "event_kinds": participation.EVENT_KINDS}

    return _page(request, "registry/state.html", build, guard)


# Sections other packages add to a body's page, registered as they load: each gets the
# read unit, the page's context, the organization and the body's code, and gives the
# template to include with its values, or None when it has nothing to say of that body.
BodySection = Callable[[Reading, Ctx, str, str], "tuple[str, dict[str, Any]] | None"]
BODY_SECTIONS: list[BodySection] = []


def body_section(fn: BodySection) -> BodySection:
    BODY_SECTIONS.append(fn)
    return fn


BODY_SESSIONS_SHOWN = 50


@router.get("/bodies/{code}", response_class=HTMLResponse)
def body(request: Request, code: str, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        b = read(service.body, org, code)
        all_bodies = {x.code: x for x in read(service.bodies, org)}
        held, more = read(chairs.session_records, org, body=b.code, limit=BODY_SESSIONS_SHOWN)
        sections = [s for s in (fn(read, ctx, org, b.code) for fn in BODY_SECTIONS) if s]
        return {
            "sections": sections,
            "held": [r for r in held if r.date <= ctx.as_of or r.status == "planned"],
            "held_more": more is not None,
            "session_kinds": chairs.SESSION_KINDS, "session_formats": chairs.SESSION_FORMATS,
            "body": b,
            "fact": _fact(b),
            "parent": all_bodies.get(b.parent or ""),
            "children": [x for x in all_bodies.values() if x.parent == b.code],
            "offices": [t for t in read(service.office_terms, org, ctx.as_of)
                        if t.body == b.code],
            "not_yet": b.founded is not None and b.founded > ctx.as_of,
            "fact_of": _fact,
        }

    return _page(request, "registry/body.html", build, guard)


@router.get("/states", response_class=HTMLResponse)
def state_index(request: Request, guard: Guard = PUBLIC) -> HTMLResponse:
    """Every state the registry knows, with its status in the organization on the day."""
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        statuses = {v.state.code: v for v in read(service.members, org, ctx.as_of,
                                                  every_status=True)}
        return {"states": read(service.list_states), "statuses": statuses}

    return _page(request, "registry/states.html", build, guard)


@router.get("/bodies", response_class=HTMLResponse)
def body_index(request: Request, guard: Guard = PUBLIC) -> HTMLResponse:
    """The organization's bodies by kind, those existing on the day."""
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        current = read(service.bodies, org, ctx.as_of)
        return {"body_groups": [(k, [b for b in current if b.kind == k]) for k in BODY_KINDS],
                "later": [b for b in read(service.bodies, org) if b not in current]}

    return _page(request, "registry/bodies.html", build, guard)


RELATIONS_SHOWN = 100


@router.get("/relations", response_class=HTMLResponse)
def relation_list(request: Request, guard: Guard = PUBLIC, partner: str = "", kind: str = "",
                  cursor: str = "") -> HTMLResponse:
    """External relations up to the day, newest first, by partner and kind."""
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        rows, nxt = read(relations.relations, org, partner=partner.strip() or None,
                         kind=kind.strip() or None, as_of=ctx.as_of, limit=RELATIONS_SHOWN,
                         cursor=page_cursor(cursor))
        return {"rows": rows, "next_page": page_link(request, nxt),
                "partners": read(relations.partners, org), "kinds": relations.KINDS,
                "partner": partner.strip().upper(), "kind": kind.strip()}

    return _page(request, "registry/relations.html", build, guard)


@router.get("/timeline", response_class=HTMLResponse)
def timeline(request: Request, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        return {"entries": read(service.timeline, org)}

    return _page(request, "registry/timeline.html", build, guard)


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source(request: Request, source_id: str, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx, org: str) -> dict[str, Any]:
        return {"source": read(service.source, source_id)}

    return _page(request, "registry/source.html", build, guard)


@router.get("/lang/{code}", dependencies=[PUBLIC])
def set_language(code: str, next: str | None = None) -> Response:
    """Remember the language in a cookie and go back; plain links reach it without JS."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code.lower() in LANGUAGES:
        remember_language(response, code.lower())
    return response
