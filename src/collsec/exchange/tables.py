"""SQLAlchemy mapping of the exchange's reports, their history and their withdrawals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
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
    title: Mapped[str] = mapped_column(String(500))  # one line: no bidirectional controls
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


class AttachmentRow(Base):
    """A file a report carries: its bytes, the type sniffed from them, their SHA-256. It is
    read with its report, by those who may read the report."""

    __tablename__ = "exchange_attachments"
    __table_args__ = (UniqueConstraint("report_id", "sha256", name="uq_exchange_attachments"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("exchange_reports.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(80))


class SubjectRow(Base):
    """What a report is about: a list entry (`ref` its code), a person, a place (`geometry`
    its GeoJSON), an incident (`ref` its id)."""

    __tablename__ = "exchange_report_subjects"
    __table_args__ = (Index("ix_exchange_report_subjects_ref", "kind", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("exchange_reports.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(80), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    geometry: Mapped[str] = mapped_column(Text, default="")  # JSON


# -- the unified list of organizations recognized as terrorist ------------------------------

class ListEntryRow(Base):
    """An organization on (or once proposed for) the unified list."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    code: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="default")


class ListNameRow(Base):
    """One name of an entry (its English and Russian names, each alias), with the folded
    key a search compares (`exchange.aliases.fold`)."""

    __tablename__ = "list_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)


class ListStepRow(Base):
    """A dated step: a member state's designation (`state` set: listed or delisted, by an
    authority, on a legal basis), or the list's own record (`state` null: proposed,
    listed, delisted)."""

    __tablename__ = "list_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id"), index=True)
    state: Mapped[str | None] = mapped_column(ForeignKey("states.code"), nullable=True)
    date: Mapped[dt.date] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(10), default="day")
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="terrorist")
    authority_en: Mapped[str] = mapped_column(Text, default="")
    authority_ru: Mapped[str] = mapped_column(Text, default="")
    basis_en: Mapped[str] = mapped_column(Text, default="")
    basis_ru: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ru: Mapped[str] = mapped_column(Text, default="")


class StixObjectRow(Base):
    """A STIX 2.1 object the exchange holds, as a TAXII collection serves it: every
    released report (ours, rendered; or imported, as it came) and every other object an
    import brought, each a marked object (`visibility`, `owner`, releases of type `stix`)
    so that it reaches exactly those its marking lets read it."""

    __tablename__ = "stix_objects"
    __table_args__ = (
        # once per marking level: a subject two reports name is in each one's collection
        UniqueConstraint("org", "stix_id", "version", "visibility",
                         name="uq_stix_objects_version"),
        Index("ix_stix_objects_added", "org", "added_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    stix_id: Mapped[str] = mapped_column(String(120), index=True)
    stix_type: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(40))  # its `modified` (or `created`)
    content: Mapped[str] = mapped_column(Text)  # the object's JSON
    owner: Mapped[str] = mapped_column(String(60))
    visibility: Mapped[str] = mapped_column(String(20))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_reports.id"),
                                                  nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(80))
    # The object's newest version (no row of its id has a later one): what a page serves
    # unless asked for other versions. Kept by `stix_store.keep_latest`.
    latest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # An object collsec renders from a subject of its own released reports (a place, a
    # person, an incident: `subject_objects`), not one a service added: nobody deletes it.
    derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TaxiiStatusRow(Base):
    """A TAXII status resource: what became of one POST of objects (its JSON), for the
    client that polls it."""

    __tablename__ = "taxii_statuses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("organizations.code"))
    owner: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[str] = mapped_column(Text)


class ServerSecretRow(Base):
    """A secret of this database, made when it was created (the migration): the key that
    seals TAXII page tokens."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
