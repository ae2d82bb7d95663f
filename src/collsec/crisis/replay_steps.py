"""Replay commands and checks of the crisis response: incidents, consultations, requests
for assistance, the mission a decision defines, offers, deployment and withdrawal.

Registered with the replay runner (`collsec.replay.runner` imports this module), so a
scenario names them like any other command. Each calls the same service the API uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.errors import InvalidInput
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation.tables import AssistanceRequestRow
from collsec.crisis.forces import deployments, missions
from collsec.crisis.forces.tables import MissionRow
from collsec.crisis.incidents import service as incidents
from collsec.registry import service as registry
from collsec.replay.model import Arg, CommandSpec, parse_time
from collsec.replay.runner import (
    EDITOR,
    REPRESENTATIVE,
    SECRETARIAT,
    Context,
    Result,
    register_check,
    register_command,
)

A = Arg
CENTRE = "crisis_centre"  # the charter role (access.roles) of the crisis centre
DUTY = frozenset({"duty_officer"})
ASKER = frozenset({"representative"})
MISSION = A("mission", required=True)


def _moment(ctx: Context, at: dt.datetime | None) -> dt.datetime:
    """The step's clock: noon of its day, or the later time the step itself gives."""
    return max(ctx.now, at) if at is not None else ctx.now


def _incident_ids(ctx: Context) -> list[int]:
    return [ctx.names[name] for name in ctx.args.get("incidents", ())]


def _note(ctx: Context) -> str:
    # `note` is a step key (our words on the step), so it arrives on the step, not in args.
    return str(ctx.args.get("note") or ctx.step.note)


@register_command(CommandSpec("report_incident", (
    A("id", "name", kind="incident"), A("type", required=True), A("severity", "int"),
    A("occurred_at", "time", required=True), A("geometry", "data", required=True),
    A("title", required=True), A("description"), A("released_to", "strs")),
    summary="a national crisis centre (as: delegation:XX) or the CRC reports an incident"),
    DUTY, acts_as=CENTRE)
def _report_incident(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(
        incidents.report_incident, type=a["type"], severity=a.get("severity"),
        occurred_at=a["occurred_at"], geometry=a["geometry"], title=a["title"],
        description=a.get("description", ""), released_to=list(a.get("released_to", ())),
        now=_moment(ctx, a["occurred_at"]))
    ctx.define("id", row.id)
    return Result((f"incident {row.id}: {row.type} (severity {row.severity}) reported by "
                   f"{row.owner}, {row.visibility}",))


@register_command(CommandSpec("advance_incident", (
    A("incident", "ref", required=True, kind="incident"), A("status", required=True),
    A("note")), summary="the CRC (or the reporting centre) moves an incident on, e.g. to "
                        "assessed"), DUTY, acts_as=CENTRE)
def _advance_incident(ctx: Context) -> Result:
    row = ctx.call(incidents.advance, ctx.ref("incident"), ctx.args["status"], _note(ctx))
    return Result((f"incident {row.id} is now {row.status}",))


@register_command(CommandSpec("update_incident", (
    A("incident", "ref", required=True, kind="incident"), A("note"), A("severity", "int"),
    A("status")), summary="the reporting centre (or the CRC) adds what was learned, a new "
                          "severity or a status move"), DUTY, acts_as=CENTRE)
def _update_incident(ctx: Context) -> Result:
    row = ctx.call(incidents.update_incident, ctx.ref("incident"), note=_note(ctx),
                   severity=ctx.args.get("severity"), status=ctx.args.get("status"))
    return Result((f"incident {row.id} is {row.status}, severity {row.severity}",))


@register_command(CommandSpec("request_consultations", (
    A("id", "name", kind="consultation"), A("state", "state", required=True),
    A("subject_en", required=True), A("subject_ru"), A("incidents", "strs"),
    A("format"), A("session", "name", kind="session")),
    summary="a member asks for consultations (Treaty Art. 2); an extraordinary session "
            "convenes"), ASKER, acts_as=None)
def _request_consultations(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(
        escalation.request_consultations, principal=Principal("delegation", a["state"]),
        state=a["state"], on=ctx.step.on, subject_en=a["subject_en"],
        subject_ru=a.get("subject_ru", ""), incidents=_incident_ids(ctx),
        format=a.get("format", "video"), sources=ctx.sources)
    ctx.define("id", row.id)
    ctx.define("session", row.session_id)
    return Result((f"{row.state} asks for consultations; extraordinary session "
                   f"{row.session_id} convened", ))


@register_command(CommandSpec("request_assistance", (
    A("id", "name", kind="request"), A("state", "state", required=True),
    A("basis", required=True), A("needs", "data", required=True),
    A("summary_en", required=True), A("summary_ru"), A("area", "data"),
    A("incidents", "strs"), A("consultation", "ref", kind="consultation")),
    summary="the affected member requests collective assistance, naming basis and need"),
    ASKER, acts_as=None)
def _request_assistance(ctx: Context) -> Result:
    a = ctx.args
    needs = a["needs"]
    if not isinstance(needs, list):
        raise InvalidInput("needs: a list of {kind, personnel, note}")
    row = ctx.call(
        escalation.submit_request, principal=Principal("delegation", a["state"]),
        state=a["state"], basis=a["basis"], needs=needs,
        summary_en=a["summary_en"], summary_ru=a.get("summary_ru", ""), area=a.get("area"),
        incidents=_incident_ids(ctx),
        consultation_id=ctx.ref("consultation") if "consultation" in a else None,
        on=ctx.step.on, sources=ctx.sources)
    ctx.define("id", row.id)
    kinds = ", ".join(n["kind"] for n in needs)
    return Result((f"request {row.id} of {row.state} ({row.basis}): {kinds}",))


@register_command(CommandSpec("table_request", (
    A("request", "ref", required=True, kind="request"),
    A("session", "ref", required=True, kind="session"), A("id", "name", kind="item"),
    A("mission", "data", required=True), A("title_en"), A("title_ru")),
    summary="put a request before a Council session as a draft decision defining a "
            "mission"), EDITOR)
def _table_request(ctx: Context) -> Result:
    a = ctx.args
    terms = a["mission"]
    if not isinstance(terms, Mapping):
        raise InvalidInput("mission: the terms of the mission, as a mapping")
    item = ctx.call(escalation.table_request, ctx.ref("request"),
                    session_id=ctx.ref("session"), mission=terms,
                    title_en=a.get("title_en", ""), title_ru=a.get("title_ru", ""))
    ctx.define("id", item.id)
    return Result((f"item {item.number} of session {item.session_id}: {item.title_en} "
                   f"({item.matter})",))


@register_command(CommandSpec("offer", (
    MISSION, A("state", "state", required=True), A("personnel", "int", required=True)),
    summary="a state's delegation offers personnel to a mission"), ASKER, acts_as=None)
def _offer(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(deployments.offer, a["mission"], principal=Principal("delegation", a["state"]),
                   state=a["state"], personnel=a["personnel"])
    return Result((f"{row.state} offers {row.personnel} personnel (offer {row.id})",))


@register_command(CommandSpec("accept_offers", (
    MISSION, A("states", "states", required=True)),
    summary="the mission accepts the open offers of the named states"), EDITOR)
def _accept_offers(ctx: Context) -> Result:
    actor, c = ctx.act()
    mission = missions.get_mission(ctx.session, ctx.args["mission"], ctx.org)
    lines = []
    for state in ctx.args["states"]:
        open_offers = [o for o in deployments.offers(ctx.session, mission)
                       if o.state == state and o.status == "offered"]
        if not open_offers:
            raise InvalidInput("{state} has no open offer to mission {mission}", state=state,
                               mission=mission.code)
        for o in open_offers:
            deployments.accept_offer(ctx.session, c, actor, mission.code, o.id, now=ctx.now,
                                     org=ctx.org)
            lines.append(f"{state}'s offer of {o.personnel} accepted")
    return Result(tuple(lines))


@register_command(CommandSpec("deployment", (
    MISSION, A("reports", "data", required=True)),
    summary="contingents' deployment status reports: a list of {state, status, personnel, "
            "at}"), DUTY, acts_as=None)
def _deployment(ctx: Context) -> Result:
    reports = ctx.args["reports"]
    if not isinstance(reports, list) or not reports:
        raise InvalidInput("reports: a list of {state, status, personnel, at}")
    lines = []
    for i, r in enumerate(reports, 1):
        if not isinstance(r, dict) or set(r) != {"state", "status", "personnel", "at"}:
            raise InvalidInput("report {index}: give exactly state, status, personnel and at",
                               index=i)
        at = parse_time(r["at"], f"report {i}: at")
        state = str(r["state"]).upper()
        ctx.call(deployments.report_status, ctx.args["mission"],
                 principal=Principal("delegation", state), state=state,
                 status=str(r["status"]), personnel=r["personnel"], at=at,
                 now=_moment(ctx, at))
        lines.append(f"{state} {r['status']} with {r['personnel']} at {at.isoformat()}")
    return Result(tuple(lines))


@register_command(CommandSpec("order_withdrawal", (
    MISSION, A("at", "time", required=True), A("note")),
    summary="the organization orders the mission's withdrawal"), EDITOR)
def _order_withdrawal(ctx: Context) -> Result:
    a = ctx.args
    m = ctx.call(deployments.order_withdrawal, a["mission"], at=a["at"], note=_note(ctx),
                 now=_moment(ctx, a["at"]))
    return Result((f"withdrawal of mission {m.code} ordered",))


@register_command(CommandSpec("close_mission", (MISSION,),
                              summary="close a mission once every contingent is home"), EDITOR)
def _close_mission(ctx: Context) -> Result:
    m = ctx.call(deployments.close_mission, ctx.args["mission"])
    return Result((f"mission {m.code} closed",))


# -- checks --------------------------------------------------------------------------------

def _operator(session: Session, org: str, on: dt.date) -> Clearance:
    """What the replay's checks read with: its secretariat, cleared on the check's day."""
    organ = auth.organ_for(registry.charter_for(org).raw, SECRETARIAT)
    actor = auth.Actor(None, "replay-check", organ, EDITOR | REPRESENTATIVE, "replay")
    return auth.clearance(session, actor, on, org)


@register_check(CommandSpec("mission", (
    A("code", required=True), A("status"), A("host", "state"), A("decided_on", "date"),
    A("total", "int"), A("by_state", "data"), A("at", "time"), A("events", "strs")),
    summary="a mission's status, host, decision date, personnel in theatre as of a time, "
            "and the kinds of its timeline events in order"))
def _mission_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                   ) -> tuple[bool, str]:
    code = str(a["code"]).upper()
    m = session.execute(select(MissionRow).where(MissionRow.org == org,
                                                 MissionRow.code == code)).scalar()
    if m is None:
        return False, f"no mission {code}"
    for key, have in (("status", m.status), ("host", m.host_state),
                      ("decided_on", m.decided_on)):
        if key in a and a[key] != have:
            return False, f"mission {code}: {key} is {have}, expected {a[key]}"
    said = [f"mission {code} ({m.status}, host {m.host_state}, decided {m.decided_on})"]
    c = _operator(session, org, on)
    if "total" in a or "by_state" in a:
        if "at" not in a:
            return False, f"mission {code}: totals need the time they are counted at"
        t = deployments.totals(session, c, code, a["at"], org)
        if "total" in a and t.total != a["total"]:
            return False, f"mission {code}: {t.total} in theatre at {a['at']}, " \
                          f"expected {a['total']}"
        if "by_state" in a and dict(t.by_state) != dict(a["by_state"]):
            return False, f"mission {code}: by state {dict(t.by_state)}, expected " \
                          f"{dict(a['by_state'])}"
        said.append(f"{t.total} in theatre at {a['at'].isoformat()}")
    if "events" in a:
        kinds = [e.kind for e in deployments.timeline(session, c, code, org).events
                 if e.kind != "deployment_status"]
        if kinds != list(a["events"]):
            return False, f"mission {code}: events {kinds}, expected {list(a['events'])}"
        said.append("events " + ", ".join(kinds))
    return True, "; ".join(said)


@register_check(CommandSpec("assistance_request", (
    A("state", "state", required=True), A("submitted_on", "date", required=True),
    A("status", required=True), A("mission")),
    summary="the status of a state's request for assistance, and the mission it led to "
            "(`none` for none)"))
def _request_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                   ) -> tuple[bool, str]:
    rows = list(session.execute(select(AssistanceRequestRow).where(
        AssistanceRequestRow.org == org, AssistanceRequestRow.state == a["state"],
        AssistanceRequestRow.submitted_on == a["submitted_on"])).scalars())
    if not rows:
        return False, f"no request of {a['state']} submitted on {a['submitted_on']}"
    r = rows[0]
    found = session.get(MissionRow, r.mission_id) if r.mission_id else None
    mission = found.code if found else None
    if r.status != a["status"]:
        return False, f"request {r.id} of {r.state} is {r.status}, expected {a['status']}"
    if "mission" in a and (mission or "none") != a["mission"]:
        return False, (f"request {r.id} led to mission {mission or 'none'}, expected "
                       f"{a['mission']}")
    return True, f"request {r.id} of {r.state} ({r.basis}) is {r.status}" + (
        f", mission {mission}" if mission else ", no mission")

