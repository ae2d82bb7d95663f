"""Collective forces: the catalogue of national contingents, missions, offers, acceptance,
deployment status reports, the mission's timeline and totals, and its closing.

Every command checks its rule (the pure ones in `model`) and writes one journal entry
(`crisis.*`); a refused command writes nothing. Missions are members-level information:
every read requires a clearance that reads `members`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.crisis import geo, model
from collsec.crisis.escalation_tables import AssistanceRequestRow
from collsec.crisis.forces_tables import ContingentRow, DeploymentReportRow, MissionRow, OfferRow
from collsec.crisis.service import CENTRE, utc
from collsec.decisions import service as decisions
from collsec.decisions.tables import AgendaItemRow
from collsec.registry import service as registry
from collsec.registry.model import CONFIDENCE
from collsec.registry.tables import ForceRow

MEMBERS = Marking("members")
SECRETARIAT = "organ:SEC"
MAX_TEXT = 20000
MAX_CODE = 40


class UnknownMission(NotFound):
    title = "Unknown mission"
    type_slug = "unknown-mission"


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{field} must be a non-negative whole number, got {value!r}")
    if value > 2**31 - 1:
        raise InvalidInput(f"{field} is too large")
    return value


def _text(value: str, field: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"a mission needs {field}")
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters")
    return text


# -- the catalogue --------------------------------------------------------------------------

def register_contingent(session: Session, c: Clearance, actor: auth.Actor, *, force: str,
                        state: str, unit_type: str, personnel: int, readiness_hours: int,
                        home_lon: float, home_lat: float, home_base: str = "",
                        now: dt.datetime, org: str = "CSTO", sources: Sequence[str] = (),
                        confidence: str = "high",
                        since: dt.date | None = None) -> ContingentRow:
    """Add a national contingent to a collective force's catalogue (role with edit_registry),
    with the sources it rests on (known source ids) and a confidence, like a registry fact."""
    auth.require(c, "edit_registry")
    if confidence not in CONFIDENCE:
        raise InvalidInput(f"confidence must be one of {', '.join(CONFIDENCE)}")
    ids = list(dict.fromkeys(sources))
    listed = {s.id for s in registry.sources(session, ids)} if ids else set()
    missing = [i[:MAX_CODE] for i in ids if i not in listed]
    if missing:
        raise InvalidInput(f"unknown source id(s): {', '.join(missing)}")
    org_code = registry.get_organization(session, org).code
    f = session.execute(select(ForceRow).where(ForceRow.org == org_code,
                                               ForceRow.code == force.strip().upper())).scalar()
    if f is None:
        known = ", ".join(session.execute(select(ForceRow.code).where(
            ForceRow.org == org_code).order_by(ForceRow.code)).scalars())
        raise NotFound(f"unknown force '{force}' of {org_code}; forces: {known}")
    st = registry.get_state(session, state)
    place = geo.validate_geometry({"type": "Point", "coordinates": [home_lon, home_lat]})
    lon, lat = place.point
    row = ContingentRow(org=org_code, force=f.code, state=st.code,
                        unit_type=_text(unit_type, "a unit type", 80, required=True),
                        personnel=_count(personnel, "personnel"),
                        readiness_hours=_count(readiness_hours, "readiness hours"),
                        home_lon=lon, home_lat=lat, home_base=_text(home_base, "home base", 200),
                        since=since, sources=" ".join(ids), confidence=confidence,
                        origin="user")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor.name, command="crisis.register_contingent", payload={
        "id": row.id, "force": row.force, "state": row.state, "unit_type": row.unit_type,
        "personnel": row.personnel, "readiness_hours": row.readiness_hours,
        "home": [lon, lat], "home_base": row.home_base,
        "since": since.isoformat() if since else None, "sources": ids,
        "confidence": confidence}, at=now)
    return row


def contingents(session: Session, c: Clearance, *, force: str | None = None,
                org: str = "CSTO") -> list[ContingentRow]:
    auth.require(c, "read", MEMBERS)
    stmt = select(ContingentRow).where(ContingentRow.org == org.upper())
    if force:
        stmt = stmt.where(ContingentRow.force == force.strip().upper())
    return list(session.execute(stmt.order_by(ContingentRow.force, ContingentRow.state,
                                              ContingentRow.id)).scalars())


# -- missions ------------------------------------------------------------------------------

def get_mission(session: Session, code: str, org: str = "CSTO") -> MissionRow:
    row = session.execute(select(MissionRow).where(
        MissionRow.org == org.upper(), MissionRow.code == code.strip().upper())).scalar()
    if row is None:
        raise UnknownMission(f"unknown mission '{code[:MAX_CODE]}'")
    return row


def open_mission(session: Session, c: Clearance, actor: auth.Actor, *, code: str,
                 title_en: str, title_ru: str = "", host_state: str, mandate_en: str = "",
                 mandate_ru: str = "", area: object | None = None, decided_on: dt.date,
                 decision_item_id: int | None = None, now: dt.datetime,
                 org: str = "CSTO", ends_on: dt.date | None = None,
                 end_condition_en: str = "", end_condition_ru: str = "") -> MissionRow:
    """Open a mission the organization decided on (role with manage_sessions)."""
    auth.require(c, "manage_sessions")
    org_code = registry.get_organization(session, org).code
    mission_code = _text(code, "a code", MAX_CODE, required=True).upper()
    if session.execute(select(MissionRow.id).where(MissionRow.org == org_code,
                                                   MissionRow.code == mission_code)).first():
        raise Conflict(f"mission {mission_code} already exists")
    host = registry.get_state(session, host_state).code
    if decided_on > now.date():
        raise InvalidInput(f"the decision date {decided_on} is in the future")
    if decision_item_id is not None and session.get(AgendaItemRow, decision_item_id) is None:
        raise NotFound(f"unknown agenda item {decision_item_id}")
    geometry = None
    if area is not None:
        geometry = json.dumps(geo.validate_geometry(area).as_geojson(), separators=(",", ":"))
    row = MissionRow(org=org_code, code=mission_code,
                     title_en=_text(title_en, "a title", 300, required=True),
                     title_ru=_text(title_ru, "title_ru", 300), host_state=host,
                     mandate_en=_text(mandate_en, "mandate_en"),
                     mandate_ru=_text(mandate_ru, "mandate_ru"), area=geometry,
                     decided_on=decided_on, decision_item_id=decision_item_id, status="open",
                     opened_at=now, ends_on=ends_on,
                     end_condition_en=_text(end_condition_en, "end_condition_en", 2000),
                     end_condition_ru=_text(end_condition_ru, "end_condition_ru", 2000))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor.name, command="crisis.open_mission", payload={
        "code": row.code, "title_en": row.title_en, "host_state": host,
        "decided_on": decided_on.isoformat(), "decision_item_id": decision_item_id,
        "area": json.loads(geometry) if geometry else None,
        "ends_on": ends_on.isoformat() if ends_on else None,
        "end_condition_en": row.end_condition_en}, at=now)
    return row


def _open(mission: MissionRow) -> None:
    if mission.status != "open":
        raise Conflict(f"mission {mission.code} is closed")


def list_missions(session: Session, c: Clearance, org: str = "CSTO") -> list[MissionRow]:
    auth.require(c, "read", MEMBERS)
    return list(session.execute(select(MissionRow).where(MissionRow.org == org.upper())
                                .order_by(MissionRow.decided_on.desc(), MissionRow.code))
                .scalars())


# -- offers and acceptance -----------------------------------------------------------------

def offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *, state: str,
          personnel: int, contingent_id: int | None = None, now: dt.datetime,
          org: str = "CSTO") -> OfferRow:
    """A state's offer of personnel (EDXL-RM: response to request), made by its delegation's
    representative or duty officer; only states seated in the bodies on the mission's date."""
    auth.require(c, "read")
    mission = get_mission(session, mission_code, org)
    _open(mission)
    st = registry.get_state(session, state).code
    if c.principal != f"delegation:{st}" or not c.actions & {"record_position",
                                                              "report_incident"}:
        raise auth.NotEntitled(f"only a representative or duty officer of delegation:{st} may "
                               f"offer {st}'s contingent; {c.user} acts for {c.principal}")
    seated = decisions.entitled_states(session, mission.org, mission.decided_on)
    if st not in seated:
        status = registry.status_of(session, mission.org, st, mission.decided_on)
        why = (f"its status is {status.status.code}, which holds no seat in the bodies"
               if status is not None else f"it holds no status in {mission.org}")
        raise auth.NotEntitled(f"{st} may not offer forces to mission {mission.code}: on "
                               f"{mission.decided_on} {why}; only states seated in the bodies "
                               "that day may contribute")
    cont = None
    if contingent_id is not None:
        cont = session.get(ContingentRow, contingent_id)
        if cont is None or cont.org != mission.org:
            raise NotFound(f"unknown contingent {contingent_id}")
        if cont.state != st:
            raise InvalidInput(f"contingent {contingent_id} belongs to {cont.state}, not {st}")
    people = _count(personnel, "personnel")
    if cont is not None and people > cont.personnel:
        raise InvalidInput(f"{st} offers {people} personnel, more than the {cont.personnel} "
                           f"of contingent {cont.id}")
    row = OfferRow(mission_id=mission.id, state=st, contingent_id=contingent_id,
                   personnel=people, offered_at=now, offered_by=actor.name, status="offered")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor.name, command="crisis.offer", payload={
        "mission": mission.code, "offer": row.id, "state": st, "contingent": contingent_id,
        "personnel": people}, at=now)
    return row


def decide_offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str,
                 offer_id: int, *, accept: bool = True, now: dt.datetime,
                 org: str = "CSTO") -> OfferRow:
    """The mission accepts (EDXL-RM: commit) or declines an offer (manage_sessions)."""
    auth.require(c, "manage_sessions")
    mission = get_mission(session, mission_code, org)
    _open(mission)
    row = session.get(OfferRow, offer_id)
    if row is None or row.mission_id != mission.id:
        raise NotFound(f"mission {mission.code} has no offer {offer_id}")
    if row.status != "offered":
        raise Conflict(f"offer {offer_id} of {row.state} is already {row.status}")
    row.status = "accepted" if accept else "declined"
    row.decided_at = now
    journal.record(session, actor=actor.name, command="crisis.accept_offer" if accept
                   else "crisis.decline_offer", payload={
                       "mission": mission.code, "offer": row.id, "state": row.state,
                       "personnel": row.personnel}, at=now)
    return row


def accept_offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str,
                 offer_id: int, *, now: dt.datetime, org: str = "CSTO") -> OfferRow:
    return decide_offer(session, c, actor, mission_code, offer_id, accept=True, now=now, org=org)


def offers(session: Session, mission: MissionRow) -> list[OfferRow]:
    return list(session.execute(select(OfferRow).where(OfferRow.mission_id == mission.id)
                                .order_by(OfferRow.offered_at, OfferRow.id)).scalars())


def _contingent(session: Session, mission: MissionRow, state: str) -> model.Contingent:
    committed = [o.personnel for o in offers(session, mission)
                 if o.state == state and o.status == "accepted"]
    if not committed:
        raise Conflict(f"{state} has no accepted offer in mission {mission.code}")
    return model.Contingent(state, sum(committed))


def _reports(session: Session, mission: MissionRow,
             state: str | None = None) -> list[model.DeploymentReport]:
    stmt = select(DeploymentReportRow).where(DeploymentReportRow.mission_id == mission.id)
    if state is not None:
        stmt = stmt.where(DeploymentReportRow.state == state)
    rows = session.execute(stmt.order_by(DeploymentReportRow.at, DeploymentReportRow.id)).scalars()
    return [model.DeploymentReport(r.state, r.status, _aware(r.at), r.personnel) for r in rows]


# -- deployment status ---------------------------------------------------------------------

def report_status(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                  state: str, status: str, personnel: int, at: dt.datetime, now: dt.datetime,
                  org: str = "CSTO") -> DeploymentReportRow:
    """Report a contingent's deployment status: a duty officer of the contributing state, or
    the Crisis Response Centre / Secretariat. Going back is refused and nothing is written."""
    auth.require(c, "read")
    mission = get_mission(session, mission_code, org)
    _open(mission)
    st = registry.get_state(session, state).code
    own_centre = c.principal == f"delegation:{st}" and "report_incident" in c.actions
    organ = c.principal in (CENTRE, SECRETARIAT) and bool(
        c.actions & {"report_incident", "edit_registry", "manage_sessions"})
    if not (own_centre or organ):
        raise auth.NotEntitled(f"only a duty officer of delegation:{st}, {CENTRE} or "
                               f"{SECRETARIAT} may report the status of {st}'s contingent; "
                               f"{c.user} acts for {c.principal}")
    when = utc(at, "at")
    if when > now:
        raise InvalidInput(f"the report time {when.isoformat()} is in the future")
    new = model.DeploymentReport(st, status, when, personnel)
    model.report_deployment_status(_contingent(session, mission, st),
                                   _reports(session, mission, st), new)
    row = DeploymentReportRow(mission_id=mission.id, state=st, status=status,
                              personnel=personnel, at=when, reported_by=actor.name)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor.name, command="crisis.report_deployment_status",
                   payload={"mission": mission.code, "state": st, "status": status,
                            "personnel": personnel, "at": when.isoformat()}, at=now)
    return row


def order_withdrawal(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                     at: dt.datetime, note: str = "", now: dt.datetime,
                     org: str = "CSTO") -> MissionRow:
    """Record the order to withdraw the mission's contingents (a body's decision or the
    organization's announcement), once, while the mission is open (manage_sessions).

    The order is its own timeline event. It does not gate the contingents' own reports:
    a `withdrawing` report filed before it is kept, since units may start moving before
    the order is published, and the report records what is true."""
    auth.require(c, "manage_sessions")
    mission = get_mission(session, mission_code, org)
    _open(mission)
    if mission.withdrawal_ordered_at is not None:
        raise Conflict(f"the withdrawal of mission {mission.code} was already ordered at "
                       f"{_aware(mission.withdrawal_ordered_at).isoformat()}")
    when = utc(at, "at")
    if when > now:
        raise InvalidInput(f"the withdrawal time {when.isoformat()} is in the future")
    if when.date() < mission.decided_on:
        raise InvalidInput(f"the withdrawal time {when.isoformat()} is before the decision "
                           f"on the mission ({mission.decided_on})")
    mission.withdrawal_ordered_at = when
    mission.withdrawal_note = _text(note, "the withdrawal note", 2000) or None
    journal.record(session, actor=actor.name, command="crisis.order_withdrawal", payload={
        "mission": mission.code, "at": when.isoformat(), "note": mission.withdrawal_note},
        at=now)
    return mission


def close_mission(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                  now: dt.datetime, org: str = "CSTO") -> MissionRow:
    """Close a mission (EDXL-RM: release); refused while an accepted contingent is not home."""
    auth.require(c, "manage_sessions")
    mission = get_mission(session, mission_code, org)
    _open(mission)
    last: dict[str, str] = {r.state: r.status for r in _reports(session, mission)}
    away = sorted({o.state for o in offers(session, mission) if o.status == "accepted"
                   and last.get(o.state) != "returned"})
    if away:
        listed = ", ".join(f"{s} ({last.get(s, 'no report yet')})" for s in away)
        raise Conflict(f"mission {mission.code} cannot close while contingents have not "
                       f"returned: {listed}")
    mission.status = "closed"
    mission.closed_at = now
    journal.record(session, actor=actor.name, command="crisis.close_mission",
                   payload={"mission": mission.code}, at=now)
    return mission


# -- queries -------------------------------------------------------------------------------

def timeline(session: Session, c: Clearance, mission_code: str,
             org: str = "CSTO") -> model.MissionTimeline:
    """The mission's events in order: the request it answers, decision, opening, offers,
    commitments, deployment status reports, the withdrawal order and release."""
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    asked = session.execute(select(AssistanceRequestRow).where(
        AssistanceRequestRow.mission_id == mission.id)).scalars()
    events = [model.TimelineEvent(dt.datetime.combine(r.submitted_on, dt.time.min, tzinfo=dt.UTC),
                                  "assistance_request", r.state,
                                  note=f"request {r.id} for assistance ({r.basis})")
              for r in asked]
    events += [model.TimelineEvent(dt.datetime.combine(mission.decided_on, dt.time.min,
                                                      tzinfo=dt.UTC), "decision", mission.org,
                                  note=mission.title_en),
              model.TimelineEvent(_aware(mission.opened_at), "request_resource", mission.org,
                                  note=f"mission {mission.code} opened")]
    for o in offers(session, mission):
        events.append(model.TimelineEvent(_aware(o.offered_at), "response_to_request", o.state,
                                          personnel=o.personnel, note=f"offer {o.id}"))
        if o.status == "accepted" and o.decided_at is not None:
            events.append(model.TimelineEvent(_aware(o.decided_at), "commit", o.state,
                                              personnel=o.personnel, note=f"offer {o.id}"))
    if mission.withdrawal_ordered_at is not None:
        events.append(model.TimelineEvent(_aware(mission.withdrawal_ordered_at), "withdrawal",
                                          mission.org, note=mission.withdrawal_note or ""))
    if mission.closed_at is not None:
        events.append(model.TimelineEvent(_aware(mission.closed_at), "release", mission.org,
                                          note=f"mission {mission.code} closed"))
    return model.MissionTimeline().add(*events).add_reports(_reports(session, mission))


def totals(session: Session, c: Clearance, mission_code: str, as_of: dt.datetime,
           org: str = "CSTO") -> model.MissionTotals:
    """Personnel in theatre per contributing state as of a time."""
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    return model.mission_totals(_reports(session, mission), utc(as_of, "as_of"))


@dataclass(frozen=True)
class MissionView:
    mission: MissionRow
    offers: list[OfferRow]
    timeline: model.MissionTimeline
    totals: model.MissionTotals


def mission_view(session: Session, c: Clearance, mission_code: str, as_of: dt.datetime,
                 org: str = "CSTO") -> MissionView:
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    return MissionView(mission, offers(session, mission),
                       timeline(session, c, mission_code, org),
                       totals(session, c, mission_code, as_of, org))


def mission_dict(m: MissionRow) -> dict[str, Any]:
    return {"code": m.code, "organization": m.org, "title": {"en": m.title_en, "ru": m.title_ru},
            "host_state": m.host_state, "mandate": {"en": m.mandate_en, "ru": m.mandate_ru},
            "area": json.loads(m.area) if m.area else None,
            "decided_on": m.decided_on.isoformat(), "decision_item_id": m.decision_item_id,
            "ends": {"on": m.ends_on.isoformat() if m.ends_on else None,
                     "condition": {"en": m.end_condition_en, "ru": m.end_condition_ru}},
            "status": m.status, "opened_at": _aware(m.opened_at).isoformat(),
            "closed_at": _aware(m.closed_at).isoformat() if m.closed_at else None,
            "withdrawal": ({"ordered_at": _aware(m.withdrawal_ordered_at).isoformat(),
                            "note": m.withdrawal_note or ""}
                           if m.withdrawal_ordered_at else None)}


def offer_dict(o: OfferRow) -> dict[str, Any]:
    return {"id": o.id, "state": o.state, "contingent_id": o.contingent_id,
            "personnel": o.personnel, "offered_at": _aware(o.offered_at).isoformat(),
            "offered_by": o.offered_by, "status": o.status,
            "decided_at": _aware(o.decided_at).isoformat() if o.decided_at else None}


def contingent_dict(r: ContingentRow) -> dict[str, Any]:
    return {"id": r.id, "force": r.force, "state": r.state, "unit_type": r.unit_type,
            "personnel": r.personnel, "readiness_hours": r.readiness_hours,
            "home": {"type": "Point", "coordinates": [r.home_lon, r.home_lat]},
            "home_base": r.home_base, "since": r.since.isoformat() if r.since else None,
            "sources": r.sources.split(), "confidence": r.confidence,
            "note": {"en": r.note_en, "ru": r.note_ru}, "origin": r.origin}


def event_dict(e: model.TimelineEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "status": e.status,
            "personnel": e.personnel, "note": e.note}


def totals_dict(t: model.MissionTotals) -> dict[str, Any]:
    return {"as_of": t.as_of.isoformat(), "by_state": dict(t.by_state), "total": t.total}
