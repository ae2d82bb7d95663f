"""Collective forces: the catalogue of national contingents, and the terms the forces
modules share (the members marking, input limits, the checks on typed text and counts).

Missions live in `missions`, what happens in them (offers, deployment, withdrawal,
closing, timeline, totals) in `deployments`. Every command checks its rule and writes one
journal entry (`crisis.*`); a refused command writes nothing. The forces are
members-level information: every read requires a clearance that reads `members`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking
from collsec.core.commands import command, query
from collsec.core.errors import InvalidInput, NotFound
from collsec.crisis import geo
from collsec.crisis.forces.tables import ContingentRow
from collsec.registry import service as registry
from collsec.registry.model import CONFIDENCE
from collsec.registry.tables import ForceRow

MEMBERS = Marking("members")
MAX_TEXT = 20000
MAX_CODE = 40


def whole_number(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("{field} must be a non-negative whole number, got {value!r}",
                           field=field, value=value)
    if value > 2**31 - 1:
        raise InvalidInput("{field} is too large", field=field)
    return value


def bounded_text(value: str, field: str, limit: int = MAX_TEXT, *,
                 required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput("a mission needs {field}", field=field)
    if len(text) > limit:
        raise InvalidInput("{field} is longer than {limit} characters", field=field, limit=limit)
    return text


# -- the catalogue --------------------------------------------------------------------------

@command("crisis.register_contingent", action="edit_registry")
def register_contingent(session: Session, c: Clearance, actor: auth.Actor, *, force: str,
                        state: str, unit_type: str, personnel: int, readiness_hours: int,
                        home_lon: float, home_lat: float, home_base: str = "",
                        now: dt.datetime, org: str | None = None, sources: Sequence[str] = (),
                        confidence: str = "high",
                        since: dt.date | None = None) -> ContingentRow:
    """Add a national contingent to a collective force's catalogue (role with edit_registry),
    with the sources it rests on (known source ids) and a confidence, like a registry fact."""
    org = auth.org_of(c, org)
    if confidence not in CONFIDENCE:
        raise InvalidInput("confidence must be one of {known}", known=", ".join(CONFIDENCE))
    ids = list(dict.fromkeys(sources))
    listed = {s.id for s in registry.sources(session, ids)} if ids else set()
    missing = [i[:MAX_CODE] for i in ids if i not in listed]
    if missing:
        raise InvalidInput("unknown source id(s): {ids}", ids=", ".join(missing))
    org_code = registry.get_organization(session, org).code
    f = session.execute(select(ForceRow).where(ForceRow.org == org_code,
                                               ForceRow.code == force.strip().upper())).scalar()
    if f is None:
        known = ", ".join(session.execute(select(ForceRow.code).where(
            ForceRow.org == org_code).order_by(ForceRow.code)).scalars())
        raise NotFound("unknown force '{force}' of {org}; forces: {known}", force=force,
                       org=org_code, known=known)
    st = registry.get_state(session, state)
    place = geo.validate_geometry({"type": "Point", "coordinates": [home_lon, home_lat]})
    lon, lat = place.point
    row = ContingentRow(org=org_code, force=f.code, state=st.code,
                        unit_type=bounded_text(unit_type, "a unit type", 80, required=True),
                        personnel=whole_number(personnel, "personnel"),
                        readiness_hours=whole_number(readiness_hours, "readiness hours"),
                        home_lon=lon, home_lat=lat,
                        home_base=bounded_text(home_base, "home base", 200),
                        since=since, sources=" ".join(ids), confidence=confidence,
                        origin="user")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="crisis.register_contingent", payload={
        "id": row.id, "force": row.force, "state": row.state, "unit_type": row.unit_type,
        "personnel": row.personnel, "readiness_hours": row.readiness_hours,
        "home": [lon, lat], "home_base": row.home_base,
        "since": since.isoformat() if since else None, "sources": ids,
        "confidence": confidence}, at=now)
    return row


@query()
def contingents(session: Session, c: Clearance, *, force: str | None = None,
                org: str | None = None, limit: int | None = None,
                after: tuple[str | int, ...] | None = None) -> list[ContingentRow]:
    """The catalogue by force, then state, then id; `limit` from the one after `after` (a
    page's last force, state and id)."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    stmt = select(ContingentRow).where(ContingentRow.org == org.upper())
    if force:
        stmt = stmt.where(ContingentRow.force == force.strip().upper())
    if after is not None:
        stmt = stmt.where(tuple_(ContingentRow.force, ContingentRow.state, ContingentRow.id)
                          > tuple_(*after))
    stmt = stmt.order_by(ContingentRow.force, ContingentRow.state, ContingentRow.id)
    return list(session.execute(stmt if limit is None else stmt.limit(limit)).scalars())


def contingent_dict(r: ContingentRow) -> dict[str, Any]:
    return {"id": r.id, "force": r.force, "state": r.state, "unit_type": r.unit_type,
            "personnel": r.personnel if r.personnel_reported else None,
            "readiness_hours": r.readiness_hours,
            "readiness_default": not r.readiness_reported,
            "home": {"type": "Point", "coordinates": [r.home_lon, r.home_lat]},
            "home_base": r.home_base, "since": r.since.isoformat() if r.since else None,
            "sources": r.sources.split(), "confidence": r.confidence,
            "note": {"en": r.note_en, "ru": r.note_ru}, "origin": r.origin}
