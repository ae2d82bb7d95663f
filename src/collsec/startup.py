"""What every entry point does once before it serves: connect the packages that meet
through registration rather than imports.

`core` imports no feature package, so the decision point learns how to read the
registry here; the charter engine learns here which package applies each effect a
decision may have (`define_mission` is the collective forces'), and the live broker
which topics beyond incidents it streams (reports). The web app, the
command line, the replay runner and the tests call `wire()`; a missing registration
fails loudly where it is needed (`auth.clearance`, `sessions.close_item`), never
silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces import missions
from collsec.crisis.live import broker as live
from collsec.decisions import sessions
from collsec.exchange import live as report_stream
from collsec.exchange import model as exchange
from collsec.registry import service as registry


def _standing(session: Session, org: str, state: str,
              day: dt.date) -> tuple[str, tuple[str, ...]] | None:
    code = registry.status_code_on(session, org, state, day)
    if code is None:
        return None
    return code, tuple(registry.charter_for(org).statuses[code].reads)


def _check_principal(session: Session, p: Principal, org: str | None) -> None:
    if p.kind == "delegation":
        registry.get_state(session, p.code)
    elif p.kind == "organ":
        registry.body(session, org, p.code)
    else:
        registry.get_organization(session, p.code)


def _charter(org: str) -> dict[str, Any]:
    return registry.charter_for(org).raw


def wire() -> None:
    """Connect the decision point to the registry and the charter engine to the effects
    of decisions; calling it again changes nothing."""
    auth.use_registry(auth.Registry(_charter, _standing, _check_principal))
    sessions.register_effect("define_mission")(escalation.define_mission)
    missions.answers_from(escalation.requests_answered_by)
    live.register(report_stream.FEED, exchange.LIVE_KINDS)
