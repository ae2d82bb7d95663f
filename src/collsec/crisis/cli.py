"""`collsec crisis ...`: a mission's timeline and totals at the command line.

The command line runs with the database's own rights and acts as a Secretariat
operator (`organ:SEC`, admin), like `collsec session`. `collsec.cli` imports this
module at its end, and this module adds its commands to `collsec.cli.app`.
"""

from __future__ import annotations

from typing import Any

import typer

from collsec.cli import JSON, ORG, _emit_json, _ensure_schema, app, handles_errors, out
from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.crisis import forces
from collsec.crisis.api import parse_time
from collsec.decisions.cli import operator

crisis_app = typer.Typer(help="Crisis response: missions of the collective forces, their "
                         "timelines and totals. Acts as a Secretariat operator (organ:SEC, "
                         "admin).", no_args_is_help=True)
app.add_typer(crisis_app, name="crisis")

MISSION = typer.Argument(..., help="mission code")


@crisis_app.command("timeline")
@handles_errors
def timeline(mission: str = MISSION, org: str = ORG, as_json: bool = JSON) -> None:
    """A mission's events in order: decision, offers, commitments, deployment status, release."""
    _ensure_schema()
    actor = operator()
    with db.read_session() as s:
        c = auth.clearance(s, actor, clock.today(), org.upper())
        events = forces.timeline(s, c, mission[:forces.MAX_CODE], org).events
        data: list[dict[str, Any]] = [forces.event_dict(e) for e in events]
    if as_json:
        _emit_json({"mission": mission.upper(), "events": data})
        return
    for e in data:
        parts = [e["at"], e["kind"], e["actor"]]
        if e["status"]:
            parts.append(e["status"])
        if e["personnel"] is not None:
            parts.append(f"{e['personnel']} personnel")
        if e["note"]:
            parts.append(e["note"])
        out.print("  ".join(parts), markup=False, soft_wrap=True)


@crisis_app.command("totals")
@handles_errors
def totals(mission: str = MISSION, org: str = ORG,
           as_of: str | None = typer.Option(None, "--as-of",
                                            help="ISO date or zoned time (default now)"),
           as_json: bool = JSON) -> None:
    """Personnel in theatre (deployed or withdrawing) per contributing state as of a time."""
    when = parse_time(as_of, "--as-of", end_of_day=True) or clock.now()
    _ensure_schema()
    actor = operator()
    with db.read_session() as s:
        c = auth.clearance(s, actor, clock.today(), org.upper())
        t = forces.totals(s, c, mission[:forces.MAX_CODE], when, org)
    if as_json:
        _emit_json({"mission": mission.upper(), **forces.totals_dict(t)})
        return
    out.print(f"{mission.upper()} as of {t.as_of.isoformat()}", markup=False)
    for state, n in t.by_state.items():
        out.print(f"  {state}  {n}", markup=False)
    out.print(f"  total  {t.total}", markup=False)
