"""SQLAlchemy mapping of a member's requests for consultations and for collective assistance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core import text
from collsec.core.db import Base


class ConsultationRow(Base):
    """A member's request for consultations (Treaty Art. 2) and the session it convened."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    state: Mapped[str] = mapped_column(ForeignKey("states.code"), index=True)
    requested_on: Mapped[dt.date] = mapped_column(Date)
    subject_en: Mapped[str] = mapped_column(Text, info=text.TITLE)
    subject_ru: Mapped[str] = mapped_column(Text, default="")
    incidents: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of incident ids
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(80))
    sources: Mapped[str] = mapped_column(Text, default="")


class AssistanceRequestRow(Base):
    """A member's request for collective assistance, naming its basis and what it needs."""

    __tablename__ = "assistance_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    state: Mapped[str] = mapped_column(ForeignKey("states.code"), index=True)
    basis: Mapped[str] = mapped_column(String(30))
    needs: Mapped[str] = mapped_column(Text)  # JSON list of {kind, personnel, note}
    summary_en: Mapped[str] = mapped_column(Text)
    summary_ru: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, as JSON text
    incidents: Mapped[str] = mapped_column(Text, default="[]")
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")  # the decision's reason, when decided
    sources: Mapped[str] = mapped_column(Text, default="")
