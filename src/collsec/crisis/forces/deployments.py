"""Deployment of a mission's contingents, in the order of EDXL-RM's resource messages:
states' offers (response to request), the mission's acceptance (commit), per-contingent
status reports, the withdrawal order and closing (release); then the mission's timeline
and its totals in theatre.

The rules on offers, reports, the order of a mission's events and totals are the pure
ones in `model`. Every command writes one journal entry (`crisis.*`); a refused command
raises before it writes, so it writes nothing. Every read requires a clearance that reads
`members`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.core.times import stored, utc
from collsec.crisis.forces import model
from collsec.crisis.forces.catalogue import MEMBERS, bounded_text, whole_number
from collsec.crisis.forces.missions import get_mission, requests_answered, require_open
from collsec.crisis.forces.tables import (
    ContingentRow,
    DeploymentReportRow,
    MissionRow,
    OfferRow,
)
from collsec.decisions import service as decisions
from collsec.registry import service as registry

# -- offers and acceptance -----------------------------------------------------------------

@command("crisis.offer")
def offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *, state: str,
          personnel: int, contingent_id: int | None = None, now: dt.datetime,
          org: str | None = None) -> OfferRow:
    """A state's offer of personnel (EDXL-RM: response to request), made by its delegation's
    representative or duty officer; only states seated in the bodies on the mission's date,
    of one person or more, before the withdrawal is ordered (`model.check_offer`)."""
    org = auth.org_of(c, org)
    mission = get_mission(session, mission_code, org)
    require_open(mission)
    st = registry.get_state(session, state).code
    auth.require_for(c, "offer_forces", state=st)
    seated = decisions.entitled_states(session, mission.org, mission.decided_on)
    if st not in seated:
        status = registry.status_of(session, mission.org, st, mission.decided_on)
        if status is not None:
            raise auth.NotEntitled(
                "{state} may not offer forces to mission {mission}: on {day} its status is "
                "{status}, which holds no seat in the bodies; only states seated in the "
                "bodies that day may contribute", state=st, mission=mission.code,
                day=mission.decided_on, status=status.status.code)
        raise auth.NotEntitled(
            "{state} may not offer forces to mission {mission}: on {day} it holds no status "
            "in {org}; only states seated in the bodies that day may contribute", state=st,
            mission=mission.code, day=mission.decided_on, org=mission.org)
    cont = None
    if contingent_id is not None:
        cont = session.get(ContingentRow, contingent_id)
        if cont is None or cont.org != mission.org:
            raise NotFound("unknown contingent {contingent}", contingent=contingent_id)
        if cont.state != st:
            raise InvalidInput("contingent {contingent} belongs to {owner}, not {state}",
                               contingent=contingent_id, owner=cont.state, state=st)
    model.check_offer(_course(mission), personnel)
    people = whole_number(personnel, "personnel")
    # A catalogue strength of 0 means "not reported" (contingents.yaml), not an empty
    # unit: only a reported figure caps the offer.
    if cont is not None and cont.personnel and people > cont.personnel:
        raise InvalidInput("{state} offers {personnel} personnel, more than the {strength} of "
                           "contingent {contingent}", state=st, personnel=people,
                           strength=cont.personnel, contingent=cont.id)
    row = OfferRow(mission_id=mission.id, state=st, contingent_id=contingent_id,
                   personnel=people, offered_at=now, offered_by=actor.name, status="offered")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.offer", payload={
        "mission": mission.code, "offer": row.id, "state": st, "contingent": contingent_id,
        "personnel": people}, at=now)
    return row


@command("crisis.decide_offer", action="manage_missions")
def decide_offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str,
                 offer_id: int, *, accept: bool = True, now: dt.datetime,
                 org: str | None = None) -> OfferRow:
    """The mission accepts (EDXL-RM: commit) or declines an offer (manage_missions), not
    before it was made; none is accepted once the withdrawal is ordered
    (`model.check_offer_decision`)."""
    org = auth.org_of(c, org)
    mission = get_mission(session, mission_code, org)
    require_open(mission)
    row = session.get(OfferRow, offer_id)
    if row is None or row.mission_id != mission.id:
        raise NotFound("mission {mission} has no offer {offer}", mission=mission.code,
                       offer=offer_id)
    if row.status != "offered":
        raise Conflict("offer {offer} of {state} is already {status}", offer=offer_id,
                       state=row.state, status=row.status)
    model.check_offer_decision(_course(mission), row.id, stored(row.offered_at), now,
                               accept=accept)
    row.status = "accepted" if accept else "declined"
    row.decided_at = now
    journal.record(session, actor=actor, command="crisis.decide_offer", payload={
        "mission": mission.code, "offer": row.id, "state": row.state,
        "personnel": row.personnel, "decision": row.status}, at=now)
    return row


def accept_offer(session: Session, c: Clearance, actor: auth.Actor, mission_code: str,
                 offer_id: int, *, now: dt.datetime, org: str | None = None) -> OfferRow:
    org = auth.org_of(c, org)
    return decide_offer(session, c, actor, mission_code, offer_id, accept=True, now=now, org=org)


@query()
def offers(session: Session, mission: MissionRow) -> list[OfferRow]:
    return list(session.execute(select(OfferRow).where(OfferRow.mission_id == mission.id)
                                .order_by(OfferRow.offered_at, OfferRow.id)).scalars())


def _contingent(session: Session, mission: MissionRow, state: str) -> model.Contingent:
    committed = [o.personnel for o in offers(session, mission)
                 if o.state == state and o.status == "accepted"]
    if not committed:
        raise Conflict("{state} has no accepted offer in mission {mission}", state=state,
                       mission=mission.code)
    return model.Contingent(state, sum(committed))


def _reports(session: Session, mission: MissionRow,
             state: str | None = None) -> list[model.DeploymentReport]:
    stmt = select(DeploymentReportRow).where(DeploymentReportRow.mission_id == mission.id)
    if state is not None:
        stmt = stmt.where(DeploymentReportRow.state == state)
    rows = session.execute(stmt.order_by(DeploymentReportRow.at, DeploymentReportRow.id)).scalars()
    return [model.DeploymentReport(r.state, r.status, stored(r.at), r.personnel) for r in rows]


def _course(mission: MissionRow) -> model.MissionCourse:
    """The mission as the rules on the order of its events see it."""
    ordered = mission.withdrawal_ordered_at
    return model.MissionCourse(mission.code, mission.decided_on,
                               stored(ordered) if ordered is not None else None)


# -- deployment status ---------------------------------------------------------------------

@command("crisis.report_deployment_status")
def report_status(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                  state: str, status: str, personnel: int, at: dt.datetime, now: dt.datetime,
                  org: str | None = None) -> DeploymentReportRow:
    """Report a contingent's deployment status: a duty officer of the contributing state, or
    the Crisis Response Centre / Secretariat. A report dated in the future or before the
    decision on the mission (`model.check_report_time`), or going back in state or time
    (`model.report_deployment_status`), is refused and nothing is written."""
    org = auth.org_of(c, org)
    mission = get_mission(session, mission_code, org)
    require_open(mission)
    st = registry.get_state(session, state).code
    auth.require_for(c, "report_deployment", state=st)
    when = utc(at, "at")
    model.check_report_time(_course(mission), when, now)
    new = model.DeploymentReport(st, status, when, personnel)
    model.report_deployment_status(_contingent(session, mission, st),
                                   _reports(session, mission, st), new)
    row = DeploymentReportRow(mission_id=mission.id, state=st, status=status,
                              personnel=personnel, at=when, reported_by=actor.name)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.report_deployment_status",
                   payload={"mission": mission.code, "state": st, "status": status,
                            "personnel": personnel, "at": when.isoformat()}, at=now)
    return row


# -- withdrawal and release ----------------------------------------------------------------

@command("crisis.order_withdrawal", action="manage_missions")
def order_withdrawal(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                     at: dt.datetime, note: str = "", now: dt.datetime,
                     org: str | None = None) -> MissionRow:
    """Record the order to withdraw the mission's contingents (a body's decision or the
    organization's announcement), once, while the mission is open (manage_missions).

    The order is its own timeline event. It does not gate the contingents' own reports:
    a `withdrawing` report filed before it is kept, since units may start moving before
    the order is published, and the report records what is true. Once, not in the
    future, not before the decision (`model.check_withdrawal_order`); no offer is made
    or accepted after it."""
    org = auth.org_of(c, org)
    mission = get_mission(session, mission_code, org)
    require_open(mission)
    when = utc(at, "at")
    model.check_withdrawal_order(_course(mission), when, now)
    mission.withdrawal_ordered_at = when
    mission.withdrawal_note = bounded_text(note, "the withdrawal note", 2000) or None
    journal.record(session, actor=actor, command="crisis.order_withdrawal", payload={
        "mission": mission.code, "at": when.isoformat(), "note": mission.withdrawal_note},
        at=now)
    return mission


@command("crisis.close_mission", action="manage_missions")
def close_mission(session: Session, c: Clearance, actor: auth.Actor, mission_code: str, *,
                  now: dt.datetime, org: str | None = None) -> MissionRow:
    """Close a mission (EDXL-RM: release); refused while an accepted contingent is not home,
    or at a time before its withdrawal order or a report (`model.check_closing`)."""
    org = auth.org_of(c, org)
    mission = get_mission(session, mission_code, org)
    require_open(mission)
    reports = _reports(session, mission)
    model.check_closing(_course(mission), reports, now)
    last: dict[str, str] = {r.state: r.status for r in reports}
    away = sorted({o.state for o in offers(session, mission) if o.status == "accepted"
                   and last.get(o.state) != "returned"})
    if away:
        listed = ", ".join(f"{s} ({last.get(s, 'no report yet')})" for s in away)
        raise Conflict("mission {mission} cannot close while contingents have not returned: "
                       "{away}", mission=mission.code, away=listed)
    mission.status = "closed"
    mission.closed_at = now
    journal.record(session, actor=actor, command="crisis.close_mission",
                   payload={"mission": mission.code}, at=now)
    return mission


# -- queries -------------------------------------------------------------------------------

@query()
def timeline(session: Session, c: Clearance, mission_code: str,
             org: str | None = None) -> model.MissionTimeline:
    """The mission's events in order: the request it answers, decision, opening, offers,
    commitments, deployment status reports, the withdrawal order and release."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    asked = requests_answered(session, mission)
    events = [model.TimelineEvent(dt.datetime.combine(r.submitted_on, dt.time.min, tzinfo=dt.UTC),
                                  "assistance_request", r.state,
                                  note=f"request {r.id} for assistance ({r.basis})", ref=r.id)
              for r in asked]
    events += [model.TimelineEvent(model.decision_time(mission.decided_on), "decision",
                                   mission.org, note=mission.title_en),
              model.TimelineEvent(stored(mission.opened_at), "request_resource", mission.org,
                                  note=f"mission {mission.code} opened")]
    for o in offers(session, mission):
        events.append(model.TimelineEvent(stored(o.offered_at), "response_to_request", o.state,
                                          personnel=o.personnel, note=f"offer {o.id}",
                                          ref=o.id))
        if o.status == "accepted" and o.decided_at is not None:
            events.append(model.TimelineEvent(stored(o.decided_at), "commit", o.state,
                                              personnel=o.personnel, note=f"offer {o.id}",
                                              ref=o.id))
    if mission.withdrawal_ordered_at is not None:
        events.append(model.TimelineEvent(stored(mission.withdrawal_ordered_at), "withdrawal",
                                          mission.org, note=mission.withdrawal_note or ""))
    if mission.closed_at is not None:
        events.append(model.TimelineEvent(stored(mission.closed_at), "release", mission.org,
                                          note=f"mission {mission.code} closed"))
    return model.MissionTimeline().add(*events).add_reports(_reports(session, mission))


@query()
def totals(session: Session, c: Clearance, mission_code: str, as_of: dt.datetime,
           org: str | None = None) -> model.MissionTotals:
    """Personnel in theatre per contributing state as of a time."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    return model.mission_totals(_reports(session, mission), utc(as_of, "as_of"))


@dataclass(frozen=True)
class MissionView:
    mission: MissionRow
    offers: list[OfferRow]
    timeline: model.MissionTimeline
    totals: model.MissionTotals


@query()
def mission_view(session: Session, c: Clearance, mission_code: str, as_of: dt.datetime,
                 org: str | None = None) -> MissionView:
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    mission = get_mission(session, mission_code, org)
    return MissionView(mission, offers(session, mission),
                       timeline(session, c, mission_code, org),
                       totals(session, c, mission_code, as_of, org))


def offer_dict(o: OfferRow) -> dict[str, Any]:
    return {"id": o.id, "state": o.state, "contingent_id": o.contingent_id,
            "personnel": o.personnel, "offered_at": stored(o.offered_at).isoformat(),
            "offered_by": o.offered_by, "status": o.status,
            "decided_at": stored(o.decided_at).isoformat() if o.decided_at else None}


def event_dict(e: model.TimelineEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "status": e.status,
            "personnel": e.personnel, "note": e.note, "ref": e.ref}


def totals_dict(t: model.MissionTotals) -> dict[str, Any]:
    return {"as_of": t.as_of.isoformat(), "by_state": dict(t.by_state), "total": t.total}
