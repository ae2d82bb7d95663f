"""JSON API of the exchange: reports, their triage and their release, narrowed by the
caller's clearance on every answer (the service decides and audits)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from collsec.core import paging
from collsec.core.commands import reading
from collsec.core.errors import InvalidInput
from collsec.core.problems import MEDIA_TYPE
from collsec.crisis.live import api as live_api
from collsec.exchange import answers, export, files, model, service, stix, stix_store, subjects
from collsec.exchange.model import CLASSIFICATIONS, SCOPES, STATUSES, STEP_ACTIONS, TLP_LABELS
from collsec.exchange.subjects import KINDS
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import PAGE_CURSOR, PAGE_LIMIT, following, given_once
from collsec.web.shapes import one_of

router = APIRouter(prefix="/api/v1", tags=["exchange"])
REPORT_ID = Path(ge=1, le=2**31 - 1, description="report id")
READ = Depends(Requires("read"))
WITHDRAWN = {410: {"description": "the report was withdrawn from the caller's principal, "
                                  "which had read it: when, by whom and why",
                   "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


def _page_below(cursor: str | None) -> int | None:
    return paging.below("reports", cursor) if cursor else None


@router.get("/reports", response_model=answers.Reports)
def reports(request: Request, guard: Guard = READ,
            q: str | None = Query(None, max_length=500, description="words in the title or "
                                                                    "the body"),
            tlp: str | None = Query(None, description="a TLP label",
                                    json_schema_extra={"enum": ["", *TLP_LABELS]}),
            scope: str | None = Query(None, description="a releasability",
                                      json_schema_extra={"enum": ["", *SCOPES]}),
            originator: str | None = Query(None, max_length=60,
                                           description="a principal, e.g. delegation:KZ"),
            status: str | None = Query(None, description="a triage status",
                                       json_schema_extra={"enum": ["", *STATUSES]}),
            entity: str | None = Query(None, max_length=300, description="about a subject: "
                                       "a list entry's code, an incident's number, a name"),
            limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR) -> dict[str, Any]:
    """The reports the caller may read, newest first, a page at a time; each restricted
    report in the answer is audited."""
    given_once(request, "q", "tlp", "scope", "originator", "status", "entity", "limit",
               "cursor")
    rows = service.list_reports.run(guard.ctx, query=q, tlp=tlp or None, scope=scope or None,
                                    originator=originator or None, status=status or None,
                                    entity=entity or None, limit=limit + 1,
                                    before=_page_below(cursor))
    following_cursor = paging.cursor("reports", rows[limit - 1].id) if len(rows) > limit \
        else None
    return {"reports": [service.summary(r) for r in rows[:limit]],
            **following(request, following_cursor)}


@router.get("/report-withdrawals", response_model=answers.Withdrawals)
def withdrawn(guard: Guard = READ) -> dict[str, Any]:
    """The reports taken back from the caller's principal after it had read them."""
    with reading(guard.ctx) as read:
        rows = read(service.withdrawn_from)
    return {"withdrawals": [service.withdrawal(w) for w in rows]}


@router.get("/report-stream", response_class=StreamingResponse,
            responses=live_api.STREAM_RESPONSES)
def report_stream(request: Request, guard: Guard = READ,
                  last_event_id: str | None = Header(None, max_length=40)
                  ) -> StreamingResponse:
    """Reports the caller may read as they are released, imported, widened or narrowed
    (server-sent events `report`, ids `seq.index` as on the incidents' stream); a reader
    the report is withdrawn from, which had read it, gets the withdrawal instead."""
    return live_api.stream(request, guard, last_event_id, model.LIVE_TOPIC)


@router.get("/reports/{report_id}", response_model=answers.Report, responses=WITHDRAWN)
def report(report_id: int = REPORT_ID, guard: Guard = READ) -> dict[str, Any]:
    """One report with its history; 404 for a report the caller may not read (as for one
    that does not exist), 410 for one withdrawn from it."""
    return service.get_report.present(lambda read: service.detail(read.unwrap()), guard.ctx,
                                      report_id)


STATE = Field(pattern=r"^[A-Za-z]{2}$", description="a state code")


STIX_MEDIA = "application/stix+json;version=2.1"
STIX_ANSWER = {200: {"description": "a STIX 2.1 bundle",
                     "content": {STIX_MEDIA: {"schema": {"type": "object"}}}}}


def stix_response(objects: list[dict[str, Any]]) -> StreamingResponse:
    """A bundle sent as it is written, never held whole as one text."""
    return StreamingResponse(stix.bundle_chunks(objects, export.bundle_id()),
                             media_type=STIX_MEDIA)


@router.get("/reports/{report_id}/stix", response_class=StreamingResponse,
            responses={**STIX_ANSWER, **WITHDRAWN})
def report_stix(report_id: int = REPORT_ID, guard: Guard = READ) -> StreamingResponse:
    """One report as a STIX 2.1 bundle: the report, its originator's identity, its TLP 2.0
    marking, and collsec's extension with its releasability."""
    return stix_response(export.report_bundle.run(guard.ctx, report_id))


@router.get("/stix/reports", response_class=StreamingResponse, responses=STIX_ANSWER)
def reports_stix(request: Request, guard: Guard = Depends(Requires("export")),
                 q: str | None = Query(None, max_length=500, description="words in the "
                                                                         "title or the body"),
                 tlp: str | None = Query(None, description="a TLP label",
                                         json_schema_extra={"enum": ["", *TLP_LABELS]}),
                 scope: str | None = Query(None, description="a releasability",
                                           json_schema_extra={"enum": ["", *SCOPES]}),
                 status: str | None = Query(None, description="a triage status",
                                            json_schema_extra={"enum": ["", *STATUSES]}),
                 limit: int = Query(1000, ge=1, le=export.MAX_REPORTS,
                                    description="the newest N")) -> StreamingResponse:
    """The reports a search finds among those the caller may read, as one STIX 2.1 bundle
    (role with `export`); each restricted one is audited as in a list."""
    given_once(request, "q", "tlp", "scope", "status", "limit")
    return stix_response(export.reports_bundle.run(
        guard.ctx, query=q, tlp=tlp or None, scope=scope or None, status=status or None,
        limit=limit))


BUNDLE_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": ["bundle"]},
        "id": {"type": "string"}, "objects": {"type": "array", "items": {"type": "object"}}}}}
    for media in ("application/json", STIX_MEDIA)}}}


@router.post("/stix/bundles", status_code=201, response_model=answers.ImportResult,
             openapi_extra=BUNDLE_BODY)
async def import_bundle(request: Request, guard: Guard = Depends(Requires("release_report"))
                        ) -> dict[str, Any]:
    """Take a STIX 2.1 bundle from the caller's service's own tool (role
    `releasing_officer`): each report becomes a released report of the service with the
    reach its TLP marking allows at most (or collsec's extension names); every object is
    held for TAXII with the same reach; an object already held in that version is
    skipped. All or nothing."""
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body is not JSON: send a STIX 2.1 bundle") from None
    done = stix_store.import_bundle.run(guard.ctx, bundle=data)
    return {"added": done.added, "updated": done.updated, "skipped": done.skipped,
            "reports": done.reports,
            "objects": [{"id": i, "result": r} for i, r in done.results]}


class ReleasabilityIn(Body):
    scope: str = one_of(SCOPES)
    states: list[Annotated[str, STATE]] = Field([], max_length=20)


class SubjectIn(Body):
    kind: str = one_of(KINDS)
    ref: str | None = Field(None, max_length=80, description="a list entry's code (for an "
                            "organization), an incident's number (for an incident)")
    name: str | None = Field(None, max_length=subjects.MAX_NAME,
                             description="a person's or a place's name")
    geometry: dict[str, Any] | None = Field(None, description="a place's GeoJSON geometry")

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


SUBJECTS = Field([], max_length=subjects.MAX_SUBJECTS, description="what the report is about")


class ReportIn(Body):
    title: str = Field(min_length=1, max_length=service.MAX_TITLE)
    body: str = Field("", max_length=service.MAX_BODY)
    tlp: str = one_of(TLP_LABELS)
    releasability: ReleasabilityIn
    classification: str | None = one_of([*CLASSIFICATIONS, None], None)
    subjects: list[SubjectIn] = SUBJECTS


@router.post("/reports", status_code=201, response_model=answers.Report)
def write(data: ReportIn, guard: Guard = Depends(Requires("draft_report"))) -> dict[str, Any]:
    """A new draft of the caller's service (role `reporting_analyst`); it reaches nobody
    else until it is released."""
    return service.write_report.answer(
        lambda row: service.detail(service.own_view(row)), guard.ctx, title=data.title,
        body=data.body, tlp=data.tlp, scope=data.releasability.scope,
        states=data.releasability.states, classification=data.classification,
        about=[x.given() for x in data.subjects])


class EditIn(Body):
    title: str | None = Field(None, min_length=1, max_length=service.MAX_TITLE)
    body: str | None = Field(None, max_length=service.MAX_BODY)
    tlp: str | None = one_of([*TLP_LABELS, None], None)
    releasability: ReleasabilityIn | None = None
    classification: str | None = one_of([*CLASSIFICATIONS, None], None)
    subjects: list[SubjectIn] | None = Field(None, max_length=subjects.MAX_SUBJECTS,
                                             description="replaces the report's subjects")


@router.patch("/reports/{report_id}", response_model=answers.Report)
def edit(data: EditIn, report_id: int = REPORT_ID,
         guard: Guard = Depends(Requires("draft_report"))) -> dict[str, Any]:
    """Change a draft of the caller's service."""
    rel = data.releasability
    return service.edit_report.present(
        lambda row: service.detail(service.own_view(row)), guard.ctx, report_id=report_id,
        title=data.title, body=data.body, tlp=data.tlp, scope=rel.scope if rel else None,
        states=rel.states if rel else None, classification=data.classification,
        about=None if data.subjects is None else [x.given() for x in data.subjects])


FILE_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "description": "the file's bytes; its type is sniffed from them, whatever the request "
                   "declares"}}


@router.post("/reports/{report_id}/attachments", status_code=201,
             response_model=answers.Attachment, openapi_extra=FILE_BODY)
async def attach(request: Request, report_id: int = REPORT_ID,
                 name: str = Query(min_length=1, max_length=files.MAX_NAME,
                                   description="the file's name"),
                 guard: Guard = Depends(Requires("draft_report"))) -> dict[str, Any]:
    """Add a file to a draft of the caller's service: its type is sniffed from its bytes
    and must be one the charter data accepts; the same file twice is refused."""
    given_once(request, "name")
    data = await request.body()
    return service.attach_file.answer(service.attachment, guard.ctx, report_id=report_id,
                                      name=name, data=data)


ATTACHMENT_ID = Path(ge=1, le=2**31 - 1, description="attachment id")


@router.delete("/reports/{report_id}/attachments/{attachment_id}",
               response_model=answers.Report)
def detach(report_id: int = REPORT_ID, attachment_id: int = ATTACHMENT_ID,
           guard: Guard = Depends(Requires("draft_report"))) -> dict[str, Any]:
    """Take a file off a draft of the caller's service."""
    return service.detach_file.answer(lambda row: service.detail(service.own_view(row)),
                                      guard.ctx, report_id=report_id,
                                      attachment_id=attachment_id)


@router.get("/reports/{report_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"description": "the file, as it was attached",
                             "content": {"application/octet-stream": {}}}, **WITHDRAWN})
def attachment(report_id: int = REPORT_ID, attachment_id: int = ATTACHMENT_ID,
               guard: Guard = READ) -> Response:
    """One file of a report the caller may read, audited as a read of the report."""
    read = service.get_attachment.run(guard.ctx, report_id, attachment_id).unwrap()
    return file_response(read)


def file_response(read: service.FileRead) -> Response:
    """A file offered for download, never shown in place: its own sniffed type, its name
    in the header's both forms (RFC 6266), its hash as the entity tag."""
    f = read.file
    assert f is not None
    plain = f.name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return Response(read.data, media_type=f.media_type, headers={
        "content-disposition": f"attachment; filename=\"{plain}\"; "
                               f"filename*=UTF-8''{quote(f.name, safe='')}",
        "etag": f'"{f.sha256}"', "content-security-policy": "sandbox"})


class NoteIn(Body):
    note: str = Field("", max_length=service.MAX_NOTE)


def _step(name: str, action: str, summary: str) -> None:
    command = getattr(service, f"{name}_report")

    def step(data: NoteIn, report_id: int = REPORT_ID,
             guard: Guard = Depends(Requires(action))) -> dict[str, Any]:
        return command.answer(lambda row: service.detail(service.own_view(row)), guard.ctx,
                              report_id=report_id, note=data.note)

    step.__doc__ = summary
    step.__name__ = f"{name}_report"
    router.add_api_route(f"/reports/{{report_id}}/{name}", step, methods=["POST"],
                         response_model=answers.Report, name=f"{name}_report")


STEP_SUMMARIES = {
    "submit": "The author hands the draft to a verifier of the same service.",
    "return": "A verifier sends a submitted report back to its author, with a note saying why.",
    "verify": "Another officer of the service checks the report (never its author).",
    "release": "The releasing officer lets a verified report go to those its releasability "
               "names (never its author)."}
for _move, _action in STEP_ACTIONS.items():
    _step(_move, _action, STEP_SUMMARIES[_move])


class ChangeIn(Body):
    scope: str = one_of(SCOPES)
    states: list[Annotated[str, STATE]] = Field([], max_length=20)
    note: str = Field("", max_length=service.MAX_NOTE)


@router.put("/reports/{report_id}/releasability", response_model=answers.Changed)
def change(data: ChangeIn, report_id: int = REPORT_ID,
           guard: Guard = Depends(Requires("release_report"))) -> dict[str, Any]:
    """Widen a released report's releasability, or narrow it: a narrowing withdraws it from
    every principal that had read it and may no longer, and they are told so."""
    return service.change_release.present(
        lambda done: {"report": service.detail(service.own_view(done[0])),
                      "withdrawn_from": done[1]},
        guard.ctx, report_id=report_id, scope=data.scope, states=data.states, note=data.note)

