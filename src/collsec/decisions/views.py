"""HTML pages of the charter engine: the sessions of the bodies and a session's agenda.

Access declarations. Every route declares `Depends(Requires(...))`:

- `/sessions` and `/sessions/{id}` are public (`Requires("read", public=True)`):
  sessions, their agendas and outcomes are public acts of the bodies;
- `POST /items/{id}/position` declares `Requires("record_position")` (role
  `representative`); the service also checks that the position is the actor's own
  delegation's and that the state holds a seat on the matter;
- `POST /items/{id}/close` declares `Requires("manage_sessions")` (editor, admin).

Both forms carry the session's CSRF token and answer with a redirect back to the
session page (303), so a reload never posts twice. The outcome block of each item
is refreshed every two seconds by `static/session.js` from
`GET /api/v1/sessions/{id}`; without JavaScript a reload shows the same.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n, paging
from collsec.core.commands import Reading, reading
from collsec.core.errors import CollsecError, InvalidInput, NotFound
from collsec.decisions import model, seating, service, sessions, wording
from collsec.decisions.outcomes import POSITION_ORDER, item_outcome
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx, choose_language, current_path, render

router = APIRouter(include_in_schema=False)

PUBLIC = Depends(Requires("read", public=True))
RECORD = Depends(Requires("record_position"))
MANAGE = Depends(Requires("manage_sessions"))


def _ctx(request: Request, guard: Guard) -> Ctx:
    lang, from_param = choose_language(request)
    return Ctx(lang, from_param, guard.today, False, current_path(request))


def _page_data(read: Reading, guard: Guard, lang: str) -> dict[str, Any]:
    """What the layout needs besides the page: the visitor and the organization."""
    organization_row = None
    with suppress(CollsecError):
        organization_row = read(registry.get_organization, guard.org)
    return {"organization": organization_row, **registry_views.chrome(read, guard, lang)}


def _error(request: Request, guard: Guard, exc: CollsecError) -> HTMLResponse:
    """The error page with the error's own status; a bad form or URL value (422 in the
    API) is a bad request (400). Unlike the registry's pages, a refusal that subclasses
    `InvalidInput` with its own status (the engine's `NotEntitled`, 403) keeps it."""
    status = 400 if exc.status == 422 else exc.status
    ctx = _ctx(request, guard)
    layout: dict[str, Any] = {"organization": None,
                              **registry_views.bare_chrome(guard, ctx.lang)}
    with suppress(CollsecError), reading(guard.ctx) as read:
        layout = _page_data(read, guard, ctx.lang)
    title, detail = i18n.worded(exc, ctx.lang)
    return render(ctx, "error.html", status=status, response_status=status,
                  known_sources=set(), title=title, detail=detail, **layout)


def _show(request: Request, guard: Guard, template: str, build: Any) -> HTMLResponse:
    """Run `build(read, ctx)` in one read unit (`read(query, ...)` runs a query in it) and
    render its page, or the error."""
    ctx = _ctx(request, guard)
    try:
        with reading(guard.ctx) as read:
            data = build(read, ctx)
            known = {src.id for src in read(registry.sources)}
            return render(ctx, template, known_sources=known,
                          **_page_data(read, guard, ctx.lang), **data)
    except CollsecError as exc:
        return _error(request, guard, exc)


def _id(text: str, what: Literal["session", "agenda item"]) -> int:
    """A numeric id from a URL; anything else is simply not found."""
    if not text.isdigit() or len(text) > 9:
        if what == "session":
            raise NotFound("unknown session {session}", session=text)
        raise NotFound("unknown agenda item {item}", item=text)
    return int(text)


def _rules(org: str) -> dict[str, Any]:
    return dict(service.decision_rules(org))


def _matter_names(org: str) -> dict[str, dict[str, str]]:
    matters: dict[str, Any] = _rules(org).get("matters", {})
    return {code: dict(spec.get("name", {})) for code, spec in matters.items()}


# -- the list -------------------------------------------------------------------------

SESSION_PAGE = 50  # sessions on one page of the list; the rest are a link away


@router.get("/sessions", response_class=HTMLResponse)
def session_list(request: Request, guard: Guard = PUBLIC, body: str = "", year: str = "",
                 cursor: str = "") -> HTMLResponse:
    """The sessions newest first, a page at a time (the API's keyset cursors); the page's
    queries do not grow with its rows (the item counts are one query)."""
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        org = guard.org
        if year.strip() and (not year.strip().isdigit() or len(year.strip()) > 4):
            raise InvalidInput("year: '{year}' is not a year such as 2024", year=year)
        place = page_cursor(cursor)
        rows = read(sessions.list_sessions, body=body.strip() or None,
                    year=int(year) if year.strip() else None, limit=SESSION_PAGE + 1,
                    after=paging.after_dated("sessions", place) if place else None)
        shown = rows[:SESSION_PAGE]
        counts = read(sessions.item_counts, [r.id for r in shown])
        deciding: list[str] = _rules(org).get("deciding_bodies", [])
        bodies = {b.code: b for b in read(registry.bodies, org)}
        return {"rows": [(r, counts.get(r.id, 0)) for r in shown], "bodies": bodies,
                "next_page": page_link(request, paging.page_of(rows, SESSION_PAGE,
                                                               "sessions")),
                "deciding": [bodies[c] for c in deciding if c in bodies],
                "states": {st.code: st for st in read(registry.list_states)},
                "body": body.strip().upper(), "year": year.strip(),
                "may_manage": "manage_sessions" in guard.clearance.actions and guard.signed_in}

    return _show(request, guard, "decisions/list.html", build)


# -- one session ------------------------------------------------------------------------

def _own_state(guard: Guard) -> str | None:
    """The state whose delegation the visitor represents, if it may record positions."""
    p = guard.actor.principal
    if p is None or p.kind != "delegation" or "record_position" not in guard.clearance.actions:
        return None
    return p.code


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(request: Request, session_id: str, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        sess = read(sessions.get_session, _id(session_id, "session"))
        own = _own_state(guard)
        agenda = []
        for item in read(sessions.items, sess.id):
            ev = read(item_outcome, item)
            positions = {p.state: p for p in read(sessions.positions, item.id)}
            agenda.append({
                "item": item, "ev": ev, "outcome": ev.outcome, "positions": positions,
                "explanation": read(service.explain, ev, ctx.lang, sess.org),
                "may_record": own is not None and item.status == "open" and own in ev.seated,
                "own": positions.get(own) if own else None,
                # seated delegations whose own position is not recorded (a proxy may be)
                "proxiable": [s for s in ev.seated
                              if s not in positions or positions[s].by_proxy],
            })
        return {
            "sess": sess, "body": read(registry.body, sess.org, sess.body),
            "participants": read(sessions.participants, sess.id), "agenda": agenda,
            "states": {st.code: st for st in read(registry.list_states)},
            "matters": _matter_names(sess.org), "own_state": own,
            "may_manage": "manage_sessions" in guard.clearance.actions and guard.signed_in,
            "csrf": guard.csrf or "", "position_order": POSITION_ORDER,
            "positions_allowed": model.POSITIONS,
            "draft_kinds": sessions.DRAFT_KINDS, "body_matters": _agenda_matters(sess),
            "unseated": read(seating.unseated, sess.id)
            if "manage_sessions" in guard.clearance.actions else [],
        }

    return _show(request, guard, "decisions/session.html", build)


def _agenda_matters(sess: Any) -> list[str]:
    """The matters the Secretariat may put on this body's agenda from the session page:
    those the body decides whose effect, if any, is the registry's (a decision defining a
    mission is put on the agenda from the request it answers)."""
    data = service.decision_rules(sess.org)
    return [w.matter for w in wording.body_rules(data, sess.body)
            if set(data["matters"][w.matter].get("effect") or {}) <= set(
                sessions.REGISTRY_EFFECTS)]


def _back(session_id: int, item_id: int) -> RedirectResponse:
    return RedirectResponse(f"/sessions/{session_id}#item-{item_id}", status_code=303)


@router.post("/items/{item_id}/position")
def record_position(request: Request, item_id: str, guard: Guard = RECORD,
                    position: str = Form(""), reservation: str = Form(""),
                    csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        iid = _id(item_id, "agenda item")
        state = _own_state(guard)
        if state is None:
            raise model.NotEntitled("only a delegation's representative records its position")
        if len(reservation) > 4000:
            raise InvalidInput("a reservation is at most 4000 characters")
        sessions.record_position.run(guard.ctx, item_id=iid, state=state, position=position,
                                     reservation=reservation.strip())
        sid = sessions.get_item.run(guard.ctx, iid).session_id
    except CollsecError as exc:
        return _error(request, guard, exc)
    return _back(sid, iid)


@router.post("/items/{item_id}/close")
def close_item(request: Request, item_id: str, guard: Guard = MANAGE,
               csrf_token: str = Form(""), confirmed: str = Form("")) -> Response:
    """Close only from the confirmation (`secretariat_views`), which names the silent
    states; a post without it goes there first."""
    check_csrf(request, guard, csrf_token)
    try:
        iid = _id(item_id, "agenda item")
        if confirmed != "yes":
            return RedirectResponse(f"/items/{iid}/close", status_code=303)
        sid = sessions.close_item.run(guard.ctx, item_id=iid).item.session_id
    except CollsecError as exc:
        return _error(request, guard, exc)
    return _back(sid, iid)



# -- a body's page: how it decides and meets -------------------------------------------

@registry_views.body_section
def _body_rules(read: Reading, ctx: Ctx, org: str, body: str
                ) -> tuple[str, dict[str, Any]] | None:
    """The decision rules of a deciding body in words, how its sessions are convened, and
    a link to its sessions in the engine."""
    data = service.decision_rules(org)
    matters = wording.body_rules(data, body)
    if not matters:
        return None
    spec = data.get("sessions", {}).get(body, {})
    return "decisions/_body_rules.html", {
        "body": body, "matters": matters, "session_clauses": wording.session_clauses(spec),
        "fact": registry.Fact(list(data.get("sources", [])),
                              str(data.get("confidence", "medium")))}
