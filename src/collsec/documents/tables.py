"""SQLAlchemy mapping of documents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collsec.core import text
from collsec.core.db import Base


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(60), default="")
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    body: Mapped[str | None] = mapped_column(String(20))
    title_en: Mapped[str] = mapped_column(Text, info=text.TITLE)
    title_ru: Mapped[str] = mapped_column(Text, info=text.TITLE)
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_ru: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(20), index=True)
    owner: Mapped[str | None] = mapped_column(String(60))  # originating principal
    bound_states: Mapped[str] = mapped_column(Text, default="")  # states a decision binds
    sources: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    origin: Mapped[str] = mapped_column(String(10), default="user")
