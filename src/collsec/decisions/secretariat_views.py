"""The Secretariat's work on a session in the browser: convene it, put items on its agenda,
and close an item only after a confirmation that names the seated states that have stated
no position and says what the charter makes of their silence.

Every route declares `Requires("manage_sessions")` (editor, admin); each form carries the
session's CSRF token, runs one command (one transaction, one journal entry) and answers
with a redirect (303) to where the work goes on. A refusal shows the form again with the
message and what was typed; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n
from collsec.core.commands import Reading
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError, InvalidInput
from collsec.decisions import seating, service, sessions, wording
from collsec.decisions.outcomes import item_outcome
from collsec.decisions.views import _error, _id, _matter_names, _rules, _show
from collsec.registry import service as registry
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)

MANAGE = Depends(Requires("manage_sessions"))
MAX_TITLE = 2000
REQUESTERS = Form(None)  # the states asking for an extraordinary session (checkboxes)
STATES, CHOSEN, REPRESENTED_BY = Form(None), Form(None), Form(None)  # the seating rows


def _refused(request: Request, guard: Guard, template: str,
             build: Callable[[Reading, Ctx], dict[str, Any]], exc: CollsecError,
             typed: dict[str, Any]) -> HTMLResponse:
    """The form again, with the refusal in the reader's language and what was typed."""
    response = _show(request, guard, template, lambda read, ctx: {
        **build(read, ctx), "error": i18n.message(exc, ctx.lang), "typed": typed})
    response.status_code = 400 if exc.status == 422 else exc.status
    return response


# -- convening --------------------------------------------------------------------------

def _convene_form(read: Reading, ctx: Ctx, guard: Guard) -> dict[str, Any]:
    rules = _rules(guard.org)
    bodies = {b.code: b for b in read(registry.bodies, guard.org)}
    deciding = [bodies[c] for c in rules.get("deciding_bodies", []) if c in bodies]
    notices = {b.code: wording.session_clauses(rules.get("sessions", {}).get(b.code, {}))
               for b in deciding}
    return {"bodies": deciding, "notices": notices, "kinds": sessions.KINDS,
            "formats": sessions.FORMATS, "csrf": guard.csrf or "",
            "members": read(service.entitled_states, guard.org, guard.today),
            "states": {st.code: st for st in read(registry.list_states)},
            "today": guard.today, "error": None, "typed": {}}


@router.get("/sessions/new", response_class=HTMLResponse)
def convene_form(request: Request, guard: Guard = MANAGE) -> HTMLResponse:
    return _show(request, guard, "decisions/convene.html",
                 lambda read, ctx: _convene_form(read, ctx, guard))


@router.post("/sessions")
def convene(request: Request, guard: Guard = MANAGE, body: str = Form(""),
            kind: str = Form("regular"), date: str = Form(""), format: str = Form("in_person"),
            host_state: str = Form(""), city_en: str = Form(""), city_ru: str = Form(""),
            requested_by: list[str] | None = REQUESTERS, csrf_token: str = Form("")
            ) -> Response:
    check_csrf(request, guard, csrf_token)
    typed = {"body": body, "kind": kind, "date": date, "format": format,
             "host_state": host_state, "city_en": city_en, "city_ru": city_ru,
             "requested_by": requested_by or []}
    try:
        day = parse_date(date, field="date")
        if day is None:
            raise InvalidInput("date: a session needs its date")
        if len(city_en) > 100 or len(city_ru) > 100:
            raise InvalidInput("a city's name is at most 100 characters")
        row = sessions.convene.run(guard.ctx, org=guard.org, body=body.strip(), kind=kind,
                                   date=day,
                                   format=format, host_state=host_state.strip() or None,
                                   city_en=city_en.strip(), city_ru=city_ru.strip(),
                                   requested_by=[s for s in requested_by or [] if s.strip()])
    except CollsecError as exc:
        return _refused(request, guard, "decisions/convene.html",
                        lambda read, ctx: _convene_form(read, ctx, guard), exc, typed)
    return RedirectResponse(f"/sessions/{row.id}#manage", status_code=303)


# -- seating ----------------------------------------------------------------------------

@router.post("/sessions/{session_id}/seats")
def seat(request: Request, session_id: str, guard: Guard = MANAGE,
         state: list[str] | None = STATES, seat: list[str] | None = CHOSEN,
         represented_by: list[str] | None = REPRESENTED_BY,
         csrf_token: str = Form("")) -> Response:
    """Seat the delegations ticked (all entitled ones are, to begin with), each with who
    represents it as typed in its row."""
    check_csrf(request, guard, csrf_token)
    try:
        sid = _id(session_id, "session")
        rows, chosen = list(state or []), set(seat or [])
        reps = list(represented_by or []) + [""] * len(rows)
        seating.seat_delegations.run(guard.ctx, session_id=sid, seats={
            code: reps[i] for i, code in enumerate(rows) if code in chosen})
    except CollsecError as exc:
        return _error(request, guard, exc)
    return RedirectResponse(f"/sessions/{sid}#participants", status_code=303)


# -- a position on a delegation's written instruction ----------------------------------

@router.post("/items/{item_id}/proxy-position")
def proxy_position(request: Request, item_id: str, guard: Guard = MANAGE,
                   state: str = Form(""), position: str = Form(""),
                   instruction: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        iid = _id(item_id, "agenda item")
        sessions.record_proxy_position.run(guard.ctx, item_id=iid, state=state,
                                           position=position, instruction=instruction)
        sid = sessions.get_item.run(guard.ctx, iid).session_id
    except CollsecError as exc:
        return _error(request, guard, exc)
    return RedirectResponse(f"/sessions/{sid}#item-{iid}", status_code=303)


# -- the agenda -------------------------------------------------------------------------

@router.post("/sessions/{session_id}/items")
def add_item(request: Request, session_id: str, guard: Guard = MANAGE,
             title_en: str = Form(""), title_ru: str = Form(""),
             draft_kind: str = Form("decision"), matter: str = Form("substantive"),
             subject_state: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        sid = _id(session_id, "session")
        if len(title_en) > MAX_TITLE or len(title_ru) > MAX_TITLE:
            raise InvalidInput("an agenda item's title is at most {most} characters",
                               most=MAX_TITLE)
        row = sessions.add_item.run(guard.ctx, session_id=sid, title_en=title_en,
                                    title_ru=title_ru, draft_kind=draft_kind, matter=matter,
                                    subject_state=subject_state.strip() or None)
    except CollsecError as exc:
        return _error(request, guard, exc)
    return RedirectResponse(f"/sessions/{sid}#item-{row.id}", status_code=303)


# -- closing an item ---------------------------------------------------------------------

def _closing(read: Reading, ctx: Ctx, guard: Guard, item_id: str) -> dict[str, Any]:
    """What closing the item would freeze: its outcome now, the seated states with no
    position and what the charter makes of their silence."""
    item = read(sessions.get_item, _id(item_id, "agenda item"))
    sess = read(sessions.get_session, item.session_id)
    ev = read(item_outcome, item)
    silent = list(ev.outcome.tally.get("absent", ()))
    return {"item": item, "sess": sess, "outcome": ev.outcome,
            "explanation": read(service.explain, ev, ctx.lang, sess.org),
            "silent": silent, "silence": wording.silence_clause(ev.rule),
            "body": read(registry.body, sess.org, sess.body),
            "matters": _matter_names(sess.org),
            "states": {st.code: st for st in read(registry.list_states)},
            "csrf": guard.csrf or "", "error": None}


@router.get("/items/{item_id}/close", response_class=HTMLResponse)
def close_confirmation(request: Request, item_id: str, guard: Guard = MANAGE) -> HTMLResponse:
    return _show(request, guard, "decisions/close.html",
                 lambda read, ctx: _closing(read, ctx, guard, item_id))
