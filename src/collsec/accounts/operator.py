"""The command line's account: `operator`, a user of the organization's secretariat (the
organ the charter's `access.roles` names), created by `collsec db setup` and by a replay's
base, with a generated password that is never shown, so it signs in nowhere."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.commands import query
from collsec.core.errors import NotFound
from collsec.registry import service as registry

OPERATOR = "operator"


@query(writes=True)  # its journal entry is the account's (`auth.add_user`), not its own
def ensure_operator(session: Session, org: str, now: dt.datetime) -> bool:
    """Create the operator account when it is missing, at `now`; True when it was created.
    The installer creates it (no user exists yet to do so)."""
    try:
        auth.get_user(session, OPERATOR)
        return False
    except NotFound:
        pass
    organ = auth.organ_for(registry.charter_for(org).raw, "secretariat")
    auth.add_user(session, *auth.installer(), username=OPERATOR, principal=organ.key,
                  roles=["admin"], now=now, display_name="Command-line operator",
                  must_change_password=True)
    return True
