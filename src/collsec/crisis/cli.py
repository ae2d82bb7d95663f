"""`collsec crisis ...`: a mission's timeline and totals at the command line.

It acts as the user `--as` names (default: the `operator` account), like
`collsec session`. `collsec.cli` imports this
module at its end, and this module adds its commands to `collsec.cli.app`.
"""

from __future__ import annotations

import typer

from collsec.cli import (
    JSON,
    LANG,
    ORG,
    _emit_json,
    _ensure_schema,
    app,
    handles_errors,
    operator,
    out,
)
from collsec.core import clock, db, i18n
from collsec.core.auth import service as auth
from collsec.core.times import parse_time
from collsec.crisis.forces import catalogue as forces
from collsec.crisis.forces import deployments, missions, timeline_words
from collsec.crisis.incidents import service
from collsec.registry import service as registry

crisis_app = typer.Typer(help="Crisis response: missions of the collective forces, their "
                         "timelines and totals. Acts as the user --as names (default: "
                         "operator).", no_args_is_help=True)
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
        code = mission[:forces.MAX_CODE]
        events = deployments.timeline(s, c, code, org).events
        row = missions.get_mission(s, code, org)
    if as_json:
        _emit_json({"mission": mission.upper(),
                    "events": [deployments.event_dict(e) for e in events]})
        return
    tax = service.taxonomy(org.upper())
    for e in events:
        parts = [e.at.isoformat(), tax.event_label(e.kind, lang), e.actor]
        if e.status:
            parts.append(tax.deployment_label(e.status, lang))
        if e.personnel is not None:
            parts.append(_("{n} personnel").format(n=e.personnel))
        note = timeline_words.event_note(e, row, lang)
        if note:
            parts.append(note)
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
        t = deployments.totals(s, c, mission[:forces.MAX_CODE], when, org)
        names = {st.code: st.name_ru if lang == "ru" else st.name_en
                 for st in registry.list_states(s)}
    if as_json:
        _emit_json({"mission": mission.upper(), **deployments.totals_dict(t)})
        return
    out.print(_("{mission} as of {time}").format(mission=mission.upper(),
                                                 time=t.as_of.isoformat()), markup=False)
    for state, n in t.by_state.items():
        out.print(f"  {names.get(state, state)} ({state})  {n}", markup=False)
    out.print(f"  {_('total in theatre')}  {t.total}", markup=False)
