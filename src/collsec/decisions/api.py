"""JSON API of the charter engine under /api/v1/: sessions, agendas, positions, outcomes.

Sessions and their outcomes are public acts of the bodies; changing them needs a
role: `manage_sessions` (editor, admin) to convene, seat, put items and close them,
`record_position` (representative) for a delegation's own position, `edit_registry`
for a withdrawal notice. The outcome of an open item is computed from the positions
on every read; a closed item shows the outcome frozen when it closed.

The helpers below (`item_outcome`, `session_dict`, `item_dict`) are shared with the
pages and the command line, so all three say the same thing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from collsec.core import db, settings
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.core.i18n import LANGUAGES
from collsec.decisions import membership, model, service, sessions
from collsec.decisions.service import Evaluation
from collsec.registry import service as registry
from collsec.web.access import Guard, Requires

if TYPE_CHECKING:  # interfaces name rows in annotations only
    from collsec.decisions.tables import AgendaItemRow, SessionRow

router = APIRouter(prefix="/api/v1", tags=["decisions"])

PUBLIC = Depends(Requires("read", public=True))  # sessions and outcomes are public acts
MANAGE = Depends(Requires("manage_sessions"))
RECORD = Depends(Requires("record_position"))
EDIT_REGISTRY = Depends(Requires("edit_registry"))

MAX_ID = 2_147_483_647  # the integer columns' range on PostgreSQL; beyond it nothing exists
SESSION_ID = Path(ge=1, le=MAX_ID, description="session id")
ITEM_ID = Path(ge=1, le=MAX_ID, description="agenda item id")
LANG = Query("en", pattern="^(en|ru)$", description="language of the explanations: en or ru")
POSITION_ORDER = (*model.POSITIONS, "absent")


# -- shared with the pages and the command line -------------------------------------

def organization() -> str:
    return settings.load().organization.upper()


def item_outcome(s: Session, item: AgendaItemRow) -> Evaluation:
    """The item's outcome: live from the positions while open, as frozen once closed."""
    if item.status == "open" or not item.outcome:
        return sessions.evaluate_item(s, item)
    sess = sessions.get_session(s, item.session_id)
    frozen = json.loads(item.outcome)
    rule = model.rule_for(service.decision_rules(sess.org), sess.body, item.matter)
    params = {k: tuple(v) if isinstance(v, list) else v
              for k, v in frozen.get("params", {}).items()}
    outcome = model.Outcome(bool(frozen["adopted"]), str(frozen["reason"]), params,
                            {k: tuple(v) for k, v in frozen.get("tally", {}).items()},
                            tuple(frozen.get("bound", ())))
    return Evaluation(rule, tuple(frozen.get("seated", ())), outcome)


def outcome_dict(s: Session, ev: Evaluation, lang: str, org: str, *, final: bool
                 ) -> dict[str, Any]:
    o = ev.outcome
    return {"adopted": o.adopted, "reason": o.reason,
            "explanation": service.explain(s, ev, lang, org), "final": final,
            "rule": ev.rule.rule, "seated": list(ev.seated), "bound": list(o.bound),
            "tally": {p: list(o.tally.get(p, ())) for p in POSITION_ORDER}}


def _iso(moment: dt.datetime | None) -> str | None:
    """A stored time in ISO form; SQLite returns naive datetimes, and all we store is UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def item_dict(s: Session, item: AgendaItemRow, lang: str, org: str) -> dict[str, Any]:
    ev = item_outcome(s, item)
    return {
        "id": item.id, "session_id": item.session_id, "number": item.number,
        "title": {"en": item.title_en, "ru": item.title_ru},
        "draft_kind": item.draft_kind, "matter": item.matter,
        "subject_state": item.subject_state, "status": item.status,
        "closed_at": _iso(item.closed_at),
        "document_id": item.document_id,
        "outcome": outcome_dict(s, ev, lang, org, final=item.status != "open"),
        "positions": [{"state": p.state, "position": p.position,
                       "reservation": p.reservation,
                       "recorded_at": _iso(p.recorded_at)}
                      for p in sessions.positions(s, item.id)],
    }


def session_summary(s: Session, row: SessionRow) -> dict[str, Any]:
    body = registry.body(s, row.org, row.body)
    return {
        "id": row.id, "organization": row.org,
        "body": {"code": body.code, "name_en": body.name_en, "name_ru": body.name_ru},
        "kind": row.kind, "format": row.format, "date": row.date.isoformat(),
        "host_state": row.host_state, "city": {"en": row.city_en, "ru": row.city_ru},
        "chair_state": row.chair_state, "status": row.status,
        "requested_by": row.requested_by.split(), "sources": row.sources.split(),
    }


def session_dict(s: Session, row: SessionRow, lang: str) -> dict[str, Any]:
    """A session with its delegations and its agenda, each item with its outcome."""
    items = [item_dict(s, i, lang, row.org) for i in sessions.items(s, row.id)]
    named = {p["state"] for i in items for p in i["positions"]}
    named |= {c for i in items for c in i["outcome"]["seated"]}
    participants = sessions.participants(s, row.id)
    named |= {p.state for p in participants}
    named |= {c for c in (row.chair_state, row.host_state) if c}
    states = {st.code: st for st in registry.list_states(s)}
    return {
        **session_summary(s, row),
        "participants": [{"state": p.state, "represented_by": p.represented_by}
                         for p in participants],
        "items": items,
        "state_names": {c: {"en": states[c].name_en, "ru": states[c].name_ru}
                        for c in sorted(named) if c in states},
        "lang": lang,
    }


# -- reading ---------------------------------------------------------------------------

@router.get("/sessions")
def list_sessions(_: Guard = PUBLIC,
                  body: str | None = Query(None, max_length=20, description="body code"),
                  year: int | None = Query(None, ge=1, le=9999)) -> dict[str, Any]:
    """Sessions of the organization's bodies, newest first."""
    org = organization()
    with db.read_session() as s:
        rows = sessions.list_sessions(s, org=org, body=body, year=year)
        return {"organization": org, "sessions": [
            {**session_summary(s, r), "items": len(sessions.items(s, r.id))} for r in rows]}


@router.get("/sessions/{session_id}")
def get_session(session_id: int = SESSION_ID, _: Guard = PUBLIC, lang: str = LANG
                ) -> dict[str, Any]:
    """A session: delegations, agenda items, their outcomes explained in `lang`, positions."""
    with db.read_session() as s:
        return session_dict(s, sessions.get_session(s, session_id), lang)


# -- changing ----------------------------------------------------------------------------

class SessionIn(BaseModel):
    body: str = Field(max_length=20)
    kind: str = "regular"
    date: str
    format: str = "in_person"
    host_state: str | None = None
    city_en: str = Field("", max_length=100)
    city_ru: str = Field("", max_length=100)
    requested_by: list[str] = []
    sources: list[str] = []


def _required_date(text: str | None, field: str) -> dt.date:
    day = parse_date(text, field=field)
    if day is None:
        raise InvalidInput(f"{field} is required")
    return day


@router.post("/sessions", status_code=201)
def convene(data: SessionIn, guard: Guard = MANAGE, lang: str = LANG) -> dict[str, Any]:
    """Convene a session of a deciding body (roles `editor`, `admin`)."""
    day = _required_date(data.date, "date")
    with db.write_session() as s:
        row = sessions.convene(s, guard.clearance, guard.actor, org=organization(),
                               body=data.body, kind=data.kind, date=day, format=data.format,
                               host_state=data.host_state or None, city_en=data.city_en,
                               city_ru=data.city_ru, requested_by=data.requested_by,
                               sources=data.sources)
        return session_dict(s, row, lang)


class ParticipantIn(BaseModel):
    state: str = Field(max_length=10)
    represented_by: str = Field("", max_length=300)


@router.post("/sessions/{session_id}/participants", status_code=201)
def seat(data: ParticipantIn, session_id: int = SESSION_ID, guard: Guard = MANAGE
         ) -> dict[str, Any]:
    """Seat a delegation entitled to sit in the bodies on the session's date."""
    with db.write_session() as s:
        row = sessions.seat(s, guard.clearance, guard.actor, session_id=session_id,
                            state=data.state, represented_by=data.represented_by)
        return {"id": row.id, "session_id": row.session_id, "state": row.state,
                "represented_by": row.represented_by}


class ItemIn(BaseModel):
    title_en: str
    title_ru: str = ""
    draft_kind: str = "decision"
    matter: str = "substantive"
    subject_state: str | None = None
    effective_on: str | None = None


@router.post("/sessions/{session_id}/items", status_code=201)
def add_item(data: ItemIn, session_id: int = SESSION_ID, guard: Guard = MANAGE,
             lang: str = LANG) -> dict[str, Any]:
    """Put a draft on the agenda; the charter decides whether this body may decide it."""
    effective = parse_date(data.effective_on, field="effective_on")
    with db.write_session() as s:
        row = sessions.add_item(s, guard.clearance, guard.actor, session_id=session_id,
                                title_en=data.title_en, title_ru=data.title_ru,
                                draft_kind=data.draft_kind, matter=data.matter,
                                subject_state=data.subject_state or None,
                                effective_on=effective)
        return item_dict(s, row, lang, sessions.get_session(s, session_id).org)


class PositionIn(BaseModel):
    position: str
    reservation: str = Field("", max_length=4000)


@router.put("/items/{item_id}/positions/{state}")
def record_position(data: PositionIn, item_id: int = ITEM_ID,
                    state: str = Path(max_length=10), guard: Guard = RECORD,
                    lang: str = LANG) -> dict[str, Any]:
    """A delegation's own position (role `representative` of that state's delegation);
    answers with the item's new outcome, explained in `lang`."""
    with db.write_session() as s:
        ev = sessions.record_position(s, guard.clearance, guard.actor, item_id=item_id,
                                      state=state, position=data.position,
                                      reservation=data.reservation.strip(), now=guard.now)
        item = sessions.get_item(s, item_id)
        org = sessions.get_session(s, item.session_id).org
        return {"item": item_id, "state": state.upper(), "position": data.position,
                "reservation": data.reservation.strip(),
                "outcome": outcome_dict(s, ev, lang, org, final=False)}


@router.post("/items/{item_id}/close")
def close_item(item_id: int = ITEM_ID, guard: Guard = MANAGE, lang: str = LANG
               ) -> dict[str, Any]:
    """Close an item: its outcome is frozen; an adopted draft becomes a public document."""
    with db.write_session() as s:
        closed = sessions.close_item(s, guard.clearance, guard.actor, item_id=item_id,
                                     now=guard.now)
        return item_dict(s, closed.item, lang, sessions.get_session(s, closed.item.session_id)
                         .org)


class DecideIn(BaseModel):
    body: str = Field(max_length=20)
    matter: str = "substantive"
    on: str | None = None
    positions: dict[str, str] = {}
    subject: str | None = None
    lang: str = "en"


@router.post("/decide")
def decide(data: DecideIn, guard: Guard = PUBLIC) -> dict[str, Any]:
    """Evaluate hypothetical positions against the charter's rule, with the seats as of `on`
    (default today). Nothing is written."""
    if data.lang not in LANGUAGES:
        raise InvalidInput(f"lang: '{data.lang}' is not one of {', '.join(LANGUAGES)}")
    day = parse_date(data.on, field="on") or guard.today
    org = organization()
    with db.read_session() as s:
        ev = service.evaluate(s, org=org, body=data.body, matter=data.matter, on=day,
                              positions=data.positions, subject=data.subject or None)
        return {"on": day.isoformat(), "body": ev.rule.body, "matter": ev.rule.matter,
                **outcome_dict(s, ev, data.lang, org, final=False)}


class WithdrawalIn(BaseModel):
    state: str = Field(max_length=10)
    notice_on: str
    sources: list[str] = []


@router.post("/organizations/{org}/withdrawals", status_code=201)
def withdrawal(org: str, data: WithdrawalIn, guard: Guard = EDIT_REGISTRY) -> dict[str, Any]:
    """Record a member's notice of withdrawal; it takes effect after the charter's period."""
    notice = _required_date(data.notice_on, "notice_on")
    with db.write_session() as s:
        row = membership.notify_withdrawal(s, guard.clearance, guard.actor, org=org,
                                           state=data.state, notice_on=notice,
                                           sources=data.sources)
        return {"id": row.id, "organization": row.org, "state": row.state,
                "notice_on": row.notice_on.isoformat(),
                "effective_on": row.effective_on.isoformat(), "sources": row.sources.split()}
