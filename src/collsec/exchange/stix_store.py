"""The STIX objects the exchange holds: each released report rendered as STIX (kept in step
with the report's releasability), and every object a bundle brings in, as it came.

Importing a bundle is one command of the releasing officer of a service (what a member's
own tool, MISP or OpenCTI, has vetted is released as it arrives): each report becomes a
released report of that service, with the releasability its TLP label allows at most or
the one collsec's extension names; every other object is held with the same reach; an
object already held in that version or a later one is skipped (deduplicated by its STIX id
and version). Nothing the bundle says is lost: the JSON is stored untouched.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from collsec.core import commands, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.auth.tables import ReleaseRow
from collsec.core.commands import command
from collsec.core.errors import InvalidInput, NotFound
from collsec.exchange import model, stix, stix_in, subject_objects
from collsec.exchange.tables import ReportEventRow, ReportRow, StixObjectRow, SubjectRow
from collsec.registry import service as registry

OBJECT = "stix"


def rules(org: str) -> model.Rules:
    raw = registry.charter_for(org).raw.get("exchange")
    if not raw:
        raise NotFound("the charter data of {org} has no exchange rules (exchange)", org=org)
    return model.rules_from(raw)


def publisher(session: Session, org: str) -> stix.Publisher:
    row = registry.get_organization(session, org)
    founded = row.founded or dt.date(2000, 1, 1)
    return stix.Publisher(row.code, row.name_en, stix.timestamp(founded))


def principal_name(session: Session, org: str, key: str) -> str:
    """A principal as an identity names it: a state, a body of `org`, an organization."""
    p = Principal.parse(key)
    try:
        if p.kind == "delegation":
            return f"{registry.get_state(session, p.code).name_en} (delegation)"
        if p.kind == "organ":
            return registry.body(session, org, p.code).name_en
        return registry.get_organization(session, p.code).name_en
    except NotFound:
        return key


def report_facts(row: ReportRow, marking_id: str,
                 about: Iterable[SubjectRow] = ()) -> stix.ReportFacts:
    return stix.ReportFacts(row.id, row.title, row.body, row.tlp, marking_id, row.scope,
                            row.states.split(), row.classification, row.status, row.owner,
                            row.created_at, row.updated_at, row.released_at,
                            tuple(subject_facts(x) for x in about))


def subject_facts(x: SubjectRow) -> stix.SubjectFacts:
    return stix.SubjectFacts(x.kind, x.ref, x.name,
                             json.loads(x.geometry) if x.geometry else None, x.position)


def subjects_of(session: Session, report_ids: Iterable[int]) -> dict[int, list[SubjectRow]]:
    """The subjects of these reports, in their order, in one query."""
    out: dict[int, list[SubjectRow]] = {}
    ids = list(report_ids)
    for start in range(0, len(ids), 900):  # SQLite's bound parameters
        for x in session.execute(select(SubjectRow).where(
                SubjectRow.report_id.in_(ids[start:start + 900]))
                .order_by(SubjectRow.report_id, SubjectRow.position)).scalars():
            out.setdefault(x.report_id, []).append(x)
    return out


def materialize(session: Session, row: ReportRow, actor: auth.Actor, now: dt.datetime) -> None:
    """Hold a released report as STIX with the report's own reach, so that a narrowing
    takes every version of it from the same principals. A report of ours is held as our
    rendering of it now, with the objects its subjects stand for (`subject_objects`); an
    imported one keeps the versions it came in."""
    if row.status != "released":
        return
    r = rules(row.org)
    held = list(session.execute(select(StixObjectRow).where(
        StixObjectRow.report_id == row.id, StixObjectRow.stix_type == "report")).scalars())
    ours = stix.stix_id("report", row.org, row.id)
    mark = model.marking_of(r, row.scope, row.states.split(), row.owner, True)
    if not held or all(h.stix_id == ours for h in held):
        p = publisher(session, row.org)
        facts = report_facts(row, r.label(row.tlp).stix_id,
                             subjects_of(session, [row.id]).get(row.id, ()))
        content = stix.report(p, facts)
        if not held:
            held = [StixObjectRow(org=row.org, stix_id=ours, stix_type="report",
                                  owner=row.owner, report_id=row.id, added_by=actor.name,
                                  version="", content="", visibility="restricted",
                                  added_at=now)]
            session.add(held[0])
        held[0].version, held[0].added_at = content["modified"], now
        held[0].content = json.dumps(content, ensure_ascii=False)
        subject_objects.hold(session, row, r, p, facts, mark, actor, now)
    session.flush()
    for h in held:
        subject_objects.mark(session, h, mark.level, sorted(mark.released_to))


@dataclass
class Imported:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    reports: list[int] = field(default_factory=list)
    results: list[tuple[str, str]] = field(default_factory=list)  # (stix id, what happened)


def _reach(r: model.Rules, label: str, given: tuple[str, list[str]] | None
           ) -> tuple[str, list[str]]:
    """The releasability an imported object gets: the one our extension names if its label
    allows it, else the widest its label allows that names no state, else its service's."""
    if given is not None:
        try:
            _, named = model.check_release(r, label, given[0], given[1])
            return given[0], list(named)
        except InvalidInput:
            pass
    widest = r.scope(r.label(label).widest)
    if not widest.named:
        return widest.code, []
    return "originator", []


# Every thousand objects of a bundle, the rows that need no releases are written (at most
# one statement) and the caller's `progress` is told.
PROGRESS_STEP = 1000


@command("exchange.import_bundle", action="release_report")
def import_bundle(session: Session, c: Clearance, actor: auth.Actor, *, bundle: Any,
                  now: dt.datetime, org: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Imported:
    """Take a bundle from a member service's own tool: one command, all or nothing; its
    journal entry names every object taken, with its version.

    `progress(done, total)`, if given, is told how many of the bundle's objects (but its
    marking definitions) have been written or skipped: 0 once the bundle is read, then
    every `PROGRESS_STEP` objects, and the total once its journal entry is staged (the
    commit is the caller's). The rows are written a batch at a time as the objects go, with
    or without it."""
    org = auth.org_of(c, org)
    auth.require_for(c, "release_report", originator=c.principal)
    owner = c.principal
    assert owner is not None
    r = rules(org)
    incoming = stix_in.read_bundle(bundle, {t.stix_id: t.code for t in r.labels})
    latest = _latest_versions(session, org, [i.stix_id for i in incoming])
    known_states: set[str] = set()
    done, total = Imported(), len(incoming)
    plain: list[dict[str, Any]] = []
    taken: dict[str, int] = {}  # the reports this bundle made, by STIX id: a later version
    # in the same bundle updates its report, whether or not its row is written yet
    superseded: set[str] = set()  # objects this bundle brought a later version of
    fresh: list[int] = []  # reports new to us, and reports a later version changed:
    changed: list[int] = []  # what the live stream of reports announces
    if progress is not None:
        progress(0, total)
    for n, item in enumerate(incoming):
        if n and n % PROGRESS_STEP == 0:  # n objects dealt with: their rows go now
            plain = _insert_plain(session, plain)
            if progress is not None:
                progress(n, total)
        held = latest.get(item.stix_id)
        if held is not None and held >= item.version:
            done.skipped += 1
            done.results.append((item.stix_id, "skipped"))
            continue
        label = item.tlp or "RED"  # no marking: it stays with the service that sent it
        scope, states = _reach(r, label, stix_in.releasability(item.obj))
        for st in set(states) - known_states:
            registry.get_state(session, st)
            known_states.add(st)
        report_id = None
        if item.stix_type == "report":
            report_id, new = _report(session, actor, owner, org, item, label, scope, states,
                                     r, now, taken.get(item.stix_id))
            taken[item.stix_id] = report_id
            (fresh if new else changed).append(report_id)
            if report_id not in done.reports:
                done.reports.append(report_id)
        mark = model.marking_of(r, scope, states, owner, True)
        values = {"org": org, "stix_id": item.stix_id, "stix_type": item.stix_type,
                  "version": item.version, "content": json.dumps(item.obj, ensure_ascii=False),
                  "owner": owner, "visibility": mark.level, "report_id": report_id,
                  "added_at": now, "added_by": actor.name}
        if mark.released_to:  # named states: the row's id is needed for its releases
            obj = StixObjectRow(**values)
            session.add(obj)
            session.flush()
            auth.release(session, OBJECT, obj.id, sorted(mark.released_to), org)
        else:
            plain.append(values)
        latest[item.stix_id] = item.version
        if held is None:
            done.added += 1
            done.results.append((item.stix_id, "added"))
        else:
            superseded.add(item.stix_id)
            done.updated += 1
            done.results.append((item.stix_id, "updated"))
    _insert_plain(session, plain)
    keep_latest(session, org, sorted(superseded))
    brand_new = set(fresh)
    commands.announce_many(session, model.LIVE_TOPIC, fresh, "released")
    commands.announce_many(session, model.LIVE_TOPIC, [i for i in changed if i not in brand_new],
                           "updated")
    journal.record(session, actor=actor, command="exchange.import_bundle", payload={
        "added": done.added, "updated": done.updated, "skipped": done.skipped,
        "reports": done.reports,
        "objects": [[i.stix_id, i.version] for i in incoming]})
    if progress is not None:
        progress(total, total)
    return done


def _insert_plain(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write these rows of stix_objects, a thousand a statement; the empty list that
    gathers the next ones."""
    for start in range(0, len(rows), 1000):
        session.execute(insert(StixObjectRow), rows[start:start + 1000])
    return []


def keep_latest(session: Session, org: str, stix_ids: list[str]) -> None:
    """Mark which row of each of these objects holds its newest version (after a later
    version came or a version was deleted), a few hundred ids a statement."""
    other = aliased(StixObjectRow)
    newer = exists().where(other.org == StixObjectRow.org,
                           other.stix_id == StixObjectRow.stix_id,
                           other.version > StixObjectRow.version)
    for start in range(0, len(stix_ids), 500):
        session.execute(update(StixObjectRow).where(
            StixObjectRow.org == org, StixObjectRow.stix_id.in_(stix_ids[start:start + 500]))
            .values(latest=~newer).execution_options(synchronize_session=False))


def _latest_versions(session: Session, org: str, ids: list[str]) -> dict[str, str]:
    """The newest version held of each of these objects, a few hundred ids a query."""
    out: dict[str, str] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        out.update({i: v for i, v in session.execute(
            select(StixObjectRow.stix_id, func.max(StixObjectRow.version)).where(
                StixObjectRow.org == org, StixObjectRow.stix_id.in_(chunk))
            .group_by(StixObjectRow.stix_id))})
    return out


def _report(session: Session, actor: auth.Actor, owner: str, org: str,
            item: stix_in.Incoming, label: str, scope: str, states: list[str],
            r: model.Rules, now: dt.datetime, made: int | None = None) -> tuple[int, bool]:
    """The imported report as a released report of the importing service (a later
    version of it updates the same report; `made`: the one this bundle made already), and
    whether it is new."""
    obj = item.obj
    title = str(obj.get("name") or item.stix_id)[:500]
    body = str(obj.get("description") or "")[:200_000]
    held = made if made is not None else session.execute(select(StixObjectRow.report_id).where(
        StixObjectRow.org == org, StixObjectRow.stix_id == item.stix_id,
        StixObjectRow.report_id.is_not(None))).scalars().first()
    row = session.get(ReportRow, held) if held is not None else None
    kind = "updated" if row is not None else "imported"
    if row is None:
        row = ReportRow(org=org, owner=owner, author=actor.name, created_at=now,
                        classification=r.default_classification, status="released",
                        visibility="restricted", released_at=now)
        session.add(row)
    row.title, row.body, row.tlp, row.scope, row.states, row.updated_at = (
        title, body, label, scope, " ".join(states), now)
    session.flush()
    mark = model.marking_of(r, scope, states, owner, True)
    row.visibility = mark.level
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == "report",
                                             ReleaseRow.object_id == row.id))
    if mark.released_to:
        auth.release(session, "report", row.id, sorted(mark.released_to), org)
    session.add(ReportEventRow(report_id=row.id, at=now, by=actor.name, kind=kind,
                               note=f"STIX {item.stix_id} version {item.version}",
                               scope=scope, states=" ".join(states)))
    return row.id, kind == "imported"
