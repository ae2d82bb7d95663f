"""Registry use cases: as-of queries and journaled changes. The only way in for interfaces."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import (
    InvalidInput,
    NotFound,
    UnknownBody,
    UnknownOrganization,
    UnknownState,
)
from collsec.registry import model
from collsec.registry.charter import Charter, governing_org, load_charter
from collsec.registry.tables import (
    BodyRow,
    EventRow,
    ForceRow,
    MembershipRow,
    OfficeRow,
    OfficeTermRow,
    OrganizationRow,
    RelationRow,
    SourceRow,
    StateRow,
)


@dataclass(frozen=True)
class Named:
    code: str
    name_en: str
    name_ru: str

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_en


@dataclass(frozen=True)
class Fact:
    """Where a shown fact comes from."""

    sources: list[str] = field(default_factory=list)
    confidence: str = "high"
    note_en: str = ""
    note_ru: str = ""


@dataclass(frozen=True)
class MembershipView:
    org: str
    state: Named
    status: Named
    counted_as_member: bool
    takes_part: bool
    valid_from: dt.date
    valid_to: dt.date | None
    fact: Fact

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- lookups -----------------------------------------------------------------

def _fact(row: Any) -> Fact:
    return Fact(sources=row.sources.split(), confidence=row.confidence,
                note_en=row.note_en, note_ru=row.note_ru)


@query()
def get_state(session: Session, code: str) -> StateRow:
    row = session.get(StateRow, code.upper()) if code else None
    if row is None:
        raise UnknownState("unknown state code '{code}'; use an ISO 3166 alpha-2 code, e.g. KZ",
                           code=code)
    return row


@query()
def get_organization(session: Session, code: str) -> OrganizationRow:
    row = session.get(OrganizationRow, code.upper()) if code else None
    if row is None:
        known = ", ".join(session.execute(select(OrganizationRow.code)).scalars())
        if not known:
            raise UnknownOrganization("unknown organization '{code}'; known: none", code=code)
        raise UnknownOrganization("unknown organization '{code}'; known: {known}", code=code,
                                  known=known)
    return row


def charter_for(org: str) -> Charter:
    """The charter that governs `org`: its own folder's, else the charter of the organization
    whose data says it governs `org` (`charter_of` in organizations.yaml, e.g. the CST
    within the CSTO's data). An organization neither names, such as one only referred to
    (UN, OSCE), has no charter: UnknownOrganization, never another organization's rules."""
    try:
        return load_charter(org)
    except UnknownOrganization:
        governing = governing_org(org)
        if governing is None or governing == org.upper():
            raise UnknownOrganization(
                "no charter governs organization '{org}': it has no folder of its own "
                "({folder}/charter.yaml on COLLSEC_ORG_PATH or in the embedded "
                "collsec.data), and no organization's organizations.yaml names it with "
                "charter_of", org=org, folder=org.lower()) from None
        return load_charter(governing)


def _memberships(session: Session, **where: Any) -> list[MembershipRow]:
    stmt = select(MembershipRow)
    for col, value in where.items():
        stmt = stmt.where(getattr(MembershipRow, col) == value)
    # ties (a state entering two organizations on one day) are broken by name, so that
    # SQLite and PostgreSQL give one order
    return list(session.execute(stmt.order_by(
        MembershipRow.valid_from, MembershipRow.org, MembershipRow.state)).scalars())


def _to_model(row: MembershipRow) -> model.Membership:
    return model.Membership(org=row.org, state=row.state, status=row.status,
                            interval=model.Interval(row.valid_from, row.valid_to),
                            source=row.sources, confidence=row.confidence)


def _view(row: MembershipRow, charter: Charter, states: dict[str, StateRow]) -> MembershipView:
    rule = model.require_status(row.status, charter.statuses)
    st = states[row.state]
    return MembershipView(
        org=row.org,
        state=Named(st.code, st.name_en, st.name_ru),
        status=Named(rule.code, rule.name_en, rule.name_ru),
        counted_as_member=rule.counted_as_member,
        takes_part=rule.takes_part,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        fact=_fact(row),
    )


def _states(session: Session) -> dict[str, StateRow]:
    return {s.code: s for s in session.execute(select(StateRow)).scalars()}


# -- queries -------------------------------------------------------------------

@query()
def members(session: Session, org: str, as_of: dt.date, *,
            every_status: bool = False) -> list[MembershipView]:
    """States counted as members of `org` on `as_of`; with every_status, all statuses held then."""
    org_row = get_organization(session, org)
    charter = charter_for(org_row.code)
    rows = [r for r in _memberships(session, org=org_row.code)
            if model.Interval(r.valid_from, r.valid_to).contains(as_of)]
    if not every_status:
        rows = [r for r in rows
                if model.require_status(r.status, charter.statuses).counted_as_member]
    states = _states(session)
    views = [_view(r, charter, states) for r in rows]
    return sorted(views, key=lambda v: (not v.counted_as_member, v.state.name_en))


@query()
def state_history(session: Session, code: str) -> list[MembershipView]:
    """Every status interval of a state in every organization, oldest first."""
    st = get_state(session, code)
    states = _states(session)
    return [_view(r, charter_for(r.org), states) for r in _memberships(session, state=st.code)]


@query()
def status_of(session: Session, org: str, state: str, as_of: dt.date) -> MembershipView | None:
    get_organization(session, org)
    st = get_state(session, state)
    for r in _memberships(session, org=org.upper(), state=st.code):
        if model.Interval(r.valid_from, r.valid_to).contains(as_of):
            return _view(r, charter_for(r.org), _states(session))
    return None


@query()
def status_code_on(session: Session, org: str, state: str, as_of: dt.date) -> str | None:
    """The code of the status `state` holds in `org` on `as_of`, or None: one query, for the
    decision point, which asks it of every request (`status_of` gives the full view)."""
    return session.execute(select(MembershipRow.status).where(
        MembershipRow.org == org.upper(), MembershipRow.state == state.upper(),
        MembershipRow.valid_from <= as_of,
        or_(MembershipRow.valid_to.is_(None), MembershipRow.valid_to > as_of))
        .order_by(MembershipRow.valid_from.desc()).limit(1)).scalar_one_or_none()


@query()
def list_states(session: Session) -> list[StateRow]:
    return list(session.execute(select(StateRow).order_by(StateRow.name_en)).scalars())


@query()
def list_organizations(session: Session) -> list[OrganizationRow]:
    return list(session.execute(select(OrganizationRow).order_by(OrganizationRow.code)).scalars())


@query()
def bodies(session: Session, org: str, as_of: dt.date | None = None) -> list[BodyRow]:
    """Bodies of `org` that exist on `as_of` (all when as_of is None), statutory first.

    A body without its own founding date exists from the organization's founding.
    """
    org_row = get_organization(session, org)
    rows = session.execute(select(BodyRow).where(BodyRow.org == org_row.code)
                           .order_by(BodyRow.id)).scalars()
    return [b for b in rows
            if as_of is None or (b.founded or org_row.founded or as_of) <= as_of]


@query()
def body(session: Session, org: str | None, code: str) -> BodyRow:
    """The body `code` of `org` (None: of whichever organization loaded has one so named)."""
    stmt = select(BodyRow).where(BodyRow.code == code.upper())
    if org is not None:
        stmt = stmt.where(BodyRow.org == org.upper())
    row = session.execute(stmt.order_by(BodyRow.org).limit(1)).scalar_one_or_none()
    if row is None:
        if org:
            raise UnknownBody("unknown body '{code}' of {org}", code=code, org=org)
        raise UnknownBody("unknown body '{code}': no organization loaded has one", code=code)
    return row


@dataclass(frozen=True)
class OfficeHolding:
    office: Named
    body: str | None
    holder_en: str
    holder_ru: str
    state: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    fact: Fact

    def holder(self, lang: str) -> str:
        return self.holder_ru if lang == "ru" else self.holder_en


@query()
def offices(session: Session, org: str) -> list[Named]:
    """The offices of `org` its charter names, in the charter's order."""
    org_row = get_organization(session, org)
    return [Named(o.code, o.name_en, o.name_ru) for o in session.execute(
        select(OfficeRow).where(OfficeRow.org == org_row.code).order_by(OfficeRow.id)).scalars()]


@query()
def office_terms(session: Session, org: str, as_of: dt.date | None = None,
                 office: str | None = None) -> list[OfficeHolding]:
    """Office terms of `org`: those in force on `as_of`, or the whole history when None."""
    org_row = get_organization(session, org)
    offices = {o.code: o for o in session.execute(
        select(OfficeRow).where(OfficeRow.org == org_row.code).order_by(OfficeRow.id)).scalars()}
    stmt = select(OfficeTermRow).where(OfficeTermRow.org == org_row.code)
    if office:
        if office.upper() not in offices:
            raise NotFound("unknown office '{office}'; known: {known}", office=office,
                           known=", ".join(offices))
        stmt = stmt.where(OfficeTermRow.office == office.upper())
    out = []
    order = list(offices)
    for t in session.execute(stmt.order_by(OfficeTermRow.valid_from)).scalars():
        if as_of is not None and not model.Interval(t.valid_from, t.valid_to).contains(as_of):
            continue
        o = offices[t.office]
        out.append(OfficeHolding(Named(o.code, o.name_en, o.name_ru), o.body, t.holder_en,
                                 t.holder_ru, t.state, t.valid_from, t.valid_to, _fact(t)))
    return sorted(out, key=lambda h: (order.index(h.office.code), h.valid_from))


@query()
def forces(session: Session, org: str, as_of: dt.date | None = None) -> list[ForceRow]:
    """Collective forces of `org`, those founded by the year of `as_of` (all when None)."""
    org_row = get_organization(session, org)
    rows = session.execute(select(ForceRow).where(ForceRow.org == org_row.code)
                           .order_by(ForceRow.founded_year)).scalars()
    return [f for f in rows
            if as_of is None or f.founded_year is None or f.founded_year <= as_of.year]


@dataclass(frozen=True)
class TimelineEntry:
    date: dt.date
    kind: str
    title_en: str
    title_ru: str
    fact: Fact
    state: str | None = None

    def title(self, lang: str) -> str:
        return self.title_ru if lang == "ru" else self.title_en


@query()
def timeline(session: Session, org: str) -> list[TimelineEntry]:
    """The organization's history: events, status changes, relations, offices, in date order."""
    org_row = get_organization(session, org)
    charter = charter_for(org_row.code)
    states = _states(session)
    out: list[TimelineEntry] = []
    for e in session.execute(select(EventRow).where(EventRow.org == org_row.code)).scalars():
        out.append(TimelineEntry(e.date, "event", e.title_en, e.title_ru, _fact(e)))
    for m in _memberships(session, org=org_row.code):
        st, rule = states[m.state], charter.statuses[m.status]
        out.append(TimelineEntry(
            m.valid_from, "status", f"{st.name_en}: {rule.name_en}",
            f"{st.name_ru}: {rule.name_ru}", _fact(m), st.code))
    for r in session.execute(select(RelationRow).where(RelationRow.org == org_row.code)).scalars():
        out.append(TimelineEntry(r.date, "relation", r.title_en, r.title_ru, _fact(r)))
    for t in office_terms(session, org_row.code):
        out.append(TimelineEntry(t.valid_from, "office",
                                 f"{t.office.name_en}: {t.holder_en}",
                                 f"{t.office.name_ru}: {t.holder_ru}", t.fact, t.state))
    return _merge_same_entries(sorted(out, key=lambda e: (e.date, e.kind)))


def _merge_same_entries(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """One line per (date, kind, title): a fact recorded once per partner shows once."""
    merged: dict[tuple[dt.date, str, str], TimelineEntry] = {}
    for e in entries:
        key = (e.date, e.kind, e.title_en)
        if key in merged:
            prev = merged[key]
            sources = prev.fact.sources + [x for x in e.fact.sources
                                           if x not in prev.fact.sources]
            merged[key] = TimelineEntry(prev.date, prev.kind, prev.title_en, prev.title_ru,
                                        Fact(sources, prev.fact.confidence, prev.fact.note_en,
                                             prev.fact.note_ru), prev.state)
        else:
            merged[key] = e
    return list(merged.values())


@query()
def sources(session: Session, ids: list[str] | None = None) -> list[SourceRow]:
    stmt = select(SourceRow).order_by(SourceRow.id)
    if ids is not None:
        stmt = stmt.where(SourceRow.id.in_(ids))
    return list(session.execute(stmt).scalars())


@query()
def source(session: Session, source_id: str) -> SourceRow:
    row = session.get(SourceRow, source_id)
    if row is None:
        raise NotFound("unknown source '{source}'", source=source_id)
    return row


# -- changes -------------------------------------------------------------------

@command("registry.add_membership", action="edit_registry")
def add_membership(session: Session, c: Clearance, actor: auth.Actor, *, org: str, state: str,
                   status: str, valid_from: dt.date, valid_to: dt.date | None = None,
                   source_ids: list[str] | None = None, confidence: str = "high",
                   note_en: str = "", note_ru: str = "", origin: str = "user") -> MembershipRow:
    """Record a status interval of a state in an organization (role with edit_registry).

    Rule: one state holds one status in one organization on any day, so an
    interval that overlaps another of the same state and organization is refused.
    """
    org = auth.org_of(c, org)
    org_row = get_organization(session, org)
    st = get_state(session, state)
    charter = charter_for(org_row.code)
    model.require_status(status, charter.statuses)
    if confidence not in model.CONFIDENCE:
        raise InvalidInput("confidence must be one of {levels}",
                           levels=", ".join(model.CONFIDENCE))
    new = model.Membership(org_row.code, st.code, status, model.Interval(valid_from, valid_to))
    model.check_no_overlap([_to_model(r) for r in _memberships(session, org=org_row.code,
                                                               state=st.code)], new)
    ids = source_ids or []
    known = {s.id for s in sources(session, ids)} if ids else set()
    missing = [i for i in ids if i not in known]
    if missing:
        raise InvalidInput("unknown source id(s): {ids}", ids=", ".join(missing))
    row = MembershipRow(org=org_row.code, state=st.code, status=status, valid_from=valid_from,
                        valid_to=valid_to, sources=" ".join(ids), confidence=confidence,
                        note_en=note_en, note_ru=note_ru, origin=origin)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="registry.add_membership", payload={
        "id": row.id, "org": row.org, "state": row.state, "status": status,
        "valid_from": valid_from, "valid_to": valid_to, "sources": ids,
    })
    return row


@command("registry.change_status", action="edit_registry")
def change_status(session: Session, c: Clearance, actor: auth.Actor, *, org: str, state: str,
                  status: str, on: dt.date, source_ids: list[str] | None = None,
                  note_en: str = "", note_ru: str = "") -> MembershipRow:
    """Close the state's open interval on `on` and open a new one with `status` (role with
    edit_registry).

    History is never overwritten: the old interval keeps its start and gains an end.
    """
    org = auth.org_of(c, org)
    org_row = get_organization(session, org)
    st = get_state(session, state)
    model.require_status(status, charter_for(org_row.code).statuses)
    rows = _memberships(session, org=org_row.code, state=st.code)
    later = [r for r in rows if r.valid_from >= on]
    if later:
        raise InvalidInput("{state} already has a status from {start} on; "
                           "a change on {day} would rewrite history", state=st.code,
                           start=later[0].valid_from, day=on)
    current = next((r for r in rows if model.Interval(r.valid_from, r.valid_to).contains(on)),
                   None)
    if current is not None:
        if current.valid_to is not None:
            raise InvalidInput("{state}'s status on {day} already ends on {end}",
                               state=st.code, day=on, end=current.valid_to)
        if current.status == status:
            raise InvalidInput("{state} already holds status '{status}' on {day}",
                               state=st.code, status=status, day=on)
        current.valid_to = on
        session.flush()
    row = add_membership(session, c, actor, org=org_row.code, state=st.code, status=status,
                         valid_from=on, source_ids=source_ids, note_en=note_en, note_ru=note_ru)
    journal.record(session, actor=actor, command="registry.change_status", payload={
        "org": org_row.code, "state": st.code, "status": status, "on": on,
        "closed": current.id if current else None, "opened": row.id,
        "sources": source_ids or [],
    })
    return row


@command("registry.end_status", action="edit_registry")
def end_status(session: Session, c: Clearance, actor: auth.Actor, *, org: str, state: str,
               status: str, on: dt.date, source_ids: list[str] | None = None) -> MembershipRow:
    """Close the state's open interval of `status` on `on` (e.g. an observer status ending;
    role with edit_registry)."""
    org = auth.org_of(c, org)
    org_row = get_organization(session, org)
    st = get_state(session, state)
    rows = _memberships(session, org=org_row.code, state=st.code)
    current = next((r for r in rows if r.valid_to is None and r.status == status), None)
    if current is None or current.valid_from >= on:
        raise InvalidInput("{state} holds no open '{status}' status in {org} "
                           "that began before {day}", state=st.code, status=status,
                           org=org_row.code, day=on)
    current.valid_to = on
    journal.record(session, actor=actor, command="registry.end_status", payload={
        "org": org_row.code, "state": st.code, "status": status, "on": on,
        "closed": current.id, "sources": source_ids or []})
    return current
