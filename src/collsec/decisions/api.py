"""JSON API of the charter engine under /api/v1/: sessions, agendas, positions, outcomes.

Sessions and their outcomes are public acts of the bodies; changing them needs a
role: `manage_sessions` (editor, admin) to convene, seat, put items and close them,
`record_position` (representative) for a delegation's own position, `edit_registry`
for a withdrawal notice. The outcome of an open item is computed from the positions
on every read; a closed item shows the outcome frozen when it closed.

What a session and an item say is `outcomes.py`'s, shared with the pages and the
command line, so all three say the same thing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from collsec.core import paging
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.core.i18n import LANGUAGES
from collsec.decisions import answers, membership, seating, service, sessions
from collsec.decisions.model import POSITIONS
from collsec.decisions.outcomes import item_view, outcome_dict, session_summary, session_view
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import PAGE_CURSOR, PAGE_LIMIT, date_field, following
from collsec.web.shapes import one_of

if TYPE_CHECKING:  # interfaces name rows in annotations only
    pass

router = APIRouter(prefix="/api/v1", tags=["decisions"])

PUBLIC = Depends(Requires("read", public=True))  # sessions and outcomes are public acts
MANAGE = Depends(Requires("manage_sessions"))
RECORD = Depends(Requires("record_position"))
EDIT_REGISTRY = Depends(Requires("edit_registry"))

MAX_ID = 2_147_483_647  # the integer columns' range on PostgreSQL; beyond it nothing exists
SESSION_ID = Path(ge=1, le=MAX_ID, description="session id")
ITEM_ID = Path(ge=1, le=MAX_ID, description="agenda item id")
LANG = Query("en", pattern="^(en|ru)$", description="language of the explanations: en or ru")


# -- reading ---------------------------------------------------------------------------

@router.get("/sessions", response_model=answers.Sessions)
def list_sessions(request: Request, guard: Guard = PUBLIC,
                  body: str | None = Query(None, max_length=20, description="body code"),
                  year: int | None = Query(None, ge=1, le=9999),
                  limit: int = PAGE_LIMIT, cursor: str | None = PAGE_CURSOR,
                  ) -> dict[str, Any]:
    """Sessions of the organization's bodies, newest first, a page at a time: `next` is
    the link to the following page, null on the last."""
    after = paging.after_dated("sessions", cursor) if cursor else None
    with reading(guard.ctx) as read:
        rows = read(sessions.list_sessions, body=body, year=year, limit=limit + 1,
                    after=after)
        shown = rows[:limit]
        counts = read(sessions.item_counts, [r.id for r in shown])
        bodies: dict[str, Any] = {}
        listed = [{**read(session_summary, r, bodies), "items": counts.get(r.id, 0)}
                  for r in shown]
    return {"organization": guard.org, "sessions": listed,
            **following(request, paging.page_of(rows, limit, "sessions"))}


@router.get("/sessions/{session_id}", response_model=answers.Session)
def get_session(session_id: int = SESSION_ID, guard: Guard = PUBLIC, lang: str = LANG
                ) -> dict[str, Any]:
    """A session: delegations, agenda items, their outcomes explained in `lang`, positions."""
    return session_view.run(guard.ctx, session_id, lang)


# -- changing ----------------------------------------------------------------------------

class SessionIn(Body):
    body: str = Field(min_length=1, max_length=20)
    kind: str = one_of(sessions.KINDS, "regular")
    date: str = date_field()
    format: str = one_of(sessions.FORMATS, "in_person")
    host_state: str | None = None
    city_en: str = Field("", max_length=100)
    city_ru: str = Field("", max_length=100)
    requested_by: list[str] = []
    sources: list[str] = []


def _required_date(text: str | None, field: str) -> dt.date:
    day = parse_date(text, field=field)
    if day is None:
        raise InvalidInput("{field} is required", field=field)
    return day


@router.post("/sessions", status_code=201, response_model=answers.Session)
def convene(data: SessionIn, guard: Guard = MANAGE, lang: str = LANG) -> dict[str, Any]:
    """Convene a session of a deciding body (roles `editor`, `admin`)."""
    day = _required_date(data.date, "date")
    row = sessions.convene.run(guard.ctx, org=guard.org, body=data.body, kind=data.kind,
                               date=day, format=data.format,
                               host_state=data.host_state or None, city_en=data.city_en,
                               city_ru=data.city_ru, requested_by=data.requested_by,
                               sources=data.sources)
    return session_view.run(guard.ctx, row.id, lang)


class ParticipantIn(Body):
    state: str = Field(min_length=1, max_length=10)
    represented_by: str = Field("", max_length=300)


@router.post("/sessions/{session_id}/participants", status_code=201,
             response_model=answers.Seated)
def seat(data: ParticipantIn, session_id: int = SESSION_ID, guard: Guard = MANAGE
         ) -> dict[str, Any]:
    """Seat a delegation entitled to sit in the bodies on the session's date."""
    row = sessions.seat.run(guard.ctx, session_id=session_id, state=data.state,
                            represented_by=data.represented_by)
    return {"id": row.id, "session_id": row.session_id, "state": row.state,
            "represented_by": row.represented_by}


class SeatsIn(Body):
    seats: dict[str, str] | None = Field(
        None, max_length=50, description="state: who represents it; null seats every "
        "entitled delegation not seated yet, with nobody named")


@router.post("/sessions/{session_id}/seats", status_code=201,
             response_model=list[answers.Seated])
def seat_delegations(data: SeatsIn, session_id: int = SESSION_ID, guard: Guard = MANAGE
                     ) -> list[dict[str, Any]]:
    """Seat several delegations in one command (one journal entry)."""
    seats = data.seats
    if seats is None:
        seats = {s: "" for s in seating.unseated.run(guard.ctx, session_id)}
    rows = seating.seat_delegations.run(guard.ctx, session_id=session_id, seats=seats)
    return [{"id": r.id, "session_id": r.session_id, "state": r.state,
             "represented_by": r.represented_by} for r in rows]


class ItemIn(Body):
    title_en: str = Field(min_length=1)
    title_ru: str = ""
    draft_kind: str = one_of(sessions.DRAFT_KINDS, "decision")
    matter: str = "substantive"
    subject_state: str | None = None
    effective_on: str | None = date_field(None)


@router.post("/sessions/{session_id}/items", status_code=201, response_model=answers.Item)
def add_item(data: ItemIn, session_id: int = SESSION_ID, guard: Guard = MANAGE,
             lang: str = LANG) -> dict[str, Any]:
    """Put a draft on the agenda; the charter decides whether this body may decide it."""
    effective = parse_date(data.effective_on, field="effective_on")
    row = sessions.add_item.run(guard.ctx, session_id=session_id, title_en=data.title_en,
                                title_ru=data.title_ru, draft_kind=data.draft_kind,
                                matter=data.matter, subject_state=data.subject_state or None,
                                effective_on=effective)
    return item_view.run(guard.ctx, row.id, lang)


Position = Annotated[str, one_of(POSITIONS)]


class PositionIn(Body):
    position: Position
    reservation: str = Field("", max_length=4000)


@router.put("/items/{item_id}/positions/{state}", response_model=answers.RecordedPosition)
def record_position(data: PositionIn, item_id: int = ITEM_ID,
                    state: str = Path(max_length=10), guard: Guard = RECORD,
                    lang: str = LANG) -> dict[str, Any]:
    """A delegation's own position (role `representative` of that state's delegation);
    answers with the item's new outcome, explained in `lang`."""
    ev = sessions.record_position.run(guard.ctx, item_id=item_id, state=state,
                                      position=data.position,
                                      reservation=data.reservation.strip())
    with reading(guard.ctx) as read:  # the outcome as committed, explained
        item = read(sessions.get_item, item_id)
        org = read(sessions.get_session, item.session_id).org
        outcome = read(outcome_dict, ev, lang, org, final=False)
    return {"item": item_id, "state": state.upper(), "position": data.position,
            "reservation": data.reservation.strip(), "outcome": outcome}


class ProxyPositionIn(PositionIn):
    instruction: str = Field(min_length=1, max_length=500,
                             description="the delegation's written instruction (the note)")


@router.put("/items/{item_id}/proxy-positions/{state}",
            response_model=answers.RecordedPosition)
def record_proxy_position(data: ProxyPositionIn, item_id: int = ITEM_ID,
                          state: str = Path(max_length=10), guard: Guard = MANAGE,
                          lang: str = LANG) -> dict[str, Any]:
    """The Secretariat records the position of a delegation that has stated none, on its
    written instruction; marked as a proxy until the delegation confirms or overrides it."""
    ev = sessions.record_proxy_position.run(guard.ctx, item_id=item_id, state=state,
                                            position=data.position,
                                            instruction=data.instruction,
                                            reservation=data.reservation.strip())
    with reading(guard.ctx) as read:
        item = read(sessions.get_item, item_id)
        org = read(sessions.get_session, item.session_id).org
        outcome = read(outcome_dict, ev, lang, org, final=False)
    return {"item": item_id, "state": state.upper(), "position": data.position,
            "reservation": data.reservation.strip(), "outcome": outcome}


@router.post("/items/{item_id}/close", response_model=answers.Item)
def close_item(item_id: int = ITEM_ID, guard: Guard = MANAGE, lang: str = LANG
               ) -> dict[str, Any]:
    """Close an item: its outcome is frozen; an adopted draft becomes a public document."""
    closed = sessions.close_item.run(guard.ctx, item_id=item_id)
    return item_view.run(guard.ctx, closed.item.id, lang)


class DecideIn(Body):
    body: str = Field(min_length=1, max_length=20)
    matter: str = "substantive"
    on: str | None = date_field(None, "ISO date (default today): the seats of that day")
    positions: dict[str, Position] = {}
    subject: str | None = None
    lang: str = one_of(LANGUAGES, "en")


@router.post("/decide", response_model=answers.Decided)
def decide(data: DecideIn, guard: Guard = PUBLIC) -> dict[str, Any]:
    """Evaluate hypothetical positions against the charter's rule, with the seats as of `on`
    (default today). Nothing is written."""
    if data.lang not in LANGUAGES:
        raise InvalidInput("lang: '{lang}' is not one of {languages}", lang=data.lang,
                           languages=", ".join(LANGUAGES))
    day = parse_date(data.on, field="on") or guard.today
    with reading(guard.ctx) as read:
        ev = read(service.evaluate, body=data.body, matter=data.matter, on=day,
                  positions=data.positions, subject=data.subject or None)
        outcome: dict[str, Any] = read(outcome_dict, ev, data.lang, guard.org, final=False)
    return {"on": day.isoformat(), "body": ev.rule.body, "matter": ev.rule.matter, **outcome}


class WithdrawalNoticeIn(Body):
    state: str = Field(min_length=1, max_length=10)
    notice_on: str = date_field()
    sources: list[str] = []


@router.post("/organizations/{org}/withdrawals", status_code=201,
             response_model=answers.WithdrawalNotice)
def withdrawal(org: str, data: WithdrawalNoticeIn, guard: Guard = EDIT_REGISTRY
               ) -> dict[str, Any]:
    """Record a member's notice of withdrawal; it takes effect after the charter's period."""
    notice = _required_date(data.notice_on, "notice_on")
    row = membership.notify_withdrawal.run(guard.ctx, org=org, state=data.state,
                                           notice_on=notice, sources=data.sources)
    return {"id": row.id, "organization": row.org, "state": row.state,
            "notice_on": row.notice_on.isoformat(),
            "effective_on": row.effective_on.isoformat(), "sources": row.sources.split()}
