"""Missions of the collective forces: opening one the organization decided on, with its
mandate, area and end terms; finding and listing them.

What happens in a mission once open (offers, deployment, withdrawal, closing) is in
`deployments`, which builds on this module; this one knows nothing of contingents.
Missions are members-level information: every read requires a clearance that reads
`members`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, Named, NotFound
from collsec.core.times import stored
from collsec.crisis import geo
from collsec.crisis.forces import model
from collsec.crisis.forces.catalogue import MAX_CODE, MEMBERS, bounded_text
from collsec.crisis.forces.tables import MissionRow
from collsec.decisions.tables import AgendaItemRow, SessionRow
from collsec.registry import service as registry


class UnknownMission(NotFound):
    title = "Unknown mission"
    type_slug = "unknown-mission"


@query()
def get_mission(session: Session, code: str, org: str) -> MissionRow:
    row = session.execute(select(MissionRow).where(
        MissionRow.org == org.upper(), MissionRow.code == code.strip().upper())).scalar()
    if row is None:
        raise UnknownMission("unknown mission '{code}'", code=code[:MAX_CODE])
    return row


@command("crisis.open_mission", action="open_mission")
def open_mission(session: Session, c: Clearance, actor: auth.Actor, *, code: str,
                 title_en: str, title_ru: str = "", host_state: str, mandate_en: str = "",
                 mandate_ru: str = "", area: object | None = None, decided_on: dt.date,
                 decision_item_id: int | None = None, now: dt.datetime,
                 org: str | None = None, ends_on: dt.date | None = None,
                 end_condition_en: str = "", end_condition_ru: str = "") -> MissionRow:
    """Open a mission the organization decided on (role with manage_sessions)."""
    org = auth.org_of(c, org)
    org_code = registry.get_organization(session, org).code
    mission_code = bounded_text(code, "a code", MAX_CODE, required=True).upper()
    if session.execute(select(MissionRow.id).where(MissionRow.org == org_code,
                                                   MissionRow.code == mission_code)).first():
        raise Conflict("mission {mission} already exists", mission=mission_code)
    host = registry.get_state(session, host_state).code
    if decided_on > now.date():
        raise InvalidInput("the decision date {day} is in the future", day=decided_on)
    model.check_mission_decision(mission_rule(org_code), org_code,
                                 _decision(session, decision_item_id))
    geometry = None
    if area is not None:
        geometry = json.dumps(geo.validate_geometry(area).as_geojson(), separators=(",", ":"))
    row = MissionRow(org=org_code, code=mission_code,
                     title_en=bounded_text(title_en, "a title", 300, required=True),
                     title_ru=bounded_text(title_ru, "title_ru", 300), host_state=host,
                     mandate_en=bounded_text(mandate_en, "mandate_en"),
                     mandate_ru=bounded_text(mandate_ru, "mandate_ru"), area=geometry,
                     decided_on=decided_on, decision_item_id=decision_item_id, status="open",
                     opened_at=now, ends_on=ends_on,
                     end_condition_en=bounded_text(end_condition_en, "end_condition_en", 2000),
                     end_condition_ru=bounded_text(end_condition_ru, "end_condition_ru", 2000))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.open_mission", payload={
        "code": row.code, "title_en": row.title_en, "host_state": host,
        "decided_on": decided_on.isoformat(), "decision_item_id": decision_item_id,
        "area": json.loads(geometry) if geometry else None,
        "ends_on": ends_on.isoformat() if ends_on else None,
        "end_condition_en": row.end_condition_en}, at=now)
    return row


def mission_rule(org: str) -> model.MissionRule:
    """The charter's rule for opening a mission (`crisis_response.missions`)."""
    raw = registry.charter_for(org).raw
    decisions = raw.get("decision_rules", {})
    reserved = {m: body for body, matters in decisions.get("reserved_to", {}).items()
                for m in matters}
    names = decisions.get("matters", {})
    decided_as = raw.get("crisis_response", {}).get("missions", {}).get("decided_as", [])
    bodies = {str(b["code"]): Named(b["name"]) for b in raw.get("bodies", [])
              if isinstance(b, dict) and isinstance(b.get("name"), dict)}
    return model.MissionRule(
        {m: Named(names.get(m, {}).get("name") or {"en": m.replace("_", " ")})
         for m in decided_as}, {m: reserved[m] for m in decided_as if m in reserved}, bodies)


def _decision(session: Session, item_id: int | None) -> model.DecisionItem | None:
    if item_id is None:
        return None
    item = session.get(AgendaItemRow, item_id)
    if item is None:
        raise NotFound("unknown agenda item {item}", item=item_id)
    sess = session.get(SessionRow, item.session_id)
    assert sess is not None  # a foreign key
    return model.DecisionItem(item.id, sess.org, sess.body, item.matter,
                              item.status == "closed", item.adopted)


# The members' requests a mission answers: escalation knows them (it opens missions, so
# forces may not import it); `collsec.startup.wire()` registers where to find them.
_answered_by: list[Callable[[Session, MissionRow], list[Any]]] = []


def answers_from(source: Callable[[Session, MissionRow], list[Any]]) -> None:
    _answered_by[:] = [source]


@query()
def requests_answered(session: Session, mission: MissionRow) -> list[Any]:
    """The requests for assistance the mission answers (rows with id, state, basis,
    submitted_on, status)."""
    if not _answered_by:
        raise RuntimeError("forces do not know where requests are: call "
                           "collsec.startup.wire() at start-up")
    return _answered_by[0](session, mission)


def require_open(mission: MissionRow) -> None:
    """Refuse a command on a closed mission: once released, it takes no offer, decision on
    an offer, deployment report or order."""
    if mission.status != "open":
        raise Conflict("mission {mission} is closed; a closed mission takes no more offers, "
                       "reports or orders", mission=mission.code)


@query()
def list_missions(session: Session, c: Clearance, org: str | None = None, *,
                  limit: int | None = None, after: tuple[dt.date, int] | None = None
                  ) -> list[MissionRow]:
    """Missions newest decision first (the later opened first on one day); `limit` from the
    one after `after` (a page's last decision date and id)."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    return list(session.execute(paging.newest_first(
        select(MissionRow).where(MissionRow.org == org.upper()), MissionRow.decided_on,
        MissionRow.id, limit=limit, after=after)).scalars())


def mission_dict(m: MissionRow) -> dict[str, Any]:
    return {"code": m.code, "organization": m.org, "title": {"en": m.title_en, "ru": m.title_ru},
            "host_state": m.host_state, "mandate": {"en": m.mandate_en, "ru": m.mandate_ru},
            "area": json.loads(m.area) if m.area else None,
            "decided_on": m.decided_on.isoformat(), "decision_item_id": m.decision_item_id,
            "ends": {"on": m.ends_on.isoformat() if m.ends_on else None,
                     "condition": {"en": m.end_condition_en, "ru": m.end_condition_ru}},
            "status": m.status, "opened_at": stored(m.opened_at).isoformat(),
            "closed_at": stored(m.closed_at).isoformat() if m.closed_at else None,
            "withdrawal": ({"ordered_at": stored(m.withdrawal_ordered_at).isoformat(),
                            "note": m.withdrawal_note or ""}
                           if m.withdrawal_ordered_at else None)}
