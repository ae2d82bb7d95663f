"""SQLAlchemy mapping of the collective forces' contingents, missions, offers and
deployment status reports (names after OASIS EDXL-RM)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core import text
from collsec.core.db import Base
from collsec.registry.tables import FactMixin


class ContingentRow(FactMixin, Base):
    """A national contingent in the catalogue of one of the collective forces.

    Like the registry's facts it names its sources and confidence; `origin` tells the
    embedded catalogue ('default', replaced on each load) from units users registered.
    """

    __tablename__ = "contingents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    force: Mapped[str] = mapped_column(String(20), index=True)  # ForceRow.code
    state: Mapped[str] = mapped_column(ForeignKey("states.code"), index=True)
    unit_type: Mapped[str] = mapped_column(String(80))
    personnel: Mapped[int] = mapped_column(Integer)
    readiness_hours: Mapped[int] = mapped_column(Integer)
    # False where no source gives the figure: the strength is then unknown (shown "not
    # reported", counted in no total) and the readiness is collsec's default.
    personnel_reported: Mapped[bool] = mapped_column(Boolean, default=True)
    readiness_reported: Mapped[bool] = mapped_column(Boolean, default=True)
    home_lon: Mapped[float] = mapped_column(Float)
    home_lat: Mapped[float] = mapped_column(Float)
    home_base: Mapped[str] = mapped_column(String(200), default="")
    # When the unit was assigned to the force (a replay's `until` leaves later ones out).
    since: Mapped[dt.date | None] = mapped_column(Date)


class MissionRow(Base):
    """A mission of the collective forces, decided by a body and closed once all are home."""

    __tablename__ = "missions"
    __table_args__ = (UniqueConstraint("org", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(40), index=True)
    title_en: Mapped[str] = mapped_column(Text, info=text.TITLE)
    title_ru: Mapped[str] = mapped_column(Text, default="", info=text.TITLE)
    host_state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    mandate_en: Mapped[str] = mapped_column(Text, default="")
    mandate_ru: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, as JSON text
    decided_on: Mapped[dt.date] = mapped_column(Date)
    decision_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    status: Mapped[str] = mapped_column(String(10))  # open or closed
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The order to withdraw (by a body's decision or the organization's announcement).
    withdrawal_ordered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawal_note: Mapped[str | None] = mapped_column(Text)
    # The decision's term: an end date, or the condition that ends the mission.
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    end_condition_en: Mapped[str] = mapped_column(Text, default="")
    end_condition_ru: Mapped[str] = mapped_column(Text, default="")


class OfferRow(Base):
    """A state's offer of personnel to a mission (EDXL-RM: response to request); accepted
    by the mission, it is the state's commitment (EDXL-RM: commit)."""

    __tablename__ = "mission_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    contingent_id: Mapped[int | None] = mapped_column(ForeignKey("contingents.id"))
    personnel: Mapped[int] = mapped_column(Integer)
    offered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    offered_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))  # offered, accepted, declined
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DeploymentReportRow(Base):
    """One report of a contingent's deployment status (EDXL-RM: report deployment status)."""

    __tablename__ = "deployment_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    status: Mapped[str] = mapped_column(String(20))
    personnel: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(String(80))
