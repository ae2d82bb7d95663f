"""SQLAlchemy mapping of the exchange's reports, their history and their withdrawals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core.db import Base


class ReportRow(Base):
    """A report of a member state's service or an organ; a marked object (`visibility`,
    `owner`, releases): its originator's alone until released. `scope` and `states` are
    the releasability it is meant for (or, once released, has)."""

    __tablename__ = "exchange_reports"
    __table_args__ = (
        # a reader's list: one organization, what the decision point narrows by, newest first
        Index("ix_exchange_reports_list", "org", "visibility", "owner", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    tlp: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(30))
    states: Mapped[str] = mapped_column(String(200), default="")  # space-separated codes
    classification: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(60))  # the originating principal
    visibility: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(80))  # the user who wrote it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class ReportEventRow(Base):
    """One step of a report's history: written, edited, submitted, returned, verified,
    released, widened, narrowed."""

    __tablename__ = "exchange_report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("exchange_reports.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(30), default="")  # after a change of release
    states: Mapped[str] = mapped_column(String(200), default="")


class WithdrawalRow(Base):
    """A report taken back from a principal that had read it: the principal is shown the
    withdrawal, not the report."""

    __tablename__ = "exchange_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("exchange_reports.id"), index=True)
    principal: Mapped[str] = mapped_column(String(60), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
