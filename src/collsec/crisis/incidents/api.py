"""JSON API for incidents: never public; lists and reads narrowed by the caller's clearance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, StrictInt

from collsec.core.times import parse_time
from collsec.crisis import geo
from collsec.crisis.incidents import answers, bulk, service
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import following, time_field, time_query

router = APIRouter(prefix="/api/v1", tags=["crisis"])
# Four numbers: what `service.parse_bbox` takes (which checks their ranges).
_NUMBER = r"-?(\d{1,3}(\.\d{1,12})?)"
BBOX = {"pattern": f"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"}
INCIDENT_ID = Path(ge=1, le=2**31 - 1, description="incident id")
SEVERITY_MIN = Query(None, ge=1, le=99, description="the lowest severity level kept")
OWNER = Query(None, min_length=1, max_length=service.MAX_OWNER,
              description="the reporting centre (a principal: delegation:KZ, organ:CRC)")


def _types(given: list[str] | None) -> list[str] | None:
    """`type` repeated, or given as one comma-separated list."""
    return [t for item in given or [] for t in item.split(",") if t.strip()] or None


@router.get("/incidents", response_model=answers.Incidents)
def incidents(request: Request, guard: Guard = Depends(Requires("read")),
              bbox: str | None = Query(None, min_length=7, max_length=200,
                                       json_schema_extra=BBOX,
                                       description="minlon,minlat,maxlon,maxlat"),
              since: str | None = time_query(),
              until: str | None = time_query(),
              type: list[str] | None = Query(None, description="incident type(s)"),
              status: str | None = Query(None, max_length=20),
              severity_min: int | None = SEVERITY_MIN,
              owner: str | None = OWNER,
              limit: int = Query(100, ge=1, le=service.MAX_PAGE,
                                 description="incidents in this page"),
              cursor: str | None = Query(None, max_length=200,
                                         description="the `next_cursor` of the page before"),
              ) -> dict[str, Any]:
    """Incidents the caller may read, newest first, a page at a time (signed-in callers
    only): `next` is the link to the following page, null on the last."""
    box = service.parse_bbox(bbox) if bbox else None
    after = service.Cursor.parse(cursor) if cursor else None
    page = service.page_incidents.run(
        guard.ctx, bbox=box, since=parse_time(since, "since"),
        until=parse_time(until, "until", end_of_day=True), types=_types(type), state=status,
        severity_min=severity_min, owner=owner, limit=limit, after=after)
    return {"incidents": [service.as_dict(r) for r in page.incidents],
            **following(request, str(page.next) if page.next else None)}


@router.get("/incidents/summary", response_model=answers.Summary)
def incidents_summary(guard: Guard = Depends(Requires("read")),
                      bbox: str | None = Query(None, min_length=7, max_length=200,
                                       json_schema_extra=BBOX,
                                               description="minlon,minlat,maxlon,maxlat"),
                      since: str | None = time_query(),
                      until: str | None = time_query(),
                      type: list[str] | None = Query(None, description="incident type(s)"),
                      status: str | None = Query(None, max_length=20),
                      severity_min: int | None = SEVERITY_MIN,
                      limit: int = Query(100, ge=1, le=service.MAX_SITUATION_LIMIT)
                      ) -> dict[str, Any]:
    """The situation picture: incidents per reporting state and the newest ones, over
    what the caller may read (declared before `/incidents/{id}`, which would claim it)."""
    box = service.parse_bbox(bbox) if bbox else None
    picture = service.situation.run(
        guard.ctx, bbox=box, since=parse_time(since, "since"),
        until=parse_time(until, "until", end_of_day=True), types=_types(type),
        state=status, severity_min=severity_min, limit=limit)
    return {"total": picture.total, "per_state": picture.per_state,
            "truncated": picture.truncated, "limit": picture.limit,
            "incidents": [service.as_dict(r) for r in picture.incidents]}


@router.get("/incidents/map", response_model=answers.Map)
def incidents_map(guard: Guard = Depends(Requires("read")),
                  bbox: str = Query(min_length=7, max_length=200, json_schema_extra=BBOX,
                                    description="the view: minlon,minlat,maxlon,maxlat"),
                  zoom: int = Query(ge=0, le=geo.MAX_ZOOM, description="the map's zoom"),
                  since: str | None = time_query(),
                  until: str | None = time_query(),
                  type: list[str] | None = Query(None, description="incident type(s)"),
                  status: str | None = Query(None, max_length=20),
                  severity_min: int | None = SEVERITY_MIN,
                  owner: str | None = OWNER) -> dict[str, Any]:
    """The situation map of a view, clustered by the database on the grid of the zoom
    (cells a quarter of a 256-pixel tile wide): a cell of at most `spread` incidents
    lists them in full, a fuller one is a cluster with its count. The answer's size
    follows the cells on screen, never the incidents behind them; a box of more than
    2,500 cells for its zoom is refused (declared before `/incidents/{id}`)."""
    view = service.map_view.run(
        guard.ctx, bbox=service.parse_bbox(bbox), zoom=zoom, since=parse_time(since, "since"),
        until=parse_time(until, "until", end_of_day=True), types=_types(type),
        state=status, severity_min=severity_min, owner=owner)
    return {"zoom": view.zoom, "cell": view.cell, "spread": service.SPREAD,
            "total": view.total,
            "clusters": [{"count": k.count, "point": (k.lon, k.lat), "severity": k.severity}
                         for k in view.clusters],
            "incidents": [service.as_dict(r) for r in view.incidents]}


# `:int`: not /incidents/import, which is a POST
@router.get("/incidents/{incident_id:int}", response_model=answers.IncidentRead)
def incident(incident_id: int = INCIDENT_ID, guard: Guard = Depends(Requires("read"))
             ) -> dict[str, Any]:
    """One incident with its updates; 403 with the rule's reason when refused (audited)."""
    return _read_back(guard, incident_id)


def _read_back(guard: Guard, incident_id: int) -> dict[str, Any]:
    result = service.get_incident.run(guard.ctx, incident_id)
    row = result.unwrap()  # a refusal is raised only after its audit row committed
    return service.as_dict(row, result.released_to if row.visibility == "restricted"
                           else None, result.updates)


class IncidentIn(Body):
    type: str = Field(max_length=40)
    severity: StrictInt | None = None
    occurred_at: str = time_field()
    geometry: dict[str, Any]
    title: str = Field(max_length=service.MAX_TITLE)
    description: str = Field("", max_length=service.MAX_DESCRIPTION)
    released_to: list[str] = Field([], max_length=200)


class ImportIn(Body):
    reports: list[IncidentIn] = Field(min_length=1, max_length=bulk.MAX_IMPORT)


class StatusIn(Body):
    status: str = Field(max_length=20)
    note: str = Field("", max_length=service.MAX_NOTE)


class UpdateIn(Body):
    note: str = Field("", max_length=service.MAX_NOTE)
    severity: StrictInt | None = None
    status: str | None = Field(None, max_length=20)


@router.post("/incidents", status_code=201, response_model=answers.IncidentRead)
def report_incident(body: IncidentIn, guard: Guard = Depends(Requires("report_incident"))
                    ) -> dict[str, Any]:
    """Report an incident for one's crisis centre (role `duty_officer`)."""
    when = service.parse_occurred_at(body.occurred_at)
    return service.report_incident.answer(
        _reported, guard.ctx, type=body.type, severity=body.severity, occurred_at=when,
        geometry=body.geometry, title=body.title, description=body.description,
        released_to=body.released_to)


def _reported(row: service.Incident) -> dict[str, Any]:
    """A new report as a read of it answers, made in its transaction (so a retry under
    its Idempotency-Key gets it even if the first answer was lost)."""
    return service.as_dict(row, list(row.released_to) if row.visibility == "restricted"
                           else None, [])


@router.post("/incidents/import", status_code=201, response_model=answers.Imported)
def import_incidents(body: ImportIn, guard: Guard = Depends(Requires("report_incident"))
                     ) -> dict[str, Any]:
    """Report many incidents for one's crisis centre at once, all or none: a refused report
    refuses the batch, named by its index (role `duty_officer`)."""
    return bulk.import_incidents.answer(lambda ids: {"imported": len(ids), "ids": ids},
                                        guard.ctx, [r.model_dump() for r in body.reports])


@router.post("/incidents/{incident_id}/status", response_model=answers.Incident)
def advance_incident(body: StatusIn, incident_id: int = INCIDENT_ID,
                     guard: Guard = Depends(Requires("update_incident"))) -> dict[str, Any]:
    """Move an incident along its workflow (its reporting centre or the CRC)."""
    return service.advance.answer(service.as_dict, guard.ctx, incident_id, body.status,
                                  body.note)


@router.post("/incidents/{incident_id}/updates", response_model=answers.IncidentRead)
def update_incident(body: UpdateIn, incident_id: int = INCIDENT_ID,
                    guard: Guard = Depends(Requires("update_incident"))) -> dict[str, Any]:
    """Add a follow-up: what was learned, a revised severity, a status move (its reporting
    centre or the CRC); answers with the incident and all its updates."""
    service.update_incident.run(guard.ctx, incident_id, note=body.note,
                                severity=body.severity, status=body.status)
    return _read_back(guard, incident_id)
