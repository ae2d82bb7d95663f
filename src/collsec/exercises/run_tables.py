"""SQLAlchemy mapping of scenarios and their runs: a scenario (its timeline kept as the
JSON `scenario.load_scenario` reads), a run of it, the injects a run has sent, the
reactions of the teams, the staff's scores and the lessons of the debrief."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core.db import Base


class ScenarioRow(Base):
    __tablename__ = "exercise_scenarios"
    __table_args__ = (UniqueConstraint("org", "code", name="uq_exercise_scenarios_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"), nullable=True)
    timeline: Mapped[str] = mapped_column(Text)  # JSON, as scenario.as_data gives it
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    written_by: Mapped[str] = mapped_column(String(80))


class RunRow(Base):
    """One run of a scenario. Removed, it keeps its tally and lessons (`summary`, JSON);
    what the run made is gone."""

    __tablename__ = "exercise_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("exercise_scenarios.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    director: Mapped[str] = mapped_column(String(60))  # the principal that runs it
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(80))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                         nullable=True)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="{}")


class SentInjectRow(Base):
    __tablename__ = "exercise_sent_injects"
    __table_args__ = (UniqueConstraint("run_id", "inject", name="uq_exercise_sent_inject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("exercise_runs.id"), index=True)
    inject: Mapped[int] = mapped_column(Integer)  # its number in the scenario
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReactionRow(Base):
    __tablename__ = "exercise_reactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("exercise_runs.id"), index=True)
    inject: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(60))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)


class ScoreRow(Base):
    """A score the staff gave an expectation; a later one for the same expectation
    replaces it in the tally and both stay."""

    __tablename__ = "exercise_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("exercise_runs.id"), index=True)
    inject: Mapped[int] = mapped_column(Integer)
    expectation: Mapped[int] = mapped_column(Integer)  # from 0
    points: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))


class LessonRow(Base):
    __tablename__ = "exercise_lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("exercise_runs.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
