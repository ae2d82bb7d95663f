"""SQLAlchemy mapping of the registry. Every fact row names its source and confidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session

from collsec.core import journal
from collsec.core.db import Base


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(String(300))
    date: Mapped[dt.date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class FactMixin:
    """Where a fact comes from: space-separated source ids and a confidence level."""

    sources: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="user")  # "default" or "user"
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")


class StateRow(Base):
    __tablename__ = "states"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))


class OrganizationRow(FactMixin, Base):
    __tablename__ = "organizations"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    abbr_en: Mapped[str] = mapped_column(String(20))
    abbr_ru: Mapped[str] = mapped_column(String(20))
    founded: Mapped[dt.date | None] = mapped_column(Date)
    seat_en: Mapped[str] = mapped_column(String(100), default="")
    seat_ru: Mapped[str] = mapped_column(String(100), default="")


class MembershipRow(FactMixin, Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"), index=True)
    status: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


# A status interval is what the decision point reads of the registry: however it is
# written, its transaction's entry moves the registry mark (cached standings expire).
@event.listens_for(MembershipRow, "after_insert")
@event.listens_for(MembershipRow, "after_update")
@event.listens_for(MembershipRow, "after_delete")
def _standing_changed(_mapper: Any, _connection: Any, row: MembershipRow) -> None:
    session = object_session(row)
    if session is not None:
        journal.registry_changed(session)


class BodyRow(FactMixin, Base):
    __tablename__ = "bodies"
    __table_args__ = (UniqueConstraint("org", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    parent: Mapped[str | None] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    composition_en: Mapped[str] = mapped_column(Text, default="")
    composition_ru: Mapped[str] = mapped_column(Text, default="")
    role_en: Mapped[str] = mapped_column(Text, default="")
    role_ru: Mapped[str] = mapped_column(Text, default="")
    founded: Mapped[dt.date | None] = mapped_column(Date)


class OfficeRow(Base):
    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("org", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))


class OfficeTermRow(FactMixin, Base):
    __tablename__ = "office_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    office: Mapped[str] = mapped_column(String(20), index=True)
    holder_en: Mapped[str] = mapped_column(String(200))
    holder_ru: Mapped[str] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class ChairmanshipRow(FactMixin, Base):
    """A recorded chairmanship; unrecorded years are computed, never stored."""

    __tablename__ = "chairmanships"
    __table_args__ = (UniqueConstraint("org", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))


class SessionRecordRow(FactMixin, Base):
    """A session of a body as the public record has it (the register): where and when it
    met, who hosted it, what it adopted, and the state that took the chair there."""

    __tablename__ = "session_records"
    __table_args__ = (UniqueConstraint("org", "body", "date", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"), index=True)
    body: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # regular, extraordinary, unclear
    format: Mapped[str] = mapped_column(String(20))  # in_person, video, hybrid, unknown
    status: Mapped[str] = mapped_column(String(20), default="held")  # held, planned
    city_en: Mapped[str] = mapped_column(String(100), default="")
    city_ru: Mapped[str] = mapped_column(String(100), default="")
    host: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    documents_en: Mapped[str] = mapped_column(Text, default="")
    documents_ru: Mapped[str] = mapped_column(Text, default="")
    chair: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    chair_sources: Mapped[str] = mapped_column(Text, default="")
    chair_confidence: Mapped[str] = mapped_column(String(10), default="")
    chair_note_en: Mapped[str] = mapped_column(Text, default="")
    chair_note_ru: Mapped[str] = mapped_column(Text, default="")
    absent: Mapped[str] = mapped_column(Text, default="")  # members the record says stayed away


class StateEventRow(FactMixin, Base):
    """A dated step in a member's course in an organization: a statement, its presence or
    absence at a meeting, its financing, an exercise, a formal decision."""

    __tablename__ = "state_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    state: Mapped[str] = mapped_column(ForeignKey("states.code"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(10), default="day")  # day, month, year
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(20))  # a state code or a body's code
    title_en: Mapped[str] = mapped_column(Text)
    title_ru: Mapped[str] = mapped_column(Text)


class ForceRow(FactMixin, Base):
    __tablename__ = "forces"
    __table_args__ = (UniqueConstraint("org", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    founded_year: Mapped[int | None] = mapped_column(Integer)


class RelationRow(FactMixin, Base):
    __tablename__ = "relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    partner: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    kind: Mapped[str] = mapped_column(String(50))
    date: Mapped[dt.date] = mapped_column(Date)
    title_en: Mapped[str] = mapped_column(Text)
    title_ru: Mapped[str] = mapped_column(Text)


class EventRow(FactMixin, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_ru: Mapped[str] = mapped_column(Text)


class ChairDeclineRow(Base):
    """A state declining its turn to chair; the rotation passes to the next."""

    __tablename__ = "chair_declines"
    __table_args__ = (UniqueConstraint("org", "year", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    sources: Mapped[str] = mapped_column(Text, default="")
