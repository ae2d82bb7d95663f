"""HTML page of one incident, and the Crisis Response Centre's assessment of it: the first
step of the escalation workflow, before a member asks for consultations or assistance
(`escalation_views`).

Access declarations. Reading needs a signed-in user (`Requires("read")`); the service
then decides from the incident's own marking, and audits the read or the refusal, so a
refusal is shown only after the audit row committed. The assessment form declares
`report_incident`; the service lets only the reporting centre or `organ:CRC` move the
incident, and escalation is left to a request that cites it.

The form carries the session's CSRF token. Success answers 303 to the incident's
updates, so a reload never posts twice; a refusal shows the page again with the
service's message, and the transaction wrote nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from collsec.core import db
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis import service
from collsec.crisis.escalation_frame import page_names, path_id, refusal_status

# The crisis pages share one frame: the organization, the language, the layout.
from collsec.crisis.forces_views import describe_area
from collsec.crisis.forces_views import org_code as _org
from collsec.crisis.forces_views import page_ctx as _ctx
from collsec.crisis.forces_views import page_layout as _layout
from collsec.registry import views as registry_views
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.render import Ctx, render

router = APIRouter(include_in_schema=False)

SIGNED_IN = Depends(Requires("read"))
REPORT = Depends(Requires("report_incident"))


def incident_data(s: Session, ctx: Ctx, guard: Guard, incident_id: str) -> dict[str, Any]:
    """One incident, read through the audited `get_incident`; a refusal is raised by the
    caller's `unwrap` only after the audit row committed."""
    org = _org()
    result = service.get_incident(s, guard.clearance, guard.actor,
                                  path_id(incident_id, "incident"), guard.now, org)
    if result.row is None:
        return {"refusal": result.refusal}
    row = result.row
    transitions = service.taxonomy(org).incident_transitions
    p = guard.clearance.principal
    may_update = ("report_incident" in guard.clearance.actions
                  and p in (row.owner, service.CENTRE))
    nexts = [st for st in transitions.get(row.status, ()) if st != "escalated"]
    tax = service.taxonomy(org)
    kind = tax.types.get(row.type)
    level = tax.severities.get(row.severity)
    return {"refusal": None, "incident": row, "updates": result.updates,
            "released_to": result.released_to, "area": describe_area(row.geometry),
            "type_name": (kind.name_ru if ctx.lang == "ru" else kind.name_en) if kind
            else row.type,
            "severity_name": (level.name_ru if ctx.lang == "ru" else level.name_en) if level
            else str(row.severity),
            "next_statuses": nexts if may_update else [], "csrf": guard.csrf or "",
            **page_names(s, ctx)}


def _incident_page(request: Request, guard: Guard, incident_id: str, *, status: int = 200,
                   error: str | None = None) -> HTMLResponse:
    """The incident page; its read (or refusal) is audited, so the session commits, and a
    refusal is shown only after that."""
    ctx = _ctx(request, guard)
    try:
        with db.write_session() as s:
            data = incident_data(s, ctx, guard, incident_id)
            page = None if data["refusal"] is not None else render(
                ctx, "crisis/incident.html", status=status, error=error,
                **_layout(s, guard), **data)
        if page is None:
            raise data["refusal"]
    except CollsecError as exc:
        return registry_views.error_page(request, exc)
    return page


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: str, guard: Guard = SIGNED_IN
                  ) -> HTMLResponse:
    return _incident_page(request, guard, incident_id)


@router.post("/incidents/{incident_id}/status")
def assess(request: Request, incident_id: str, guard: Guard = REPORT,
           status: str = Form("assessed"), note: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    """A duty officer of the reporting centre or the CRC moves the incident along (assesses
    it); escalation is left to a request for consultations or assistance."""
    check_csrf(request, guard, csrf_token)
    try:
        iid = path_id(incident_id, "incident")
        if status.strip() == "escalated":
            raise InvalidInput("an incident is escalated by a member's request for "
                               "consultations or assistance that cites it")
        with db.write_session() as s:
            service.advance(s, guard.clearance, guard.actor, iid, status.strip()[:20],
                            note[:service.MAX_NOTE + 1], guard.now, _org())
    except CollsecError as exc:
        return _incident_page(request, guard, incident_id, status=refusal_status(exc),
                              error=exc.detail)
    return RedirectResponse(f"/incidents/{iid}#updates", status_code=303)
