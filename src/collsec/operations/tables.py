"""SQLAlchemy mapping of the standing operations: an operation, its stages, the figures
sources published for them, and the national reports coordinators submit for a stage
(each correction a new version; the figures of the current version are marked so)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core.db import Base


class OperationRow(Base):
    """A standing operation (Channel, PROXI...): what it is for, who coordinates it."""

    __tablename__ = "operations"
    __table_args__ = (UniqueConstraint("org", "code", name="uq_operations_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    purpose_en: Mapped[str] = mapped_column(Text)
    purpose_ru: Mapped[str] = mapped_column(Text)
    started: Mapped[int | None] = mapped_column(Integer, nullable=True)
    standing_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    standing_precision: Mapped[str] = mapped_column(String(10), default="day")
    coordinator_en: Mapped[str] = mapped_column(Text, default="")
    coordinator_ru: Mapped[str] = mapped_column(Text, default="")
    basis_en: Mapped[str] = mapped_column(Text, default="")
    basis_ru: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="default")


class StageRow(Base):
    """A stage of an operation. One the Secretariat opens takes national reports until it
    is closed; closing it releases the summary of its reports to every reader. A stage of
    the embedded record is loaded closed, with what the sources published."""

    __tablename__ = "operation_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name_en: Mapped[str] = mapped_column(Text, default="")
    name_ru: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    precision: Mapped[str] = mapped_column(String(10), default="day")
    # the day by which it is over, as far as its dates tell (`model.Stage.closes`)
    closes: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    headquarters_en: Mapped[str] = mapped_column(Text, default="")
    headquarters_ru: Mapped[str] = mapped_column(Text, default="")
    states: Mapped[str] = mapped_column(Text, default="")  # codes, space-separated
    observer_states: Mapped[str] = mapped_column(Text, default="")
    observers_other: Mapped[str] = mapped_column(Text, default="[]")  # [{en, ru}] as JSON
    sources: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    origin: Mapped[str] = mapped_column(String(10), default="default")


class PublishedFigureRow(Base):
    """A figure a source published for a stage (or, `stage_id` null, for the operation over
    `covers_from`..`covers_until`), kept as stated: `qual` "=", ">" or "~", `scope` all
    the states taking part, one state's code, or a region. `position` keeps the data's
    order, in which the first of two figures of one indicator for one stage counts."""

    __tablename__ = "operation_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("operation_stages.id"),
                                                 nullable=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    qual: Mapped[str] = mapped_column(String(1), default="=")
    scope: Mapped[str] = mapped_column(String(10), default="all")
    region_en: Mapped[str] = mapped_column(Text, default="")
    region_ru: Mapped[str] = mapped_column(Text, default="")
    covers_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    covers_until: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stated: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    preliminary: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")


class NationalReportRow(Base):
    """One version of a state's report on a stage, by its national coordinator; a
    correction is the next version, and only the newest is `current`."""

    __tablename__ = "national_reports"
    __table_args__ = (UniqueConstraint("stage_id", "state", "version",
                                       name="uq_national_reports_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("operation_stages.id"))
    state: Mapped[str] = mapped_column(ForeignKey("states.code"))
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, server_default=false())
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class NationalFigureRow(Base):
    """A figure of a national report. The operation, year, stage and state are repeated
    from the report so that statistics aggregate one table."""

    __tablename__ = "national_figures"
    __table_args__ = (
        Index("ix_national_figures_stats", "operation_id", "current", "indicator", "year"),
        Index("ix_national_figures_stage", "stage_id", "current"),
        Index("ix_national_figures_report", "report_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("national_reports.id"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("operation_stages.id"))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    current: Mapped[bool] = mapped_column(Boolean, server_default=false())


class StageResultRow(Base):
    """The released summary of a closed stage: each state's current figure per indicator,
    written once when the Secretariat closes the stage (its reports can no longer change),
    so statistics read summaries rather than every national figure."""

    __tablename__ = "operation_stage_results"
    __table_args__ = (Index("ix_operation_stage_results_op", "operation_id", "indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("operation_stages.id"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)


class StageTotalRow(Base):
    """A closed stage's released total of an indicator over every state reporting, with the
    close's time: what statistics by year, stage or indicator add up (a sixth of the rows
    of the summaries by state, and no join)."""

    __tablename__ = "operation_stage_totals"
    __table_args__ = (Index("ix_operation_stage_totals_op", "operation_id", "indicator",
                            "closed_at", "year", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("operation_stages.id"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    year: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)


class RunningTotalRow(Base):
    """A group's running total of an indicator over the released stages of an operation,
    up to and including the stage closed here (in the order of the closes: time, then
    stage id). A group is a state (`year` 0), every state (`state` empty, `year` 0) or the
    stages of one year over every state (`state` empty). Statistics by state, indicator or
    year on any day read each group's last row before the day's end (one index seek per
    group) instead of adding up every summary."""

    __tablename__ = "operation_running_totals"
    __table_args__ = (Index("ix_operation_running_totals_seek", "operation_id", "state",
                            "year", "indicator", "closed_at", "stage_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    state: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(60))
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    stage_id: Mapped[int] = mapped_column(ForeignKey("operation_stages.id"))
    total: Mapped[float] = mapped_column(Float)
    stages: Mapped[int] = mapped_column(Integer)  # released stages counted so far


class RunningGroupRow(Base):
    """The groups (state or '' for all, year or 0, indicator) an operation has running
    totals for: what a query seeks from."""

    __tablename__ = "operation_running_groups"
    __table_args__ = (UniqueConstraint("operation_id", "state", "year", "indicator",
                                       name="uq_operation_running_groups"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    state: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(60))
