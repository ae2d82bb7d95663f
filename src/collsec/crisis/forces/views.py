"""HTML pages of the collective forces: the missions, one mission with its forms, and the
catalogue of national contingents.

Access declarations. Every page needs a signed-in user (`Requires("read")`); the
services then require a clearance that reads `members`, so a suspended delegation or an
external organization is refused there, not in a template. The forms declare the
action their service needs where one role grants it (`manage_sessions` to accept or
decline an offer, order the withdrawal, close the mission); offering a contingent and
reporting its status declare `read`, because the service decides from the principal
(only that state's representative or duty officer, or the CRC/Secretariat for status).

Each form carries the session's CSRF token. Success answers 303 back to the mission
page, so a reload never posts twice; a refusal from a service shows the mission page
again with the refusal as a message, and the transaction wrote nothing.

The list of missions and a mission's timeline come a page at a time: keyset cursors
(`core.paging`, the API's own) in the address, `cursor` for the list and `timeline` for
the events, each with a link to the next page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n, paging
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments, missions, model, timeline_words
from collsec.crisis.incidents.service import taxonomy
from collsec.registry import service as registry
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.frame import agenda_item, describe_area, parse_when
from collsec.web.frame import show as _show
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)

SIGNED_IN = Depends(Requires("read"))
MANAGE = Depends(Requires("manage_missions"))
MAX_FIELD = 40


def _whole(text: str, field: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("{field} must be a whole number, got '{value}'", field=field,
                           value=value[:MAX_FIELD])
    return int(value)


# -- the list of missions ---------------------------------------------------------------

MISSION_PAGE = 50  # missions on one page of the list; the rest are a link away
TIMELINE_PAGE = 50  # events of a mission's timeline on its page


@router.get("/missions", response_class=HTMLResponse)
def mission_list(request: Request, guard: Guard = SIGNED_IN, cursor: str = "") -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        place = page_cursor(cursor)
        after = paging.after_dated("missions", place) if place else None
        rows = read(missions.list_missions, limit=MISSION_PAGE + 1, after=after)
        shown = rows[:MISSION_PAGE]
        in_theatre = {m.code: read(deployments.totals, m.code, guard.now).total
                      for m in shown}
        return {"missions": shown, "in_theatre": in_theatre, "now": guard.now,
                "states": {st.code: st for st in read(registry.list_states)},
                "next_page": page_link(request, paging.page_of(
                    rows, MISSION_PAGE, "missions", "decided_on"))}

    return _show(request, guard, "forces/mission_list.html", build)


# -- one mission ------------------------------------------------------------------------

def _contingents(view: deployments.MissionView) -> list[dict[str, Any]]:
    """Each accepted contribution with its latest deployment status (from the timeline)."""
    committed: dict[str, int] = defaultdict(int)
    for o in view.offers:
        if o.status == "accepted":
            committed[o.state] += o.personnel
    latest: dict[str, model.TimelineEvent] = {}
    for e in view.timeline.events:
        if e.kind == "deployment_status":
            latest[e.actor] = e
    return [{"state": st, "committed": n, "latest": latest.get(st)}
            for st, n in sorted(committed.items())]


def _reporter_states(guard: Guard, committed: list[str]) -> list[str]:
    """States whose status this visitor may report, as the decision point answers."""
    return [st for st in committed
            if auth.allows(guard.clearance, "report_deployment", state=st).allowed]


def _own_offerer(guard: Guard) -> str | None:
    """The state this visitor may offer forces for, if any (its own delegation's)."""
    p = guard.actor.principal
    if p is None or p.kind != "delegation":
        return None
    return p.code if auth.allows(guard.clearance, "offer_forces", state=p.code).allowed else None


def _timeline_page(request: Request, view: deployments.MissionView, cursor: str | None
                   ) -> tuple[tuple[model.TimelineEvent, ...], str | None]:
    """The page of the mission's timeline after `cursor` (the API's cursors) and the link
    to the next, on the mission's page with its query kept (None on the last)."""
    place = paging.after_timed("timeline", cursor) if cursor else None
    events, last = view.timeline.page(place, TIMELINE_PAGE)
    nxt = paging.cursor("timeline", last[0].isoformat(), last[1]) if last else None
    return events, page_link(request, nxt, name="timeline", anchor="timeline",
                             path=f"/missions/{quote(view.mission.code, safe='')}")


def mission_data(read: Reading, guard: Guard, ctx: Ctx, request: Request, code: str,
                 as_of: str | None, timeline: str | None = None) -> dict[str, Any]:
    when = parse_when(as_of, "as_of", end_of_day=True) or guard.now
    view = read(deployments.mission_view, code[:forces.MAX_CODE], when)
    m = view.mission
    events, later = _timeline_page(request, view, timeline)
    contingents = _contingents(view)
    own = _own_offerer(guard)
    catalogue = {c.id: c for c in read(forces.contingents, org=m.org)}
    is_open = m.status == "open"
    # Offers are taken and accepted only until the withdrawal is ordered (model.check_offer).
    takes_offers = is_open and m.withdrawal_ordered_at is None
    return {
        "mission": m, "view": view, "events": events, "timeline_next": later,
        "tax": taxonomy(m.org), "area": describe_area(m.area),
        "decision": agenda_item(read, m.decision_item_id), "contingents": contingents,
        "requests": read(missions.requests_answered, m),
        "catalogue": catalogue, "as_of_text": (as_of or "").strip()[:MAX_FIELD],
        "states": {st.code: st for st in read(registry.list_states)},
        "forces": {f.code: f for f in read(registry.forces, m.org)},
        "csrf": guard.csrf or "", "now": guard.now,
        "own_state": own if takes_offers else None, "takes_offers": takes_offers,
        "own_units": [c for c in catalogue.values() if c.state == own],
        "report_states": _reporter_states(guard, [c["state"] for c in contingents])
        if is_open else [],
        "may_manage": is_open and auth.allows(guard.clearance, "manage_missions").allowed,
        "deployment_states": model.DEPLOYMENT_STATES,
        "note_words": lambda e: timeline_words.event_note(e, m, ctx.lang),
    }


@router.get("/missions/{code}", response_class=HTMLResponse)
def mission_page(request: Request, code: str, guard: Guard = SIGNED_IN,
                 as_of: str | None = None, timeline: str = "") -> HTMLResponse:
    return _show(request, guard, "forces/mission.html",
                 lambda read, ctx: mission_data(read, guard, ctx, request, code, as_of,
                                                page_cursor(timeline)), error=None)


def _mission_code(code: str) -> str:
    """The code a mission is stored under, as `missions.get_mission` matches it."""
    return code[:forces.MAX_CODE].strip().upper()


def _act(request: Request, guard: Guard, code: str, csrf_token: str, anchor: str,
         command: Callable[[], str]) -> Response:
    """Check the form's token, run `command()` (one command, one transaction; it answers
    the mission's code), go back to the mission; a refusal shows the mission page with the
    message, and nothing is written."""
    check_csrf(request, guard, csrf_token)
    try:
        mission_code = command()
        return RedirectResponse(f"/missions/{mission_code}#{anchor}", status_code=303)
    except CollsecError as exc:
        status = 400 if exc.status == 422 else exc.status
        return _show(request, guard, "forces/mission.html",
                     lambda read, ctx: mission_data(read, guard, ctx, request, code, None),
                     status=status, error=i18n.message(exc, guard.ctx.lang))


@router.post("/missions/{code}/offers")
def offer(request: Request, code: str, guard: Guard = SIGNED_IN,
          personnel: str = Form(""), contingent_id: str = Form(""),
          csrf_token: str = Form("")) -> Response:
    def command() -> str:
        state = _own_offerer(guard) or ""
        if not state:
            raise auth.NotEntitled("only a delegation's representative or duty "
                                    "officer offers its state's contingent")
        unit = _whole(contingent_id, "the contingent") if contingent_id.strip() else None
        deployments.offer.run(guard.ctx, code[:forces.MAX_CODE], state=state,
                              personnel=_whole(personnel, "personnel"), contingent_id=unit)
        return _mission_code(code)

    return _act(request, guard, code, csrf_token, "offers", command)


def _decide(request: Request, guard: Guard, code: str, offer_id: str, csrf_token: str,
            accept: bool) -> Response:
    def command() -> str:
        deployments.decide_offer.run(guard.ctx, code[:forces.MAX_CODE],
                                     _whole(offer_id, "the offer"), accept=accept)
        return _mission_code(code)

    return _act(request, guard, code, csrf_token, "offers", command)


@router.post("/missions/{code}/offers/{offer_id}/accept")
def accept_offer(request: Request, code: str, offer_id: str, guard: Guard = MANAGE,
                 csrf_token: str = Form("")) -> Response:
    return _decide(request, guard, code, offer_id, csrf_token, True)


@router.post("/missions/{code}/offers/{offer_id}/decline")
def decline_offer(request: Request, code: str, offer_id: str, guard: Guard = MANAGE,
                  csrf_token: str = Form("")) -> Response:
    return _decide(request, guard, code, offer_id, csrf_token, False)


@router.post("/missions/{code}/status")
def report_status(request: Request, code: str, guard: Guard = SIGNED_IN,
                  state: str = Form(""), status: str = Form(""), personnel: str = Form(""),
                  at: str = Form(""), csrf_token: str = Form("")) -> Response:
    def command() -> str:
        deployments.report_status.run(guard.ctx, code[:forces.MAX_CODE],
                                      state=state.strip()[:2], status=status.strip()[:20],
                                      personnel=_whole(personnel, "personnel"),
                                      at=parse_when(at, "at") or guard.now)
        return _mission_code(code)

    return _act(request, guard, code, csrf_token, "deployment", command)


@router.post("/missions/{code}/withdrawal")
def order_withdrawal(request: Request, code: str, guard: Guard = MANAGE, at: str = Form(""),
                     note: str = Form(""), csrf_token: str = Form("")) -> Response:
    def command() -> str:
        return deployments.order_withdrawal.run(guard.ctx, code[:forces.MAX_CODE],
                                                at=parse_when(at, "at") or guard.now,
                                                note=note[:4000]).code

    return _act(request, guard, code, csrf_token, "timeline", command)


@router.post("/missions/{code}/close")
def close_mission(request: Request, code: str, guard: Guard = MANAGE,
                  csrf_token: str = Form("")) -> Response:
    def command() -> str:
        return deployments.close_mission.run(guard.ctx, code[:forces.MAX_CODE]).code

    return _act(request, guard, code, csrf_token, "about", command)


# -- the catalogue ------------------------------------------------------------------------

@router.get("/forces", response_class=HTMLResponse)
def catalogue(request: Request, guard: Guard = SIGNED_IN) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        rows = read(forces.contingents)
        by_force: dict[str, list[Any]] = defaultdict(list)
        by_state: dict[str, int] = defaultdict(int)
        unknown: dict[str, int] = defaultdict(int)  # contingents of unreported strength
        for r in rows:
            by_force[r.force].append(r)
            by_state[r.state] += r.personnel if r.personnel_reported else 0
            unknown[r.state] += 0 if r.personnel_reported else 1
        return {"forces": read(registry.forces), "by_force": by_force,
                "by_state": dict(sorted(by_state.items())), "unknown": dict(unknown),
                "total": sum(r.personnel for r in rows if r.personnel_reported),
                "total_unknown": sum(unknown.values()),
                "states": {st.code: st for st in read(registry.list_states)}}

    return _show(request, guard, "forces/forces.html", build)
