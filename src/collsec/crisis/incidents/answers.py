"""What the incidents' API answers (`crisis.incidents.api`), as the OpenAPI document
declares it: incidents as a list shows them and as a read shows them (with their
follow-ups), the pages, the summary and the clustered map."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from collsec.core.auth.model import MARKINGS
from collsec.web.shapes import Moment, Page, one_of


class Incident(BaseModel):
    """An incident as every list shows it."""

    id: int
    organization: str
    type: str
    severity: int
    status: str
    occurred_at: Moment
    reported_at: Moment
    reported_by: str
    owner: str = Field(description="the reporting principal (delegation:KZ, organ:CRC)")
    visibility: str = one_of(MARKINGS)
    geometry: dict[str, Any] = Field(description="a GeoJSON geometry (RFC 7946)")
    bbox: tuple[float, float, float, float] = Field(
        description="minlon, minlat, maxlon, maxlat")
    point: tuple[float, float] = Field(description="the representative point: lon, lat")
    title: str
    description: str
    released_to: list[str] | None = Field(
        description="whom a restricted incident is released to; null in lists and for "
                    "an incident every member reads")


class Update(BaseModel):
    at: Moment
    by: str
    from_: str = Field(alias="from")
    to: str
    severity_from: int | None
    severity_to: int | None
    note: str


class IncidentRead(Incident):
    """An incident as a read of it shows it: with its follow-ups, oldest first."""

    updates: list[Update]


class Incidents(Page):
    incidents: list[Incident]


class Summary(BaseModel):
    total: int
    per_state: dict[str, int] = Field(description="incidents per reporting principal")
    truncated: bool
    limit: int
    incidents: list[Incident]


class Cluster(BaseModel):
    count: int = Field(description="incidents in the cluster (more than `spread`)")
    point: tuple[float, float] = Field(description="the mean of their points (lon, lat), "
                                       "inside their grid cell")
    severity: int = Field(description="the highest severity among them")


class Map(BaseModel):
    zoom: int
    cell: float = Field(description="the side of the grid's cells, in degrees")
    spread: int = Field(description="a cell with at most this many incidents lists them")
    total: int = Field(description="incidents in the view")
    clusters: list[Cluster]
    incidents: list[Incident] = Field(description="the incidents of the cells that are "
                                      "not clusters, newest first")


class Imported(BaseModel):
    imported: int
    ids: list[int]
