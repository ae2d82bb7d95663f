"""Personas for access tests: who acts, for whom, and what the real decision point clears
them for on one date of the embedded CSTO data.

Each builder returns an `(Actor, Clearance)`; the clearance comes from
`auth.clearance(...)` against the database the session reads, never from a hand-made
`Clearance`, so a change in the registry or the charter shows up in the tests that use
these. The default date is `DAY`, on which memberships.yaml records:

- Kazakhstan: `member` of the CSTO since 2002-10-07 (the charter: reads public, observers,
  members);
- Armenia: `participation_frozen` from 2024-02-22 (the charter keeps the reads of a
  member: the Secretariat still counts Armenia as a full member);
- Uzbekistan: `participation_suspended` from 2012-06-28, with no end recorded (the
  charter: reads public material only, holds no seat in the bodies).

The organs are the ones the CSTO charter's `access.roles` names: the Secretariat (SEC,
`secretariat`) and the Crisis Response Centre (CRC, `crisis_centre`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal

DAY = dt.date(2024, 6, 1)
ORG = "CSTO"
VIA = "api"

# A state's delegation sends one officer who both speaks for it in the bodies and runs its
# crisis desk, so one persona per state covers every delegation action of the policy.
DELEGATION_ROLES = ("representative", "duty_officer")

Persona = tuple[auth.Actor, Clearance]


def _cleared(session: Session, actor: auth.Actor, day: dt.date) -> Persona:
    return actor, auth.clearance(session, actor, day, ORG)


def _officer(user_id: int, username: str, principal: str, roles: Iterable[str]) -> auth.Actor:
    return auth.Actor(user_id, username, Principal.parse(principal), frozenset(roles), VIA)


def kazakhstan(session: Session, day: dt.date = DAY,
               roles: Iterable[str] = DELEGATION_ROLES) -> Persona:
    """Kazakhstan's officer: a member in good standing."""
    return _cleared(session, _officer(101, "kz-officer", "delegation:KZ", roles), day)


def armenia(session: Session, day: dt.date = DAY,
            roles: Iterable[str] = DELEGATION_ROLES) -> Persona:
    """Armenia's officer: participation frozen since 2024-02-22."""
    return _cleared(session, _officer(102, "am-officer", "delegation:AM", roles), day)


def uzbekistan(session: Session, day: dt.date = DAY,
               roles: Iterable[str] = DELEGATION_ROLES) -> Persona:
    """Uzbekistan's officer: participation suspended since 2012-06-28."""
    return _cleared(session, _officer(103, "uz-officer", "delegation:UZ", roles), day)


def secretariat(session: Session, day: dt.date = DAY,
                roles: Iterable[str] = ("editor",)) -> Persona:
    """An officer of the Secretariat (organ:SEC), an editor unless told otherwise."""
    return _cleared(session, _officer(104, "sec-officer", "organ:SEC", roles), day)


def crisis_centre(session: Session, day: dt.date = DAY,
                  roles: Iterable[str] = ("duty_officer",)) -> Persona:
    """A duty officer of the Crisis Response Centre (organ:CRC)."""
    return _cleared(session, _officer(105, "crc-officer", "organ:CRC", roles), day)


def public_reader(session: Session, day: dt.date = DAY) -> Persona:
    """Nobody signed in: the actor the web layer makes for a request without credentials."""
    return _cleared(session, auth.anonymous(VIA), day)


# The personas by the short names the tables of the access tests use.
BUILDERS: dict[str, Callable[..., Persona]] = {
    "kz": kazakhstan,
    "am": armenia,
    "uz": uzbekistan,
    "sec": secretariat,
    "crc": crisis_centre,
    "anon": public_reader,
}


def persona(session: Session, name: str, day: dt.date = DAY,
            roles: Iterable[str] | None = None) -> Persona:
    """The persona called `name` on `day`; `roles` replaces its usual roles (not for the
    public reader, who has none)."""
    build = BUILDERS[name]
    if roles is None:
        return build(session, day)
    if name == "anon":
        raise ValueError("the public reader has no roles to replace")
    return build(session, day, roles=tuple(roles))
