"""`collsec crisis ...`: a mission's timeline and totals at the command line.

The command line runs with the database's own rights and acts as a Secretariat
operator (`organ:SEC`, admin), like `collsec session`. `collsec.cli` imports this
module at its end, and this module adds its commands to `collsec.cli.app`.
"""

from __future__ import annotations

from typing import Any

import typer

from collsec.cli import JSON, LANG, ORG, _emit_json, _ensure_schema, app, handles_errors, out
from collsec.core import clock, db, i18n
from collsec.core.auth import service as auth
from collsec.crisis import forces, service
from collsec.crisis.api import parse_time
from collsec.decisions.cli import operator
from collsec.registry import service as registry

crisis_app = typer.Typer(help="Crisis response: missions of the collective forces, their "
                         "timelines and totals. Acts as a Secretariat operator (organ:SEC, "
                         "admin).", no_args_is_help=True)
app.add_typer(crisis_app, name="crisis")

MISSION = typer.Argument(..., help="mission code")


@crisis_app.command("timeline")
@handles_errors
def timeline(mission: str = MISSION, org: str = ORG, as_json: bool = JSON,
             lang: str | None = LANG) -> None:
    """A mission's events in order: decision, offers, commitments, deployment status,
    the withdrawal order, release. Labels in --lang; --json keeps the codes."""
    _ensure_schema()
    actor = operator()
    lang = i18n.normalize(lang)
    _ = i18n.gettext_for(lang)
    with db.read_session() as s:
        c = auth.clearance(s, actor, clock.today(), org.upper())
        events = forces.timeline(s, c, mission[:forces.MAX_CODE], org).events
        data: list[dict[str, Any]] = [forces.event_dict(e) for e in events]
    if as_json:
        _emit_json({"mission": mission.upper(), "events": data})
        return
    tax = service.taxonomy(org.upper())
    for e in data:
        parts = [e["at"], tax.event_label(e["kind"], lang), e["actor"]]
        if e["status"]:
            parts.append(tax.deployment_label(e["status"], lang))
        if e["personnel"] is not None:
            parts.append(_("{n} personnel").format(n=e["personnel"]))
        if e["note"]:
            parts.append(e["note"])
        out.print("  ".join(parts), markup=False, soft_wrap=True)


@crisis_app.command("totals")
@handles_errors
def totals(mission: str = MISSION, org: str = ORG,
           as_of: str | None = typer.Option(None, "--as-of",
                                            help="ISO date or zoned time (default now)"),
           as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Personnel in theatre (deployed or withdrawing) per contributing state as of a time;
    states named in --lang."""
    when = parse_time(as_of, "--as-of", end_of_day=True) or clock.now()
    _ensure_schema()
    actor = operator()
    lang = i18n.normalize(lang)
    _ = i18n.gettext_for(lang)
    with db.read_session() as s:
        c = auth.clearance(s, actor, clock.today(), org.upper())
        t = forces.totals(s, c, mission[:forces.MAX_CODE], when, org)
        names = {st.code: st.name_ru if lang == "ru" else st.name_en
                 for st in registry.list_states(s)}
    if as_json:
        _emit_json({"mission": mission.upper(), **forces.totals_dict(t)})
        return
    out.print(_("{mission} as of {time}").format(mission=mission.upper(),
                                                 time=t.as_of.isoformat()), markup=False)
    for state, n in t.by_state.items():
        out.print(f"  {names.get(state, state)} ({state})  {n}", markup=False)
    out.print(f"  {_('total in theatre')}  {t.total}", markup=False)
