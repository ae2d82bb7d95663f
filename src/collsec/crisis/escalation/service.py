"""Escalation on the charter engine: from an assessed incident to the Council's decision.

A member seated in the bodies asks for consultations (Treaty Art. 2), which convenes
an extraordinary session of the body the charter names; it submits a request for
assistance naming its basis and what it needs; the Secretariat puts the request on
a session's agenda with the terms of the mission the decision would define; the
Council decides by the engine (`decisions.sessions`), and closing the item applies
the effect registered here: an adopted decision opens the mission, any other
outcome leaves the request not granted. Each command is one journaled transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.crisis import geo
from collsec.crisis.escalation import model as requests
from collsec.crisis.escalation.tables import AssistanceRequestRow, ConsultationRow
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import missions
from collsec.crisis.forces.tables import MissionRow
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.service import OBJECT
from collsec.crisis.incidents.tables import IncidentRow
from collsec.decisions import sessions
from collsec.decisions.service import entitled_states
from collsec.decisions.tables import AgendaItemRow, SessionRow
from collsec.registry import service as registry

MEMBERS = Marking("members")
MAX_TEXT = 20000
MAX_INCIDENTS = 50


class UnknownRequest(NotFound):
    title = "Unknown request"
    type_slug = "unknown-request"


@lru_cache(maxsize=8)
def rules(org: str) -> requests.CrisisRules:
    return requests.load_rules(registry.charter_for(org).raw.get("crisis_response", {}))


def _text(value: str, too_long: str, *, missing: str = "", limit: int = MAX_TEXT) -> str:
    """`value` stripped; `missing` (when given) is the message if it is empty, `too_long`
    (a template with `{limit}`) the message if it is longer than `limit`."""
    text = (value or "").strip()
    if missing and not text:
        raise InvalidInput(missing)
    if len(text) > limit:
        raise InvalidInput(too_long, limit=limit)
    return text


def _own_state(c: Clearance, state: str, what: str) -> None:
    """Only the state's own delegation speaks for it (policy.yaml: request_assistance)."""
    auth.require_for(c, "request_assistance", state=state)


# what a state not seated may not do → (the message when it holds a status without a
# seat, the message when it holds none)
NOT_SEATED = {
    "ask for consultations": (
        "{state} may not ask for consultations on {day}: its status is {status}, which "
        "holds no seat in the bodies; the charter lets only states seated in the bodies ask "
        "for consultations or assistance",
        "{state} may not ask for consultations on {day}: it holds no status in {org}; the "
        "charter lets only states seated in the bodies ask for consultations or assistance"),
    "request assistance": (
        "{state} may not request assistance on {day}: its status is {status}, which holds "
        "no seat in the bodies; the charter lets only states seated in the bodies ask for "
        "consultations or assistance",
        "{state} may not request assistance on {day}: it holds no status in {org}; the "
        "charter lets only states seated in the bodies ask for consultations or assistance"),
}


def _seated(session: Session, org: str, state: str, on: dt.date, what: str) -> None:
    """The charter's rule: only a state seated in the bodies that day may ask (`what` is a
    key of NOT_SEATED)."""
    if state in entitled_states(session, org, on):
        return
    held = registry.status_of(session, org, state, on)
    with_status, without = NOT_SEATED[what]
    if held is not None:
        raise auth.NotEntitled(with_status, state=state, day=on, status=held.status.code)
    raise auth.NotEntitled(without, state=state, day=on, org=org)


def _day(on: dt.date, now: dt.datetime) -> dt.date:
    if on > now.date():
        raise InvalidInput("the date {day} is in the future", day=on)
    return on


def _escalate(session: Session, c: Clearance, actor: auth.Actor, incident_ids: Sequence[int],
              why: str, now: dt.datetime, org: str) -> list[int]:
    """Escalate the cited incidents; each must be readable and assessed first."""
    if len(incident_ids) > MAX_INCIDENTS:
        raise InvalidInput("a request cites at most {most} incidents", most=MAX_INCIDENTS)
    done = []
    for incident_id in sorted(set(incident_ids)):
        if isinstance(incident_id, bool) or not isinstance(incident_id, int):
            raise InvalidInput("incident ids are whole numbers, got {incident!r}",
                               incident=incident_id)
        row = session.get(IncidentRow, incident_id)
        if row is None or row.org != org:
            raise NotFound("unknown incident {incident}", incident=incident_id)
        auth.require(c, "read", auth.marking(session, OBJECT, row))
        incidents.escalate_by_request(session, actor, row, why, now, org)
        done.append(row.id)
    return done


# -- consultations -------------------------------------------------------------------------

@command("crisis.request_consultations")
def request_consultations(session: Session, c: Clearance, actor: auth.Actor, *, state: str,
                          on: dt.date, subject_en: str, subject_ru: str = "",
                          incidents: Sequence[int] = (), format: str = "video",
                          sources: Sequence[str] = (), now: dt.datetime,
                          org: str | None = None) -> ConsultationRow:
    """A member asks for consultations; the extraordinary session convenes at once."""
    org = auth.org_of(c, org)
    org_code = registry.get_organization(session, org).code
    st = registry.get_state(session, state).code
    _own_state(c, st, "ask for consultations")
    day = _day(on, now)
    _seated(session, org_code, st, day, "ask for consultations")
    spec = rules(org_code)
    subject = _text(subject_en, "a subject is longer than {limit} characters",
                    missing="a request needs a subject", limit=1000)
    escalated = _escalate(session, c, actor, list(incidents),
                          f"consultations requested by {st}", now, org_code)
    # Convening is what the request does under the charter; the requesting delegation
    # gains no general right to manage sessions.
    sess = sessions.convene_session(session, actor, org=org_code,
                            body=spec.consultation_body, kind="extraordinary", date=day,
                            format=format, requested_by=[st], sources=list(sources))
    row = ConsultationRow(org=org_code, state=st, requested_on=day, subject_en=subject,
                          subject_ru=_text(subject_ru,
                                           "subject_ru is longer than {limit} characters",
                                           limit=1000),
                          incidents=json.dumps(escalated), session_id=sess.id,
                          requested_at=now, requested_by=actor.name, sources=" ".join(sources))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.request_consultations", payload={
        "id": row.id, "state": st, "on": day.isoformat(), "subject": subject,
        "incidents": escalated, "session": sess.id, "body": sess.body}, at=now)
    return row


@query()
def list_consultations(session: Session, c: Clearance, org: str | None = None, *,
                       limit: int | None = None, after: tuple[dt.date, int] | None = None
                       ) -> list[ConsultationRow]:
    """Requests for consultations, newest first; `limit` from the one after `after`."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    return list(session.execute(paging.newest_first(
        select(ConsultationRow).where(ConsultationRow.org == org.upper()),
        ConsultationRow.requested_on, ConsultationRow.id, limit=limit, after=after)
    ).scalars())


@query()
def read_consultation(session: Session, c: Clearance, consultation_id: int,
                      org: str | None = None) -> ConsultationRow:
    """One request for consultations (members-level, as the list)."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    row = session.get(ConsultationRow, consultation_id)
    if row is None or row.org != org.upper():
        raise UnknownRequest("unknown request for consultations {request}",
                             request=consultation_id)
    return row


# -- requests for assistance ---------------------------------------------------------------

@command("crisis.submit_request")
def submit_request(session: Session, c: Clearance, actor: auth.Actor, *, state: str,
                   basis: str, needs: Sequence[Mapping[str, Any]], summary_en: str,
                   summary_ru: str = "", area: object | None = None,
                   incidents: Sequence[int] = (), consultation_id: int | None = None,
                   on: dt.date, sources: Sequence[str] = (), now: dt.datetime,
                   org: str | None = None) -> AssistanceRequestRow:
    """The affected member asks for collective assistance, naming the basis and the need."""
    org = auth.org_of(c, org)
    org_code = registry.get_organization(session, org).code
    st = registry.get_state(session, state).code
    _own_state(c, st, "request assistance")
    day = _day(on, now)
    _seated(session, org_code, st, day, "request assistance")
    spec = rules(org_code)
    b = requests.check_basis(spec, basis)
    wanted = requests.check_needs(spec, needs)
    summary = _text(summary_en, "a summary is longer than {limit} characters",
                    missing="a request needs a summary")
    place = None
    if area is not None:
        place = json.dumps(geo.validate_geometry(area).as_geojson(), separators=(",", ":"))
    if consultation_id is not None:
        cons = session.get(ConsultationRow, consultation_id)
        if cons is None or cons.org != org_code or cons.state != st:
            raise NotFound("{state} asked for no consultations numbered {number}", state=st,
                           number=consultation_id)
    escalated = _escalate(session, c, actor, list(incidents),
                          f"assistance requested by {st}", now, org_code)
    row = AssistanceRequestRow(
        org=org_code, state=st, basis=b.code, needs=json.dumps([n.as_dict() for n in wanted]),
        summary_en=summary,
        summary_ru=_text(summary_ru, "summary_ru is longer than {limit} characters"),
        area=place,
        incidents=json.dumps(escalated), consultation_id=consultation_id, submitted_on=day,
        submitted_at=now, submitted_by=actor.name, status="submitted",
        sources=" ".join(sources))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.submit_request", payload={
        "id": row.id, "state": st, "basis": b.code, "needs": [n.as_dict() for n in wanted],
        "on": day.isoformat(), "incidents": escalated, "consultation": consultation_id,
        "area": json.loads(place) if place else None}, at=now)
    return row


@query()
def get_request(session: Session, request_id: int, org: str) -> AssistanceRequestRow:
    row = session.get(AssistanceRequestRow, request_id)
    if row is None or row.org != org.upper():
        raise UnknownRequest("unknown request for assistance {request}", request=request_id)
    return row


@query()
def list_requests(session: Session, c: Clearance, org: str | None = None, *,
                  limit: int | None = None, after: tuple[dt.date, int] | None = None
                  ) -> list[AssistanceRequestRow]:
    """Requests for assistance, newest first; `limit` from the one after `after`."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    return list(session.execute(paging.newest_first(
        select(AssistanceRequestRow).where(AssistanceRequestRow.org == org.upper()),
        AssistanceRequestRow.submitted_on, AssistanceRequestRow.id, limit=limit,
        after=after)).scalars())


@query()
def requests_answered_by(session: Session, mission: MissionRow) -> list[AssistanceRequestRow]:
    """The requests whose decision defined `mission` (read with the mission, members-level)."""
    return list(session.execute(select(AssistanceRequestRow).where(
        AssistanceRequestRow.mission_id == mission.id).order_by(AssistanceRequestRow.id))
        .scalars())


@query()
def read_request(session: Session, c: Clearance, request_id: int,
                 org: str | None = None) -> AssistanceRequestRow:
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    return get_request(session, request_id, org)


def _check_terms(session: Session, terms: requests.MissionTerms, org: str,
                 decided_on: dt.date) -> None:
    code = terms.code.strip().upper()
    if len(code) > forces.MAX_CODE:
        raise InvalidInput("a mission code has at most {most} characters",
                           most=forces.MAX_CODE)
    if session.execute(select(MissionRow.id).where(MissionRow.org == org,
                                                   MissionRow.code == code)).first():
        raise Conflict("mission {code} already exists", code=code)
    if terms.area is not None:
        geo.validate_geometry(terms.area)
    if terms.ends_on is not None and terms.ends_on < decided_on:
        raise InvalidInput("mission {code} would end ({ends}) before the decision "
                           "({decided})", code=code, ends=terms.ends_on, decided=decided_on)


@command("crisis.table_request", action="manage_sessions")
def table_request(session: Session, c: Clearance, actor: auth.Actor, request_id: int, *,
                  session_id: int, mission: Mapping[str, Any], title_en: str = "",
                  title_ru: str = "", now: dt.datetime, org: str | None = None) -> AgendaItemRow:
    """Put a request on a session's agenda as the draft decision that would answer it."""
    org = auth.org_of(c, org)
    req = get_request(session, request_id, org)
    sess = sessions.get_session(session, session_id)
    spec = rules(req.org)
    if sess.org != req.org or sess.body != spec.assistance_body:
        raise InvalidInput("a request for assistance is decided by the {body}; session "
                           "{session} is of the {other}", body=spec.assistance_body,
                           session=sess.id, other=sess.body)
    if sess.date < req.submitted_on:
        raise InvalidInput("session {session} ({day}) is before the request ({submitted})",
                           session=sess.id, day=sess.date, submitted=req.submitted_on)
    req.status = requests.advance(req.status, "on_agenda")
    terms = requests.MissionTerms.from_dict(mission)
    _check_terms(session, terms, req.org, sess.date)
    basis = requests.check_basis(spec, req.basis)
    # Untitled, the draft is named for the state and the basis, in both languages.
    state = registry.get_state(session, req.state)
    title = title_en.strip() or f"On the request of {state.name_en} for {basis.name['en']}"
    title_ru = title_ru.strip() or f"О запросе государства {state.name_ru}: {basis.name['ru']}"
    item = sessions.add_item(session, c, actor, session_id=sess.id, title_en=title,
                             title_ru=title_ru, draft_kind="decision", matter=basis.matter,
                             subject_state=req.state,
                             terms={"request": req.id, **terms.as_dict()})
    req.item_id = item.id
    journal.record(session, actor=actor, command="crisis.table_request", payload={
        "request": req.id, "session": sess.id, "item": item.id, "mission": terms.as_dict()},
        at=now)
    return item


def define_mission(session: Session, c: Clearance, actor: auth.Actor, sess: SessionRow,
                    item: AgendaItemRow, terms: Mapping[str, Any], adopted: bool) -> None:
    """Closing the item: an adopted decision defines the mission; otherwise not granted."""
    req = get_request(session, int(terms["request"]), sess.org)
    now = item.closed_at or dt.datetime.now(dt.UTC)
    if not adopted:
        req.status = requests.advance(req.status, "not_granted")
        req.outcome = item.reason
        journal.record(session, actor=actor, command="crisis.decide_request", payload={
            "request": req.id, "item": item.id, "status": req.status, "reason": item.reason},
            at=now)
        return
    t = requests.MissionTerms.from_dict({k: v for k, v in terms.items() if k != "request"})
    m = missions.open_mission(session, c, actor, code=t.code, title_en=t.title_en,
                            title_ru=t.title_ru, host_state=req.state, mandate_en=t.mandate_en,
                            mandate_ru=t.mandate_ru, area=t.area, decided_on=sess.date,
                            decision_item_id=item.id, now=now, org=sess.org,
                            ends_on=t.ends_on, end_condition_en=t.end_condition_en,
                            end_condition_ru=t.end_condition_ru)
    req.status = requests.advance(req.status, "granted")
    req.outcome = item.reason
    req.mission_id = m.id
    journal.record(session, actor=actor, command="crisis.decide_request", payload={
        "request": req.id, "item": item.id, "status": req.status, "reason": item.reason,
        "mission": m.code}, at=now)


@command("crisis.withdraw_request")
def withdraw_request(session: Session, c: Clearance, actor: auth.Actor, request_id: int, *,
                     now: dt.datetime, org: str | None = None) -> AssistanceRequestRow:
    """The requesting state withdraws its request before the Council decides."""
    org = auth.org_of(c, org)
    req = get_request(session, request_id, org)
    _own_state(c, req.state, "withdraw a request")
    if req.item_id is not None:
        item = sessions.get_item(session, req.item_id)
        if item.status == "open":
            raise Conflict("request {request} is on the agenda of session {session}; the "
                           "chair closes that item first", request=req.id,
                           session=item.session_id)
    req.status = requests.advance(req.status, "withdrawn")
    journal.record(session, actor=actor, command="crisis.withdraw_request",
                   payload={"request": req.id}, at=now)
    return req


@query()
def mission_codes(session: Session, rows: Sequence[AssistanceRequestRow]) -> dict[int, str]:
    """The codes of the missions the requests defined, by mission id (the caller has read
    the requests)."""
    ids = [r.mission_id for r in rows if r.mission_id]
    if not ids:
        return {}
    return {mid: code for mid, code in session.execute(
        select(MissionRow.id, MissionRow.code).where(MissionRow.id.in_(ids)))}


@query()
def answered_by(session: Session, req: AssistanceRequestRow
                ) -> tuple[ConsultationRow | None, MissionRow | None]:
    """The consultations a request follows and the mission it defined, if any."""
    consultation = session.get(ConsultationRow, req.consultation_id) if req.consultation_id \
        else None
    mission = session.get(MissionRow, req.mission_id) if req.mission_id else None
    return consultation, mission


@query()
def request_dict(session: Session, r: AssistanceRequestRow) -> dict[str, Any]:
    mission = session.get(MissionRow, r.mission_id) if r.mission_id else None
    item = session.get(AgendaItemRow, r.item_id) if r.item_id else None
    return {"id": r.id, "organization": r.org, "state": r.state, "basis": r.basis,
            "needs": json.loads(r.needs), "summary": {"en": r.summary_en, "ru": r.summary_ru},
            "area": json.loads(r.area) if r.area else None,
            "incidents": json.loads(r.incidents), "consultation_id": r.consultation_id,
            "submitted_on": r.submitted_on.isoformat(), "submitted_by": r.submitted_by,
            "status": r.status, "outcome": r.outcome or None,
            "agenda_item": ({"id": item.id, "session_id": item.session_id}
                            if item is not None else None),
            "mission": mission.code if mission is not None else None,
            "sources": r.sources.split()}


def consultation_dict(r: ConsultationRow) -> dict[str, Any]:
    return {"id": r.id, "organization": r.org, "state": r.state,
            "requested_on": r.requested_on.isoformat(),
            "subject": {"en": r.subject_en, "ru": r.subject_ru},
            "incidents": json.loads(r.incidents), "session_id": r.session_id,
            "requested_by": r.requested_by, "sources": r.sources.split()}
