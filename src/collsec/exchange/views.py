"""HTML pages of the exchange: the reports a reader may see, one report with its marking,
history and (for its originator) who read it, the form a service writes a report with,
and the triage and release buttons.

Access declarations: every page needs a signed-in reader (`Requires("read")`); the forms
declare the action they run. The service decides what each reader sees and audits it;
a page offers a button only where the decision point allows it (presentation only, the
service asks again). Posts carry the session's CSRF token and answer 303 to the report's
page, so a reload never posts twice; a refusal shows the page again with the service's
message, nothing written.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n, paging
from collsec.core.auth import service as auth
from collsec.core.commands import Reading
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, Phrase
from collsec.exchange import listing, service, stix_store, subjects
from collsec.exchange.model import CLASSIFICATIONS, STATUSES, STEP_ACTIONS, STEPS
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.frame import path_id, refusal_status
from collsec.web.frame import show as _show
from collsec.web.markdown import render as markdown
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
STATES = Annotated[list[str] | None, Form()]  # the states ticked, for named states

SIGNED_IN = Depends(Requires("read"))
DRAFT = Depends(Requires("draft_report"))
PAGE = 50


def _labels(org: str, lang: str) -> dict[str, Any]:
    r = service.rules(org)
    return {"scopes": {s.code: s.name(lang) for s in r.scopes},
            "named_scopes": [s.code for s in r.scopes if s.named],
            "tlp": [t.code for t in r.labels], "widest": {t.code: t.widest for t in r.labels},
            "classifications": [c for c in CLASSIFICATIONS if c in r.classifications],
            "default_classification": r.default_classification}


def _members(read: Reading, guard: Guard) -> list[Any]:
    """The member states on the reader's day, to name in a release to named states."""
    return [m.state for m in read(registry.members, guard.org, guard.today)]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, guard: Guard = SIGNED_IN, q: str = "", tlp: str = "",
                 scope: str = "", status: str = "", entity: str = "", cursor: str = ""
                 ) -> HTMLResponse:
    """The reports the reader may see, newest first, with search and filters."""
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        text = cursor.strip()[:100]
        before = paging.below("reports", text) if page_cursor(text) else None
        rows = read(service.list_reports, query=q.strip()[:500] or None,
                    tlp=tlp.strip()[:20] or None, scope=scope.strip()[:30] or None,
                    status=status.strip()[:20] or None, entity=entity.strip()[:300] or None,
                    limit=PAGE + 1, before=before)
        following = paging.cursor("reports", rows[PAGE - 1].id) if len(rows) > PAGE else None
        return {"reports": rows[:PAGE], "next_page": page_link(request, following),
                "withdrawals": read(service.withdrawn_from, limit=20),
                "filters": {"q": q[:500], "tlp": tlp[:20], "scope": scope[:30],
                            "status": status[:20], "entity": entity[:300]},
                "statuses": STATUSES, "labels": _labels(guard.org, ctx.lang),
                "may_write": auth.allows(guard.clearance, "draft_report",
                                         originator=guard.clearance.principal).allowed,
                "may_import": auth.allows(guard.clearance, "release_report",
                                          originator=guard.clearance.principal).allowed,
                "may_export": "export" in guard.clearance.actions,
                "export_query": urlencode({k: v for k, v in (
                    ("q", q.strip()[:500]), ("tlp", tlp.strip()[:20]),
                    ("scope", scope.strip()[:30]), ("status", status.strip()[:20])) if v})}
    return _show(request, guard, "exchange/list.html", build)


@router.get("/reports/new", response_class=HTMLResponse)
def new_report(request: Request, guard: Guard = DRAFT) -> HTMLResponse:
    return _form_page(request, guard)


def _form_page(request: Request, guard: Guard, *, status: int = 200, error: str | None = None,
               draft: dict[str, Any] | None = None, editing: int | None = None
               ) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        return {"editing": editing, "labels": _labels(guard.org, ctx.lang),
                "members": _members(read, guard),
                "entries": _entries(read, guard), "csrf": guard.csrf or "",
                "draft": draft or {}, "error": error}
    return _show(request, guard, "exchange/new.html", build, status=status)


def _entries(read: Reading, guard: Guard) -> list[Any]:
    """The unified list's entries a report may be about (none for a reader below the
    members' level, who may not read the list)."""
    try:
        return [v.row for v in read(listing.list_entries, on=guard.today)]
    except CollsecError:
        return []


def _about(organizations: list[str], persons: str, places: str, incidents: str
           ) -> list[dict[str, Any]]:
    """The form's subjects as the service takes them: entries ticked, a person a line, a
    place a line (`name; longitude latitude`), incident numbers apart by spaces or commas."""
    about: list[dict[str, Any]] = [{"kind": "organization", "ref": code[:80]}
                                   for code in organizations[:subjects.MAX_SUBJECTS]]
    about += [{"kind": "person", "name": line.strip()}
              for line in persons.splitlines()[:subjects.MAX_SUBJECTS + 1] if line.strip()]
    for n, line in enumerate(places.splitlines()[:subjects.MAX_SUBJECTS + 1]):
        if not line.strip():
            continue
        if "; {" in line:  # a geometry other than a point, as GeoJSON (the edit form's)
            name, _, shape = line.partition("; {")
            try:
                geometry = json.loads("{" + shape)
            except ValueError:
                raise InvalidInput("place line {n}: the GeoJSON after the semicolon is not "
                                   "JSON", n=n + 1) from None
            about.append({"kind": "place", "name": name.strip(), "geometry": geometry})
            continue
        name, _, where = line.rpartition(";")
        try:
            lon, lat = (float(x) for x in where.replace(",", " ").split())
        except ValueError:
            raise InvalidInput("place line {n}: write the name, a semicolon, then the "
                               "longitude and the latitude (Astana; 71.45 51.17)",
                               n=n + 1) from None
        about.append({"kind": "place", "name": name.strip(),
                      "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    about += [{"kind": "incident", "ref": ref}
              for ref in incidents.replace(",", " ").split()[:subjects.MAX_SUBJECTS + 1]]
    return about


LIST = Annotated[list[str] | None, Form()]


def _draft_form(title: str, body: str, tlp: str, scope: str, states: list[str],
                classification: str, organizations: list[str], persons: str, places: str,
                incidents: str) -> dict[str, Any]:
    """What the form sent, cut one past its limits (so the service refuses what is too long
    rather than the form shortening it): shown again on a refusal."""
    return {"title": title[:service.MAX_TITLE + 1], "body": body[:service.MAX_BODY + 1],
            "tlp": tlp,
            "scope": scope, "states": states[:20], "classification": classification,
            "organizations": organizations[:subjects.MAX_SUBJECTS],
            "persons": persons[:20_000], "places": places[:20_000],
            "incidents": incidents[:2000]}


def _terms(d: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the write and edit commands take them."""
    scope = str(d["scope"]).strip()[:30]
    return {"title": d["title"], "body": d["body"],
            "tlp": str(d["tlp"]).strip()[:20], "scope": scope,
            "states": [s[:2] for s in d["states"]] if scope == "states" else [],
            "classification": str(d["classification"]).strip()[:40] or None,
            "about": _about(d["organizations"], d["persons"], d["places"], d["incidents"])}


@router.post("/reports")
def write_report(request: Request, guard: Guard = DRAFT, title: str = Form(""),
                 body: str = Form(""), tlp: str = Form(""), scope: str = Form(""),
                 states: STATES = None, classification: str = Form(""),
                 organizations: LIST = None, persons: str = Form(""), places: str = Form(""),
                 incidents: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    draft = _draft_form(title, body, tlp, scope, states or [], classification,
                        organizations or [], persons, places, incidents)
    try:
        row = service.write_report.run(guard.ctx, **_terms(draft))
    except CollsecError as exc:
        return _form_page(request, guard, status=refusal_status(exc), draft=draft,
                          error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/reports/{row.id}", status_code=303)


def _as_form(read: service.ReportRead) -> dict[str, Any]:
    """A draft's fields as the form shows them."""
    row = read.row
    assert row is not None
    places = []
    for x in read.subjects:
        if x.kind == "place":
            shape = json.loads(x.geometry)
            places.append(f"{x.name}; {shape['coordinates'][0]} {shape['coordinates'][1]}"
                          if shape.get("type") == "Point" else f"{x.name}; {x.geometry}")
    return {"title": row.title, "body": row.body, "tlp": row.tlp, "scope": row.scope,
            "states": row.states.split(), "classification": row.classification,
            "organizations": [x.ref for x in read.subjects if x.kind == "organization"],
            "persons": "\n".join(x.name for x in read.subjects if x.kind == "person"),
            "places": "\n".join(places),
            "incidents": " ".join(x.ref for x in read.subjects if x.kind == "incident")}


@router.get("/reports/{report_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, report_id: str, guard: Guard = DRAFT) -> HTMLResponse:
    """A draft of the reader's service in the form it was written with."""
    try:
        read = service.get_report.run(guard.ctx, path_id(report_id, "report")).unwrap()
        assert read.row is not None
        if read.row.status != "draft" or not auth.allows(
                guard.clearance, "draft_report", originator=read.row.owner).allowed:
            raise Conflict("only a draft can be changed; this report is {status}",
                           status=Phrase(read.row.status))
    except CollsecError as exc:
        return registry_views.error_page(request, exc)
    return _form_page(request, guard, draft=_as_form(read), editing=read.row.id)


@router.post("/reports/{report_id}/edit")
def edit_report(request: Request, report_id: str, guard: Guard = DRAFT,
                title: str = Form(""), body: str = Form(""), tlp: str = Form(""),
                scope: str = Form(""), states: STATES = None, classification: str = Form(""),
                organizations: LIST = None, persons: str = Form(""), places: str = Form(""),
                incidents: str = Form(""), csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    draft = _draft_form(title, body, tlp, scope, states or [], classification,
                        organizations or [], persons, places, incidents)
    try:
        rid = path_id(report_id, "report")
        service.edit_report.run(guard.ctx, report_id=rid, **_terms(draft))
    except CollsecError as exc:
        return _form_page(request, guard, status=refusal_status(exc), draft=draft,
                          error=i18n.message(exc, guard.ctx.lang),
                          editing=int(report_id) if report_id.isdigit() else None)
    return RedirectResponse(f"/reports/{rid}", status_code=303)


RELEASE = Depends(Requires("release_report"))


@router.get("/reports/import", response_class=HTMLResponse)
def import_page(request: Request, guard: Guard = RELEASE) -> HTMLResponse:
    return _import_page(request, guard)


def _import_page(request: Request, guard: Guard, *, status: int = 200,
                 error: str | None = None, done: Any = None) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        return {"csrf": guard.csrf or "", "error": error, "done": done}
    return _show(request, guard, "exchange/import.html", build, status=status)


@router.post("/reports/import")
async def import_bundle(request: Request, guard: Guard = RELEASE) -> Response:
    """A STIX 2.1 bundle uploaded from a member service's own tool: taken as one command,
    each object's result shown."""
    form = await request.form()
    check_csrf(request, guard, str(form.get("csrf_token") or ""))
    upload = form.get("bundle")
    try:
        if upload is None or isinstance(upload, str):
            raise InvalidInput("choose a bundle's file to upload")
        data = json.loads(await upload.read())
        done = stix_store.import_bundle.run(guard.ctx, bundle=data)
    except (ValueError, UnicodeDecodeError):
        return _import_page(request, guard, status=400, error=i18n.message(InvalidInput(
            "the file is not JSON: choose a STIX 2.1 bundle"), guard.ctx.lang))
    except CollsecError as exc:
        return _import_page(request, guard, status=refusal_status(exc),
                            error=i18n.message(exc, guard.ctx.lang))
    return _import_page(request, guard, done=done)


def _report_page(request: Request, guard: Guard, report_id: str, *, status: int = 200,
                 error: str | None = None) -> HTMLResponse:
    """The report's page; its read (or refusal) is audited in a unit of its own, which
    commits before a refusal is shown."""
    try:
        result = service.get_report.run(guard.ctx, path_id(report_id, "report"))
        if result.withdrawal is None:
            result.unwrap()
    except CollsecError as exc:
        return registry_views.error_page(request, exc)

    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        if result.withdrawal is not None:
            return {"withdrawal": result.withdrawal, "report": None}
        row = result.row
        if row is None:
            raise NotFound("unknown report {id}", id=report_id)
        c = guard.clearance
        steps = [move for move, (source, _) in STEPS.items() if source == row.status
                 and auth.allows(c, STEP_ACTIONS[move], originator=row.owner).allowed]
        may_change = (row.status == "released"
                      and auth.allows(c, "release_report", originator=row.owner).allowed)
        may_attach = (row.status == "draft"
                      and auth.allows(c, "draft_report", originator=row.owner).allowed)
        return {"withdrawal": None, "report": row, "body_html": markdown(row.body),
                "released_to": result.released_to, "history": result.history,
                "readers": result.readers, "owner_view": result.owner_view, "steps": steps,
                "may_change": may_change, "labels": _labels(guard.org, ctx.lang),
                "members": _members(read, guard) if may_change else [], "csrf": guard.csrf or "",
                "subjects": result.subjects, "attachments": result.attachments,
                "places": {x.id: json.loads(x.geometry) for x in result.subjects
                           if x.geometry},
                "may_attach": may_attach, "policy": service.rules(row.org).attachments,
                "error": error}
    return _show(request, guard, "exchange/report.html", build,
                 status=410 if result.withdrawal is not None else status)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: str, guard: Guard = SIGNED_IN) -> HTMLResponse:
    return _report_page(request, guard, report_id)


def _step_route(move: str) -> None:
    command = getattr(service, f"{move}_report")

    def step(request: Request, report_id: str,
             guard: Guard = Depends(Requires(STEP_ACTIONS[move])), note: str = Form(""),
             csrf_token: str = Form("")) -> Response:
        check_csrf(request, guard, csrf_token)
        try:
            rid = path_id(report_id, "report")
            command.run(guard.ctx, report_id=rid, note=note[:service.MAX_NOTE + 1])
        except CollsecError as exc:
            return _report_page(request, guard, report_id, status=refusal_status(exc),
                                error=i18n.message(exc, guard.ctx.lang))
        return RedirectResponse(f"/reports/{rid}#history", status_code=303)

    step.__name__ = f"{move}_report_form"
    router.add_api_route(f"/reports/{{report_id}}/{move}", step, methods=["POST"],
                         name=f"{move}_report_form")


for _move in STEP_ACTIONS:
    _step_route(_move)


@router.post("/reports/{report_id}/releasability")
def change_releasability(request: Request, report_id: str,
                         guard: Guard = Depends(Requires("release_report")),
                         scope: str = Form(""), states: STATES = None,
                         note: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Widen or narrow a released report's releasability (a narrowing is a withdrawal)."""
    check_csrf(request, guard, csrf_token)
    states = states or []
    try:
        rid = path_id(report_id, "report")
        service.change_release.run(
            guard.ctx, report_id=rid, scope=scope.strip()[:30],
            states=[s[:2] for s in states[:20]] if scope.strip() == "states" else [],
            note=note[:service.MAX_NOTE + 1])
    except CollsecError as exc:
        return _report_page(request, guard, report_id, status=refusal_status(exc),
                            error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/reports/{rid}#history", status_code=303)



@router.post("/reports/{report_id}/attachments")
async def attach(request: Request, report_id: str, guard: Guard = DRAFT) -> Response:
    """A file for a draft, chosen on its page."""
    form = await request.form()
    check_csrf(request, guard, str(form.get("csrf_token") or ""))
    upload = form.get("file")
    try:
        rid = path_id(report_id, "report")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInput("choose a file to attach")
        service.attach_file.run(guard.ctx, report_id=rid, name=upload.filename,
                                data=await upload.read())
    except CollsecError as exc:
        return _report_page(request, guard, report_id, status=refusal_status(exc),
                            error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/reports/{rid}#attachments", status_code=303)


@router.post("/reports/{report_id}/attachments/{attachment_id}/remove")
def detach(request: Request, report_id: str, attachment_id: str, guard: Guard = DRAFT,
           csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        rid = path_id(report_id, "report")
        service.detach_file.run(guard.ctx, report_id=rid,
                                attachment_id=path_id(attachment_id, "attachment"))
    except CollsecError as exc:
        return _report_page(request, guard, report_id, status=refusal_status(exc),
                            error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse(f"/reports/{rid}#attachments", status_code=303)
