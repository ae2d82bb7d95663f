"""The STIX objects a released report's subjects stand for, held beside the report so that a
TAXII client finds what a report refers to in the collections it reads:

- a place is the report's own location, with the report's reach;
- a person or an incident is one object shared by every report naming it, held once per
  marking level at which a released report names it (`subjects.holdings`): it is in each
  collection one of those reports is in, and its restricted copy reaches exactly those who
  may read one of them.

Both follow every release and change of releasability (`stix_store.materialize`). A list
entry is not held: its threat actor is the unified list's (its export), not a report's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.model import Marking
from collsec.core.auth.tables import ReleaseRow
from collsec.exchange import model, stix, subjects
from collsec.exchange.tables import ReportRow, StixObjectRow, SubjectRow

OBJECT = "stix"
SHARED = ("person", "incident")


def mark(session: Session, obj: StixObjectRow, level: str, released_to: list[str]) -> None:
    """Give a held object its level and, for named principals, its releases."""
    obj.visibility = level
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == OBJECT,
                                             ReleaseRow.object_id == obj.id))
    if released_to:
        auth.release(session, OBJECT, obj.id, released_to, obj.org)


def _releases(session: Session, obj_id: int) -> frozenset[str]:
    return frozenset(session.execute(select(ReleaseRow.principal).where(
        ReleaseRow.object_type == OBJECT, ReleaseRow.object_id == obj_id)).scalars())


def _row(org: str, obj: dict[str, Any], owner: str, level: str, report_id: int | None,
         by: str, now: dt.datetime) -> StixObjectRow:
    return StixObjectRow(org=org, stix_id=obj["id"], stix_type=obj["type"],
                         version=obj["modified"], content=json.dumps(obj, ensure_ascii=False),
                         owner=owner, visibility=level, report_id=report_id, added_at=now,
                         added_by=by, derived=True)


def hold(session: Session, row: ReportRow, r: model.Rules, p: stix.Publisher,
         facts: stix.ReportFacts, reach: Marking, actor: auth.Actor, now: dt.datetime) -> None:
    """Hold the objects of a released report's subjects as its reach now has them."""
    _places(session, row, p, facts, reach, actor, now)
    done: set[str] = set()
    for x in facts.subjects:
        ident = stix.subject_id(p, facts, x)
        if x.kind in SHARED and ident not in done:
            done.add(ident)
            _shared(session, row.org, r, p, facts, x, actor, now)


def _places(session: Session, row: ReportRow, p: stix.Publisher, facts: stix.ReportFacts,
            reach: Marking, actor: auth.Actor, now: dt.datetime) -> None:
    """The report's places, each its own location (ids of the report's), re-added with the
    report whenever its reach changes."""
    held = {h.stix_id: h for h in session.execute(select(StixObjectRow).where(
        StixObjectRow.report_id == row.id, StixObjectRow.derived)).scalars()}
    for x in facts.subjects:
        if x.kind != "place":
            continue
        obj = stix.subject(p, facts, x)
        assert obj is not None
        h = held.pop(obj["id"], None)
        if h is None:
            h = _row(row.org, obj, row.owner, reach.level, row.id, actor.name, now)
            session.add(h)
            session.flush()
        h.content, h.version, h.added_at = json.dumps(obj, ensure_ascii=False), \
            obj["modified"], now
        mark(session, h, reach.level, sorted(reach.released_to))
    for gone in held.values():
        _drop(session, gone)


def _drop(session: Session, obj: StixObjectRow) -> None:
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == OBJECT,
                                             ReleaseRow.object_id == obj.id))
    session.delete(obj)


def namings(session: Session, org: str, r: model.Rules, x: stix.SubjectFacts
            ) -> list[subjects.Naming]:
    """The released reports of `org` that name this person or incident, with their reach."""
    same = SubjectRow.ref == x.ref if x.kind == "incident" else SubjectRow.name == x.name
    reports = session.execute(select(ReportRow).join(
        SubjectRow, SubjectRow.report_id == ReportRow.id).where(
        ReportRow.org == org, ReportRow.status == "released", SubjectRow.kind == x.kind,
        same).distinct()).scalars()
    out = []
    for rep in reports:
        m = model.marking_of(r, rep.scope, rep.states.split(), rep.owner, True)
        out.append(subjects.Naming(rep.id, m.level, rep.owner, m.released_to, rep.tlp))
    return out


def _shared(session: Session, org: str, r: model.Rules, p: stix.Publisher,
            facts: stix.ReportFacts, x: stix.SubjectFacts, actor: auth.Actor,
            now: dt.datetime) -> None:
    """A person's or an incident's object at each level its reports reach, and at no other;
    re-added (for clients asking what was added since) only where it changed."""
    wanted = subjects.holdings(namings(session, org, r, x), model.TLP_LABELS)
    ident = stix.subject_id(p, facts, x)
    rows = list(session.execute(select(StixObjectRow).where(
        StixObjectRow.org == org, StixObjectRow.stix_id == ident)).scalars())
    held = {h.visibility: h for h in rows if h.derived}
    taken = {h.visibility for h in rows if not h.derived}  # a service's own copy stays
    for level, holding in wanted.items():
        if level in taken:
            continue
        obj = stix.subject(p, dataclasses.replace(facts, marking_id=r.label(
            holding.label).stix_id), x)
        assert obj is not None
        text = json.dumps(obj, ensure_ascii=False)
        h = held.pop(level, None)
        if h is None:
            h = _row(org, obj, holding.owner, level, None, actor.name, now)
            session.add(h)
            session.flush()
        elif (h.content, h.owner) == (text, holding.owner) \
                and _releases(session, h.id) == holding.released_to:
            continue
        h.content, h.owner, h.added_at = text, holding.owner, now
        mark(session, h, level, sorted(holding.released_to))
    for gone in held.values():
        _drop(session, gone)
