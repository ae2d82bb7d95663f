"""Seating several delegations at once: the Secretariat seats the entitled delegations it
chose, each with who represents it, as one command (one transaction, one journal entry).
The rule for each seat is `sessions.seat`'s: only a state entitled to sit in the bodies on
the session's date, and not one already seated."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput
from collsec.decisions import model
from collsec.decisions.service import entitled_states
from collsec.decisions.sessions import get_session
from collsec.decisions.tables import ParticipantRow
from collsec.registry import service as registry

MAX_REPRESENTED_BY = 200


@query()
def unseated(session: Session, session_id: int) -> list[str]:
    """The states entitled to sit on the session's date that are not seated yet."""
    sess = get_session(session, session_id)
    seated = set(session.execute(select(ParticipantRow.state).where(
        ParticipantRow.session_id == sess.id)).scalars())
    return [s for s in entitled_states(session, sess.org, sess.date) if s not in seated]


@command("decisions.seat_delegations", action="manage_sessions")
def seat_delegations(session: Session, c: Clearance, actor: auth.Actor, *, session_id: int,
                     seats: Mapping[str, str]) -> list[ParticipantRow]:
    """Seat each state of `seats` (state: who represents it, may be empty)."""
    sess = get_session(session, session_id)
    if sess.status != "open":
        raise Conflict("session {session} is closed", session=sess.id)
    if not seats:
        raise InvalidInput("choose at least one delegation to seat")
    entitled = set(entitled_states(session, sess.org, sess.date))
    seated = set(session.execute(select(ParticipantRow.state).where(
        ParticipantRow.session_id == sess.id)).scalars())
    rows = []
    for state, represented_by in sorted(seats.items()):
        code = registry.get_state(session, state).code
        if code not in entitled:
            raise model.NotEntitled("{state} cannot sit in the {body} on {day}: it holds no "
                                    "seat in the bodies that day", state=code, body=sess.body,
                                    day=sess.date)
        if code in seated:
            raise Conflict("{state} is already seated at session {session}", state=code,
                           session=sess.id)
        if len(represented_by) > MAX_REPRESENTED_BY:
            raise InvalidInput("who represents a delegation is at most {most} characters",
                               most=MAX_REPRESENTED_BY)
        rows.append(ParticipantRow(session_id=sess.id, state=code,
                                   represented_by=represented_by.strip()))
    session.add_all(rows)
    session.flush()
    journal.record(session, actor=actor, command="decisions.seat_delegations", payload={
        "session": sess.id, "seats": {r.state: r.represented_by for r in rows}})
    return rows
