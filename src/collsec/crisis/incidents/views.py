"""HTML page of one incident with its updates, and the follow-ups of the reporting centre or
the Crisis Response Centre: what was learned, a revised severity, the assessment (the first
step of the escalation workflow, before a member asks for consultations or assistance,
`escalation_views`).

Access declarations. Reading needs a signed-in user (`Requires("read")`); the service
then decides from the incident's own marking, and audits the read or the refusal, so a
refusal is shown only after the audit row committed. The update form (and the older
assessment route, `/status`) declares `update_incident`; the decision point lets only
the reporting centre or the crisis centre (policy.yaml) update the incident, and
escalation is left to a request that cites it.

The form carries the session's CSRF token. Success answers 303 to the incident's
updates, so a reload never posts twice; a refusal shows the page again with the
service's message, and the transaction wrote nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis.incidents import service
from collsec.registry import views as registry_views
from collsec.web.access import Guard, Requires, check_csrf

# The crisis pages share one frame: the organization, the language, the layout.
from collsec.web.frame import describe_area, page_names, path_id, refusal_status
from collsec.web.frame import show as _show
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)

SIGNED_IN = Depends(Requires("read"))
UPDATE = Depends(Requires("update_incident"))


def incident_data(read: Reading, ctx: Ctx, guard: Guard, result: service.IncidentRead
                  ) -> dict[str, Any]:
    """The page of one incident `result` holds, read through the audited `get_incident`
    (whose refusal the caller raised once its audit row committed)."""
    row = result.unwrap()
    tax = service.taxonomy(guard.org)
    transitions = tax.incident_transitions
    # The form is offered to whom the decision point lets update (the service asks it
    # again on post); a closed incident is final and takes no update.
    may_update = (auth.allows(guard.clearance, "update_incident", originator=row.owner).allowed
                  and bool(transitions.get(row.status)))
    nexts = [st for st in transitions.get(row.status, ()) if st not in tax.by_request]
    kind = tax.types.get(row.type)
    levels = {lvl: tax.severity_label(lvl, ctx.lang) for lvl in sorted(tax.severities)}
    return {"refusal": None, "incident": row, "updates": result.updates, "citable": tax.citable,
            "by_request": tax.by_request,
            "released_to": result.released_to, "area": describe_area(row.geometry),
            "type_name": (kind.name_ru if ctx.lang == "ru" else kind.name_en) if kind
            else row.type,
            "severity_name": levels.get(row.severity, str(row.severity)),
            "severity_levels": levels, "may_update": may_update,
            "next_statuses": nexts if may_update else [], "csrf": guard.csrf or "",
            **page_names(read, ctx)}


def _incident_page(request: Request, guard: Guard, incident_id: str, *, status: int = 200,
                   error: str | None = None, draft: str = "") -> HTMLResponse:
    """The incident page; its read (or refusal) is audited in a unit of its own, which
    commits, and a refusal is shown only after that; the page is then built in a read
    unit. `draft` is a refused update's note, offered again."""
    try:
        result = service.get_incident.run(guard.ctx, path_id(incident_id, "incident"))
        result.unwrap()  # the refusal, its audit row committed
    except CollsecError as exc:
        return registry_views.error_page(request, exc)
    return _show(request, guard, "incidents/incident.html",
                 lambda read, ctx: incident_data(read, ctx, guard, result), status=status,
                 error=error, draft=draft)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: str, guard: Guard = SIGNED_IN
                  ) -> HTMLResponse:
    return _incident_page(request, guard, incident_id)


@router.post("/incidents/{incident_id}/status")
def assess(request: Request, incident_id: str, guard: Guard = UPDATE,
           status: str = Form(""), note: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    """A duty officer of the reporting centre or the CRC moves the incident along (assesses
    it); escalation is left to a request for consultations or assistance."""
    check_csrf(request, guard, csrf_token)
    try:
        iid = path_id(incident_id, "incident")
        service.advance.run(guard.ctx, iid, status.strip()[:20], note[:service.MAX_NOTE + 1])
    except CollsecError as exc:
        return _incident_page(request, guard, incident_id, status=refusal_status(exc),
                              error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/incidents/{iid}#updates", status_code=303)


@router.post("/incidents/{incident_id}/updates")
def add_update(request: Request, incident_id: str, guard: Guard = UPDATE,
               note: str = Form(""), severity: str = Form(""), status: str = Form(""),
               csrf_token: str = Form("")) -> Response:
    """A duty officer of the reporting centre or the CRC adds what was learned, with a new
    severity and/or status if any (an empty choice leaves it as it is)."""
    check_csrf(request, guard, csrf_token)
    try:
        iid = path_id(incident_id, "incident")
        level = severity.strip()
        if level and not (level.isdigit() and len(level) <= 3):
            raise InvalidInput("severity '{level}' is not a level of the scale",
                               level=level[:20])
        new_status = status.strip()[:20] or None
        service.update_incident.run(guard.ctx, iid, note=note[:service.MAX_NOTE + 1],
                                    severity=int(level) if level else None,
                                    status=new_status)
    except CollsecError as exc:
        return _incident_page(request, guard, incident_id, status=refusal_status(exc),
                              draft=note[:service.MAX_NOTE],
                              error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/incidents/{iid}#updates", status_code=303)
