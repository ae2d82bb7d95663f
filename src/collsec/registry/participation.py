"""A member's course in an organization up to a date: its status that day, the dated steps
the record knows (statements, presence and absence, financing, exercises, decisions) and
the sessions it stayed away from, so that "what did its participation look like on D" has
an answer with sources.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import paging
from collsec.core.commands import query
from collsec.core.errors import InvalidInput
from collsec.registry import model
from collsec.registry.chairs import SessionRecord, _record
from collsec.registry.service import (
    Fact,
    MembershipView,
    _fact,
    _states,
    get_organization,
    get_state,
    status_of,
)
from collsec.registry.tables import BodyRow, SessionRecordRow, StateEventRow

# Words for the kinds (English msgids; Russian in messages.po).
EVENT_KINDS = {"statement": "statement", "participation": "took part",
               "absence": "stayed away", "financing": "financing", "exercise": "exercise",
               "decision": "decision"}


@dataclass(frozen=True)
class StateEvent:
    id: int
    org: str
    state: str
    date: dt.date
    precision: str
    kind: str
    actor: str
    actor_en: str
    actor_ru: str
    title_en: str
    title_ru: str
    fact: Fact

    def when(self) -> str:
        """The date as exactly as it is known: 2024-02-22, 2024-03 or 2024."""
        text = self.date.isoformat()
        return {"day": text, "month": text[:7], "year": text[:4]}[self.precision]

    def title(self, lang: str) -> str:
        return self.title_ru if lang == "ru" else self.title_en

    def actor_name(self, lang: str) -> str:
        return self.actor_ru if lang == "ru" else self.actor_en

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "organization": self.org, "state": self.state,
                "date": self.date.isoformat(), "precision": self.precision,
                "when": self.when(), "kind": self.kind,
                "actor": {"code": self.actor, "name_en": self.actor_en,
                          "name_ru": self.actor_ru},
                "title": {"en": self.title_en, "ru": self.title_ru},
                "sources": self.fact.sources, "confidence": self.fact.confidence,
                "note": {"en": self.fact.note_en, "ru": self.fact.note_ru}}


@dataclass(frozen=True)
class Course:
    org: str
    state: str
    as_of: dt.date
    status: MembershipView | None
    events: list[StateEvent]
    next_cursor: str | None
    absences: list[SessionRecord]


COURSE_PAGE = 100


@query()
def course(session: Session, org: str, state: str, as_of: dt.date, *,
           kind: str | None = None, limit: int = COURSE_PAGE,
           cursor: str | None = None) -> Course:
    """`state`'s course in `org` up to `as_of`: its status that day, the events dated on or
    before it (newest first, a page at a time) and the sessions it was recorded absent from."""
    if kind is not None and kind not in model.EVENT_KINDS:
        raise InvalidInput("kind: '{kind}' is not one of {kinds}", kind=kind,
                           kinds=", ".join(model.EVENT_KINDS))
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000")
    org_code = get_organization(session, org).code
    code = get_state(session, state).code
    stmt = select(StateEventRow).where(StateEventRow.org == org_code,
                                       StateEventRow.state == code,
                                       StateEventRow.date <= as_of)
    if kind is not None:
        stmt = stmt.where(StateEventRow.kind == kind)
    after = None if cursor is None else paging.after_dated("state_events", cursor)
    rows = list(session.execute(paging.newest_first(
        stmt, StateEventRow.date, StateEventRow.id, limit=limit + 1, after=after)).scalars())
    states = _states(session)
    bodies = {b.code: b for b in session.execute(
        select(BodyRow).where(BodyRow.org == org_code)).scalars()}

    def names(actor: str) -> tuple[str, str]:
        named = states.get(actor) or bodies.get(actor)
        return (named.name_en, named.name_ru) if named is not None else (actor, actor)

    events = [StateEvent(r.id, r.org, r.state, r.date, r.precision, r.kind, r.actor,
                         *names(r.actor), r.title_en, r.title_ru, _fact(r))
              for r in rows[:limit]]
    missed = [_record(r, states) for r in session.execute(
        select(SessionRecordRow).where(SessionRecordRow.org == org_code,
                                       SessionRecordRow.date <= as_of,
                                       SessionRecordRow.absent.contains(code))
        .order_by(SessionRecordRow.date.desc())).scalars()
        if code in r.absent.split()]
    return Course(org_code, code, as_of, status_of(session, org_code, code, as_of), events,
                  paging.page_of(rows, limit, "state_events"), missed)
