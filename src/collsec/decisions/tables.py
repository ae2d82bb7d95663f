"""SQLAlchemy mapping of the charter engine: sessions, agenda items, positions, agreements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core import text
from collsec.core.db import Base


class SessionRow(Base):
    """A session of a body: regular or extraordinary, in person or by video."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    body: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # regular, extraordinary
    format: Mapped[str] = mapped_column(String(20))  # in_person, video
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    host_state: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    city_en: Mapped[str] = mapped_column(String(100), default="")
    city_ru: Mapped[str] = mapped_column(String(100), default="")
    chair_state: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, closed
    requested_by: Mapped[str] = mapped_column(Text, default="")  # states asking (extraordinary)
    sources: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")


class ParticipantRow(Base):
    """A delegation seated at a session, and who represents it."""

    __tablename__ = "session_participants"
    __table_args__ = (UniqueConstraint("session_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    represented_by: Mapped[str] = mapped_column(String(300), default="")


class AgendaItemRow(Base):
    """A draft put to a session: its kind of matter decides which rule applies."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(Text, info=text.TITLE)
    title_ru: Mapped[str] = mapped_column(Text, default="", info=text.TITLE)
    draft_kind: Mapped[str] = mapped_column(String(30))  # decision, statement, agreement...
    matter: Mapped[str] = mapped_column(String(30))  # procedural, substantive, admission...
    subject_state: Mapped[str | None] = mapped_column(ForeignKey("states.code"))
    effect: Mapped[str] = mapped_column(Text, default="")  # JSON: registry change if adopted
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, closed
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")  # reason key of the frozen outcome
    outcome: Mapped[str] = mapped_column(Text, default="")  # JSON of the frozen outcome
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))


class PositionRow(Base):
    """A delegation's position on an agenda item; changes until the item closes."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("item_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    position: Mapped[str] = mapped_column(String(20))
    reservation: Mapped[str] = mapped_column(Text, default="", info=text.column(4000))
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Recorded by the Secretariat on the delegation's written instruction (`instruction`
    # names the note); the delegation's own confirmation or override clears `by_proxy`
    # and keeps the instruction, so the history shows it began as a proxy.
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    instruction: Mapped[str] = mapped_column(Text, default="")


class AgreementRow(Base):
    """An international agreement concluded within the organization."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_en: Mapped[str] = mapped_column(Text, info=text.TITLE)
    title_ru: Mapped[str] = mapped_column(Text, default="", info=text.TITLE)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    place_en: Mapped[str] = mapped_column(String(100), default="")
    place_ru: Mapped[str] = mapped_column(String(100), default="")
    entry_rule: Mapped[str] = mapped_column(String(30))  # nth_instrument, each_on_deposit...
    entry_n: Mapped[int | None] = mapped_column(Integer)
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    # Entry into force as a source states it, for when the deposits are not known.
    in_force_since: Mapped[dt.date | None] = mapped_column(Date)
    in_force_sources: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="user")


class SignatureRow(Base):
    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("agreement_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    signed_on: Mapped[dt.date] = mapped_column(Date)


class DepositRow(Base):
    """A state's instrument of ratification (or acceptance) received by the depositary."""

    __tablename__ = "agreement_deposits"
    __table_args__ = (UniqueConstraint("agreement_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    deposited_on: Mapped[dt.date] = mapped_column(Date)
    instrument: Mapped[str] = mapped_column(  # e.g. the ratifying law
        Text, default="", info=text.column(500, line=True))
    sources: Mapped[str] = mapped_column(Text, default="")


class WithdrawalNoticeRow(Base):
    """A member's written notice of withdrawal; it takes effect after the charter's period."""

    __tablename__ = "withdrawal_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    notice_on: Mapped[dt.date] = mapped_column(Date)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    sources: Mapped[str] = mapped_column(Text, default="")
