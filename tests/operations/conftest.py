"""The operations' tests: the shared CSTO database, each test in a transaction that is
rolled back, and the officers who act on a stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
ORG = "CSTO"


@pytest.fixture
def tx(use_db: str) -> Iterator[Session]:
    """A write transaction on the shared database, always rolled back."""
    eng = db.engine().execution_options(collsec_write=True)
    with Session(eng, expire_on_commit=False) as s:
        s.begin()
        try:
            yield s
        finally:
            s.rollback()


def officer(s: Session, name: str, principal: str, roles: tuple[str, ...],
            day: dt.date = DAY) -> tuple[auth.Actor, Clearance]:
    """An officer `name` of `principal` with `roles`, cleared on `day`."""
    actor = auth.Actor(None, name, Principal.parse(principal), frozenset(roles), "api")
    return actor, auth.clearance(s, actor, day, ORG)
