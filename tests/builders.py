"""Builders: real objects made through the services, for tests that need them as a given.

Each builder runs its commands as the people the charter says act (the requesting
state's representative, the Secretariat, every seated delegation) on the database
COLLSEC_DATABASE_URL names, so what it builds is journaled like anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from collsec.core import clock, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.crisis.escalation import service as escalation
from collsec.decisions import sessions
from collsec.decisions.service import entitled_states
from collsec.exercises import runs

SECRETARIAT = auth.Actor(1, "sec-builder", Principal.parse("organ:SEC"), frozenset({"editor"}),
                         "cli")
NEEDS = [{"kind": "peacekeeping_forces", "personnel": 100, "note": "guard facilities"}]


def representative(state: str) -> auth.Actor:
    return auth.Actor(1, f"rep-{state.lower()}", Principal("delegation", state),
                      frozenset({"representative"}), "cli")


def _act(who: auth.Actor, day: dt.date, fn: Any, *args: Any, **kwargs: Any) -> Any:
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, day, "CSTO"), who, *args, **kwargs)


def council_decision(on: dt.date, *, code: str = "M-BUILT", host: str = "KZ",
                     adopted: bool = True, close: bool = True, org: str = "CSTO",
                     title_en: str = "A mission built for a test", at: dt.time = dt.time(6),
                     **terms: Any) -> int:
    """The Council's decision on `host`'s request for collective assistance, tabled on an
    extraordinary session of `on` with the terms of mission `code`; every seated state
    supports it (or one objects, when not `adopted`) and the item is closed, which opens
    the mission when adopted, unless `close` is False. Returns the agenda item's id."""
    now = dt.datetime.combine(on, at, tzinfo=dt.UTC)
    req = _act(representative(host), on, escalation.submit_request, state=host,
               basis="article_4", needs=NEEDS, summary_en="Help", on=on, now=now, org=org)
    with db.write_session() as s:
        c = auth.clearance(s, SECRETARIAT, on, "CSTO")
        seated = entitled_states(s, org, on)
        sess = sessions.convene(s, c, SECRETARIAT, org=org, body="CSC", kind="extraordinary",
                                date=on, requested_by=[host])
        for state in seated:
            sessions.seat(s, c, SECRETARIAT, session_id=sess.id, state=state)
        session_id = sess.id
    mission = {"code": code, "title_en": title_en, "mandate_en": "keep the peace",
               "end_condition_en": "until the situation is stable", **terms}
    item = _act(SECRETARIAT, on, escalation.table_request, req.id, session_id=session_id,
                mission=mission, now=now, org=org)
    if not close:
        return int(item.id)
    for n, state in enumerate(seated):
        _act(representative(state), on, sessions.record_position, item_id=item.id,
             state=state, position="support" if adopted or n else "object", now=now)
    _act(SECRETARIAT, on, sessions.close_item, item_id=item.id, now=now)
    return int(item.id)


def exercise_run(definition: dict[str, Any], *, name: str = "A run built for a test") -> int:
    """The Secretariat (exercise staff) keeps the scenario `definition` and starts a run
    of it now; returns the run's id."""
    now, day = clock.now(), clock.today()
    _act(SECRETARIAT, day, runs.add_scenario, definition=definition, now=now)
    started = _act(SECRETARIAT, day, runs.start_run, definition["code"], name=name, now=now)
    return int(started.row.id)


def journal_size() -> int:
    """How many entries the journal holds (all of them: `journal.entries` reads the
    newest 50 only), for tests that a refused command wrote nothing."""
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0
