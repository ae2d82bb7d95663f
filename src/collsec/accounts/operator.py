"""The command line's account: `operator`, a user of the organization's secretariat (the
organ the charter's `access.roles` names), created by `collsec db setup` and by a replay's
base, with a generated password that is never shown, so it signs in nowhere."""

from __future__ import annotations

from sqlalchemy.orm import Session

from collsec.core import clock
from collsec.core.auth import service as auth
from collsec.core.errors import NotFound
from collsec.registry import service as registry

OPERATOR = "operator"


def ensure_operator(session: Session, org: str) -> bool:
    """Create the operator account when it is missing; True when it was created."""
    try:
        auth.get_user(session, OPERATOR)
        return False
    except NotFound:
        pass
    organ = auth.organ_for(registry.charter_for(org).raw, "secretariat")
    auth.add_user(session, *auth.installer(), username=OPERATOR, principal=organ.key,
                  roles=["admin"], now=clock.now(), display_name="Command-line operator",
                  must_change_password=True)
    return True
