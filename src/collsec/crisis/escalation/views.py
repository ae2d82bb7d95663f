"""HTML pages of the escalation workflow: consultations asked for, a request for assistance
submitted, put before the Council and withdrawn. The incident page, where an incident is
assessed before any of this, is `incident_views`.

Access declarations. Reading needs a signed-in user (`Requires("read")`); the services
then require a clearance that reads `members`, so a suspended delegation or an external
organization is refused there, not in a template. The forms declare the action their
service needs: `request_assistance` (role `representative`) to ask for consultations,
request assistance or withdraw a request, where the service also checks that the state
is the visitor's own and seated in the bodies; `manage_sessions` to table a request.

Each form carries the session's CSRF token. Success answers 303 (to the request or the
convened session), so a reload never posts twice; a refusal shows the same page again
with the service's message and what was typed, and the transaction wrote nothing. The
Council decides a tabled request on the session page (`decisions.views`): positions,
then closing the item, which opens the mission.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n, paging
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis import geo
from collsec.crisis.escalation import model as requests
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.incidents import service
from collsec.decisions import service as decisions
from collsec.decisions import sessions
from collsec.decisions.outcomes import item_outcome
from collsec.web.access import Guard, Requires, check_csrf

# The crisis pages share one frame: the organization, the language, the layout.
from collsec.web.frame import agenda_item, describe_area, page_names, path_id, refusal_status
from collsec.web.frame import show as _frame_show
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx

if TYPE_CHECKING:  # interfaces name rows in annotations only
    from collsec.crisis.escalation.tables import AssistanceRequestRow, ConsultationRow

router = APIRouter(include_in_schema=False)

SIGNED_IN = Depends(Requires("read"))
ASK = Depends(Requires("request_assistance"))
MANAGE = Depends(Requires("manage_sessions"))
# Checkboxes and repeated rows, absent when none is sent; one Form per parameter, since
# FastAPI keeps each parameter's alias on its Form object.
INCIDENTS = Form(None)
NEED_KINDS = Form(None)
NEED_PERSONNEL = Form(None)
NEED_NOTES = Form(None)
NEED_ROWS = 4  # empty rows the request form offers; rows without a kind are ignored


def _show(request: Request, guard: Guard, template: str,
          build: Callable[[Reading, Ctx], dict[str, Any]], *, status: int = 200,
          **extra: Any) -> HTMLResponse:
    """Run `build(read, ctx)` in one read unit and render its page, or the error."""
    return _frame_show(request, guard, template, build, status=status, **extra)


def _whole(text: str, not_whole: str) -> int:
    """The whole number typed; `not_whole` (a template with `{value}`, what was typed) is
    the message if it is not one."""
    value = text.strip()
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput(not_whole, value=value[:40])
    return int(value)


def _bounded(value: str, limit: int, too_long: str) -> str:
    """The text typed, stripped; `too_long` (a template with `{limit}`) is the message if
    it is longer than `limit`."""
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(too_long, limit=limit)
    return text


def _ids(values: list[str] | None, not_whole: str) -> list[int]:
    return [_whole(v, not_whole) for v in (values or [])[:escalation.MAX_INCIDENTS + 1]]


def _area(geojson: str, lon: str, lat: str) -> dict[str, Any] | None:
    """The area as GeoJSON text, or a point given as longitude and latitude; or none."""
    text = geojson.strip()
    if text:
        if len(text) > 200_000:
            raise InvalidInput("the area's GeoJSON is longer than 200000 characters")
        try:
            value = json.loads(text)
        except ValueError:
            raise InvalidInput("the area is not GeoJSON: give a geometry such as "
                               '{"type": "Point", "coordinates": [76.9, 43.2]}') from None
        if not isinstance(value, dict):
            raise InvalidInput("the area must be a GeoJSON geometry object")
        geo.validate_geometry(value)
        return value
    if lon.strip() or lat.strip():
        try:
            point = [float(lon.strip()[:30]), float(lat.strip()[:30])]
        except ValueError:
            raise InvalidInput("give the area's point as longitude and latitude in degrees"
                               ) from None
        value = {"type": "Point", "coordinates": point}
        geo.validate_geometry(value)
        return value
    return None


def _own_state(guard: Guard) -> str | None:
    """The state the visitor may speak for (a hint for the forms; the service decides)."""
    p = guard.actor.principal
    if p is None or p.kind != "delegation":
        return None
    return p.code if auth.allows(guard.clearance, "request_assistance",
                                 state=p.code).allowed else None


# -- the list ------------------------------------------------------------------------------

REQUEST_PAGE = 50  # requests for assistance on one page of the list
CONSULTATION_PAGE = 50  # requests for consultations on one page of the list


def _requests_page(read: Reading, request: Request, cursor: str | None) -> dict[str, Any]:
    """A page of the requests for assistance after `cursor`, and the link to the next."""
    rows = read(escalation.list_requests, limit=REQUEST_PAGE + 1,
                after=paging.after_dated("requests", cursor) if cursor else None)
    shown = rows[:REQUEST_PAGE]
    missions = read(escalation.mission_codes, shown)
    return {"requests": [{"row": r, "needs": json.loads(r.needs),
                          "agenda": agenda_item(read, r.item_id),
                          "mission": missions.get(r.mission_id or 0)} for r in shown],
            "requests_next": page_link(request, paging.page_of(
                rows, REQUEST_PAGE, "requests", "submitted_on"), anchor="assistance-requests")}


def _consultations_page(read: Reading, request: Request, cursor: str | None
                        ) -> dict[str, Any]:
    """A page of the requests for consultations after `cursor`, and the link to the next
    (its cursor is the address's `consultations`)."""
    rows = read(escalation.list_consultations, limit=CONSULTATION_PAGE + 1,
                after=paging.after_dated("consultations", cursor) if cursor else None)
    return {"consultations": [{"row": c, "incidents": json.loads(c.incidents),
                               "session": read(sessions.get_session, c.session_id)}
                              for c in rows[:CONSULTATION_PAGE]],
            "consultations_next": page_link(request, paging.page_of(
                rows, CONSULTATION_PAGE, "consultations", "requested_on"),
                name="consultations", anchor="consultations")}


@router.get("/requests", response_class=HTMLResponse)
def request_list(request: Request, guard: Guard = SIGNED_IN, cursor: str = "",
                 consultations: str = "") -> HTMLResponse:
    """Both lists come a page at a time, each with its own cursor (the API's) in the
    address: `cursor` for the requests for assistance, `consultations` for the others."""
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        return {**_requests_page(read, request, page_cursor(cursor)),
                **_consultations_page(read, request, page_cursor(consultations)),
                "own_state": _own_state(guard), **page_names(read, ctx)}

    return _show(request, guard, "escalation/request_list.html", build)


# -- asking for consultations --------------------------------------------------------------

def _citable(read: Reading, guard: Guard) -> list[Any]:
    """Incidents the visitor may read that a request may cite (`citable` in crisis.yaml)."""
    rows: list[Any] = []
    for status in sorted(service.taxonomy(guard.org).citable):
        rows += read(service.list_incidents, state=status)
    return sorted(rows, key=lambda r: (r.occurred_at, r.id), reverse=True)


def _consultation_form(read: Reading, ctx: Ctx, guard: Guard) -> dict[str, Any]:
    return {"own_state": _own_state(guard), "incidents": _citable(read, guard),
            "formats": sessions.FORMATS, "csrf": guard.csrf or "", **page_names(read, ctx)}


def consultation_data(read: Reading, ctx: Ctx, guard: Guard, consultation_id: str
                      ) -> dict[str, Any]:
    """A request for consultations and where its session stands: the delegations seated
    of those entitled, the items on its agenda and their outcomes so far."""
    row = read(escalation.read_consultation, path_id(consultation_id, "request"))
    sess = read(sessions.get_session, row.session_id)
    seated = read(sessions.participants, sess.id)
    entitled = read(decisions.entitled_states, sess.org, sess.date)
    items = []
    for item in read(sessions.items, sess.id):
        ev = read(item_outcome, item)
        items.append({"item": item, "adopted": ev.outcome.adopted,
                      "explanation": read(decisions.explain, ev, ctx.lang, sess.org)})
    return {"row": row, "incidents": json.loads(row.incidents), "sess": sess,
            "seated": seated, "not_seated": [s for s in entitled
                                             if s not in {p.state for p in seated}],
            "items": items, "may_manage": "manage_sessions" in guard.clearance.actions,
            **page_names(read, ctx)}


@router.get("/consultations/new", response_class=HTMLResponse)
def consultation_form(request: Request, guard: Guard = ASK) -> HTMLResponse:
    return _show(request, guard, "escalation/consultation_new.html",
                 lambda read, ctx: _consultation_form(read, ctx, guard), error=None, form={})


@router.post("/consultations")
def ask_for_consultations(request: Request, guard: Guard = ASK, subject_en: str = Form(""),
                          subject_ru: str = Form(""), format: str = Form("video"),
                          incidents: list[str] | None = INCIDENTS,
                          csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    typed = {"subject_en": subject_en[:1000], "subject_ru": subject_ru[:1000],
             "format": format[:20], "incidents": incidents or []}
    try:
        state = _own_state(guard)
        if state is None:
            raise auth.NotEntitled("only a delegation's representative asks for consultations "
                                   "for its state")
        row = escalation.request_consultations.run(
            guard.ctx, state=state, on=guard.today, subject_en=subject_en,
            subject_ru=subject_ru,
            incidents=_ids(incidents, "an incident must be a whole number, got '{value}'"),
            format=format.strip()[:20])
        session_id = row.session_id
    except CollsecError as exc:
        return _show(request, guard, "escalation/consultation_new.html",
                     lambda read, ctx: _consultation_form(read, ctx, guard),
                     status=refusal_status(exc), form=typed,
                     error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


# -- requesting assistance -----------------------------------------------------------------

def _request_form(read: Reading, ctx: Ctx, guard: Guard) -> dict[str, Any]:
    own = _own_state(guard)
    mine: list[ConsultationRow] = []
    # A delegation that reads no members' material (one without a seat) still gets the
    # form, so that submitting it shows the charter's rule.
    with suppress(auth.NotEntitled):
        mine = [c for c in read(escalation.list_consultations) if c.state == own]
    return {"own_state": own, "incidents": _citable(read, guard), "consultations": mine,
            "need_rows": NEED_ROWS, "csrf": guard.csrf or "", **page_names(read, ctx)}


def _needs(kinds: list[str], personnel: list[str], notes: list[str]) -> list[dict[str, Any]]:
    """The repeated rows of the form; a row without a kind is an unused row."""
    out: list[dict[str, Any]] = []
    for i, kind in enumerate(kinds[:requests.MAX_NEEDS + 1]):
        if not kind.strip():
            continue
        people = personnel[i].strip() if i < len(personnel) else ""
        count = None
        if people:
            try:
                count = _whole(people, "personnel must be a whole number, got '{value}'")
            except CollsecError as exc:
                raise exc.within("need {index}", index=len(out) + 1) from None
        out.append({"kind": kind.strip()[:40], "personnel": count,
                    "note": (notes[i] if i < len(notes) else "")[:requests.MAX_NOTE + 1]})
    return out


@router.get("/requests/new", response_class=HTMLResponse)
def request_form(request: Request, guard: Guard = ASK) -> HTMLResponse:
    return _show(request, guard, "escalation/request_new.html",
                 lambda read, ctx: _request_form(read, ctx, guard), error=None, form={})


@router.post("/requests")
def request_assistance(request: Request, guard: Guard = ASK, basis: str = Form(""),
                       need_kind: list[str] | None = NEED_KINDS,
                       need_personnel: list[str] | None = NEED_PERSONNEL,
                       need_note: list[str] | None = NEED_NOTES, summary_en: str = Form(""),
                       summary_ru: str = Form(""), area: str = Form(""), lon: str = Form(""),
                       lat: str = Form(""), incidents: list[str] | None = INCIDENTS,
                       consultation_id: str = Form(""), csrf_token: str = Form("")
                       ) -> Response:
    check_csrf(request, guard, csrf_token)
    kinds, people, notes = need_kind or [], need_personnel or [], need_note or []
    typed = {"basis": basis[:30], "need_kind": kinds[:requests.MAX_NEEDS],
             "need_personnel": people[:requests.MAX_NEEDS],
             "need_note": notes[:requests.MAX_NEEDS], "summary_en": summary_en[:20000],
             "summary_ru": summary_ru[:20000], "area": area[:20000], "lon": lon[:30],
             "lat": lat[:30], "incidents": incidents or [],
             "consultation_id": consultation_id[:12]}
    try:
        state = _own_state(guard)
        if state is None:
            raise auth.NotEntitled("only a delegation's representative requests assistance "
                                   "for its state")
        row = escalation.submit_request.run(
            guard.ctx, state=state, basis=basis.strip()[:30],
            needs=_needs(kinds, people, notes), summary_en=summary_en,
            summary_ru=summary_ru, area=_area(area, lon, lat),
            incidents=_ids(incidents, "an incident must be a whole number, got '{value}'"),
            consultation_id=_whole(consultation_id,
                                   "the consultation must be a whole number, got '{value}'")
            if consultation_id.strip() else None,
            on=guard.today)
        request_id = row.id
    except CollsecError as exc:
        return _show(request, guard, "escalation/request_new.html",
                     lambda read, ctx: _request_form(read, ctx, guard),
                     status=refusal_status(exc), form=typed,
                     error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


# -- one request ---------------------------------------------------------------------------

def _open_sessions(read: Reading, req: AssistanceRequestRow) -> list[Any]:
    """Open sessions of the body that decides requests, not before the request."""
    body = escalation.rules(req.org).assistance_body
    return [x for x in read(sessions.list_sessions, org=req.org, body=body)
            if x.status == "open" and x.date >= req.submitted_on]


def request_data(read: Reading, ctx: Ctx, guard: Guard, request_id: str) -> dict[str, Any]:
    req = read(escalation.read_request, path_id(request_id, "request"))
    agenda = agenda_item(read, req.item_id)
    outcome = None
    if agenda is not None:
        ev = read(item_outcome, agenda["item"])
        outcome = {"adopted": ev.outcome.adopted,
                   "explanation": read(decisions.explain, ev, ctx.lang, req.org)}
    consultation, mission = read(escalation.answered_by, req)
    undecided = req.status in ("submitted", "on_agenda")
    own = _own_state(guard)
    return {"req": req, "needs": json.loads(req.needs), "incidents": json.loads(req.incidents),
            "area": describe_area(req.area), "agenda": agenda, "outcome": outcome,
            "consultation": consultation, "mission": mission, "csrf": guard.csrf or "",
            "may_table": req.status == "submitted"
            and "manage_sessions" in guard.clearance.actions,
            "may_withdraw": undecided and own == req.state,
            "open_sessions": _open_sessions(read, req) if req.status == "submitted" else [],
            **page_names(read, ctx)}


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: str, guard: Guard = SIGNED_IN) -> HTMLResponse:
    return _show(request, guard, "escalation/request.html",
                 lambda read, ctx: request_data(read, ctx, guard, request_id), error=None,
                 form={})


def _on_request(request: Request, guard: Guard, request_id: str, csrf_token: str,
                anchor: str, typed: dict[str, str], command: Callable[[int], Any]
                ) -> Response:
    """Check the token, run `command(id)` (one command, one transaction), go back to the
    request; a refusal shows the request page with the message, nothing written."""
    check_csrf(request, guard, csrf_token)
    try:
        rid = path_id(request_id, "request")
        command(rid)
    except CollsecError as exc:
        return _show(request, guard, "escalation/request.html",
                     lambda read, ctx: request_data(read, ctx, guard, request_id),
                     status=refusal_status(exc), form=typed,
                     error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/requests/{rid}#{anchor}", status_code=303)


@router.post("/requests/{request_id}/agenda")
def table(request: Request, request_id: str, guard: Guard = MANAGE,
          session_id: str = Form(""), code: str = Form(""), title_en: str = Form(""),
          title_ru: str = Form(""), mandate_en: str = Form(""), mandate_ru: str = Form(""),
          ends_on: str = Form(""), end_condition_en: str = Form(""),
          end_condition_ru: str = Form(""), area: str = Form(""), lon: str = Form(""),
          lat: str = Form(""), item_title_en: str = Form(""), item_title_ru: str = Form(""),
          csrf_token: str = Form("")) -> Response:
    """The Secretariat puts the request before a session of the Council, with the terms
    of the mission the decision would define."""
    typed = {"session_id": session_id[:12], "code": code[:forces.MAX_CODE + 1],
             "title_en": title_en[:300], "title_ru": title_ru[:300],
             "mandate_en": mandate_en[:20000], "mandate_ru": mandate_ru[:20000],
             "ends_on": ends_on[:10], "end_condition_en": end_condition_en[:2000],
             "end_condition_ru": end_condition_ru[:2000], "area": area[:20000],
             "lon": lon[:30], "lat": lat[:30], "item_title_en": item_title_en[:300],
             "item_title_ru": item_title_ru[:300]}

    def command(rid: int) -> Any:
        terms: dict[str, Any] = {
            "code": _bounded(code, forces.MAX_CODE,
                             "the mission's code is longer than {limit} characters"),
            "title_en": _bounded(title_en, 300,
                                 "the mission's title is longer than {limit} characters"),
            "title_ru": _bounded(title_ru, 300,
                                 "the mission's title (ru) is longer than {limit} characters"),
            "mandate_en": _bounded(mandate_en, forces.MAX_TEXT,
                                   "the mandate is longer than {limit} characters"),
            "mandate_ru": _bounded(mandate_ru, forces.MAX_TEXT,
                                   "the mandate (ru) is longer than {limit} characters"),
            "end_condition_en": _bounded(end_condition_en, 2000,
                                         "the end condition is longer than {limit} characters"),
            "end_condition_ru": _bounded(
                end_condition_ru, 2000,
                "the end condition (ru) is longer than {limit} characters"),
            "area": _area(area, lon, lat),
            "ends_on": _bounded(ends_on, 10, "the end date is longer than {limit} characters")
            or None}
        return escalation.table_request.run(
            guard.ctx, rid,
            session_id=_whole(session_id, "the session must be a whole number, got '{value}'"),
            mission=terms,
            title_en=_bounded(item_title_en, 300,
                              "the agenda item's title is longer than {limit} characters"),
            title_ru=_bounded(item_title_ru, 300,
                              "the agenda item's title (ru) is longer than {limit} characters"))

    return _on_request(request, guard, request_id, csrf_token, "agenda", typed, command)


@router.post("/requests/{request_id}/withdrawal")
def withdraw(request: Request, request_id: str, guard: Guard = ASK,
             csrf_token: str = Form("")) -> Response:
    """The requesting state's representative withdraws the request."""
    def command(rid: int) -> Any:
        return escalation.withdraw_request.run(guard.ctx, rid)

    return _on_request(request, guard, request_id, csrf_token, "status", {}, command)


@router.get("/consultations/{consultation_id}", response_class=HTMLResponse)
def consultation_page(request: Request, consultation_id: str,
                      guard: Guard = SIGNED_IN) -> HTMLResponse:
    return _show(request, guard, "escalation/consultation.html",
                 lambda read, ctx: consultation_data(read, ctx, guard, consultation_id))
