"""SQLAlchemy mapping of incidents and their updates."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core.db import Base


class IncidentRow(Base):
    """An incident a national crisis centre (or the CRC) reported; a marked object."""

    __tablename__ = "incidents"
    __table_args__ = (
        # The map's index: the points of one organization, with every column its filters,
        # its narrowing and its clusters read, so a view's cells come from the index alone
        # (at a million incidents the table's rows were three quarters of the time).
        Index("ix_incidents_map", "org", "lon", "lat", "occurred_at", "type", "severity",
              "status", "visibility", "owner", "exercise_run", "id"),
        # The situation picture's index: a time window of one organization, holding every
        # column its filters and the decision point's narrowing read, so the counts come
        # from the index alone and only the newest rows shown are fetched from the table.
        # Time first: a week is a narrow range with or without a type filter, and the
        # planner never trades it for an index that merely avoids the sort.
        Index("ix_incidents_window", "org", "occurred_at", "type", "severity", "min_lon",
              "max_lon", "min_lat", "max_lat", "visibility", "owner", "exercise_run", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(String(80))  # user name
    owner: Mapped[str] = mapped_column(String(60))  # the reporting principal
    visibility: Mapped[str] = mapped_column(String(20), index=True)  # members or restricted
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, as JSON text
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)  # the representative point
    lat: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    # the exercise run it was reported in (exercise mode); NULL: a real incident. The
    # decision point reads it (`auth.narrow`, `may_read`): no real picture shows a run's.
    exercise_run: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)


class IncidentUpdateRow(Base):
    """One update of an incident: what was learned, and the status move and severity change
    it made, if any (equal status columns when the status stayed; severity columns set only
    when the severity changed)."""

    __tablename__ = "incident_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))
    status_from: Mapped[str] = mapped_column(String(20))
    status_to: Mapped[str] = mapped_column(String(20))
    severity_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    severity_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Incident(NamedTuple):
    """An incident's columns as a plain record, attached to no session: what a report
    returns (building a mapped object cost a tenth of a report, docs/performance.md)."""

    id: int
    org: str
    type: str
    severity: int
    status: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    reported_by: str
    owner: str
    visibility: str
    geometry: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    lon: float
    lat: float
    title: str
    description: str
    exercise_run: int | None = None
    released_to: tuple[str, ...] = ()  # whom a restricted report is released to, sorted
