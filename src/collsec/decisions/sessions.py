"""Sessions of the bodies: convening, seating, agendas, positions and closing an item.

Every change is one journaled command. The outcome of an item is recomputed from
the positions on every read and frozen when the item closes; an adopted item
becomes a document and, for a membership matter, changes the registry through
the registry's own services in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core import journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.decisions import model
from collsec.decisions.service import Evaluation, decision_rules, entitled_states
from collsec.decisions.tables import AgendaItemRow, ParticipantRow, PositionRow, SessionRow
from collsec.documents import service as documents
from collsec.registry import chairs
from collsec.registry import service as registry

KINDS = ("regular", "extraordinary")
FORMATS = ("in_person", "video")
DRAFT_KINDS = ("decision", "statement", "declaration", "joint_statement", "agreement")
REGISTRY_EFFECTS = ("set_status", "end_status")

# What closing an item does beyond the registry: another part of collsec (the crisis
# response's missions) registers the effect it owns, keyed as in the charter data,
# so this module need not know it. Called on every close, adopted or not.
EffectApplier = Callable[[Session, Clearance, auth.Actor, SessionRow, AgendaItemRow,
                          Mapping[str, Any], bool], None]
EFFECTS: dict[str, EffectApplier] = {}


def register_effect(key: str) -> Callable[[EffectApplier], EffectApplier]:
    def add(fn: EffectApplier) -> EffectApplier:
        EFFECTS[key] = fn
        return fn
    return add


@query()
def get_session(session: Session, session_id: int) -> SessionRow:
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound("unknown session {session}", session=session_id)
    return row


@query()
def get_item(session: Session, item_id: int) -> AgendaItemRow:
    row = session.get(AgendaItemRow, item_id)
    if row is None:
        raise NotFound("unknown agenda item {item}", item=item_id)
    return row


@query()
def list_sessions(session: Session, *, org: str, body: str | None = None,
                  year: int | None = None, limit: int | None = None,
                  after: tuple[dt.date, int] | None = None) -> list[SessionRow]:
    """Sessions, newest first (by date, then id). Sessions and their outcomes are public
    acts of the bodies. `limit` rows at most, from the one after `after` (a page's last
    date and id)."""
    stmt = select(SessionRow).where(SessionRow.org == org.upper())
    if body:
        stmt = stmt.where(SessionRow.body == body.upper())
    if year:
        stmt = stmt.where(SessionRow.date >= dt.date(year, 1, 1),
                          SessionRow.date <= dt.date(year, 12, 31))  # 9999 has no next year
    return list(session.execute(paging.newest_first(
        stmt, SessionRow.date, SessionRow.id, limit=limit, after=after)).scalars())


@command("decisions.convene", action="manage_sessions")
def convene(session: Session, c: Clearance, actor: auth.Actor, **terms: Any) -> SessionRow:
    """Convene a session of a deciding body (role with manage_sessions); `convene_session`
    names the terms and the charter's rules."""
    return convene_session(session, actor, **terms)


def convene_session(session: Session, actor: auth.Actor, *, org: str, body: str,
            kind: str, date: dt.date, format: str = "in_person", host_state: str | None = None,
            city_en: str = "", city_ru: str = "", requested_by: list[str] | None = None,
            sources: list[str] | None = None) -> SessionRow:
    """Convene a session of a deciding body.

    Rules from the charter data: the body must take decisions; an extraordinary
    session needs the number of requests the charter names, each from a state
    seated in the bodies on that date. The chair is the one holding the chairmanship that day.
    """
    org_code = registry.get_organization(session, org).code
    body_row = registry.body(session, org_code, body)
    rules = decision_rules(org_code)
    if body_row.code not in rules.get("deciding_bodies", []):  # type: ignore[operator]
        raise InvalidInput("the {body} holds no sessions that decide", body=body_row.name_en,
                           body_ru=body_row.name_ru)
    if kind not in KINDS:
        raise InvalidInput("unknown session kind '{kind}'; kinds: {kinds}", kind=kind,
                           kinds=", ".join(KINDS))
    if format not in FORMATS:
        raise InvalidInput("unknown format '{format}'; formats: {formats}", format=format,
                           formats=", ".join(FORMATS))
    seated = entitled_states(session, org_code, date)
    requesters = sorted({s.upper() for s in requested_by or []})
    if kind == "extraordinary":
        spec = rules.get("sessions", {}).get(body_row.code, {})  # type: ignore[attr-defined]
        needed = int(spec.get("extraordinary_requests_needed", 1))
        strangers = [s for s in requesters if s not in seated]
        if strangers:
            raise model.NotEntitled("{states} may not request a session of the {body} on {day}: "
                                    "no seat in the bodies", states=", ".join(strangers),
                                    body=body_row.code, day=date)
        if len(requesters) < needed:
            raise InvalidInput("an extraordinary session of the {body} needs {needed} "
                               "request(s) from member states; got {got}",
                               body=body_row.code, needed=needed, got=len(requesters))
    elif requesters:
        raise InvalidInput("only an extraordinary session is convened at states' request")
    if host_state:
        registry.get_state(session, host_state)
    held_by = chairs.chair_on(session, org_code, date).state
    chair = held_by.code if held_by else None
    row = SessionRow(org=org_code, body=body_row.code, kind=kind, format=format, date=date,
                     host_state=host_state.upper() if host_state else None, city_en=city_en,
                     city_ru=city_ru or city_en, chair_state=chair, status="open",
                     requested_by=" ".join(requesters), sources=" ".join(sources or []))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="decisions.convene", payload={
        "id": row.id, "org": org_code, "body": body_row.code, "kind": kind, "format": format,
        "date": date, "host": row.host_state, "chair": chair, "requested_by": requesters})
    return row


@command("decisions.seat", action="manage_sessions")
def seat(session: Session, c: Clearance, actor: auth.Actor, *, session_id: int, state: str,
         represented_by: str = "") -> ParticipantRow:
    """Seat a delegation: only a state entitled to sit in the bodies on the session's date."""
    sess = get_session(session, session_id)
    st = registry.get_state(session, state)
    if st.code not in entitled_states(session, sess.org, sess.date):
        status = registry.status_of(session, sess.org, st.code, sess.date)
        if status is None:
            raise model.NotEntitled("{state} cannot sit in the {body} on {day}: it holds no "
                                    "status in {org}", state=st.code, body=sess.body,
                                    day=sess.date, org=sess.org)
        raise model.NotEntitled("{state} cannot sit in the {body} on {day}: it holds {status} "
                                "in {org}", state=st.code, body=sess.body, day=sess.date,
                                status=status.status.code, org=sess.org)
    if session.execute(select(ParticipantRow).where(ParticipantRow.session_id == sess.id,
                                                    ParticipantRow.state == st.code)).first():
        raise Conflict("{state} is already seated at session {session}", state=st.code,
                       session=sess.id)
    row = ParticipantRow(session_id=sess.id, state=st.code, represented_by=represented_by)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="decisions.seat", payload={
        "session": sess.id, "state": st.code, "represented_by": represented_by})
    return row


@query()
def participants(session: Session, session_id: int) -> list[ParticipantRow]:
    return list(session.execute(select(ParticipantRow).where(
        ParticipantRow.session_id == session_id).order_by(ParticipantRow.state)).scalars())


@command("decisions.add_item", action="manage_sessions")
def add_item(session: Session, c: Clearance, actor: auth.Actor, *, session_id: int,
             title_en: str, draft_kind: str, matter: str, title_ru: str = "",
             subject_state: str | None = None,
             effective_on: dt.date | None = None,
             terms: Mapping[str, Any] | None = None) -> AgendaItemRow:
    """Put a draft on the agenda; the charter decides whether this body may decide the matter.

    A membership decision takes effect on the session's date unless it names
    `effective_on` (e.g. a suspension counted from the state's own note). `terms`
    are what an effect registered by another service needs (a mission's mandate).
    """
    sess = get_session(session, session_id)
    if sess.status != "open":
        raise Conflict("session {session} is closed", session=sess.id)
    if draft_kind not in DRAFT_KINDS:
        raise InvalidInput("unknown draft kind '{kind}'; kinds: {kinds}", kind=draft_kind,
                           kinds=", ".join(DRAFT_KINDS))
    rules = decision_rules(sess.org)
    model.rule_for(rules, sess.body, matter)  # unknown or reserved matters fail here
    effect = rules["matters"][matter].get("effect")  # type: ignore[index]
    subject = registry.get_state(session, subject_state).code if subject_state else None
    if effect and subject is None:
        raise InvalidInput("a decision on {matter} must name the state it concerns", matter=matter)
    if effective_on is not None:
        if not effect:
            raise InvalidInput("only a membership decision has a date of effect")
        effect = {**effect, "on": effective_on.isoformat()}
    if terms:
        owned = [k for k in (effect or {}) if k in EFFECTS]
        if not owned:
            raise InvalidInput("a decision on {matter} takes no terms", matter=matter)
        effect = {**effect, **{k: dict(terms) for k in owned}}
    for key, value in (effect or {}).items():
        if key not in (*REGISTRY_EFFECTS, "on") and key not in EFFECTS:
            raise InvalidInput("no part of collsec applies the effect '{effect}' of {matter}",
                               effect=key, matter=matter)
        if key in EFFECTS and not isinstance(value, dict):
            raise InvalidInput("a decision on {matter} needs its terms ({effect}); put it on the "
                               "agenda from the request it answers", matter=matter, effect=key)
    if not title_en.strip():
        raise InvalidInput("an agenda item needs a title")
    number = (session.scalar(select(func.count()).select_from(AgendaItemRow).where(
        AgendaItemRow.session_id == sess.id)) or 0) + 1
    row = AgendaItemRow(session_id=sess.id, number=number, title_en=title_en.strip(),
                        title_ru=title_ru.strip() or title_en.strip(), draft_kind=draft_kind,
                        matter=matter, subject_state=subject,
                        effect=json.dumps(effect or {}, sort_keys=True), status="open")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="decisions.add_item", payload={
        "id": row.id, "session": sess.id, "title": row.title_en, "draft_kind": draft_kind,
        "matter": matter, "subject": subject})
    return row


@query()
def items(session: Session, session_id: int) -> list[AgendaItemRow]:
    return list(session.execute(select(AgendaItemRow).where(
        AgendaItemRow.session_id == session_id).order_by(AgendaItemRow.number)).scalars())


@query()
def item_counts(session: Session, session_ids: list[int]) -> dict[int, int]:
    """How many agenda items each of these sessions has, in one query (a list page's
    column); a session without items is absent."""
    if not session_ids:
        return {}
    return {sid: n for sid, n in session.execute(
        select(AgendaItemRow.session_id, func.count()).where(
            AgendaItemRow.session_id.in_(session_ids)).group_by(AgendaItemRow.session_id))}


@query()
def positions(session: Session, item_id: int) -> list[PositionRow]:
    return list(session.execute(select(PositionRow).where(PositionRow.item_id == item_id)
                                .order_by(PositionRow.state)).scalars())


@query()
def evaluate_item(session: Session, item: AgendaItemRow) -> Evaluation:
    """The item's outcome: live from the positions until it closes, then the frozen one.

    A closed item keeps the outcome of its closing day even if seats change later
    (a state admitted by that very decision must not appear as a silent seat).
    """
    sess = get_session(session, item.session_id)
    rule = model.rule_for(decision_rules(sess.org), sess.body, item.matter)
    if item.status == "closed" and item.outcome:
        frozen = json.loads(item.outcome)
        tally = {k: tuple(v) for k, v in frozen["tally"].items()}
        params = {k: tuple(v) if isinstance(v, list) else v
                  for k, v in frozen["params"].items()}
        return Evaluation(rule, tuple(frozen["seated"]), model.Outcome(
            frozen["adopted"], frozen["reason"], params, tally, tuple(frozen["bound"])))
    seated = model.seats(rule, entitled_states(session, sess.org, sess.date), item.subject_state)
    recorded = {p.state: p.position for p in positions(session, item.id)}
    return Evaluation(rule, seated, model.decide(rule, seated, recorded))


@command("decisions.record_position", action="record_position")
def record_position(session: Session, c: Clearance, actor: auth.Actor, *, item_id: int,
                    state: str, position: str, reservation: str = "",
                    now: dt.datetime) -> Evaluation:
    """A delegation states its position; the outcome is recomputed at once.

    Only a representative of that state's own delegation may record it, only while
    the item is open, and only if the state holds a seat on the matter that day.
    """
    st = registry.get_state(session, state).code
    auth.require_for(c, "record_position", state=st)
    item, row = _position_on_open_item(session, item_id, st, position)
    confirms = row is not None and row.by_proxy
    if row is None:
        row = PositionRow(item_id=item.id, state=st, position=position,
                          reservation=reservation, recorded_by=actor.name, recorded_at=now)
        session.add(row)
    else:
        # the delegation's own word replaces a proxy; its instruction stays as history
        row.position, row.reservation, row.by_proxy = position, reservation, False
        row.recorded_by, row.recorded_at = actor.name, now
    session.flush()
    journal.record(session, actor=actor, command="decisions.record_position", payload={
        "item": item.id, "state": st, "position": position, "reservation": reservation,
        **({"replaces_proxy": row.instruction} if confirms else {})})
    return evaluate_item(session, item)


def _position_on_open_item(session: Session, item_id: int, state: str, position: str
                           ) -> tuple[AgendaItemRow, PositionRow | None]:
    """The open item and the state's position on it so far, once the position is one the
    charter knows and the state holds a seat on the matter."""
    item = get_item(session, item_id)
    if item.status != "open":
        raise Conflict("agenda item {item} is closed; its outcome is final", item=item.id)
    if position not in model.POSITIONS:
        raise InvalidInput("unknown position '{position}'; positions: {positions}",
                           position=position, positions=", ".join(model.POSITIONS))
    ev = evaluate_item(session, item)
    model.check_positions(ev.rule, ev.seated, {state: position})
    row = session.execute(select(PositionRow).where(PositionRow.item_id == item.id,
                                                    PositionRow.state == state)
                          ).scalar_one_or_none()
    return item, row


MAX_INSTRUCTION = 500


@command("decisions.record_proxy_position", action="manage_sessions")
def record_proxy_position(session: Session, c: Clearance, actor: auth.Actor, *, item_id: int,
                          state: str, position: str, instruction: str, reservation: str = "",
                          now: dt.datetime) -> Evaluation:
    """The Secretariat records the position of a delegation that has stated none, on its
    written instruction (`instruction` names the note). Marked as a proxy everywhere; the
    delegation confirms or overrides it until the item closes. It never replaces a
    position the delegation stated itself."""
    st = registry.get_state(session, state).code
    note = instruction.strip()
    if not note:
        raise InvalidInput("a proxy position needs the written instruction it rests on "
                           "(the note's reference)")
    if len(note) > MAX_INSTRUCTION:
        raise InvalidInput("an instruction's reference is at most {most} characters",
                           most=MAX_INSTRUCTION)
    item, row = _position_on_open_item(session, item_id, st, position)
    if row is not None and not row.by_proxy:
        raise Conflict("{state} stated its position itself; a proxy cannot replace it",
                       state=st)
    if row is None:
        row = PositionRow(item_id=item.id, state=st)
        session.add(row)
    row.position, row.reservation, row.by_proxy, row.instruction = (
        position, reservation, True, note)
    row.recorded_by, row.recorded_at = actor.name, now
    session.flush()
    journal.record(session, actor=actor, command="decisions.record_proxy_position", payload={
        "item": item.id, "state": st, "position": position, "reservation": reservation,
        "instruction": note})
    return evaluate_item(session, item)


@dataclass(frozen=True)
class Closed:
    item: AgendaItemRow
    evaluation: Evaluation
    document_id: int | None


@command("decisions.close_item", action="manage_sessions")
def close_item(session: Session, c: Clearance, actor: auth.Actor, *, item_id: int,
               now: dt.datetime) -> Closed:
    """The chair closes an item: the outcome is frozen; an adopted draft becomes a document
    binding the states the outcome names, and a membership decision changes the registry."""
    item = get_item(session, item_id)
    if item.status != "open":
        raise Conflict("agenda item {item} is already closed", item=item.id)
    sess = get_session(session, item.session_id)
    ev = evaluate_item(session, item)
    o = ev.outcome
    item.status, item.adopted, item.reason, item.closed_at = "closed", o.adopted, o.reason, now
    item.outcome = json.dumps({"adopted": o.adopted, "reason": o.reason,
                               "params": _plain(o.params), "tally": _plain(o.tally),
                               "bound": list(o.bound), "seated": list(ev.seated)},
                              sort_keys=True)
    doc_id = None
    if o.adopted:
        doc_id = _adopted_document(session, c, actor, sess, item, list(o.bound))
    _apply_effect(session, c, actor, sess, item, o.adopted)
    session.flush()
    journal.record(session, actor=actor, command="decisions.close_item", payload={
        "item": item.id, "adopted": o.adopted, "reason": o.reason, "bound": list(o.bound),
        "document": doc_id})
    return Closed(item, ev, doc_id)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _adopted_document(session: Session, c: Clearance, actor: auth.Actor, sess: SessionRow,
                      item: AgendaItemRow, bound: list[str]) -> int:
    year_count = session.scalar(select(func.count()).select_from(AgendaItemRow).join(
        SessionRow, SessionRow.id == AgendaItemRow.session_id).where(
        SessionRow.body == sess.body, AgendaItemRow.adopted.is_(True),
        SessionRow.date >= dt.date(sess.date.year, 1, 1),
        SessionRow.date < dt.date(sess.date.year + 1, 1, 1))) or 1
    # Publishing the adopted text is part of closing the item, which the caller may do;
    # it is not a general right to publish.
    row = documents.record_document(
        session, actor, owner=c.principal, kind=item.draft_kind, date=sess.date,
        title_en=item.title_en, title_ru=item.title_ru, visibility="public",
        number=f"{sess.body}-{sess.date.year}-{year_count}", body=sess.body,
        org=sess.org)
    row.bound_states = " ".join(bound)
    item.document_id = row.id
    return row.id


def _apply_effect(session: Session, c: Clearance, actor: auth.Actor, sess: SessionRow,
                  item: AgendaItemRow, adopted: bool) -> None:
    effect = json.loads(item.effect or "{}")
    for key, terms in effect.items():
        if key in (*REGISTRY_EFFECTS, "on"):
            continue
        if key not in EFFECTS:  # wired at start-up (collsec.startup); never skipped silently
            raise RuntimeError(f"no part of collsec applies the effect '{key}' of agenda item "
                               f"{item.id}: collsec.startup.wire() registers the effects")
        EFFECTS[key](session, c, actor, sess, item, terms, adopted)
    if not adopted or not effect or item.subject_state is None:
        return
    on = dt.date.fromisoformat(effect["on"]) if "on" in effect else sess.date
    if "set_status" in effect:
        registry.change_status(session, c, actor, org=sess.org, state=item.subject_state,
                               status=effect["set_status"], on=on)
    elif "end_status" in effect:
        registry.end_status(session, c, actor, org=sess.org, state=item.subject_state,
                            status=effect["end_status"], on=on)
