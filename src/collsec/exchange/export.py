"""STIX 2.1 exports of what the reader may read: one report, the reports a search finds,
the unified list. Each goes through the audited queries (`service`, `listing`), so an
export reaches exactly what the pages and the API show the same reader, and leaves the
same audit rows; the bundle is built from plain dicts (`stix`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collsec.core import commands
from collsec.core.auth import model as access
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.exchange import listing, service, stix, stix_store
from collsec.exchange.tables import ReportRow

MAX_REPORTS = 10_000  # one export; more is a TAXII client's paging


def _report_objects(session: Session, c: Clearance, org: str, rows: list[ReportRow],
                    now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The reports with what they name: their originators, markings, the list entries,
    persons, places and incidents they are about (each object once)."""
    p = stix_store.publisher(session, org)
    labels = {t.code: t.stix_id for t in service.rules(org).labels}
    about = stix_store.subjects_of(session, [r.id for r in rows])
    facts = [stix_store.report_facts(r, labels[r.tlp], about.get(r.id, ())) for r in rows]
    yield from stix.header(p)
    for label in sorted({r.tlp for r in rows}):
        yield stix.tlp_marking(label, labels[label])
    for owner in sorted({r.owner for r in rows}):
        yield stix.originator(p, owner, stix_store.principal_name(session, org, owner))
    codes = sorted({x.ref for f in facts for x in f.subjects if x.kind == "organization"})
    if codes:
        yield from _entries(session, c, p, codes, now)
    seen: set[str] = set()
    for f in facts:
        for x in f.subjects:
            obj = stix.subject(p, f, x)
            if obj is not None and obj["id"] not in seen:
                seen.add(obj["id"])
                yield obj
        yield stix.report(p, f)


def _entries(session: Session, c: Clearance, p: stix.Publisher, codes: list[str],
             now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The list entries the reports name, for a reader who may read the list (below the
    members' level the references stand alone)."""
    if not access.may_read(c, listing.MEMBERS).allowed:
        return
    on = now.date()
    for v in listing.list_entries(session, c, on=on, codes=codes, now=now):
        yield _entry_object(p, v, on)


def _entry_object(p: stix.Publisher, v: listing.EntryView, on: dt.date) -> dict[str, Any]:
    d = listing.as_dict(v, on, steps=True)
    changed = max((s.date for s in v.steps if s.date <= on), default=None)
    return stix.entry(p, stix.EntryFacts(
        v.row.code, v.row.name_en, v.row.name_ru, v.names, v.row.note_en,
        {**d["standing"], "on": on.isoformat()}, d["steps"], d["sources"], v.row.confidence,
        changed))


def bundle_id() -> str:
    return f"bundle--{uuid.uuid4()}"


@commands.query(writes=True)  # the read's audit row (or its refusal's) commits first
def report_bundle(session: Session, c: Clearance, actor: auth.Actor, report_id: int,
                  now: dt.datetime) -> list[dict[str, Any]]:
    """One report the reader may read, with its identities and marking."""
    read = service.get_report(session, c, actor, report_id, now).unwrap()
    assert read.row is not None
    return list(_report_objects(session, c, read.row.org, [read.row], now))


@commands.query()
def reports_bundle(session: Session, c: Clearance, *, query: str | None = None,
                   tlp: str | None = None, scope: str | None = None,
                   status: str | None = None, limit: int = 1000, now: dt.datetime
                   ) -> list[dict[str, Any]]:
    """The reports a search finds among those the reader may read (newest first, `limit`
    at most), for a reader who may export."""
    auth.require(c, "export")
    rows = service.list_reports(session, c, query=query, tlp=tlp, scope=scope, status=status,
                                limit=min(limit, MAX_REPORTS), now=now)
    return list(_report_objects(session, c, auth.org_of(c), rows, now))


@commands.query()
def list_bundle(session: Session, c: Clearance, *, on: dt.date, now: dt.datetime
                ) -> list[dict[str, Any]]:
    """The unified list with each entry's standing on `on` and its designations."""
    org = auth.org_of(c)
    views = listing.list_entries(session, c, on=on, now=now)
    p = stix_store.publisher(session, org)
    out: list[dict[str, Any]] = stix.header(p)
    out.extend(_entry_object(p, v, on) for v in views)
    return out
