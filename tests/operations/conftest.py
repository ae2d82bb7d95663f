"""The operations' tests: the exchange's rolled-back transaction on the shared CSTO
database, and officers cleared on a day of 2026, when stages are opened."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from tests.exchange.conftest import officer as exchange_officer
from tests.exchange.conftest import tx  # noqa: F401 (the fixture)

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
ORG = "CSTO"


def officer(s: Session, name: str, principal: str, roles: tuple[str, ...],
            day: dt.date = DAY) -> tuple[auth.Actor, Clearance]:
    """An officer `name` of `principal` with `roles`, cleared on `day`."""
    return exchange_officer(s, name, principal, roles, day)
