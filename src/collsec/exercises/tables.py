"""SQLAlchemy mapping of the exercises: an exercise, the states taking part in it, and
the decisions that changed its status."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core.db import Base


class ExerciseRow(Base):
    """An exercise of a series; `details` holds, as JSON, what a page shows but no query
    selects by (its personnel readings with their sources, equipment, the notes on dates
    and observers)."""

    __tablename__ = "exercises"
    __table_args__ = (UniqueConstraint("org", "code", name="uq_exercises_code"),
                      Index("ix_exercises_series", "org", "series", "year"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(40))
    series: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    kind_en: Mapped[str] = mapped_column(Text, default="")
    kind_ru: Mapped[str] = mapped_column(Text, default="")
    forces: Mapped[str] = mapped_column(Text, default="")  # codes, space-separated
    host: Mapped[str | None] = mapped_column(ForeignKey("states.code"), nullable=True)
    range_en: Mapped[str] = mapped_column(Text, default="")
    range_ru: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    precision: Mapped[str] = mapped_column(String(10), default="year")
    part_of: Mapped[str | None] = mapped_column(String(40), nullable=True)
    observer_states: Mapped[str] = mapped_column(Text, default="")
    personnel: Mapped[float | None] = mapped_column(Float, nullable=True)  # first reading
    personnel_qual: Mapped[str] = mapped_column(String(1), default="=")
    details: Mapped[str] = mapped_column(Text, default="{}")
    sources: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="default")


class ExerciseParticipantRow(Base):
    __tablename__ = "exercise_participants"
    __table_args__ = (UniqueConstraint("exercise_id", "state",
                                       name="uq_exercise_participants_state"),
                      Index("ix_exercise_participants_state", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    personnel: Mapped[float | None] = mapped_column(Float, nullable=True)
    qual: Mapped[str] = mapped_column(String(1), default="=")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")


class ExerciseDecisionRow(Base):
    """A change of an exercise's status, with who decided it and why; one recorded here
    names the user (`recorded_by`), one of the embedded record its sources."""

    __tablename__ = "exercise_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(10), default="day")
    status: Mapped[str] = mapped_column(String(20))
    decided_by_en: Mapped[str] = mapped_column(Text, default="")
    decided_by_ru: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    reason_ru: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
