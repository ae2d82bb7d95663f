"""The caller's standing, cached per state and day under the journal's registry mark: a
status change moves the mark in its own transaction, so the next request of any process
reads the registry again; until then a request asks one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from collsec.core import db, journal
from collsec.registry import service as registry
from collsec.registry.tables import MembershipRow
from collsec.web.app import create_app
from tests import personas
from tests.conftest import bearer, make_user, selects

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY.isoformat())
    with TestClient(create_app()) as c:
        yield c


def _mark() -> str:
    with db.read_session() as s:
        return s.execute(select(journal.JournalHead.registry_mark)).scalar_one()


def _suspend_kazakhstan() -> None:
    with db.write_session() as s:
        actor, c = personas.secretariat(s, TODAY)
        registry.change_status(s, c, actor, org="CSTO", state="KZ",
                               status="participation_suspended", on=TODAY)




def test_a_status_change_reaches_the_next_request(client: TestClient) -> None:
    token = make_user("kz-cached", "delegation:KZ", ["viewer"])
    assert "KZ is member" in client.get("/api/v1/me", headers=bearer(token)).json()["why"]
    before = _mark()
    _suspend_kazakhstan()  # as another process would: nothing in this one is told
    assert _mark() != before
    why = client.get("/api/v1/me", headers=bearer(token)).json()["why"]
    assert "KZ is participation_suspended" in why


def test_a_warm_caller_costs_one_query_and_a_cold_one_two(client: TestClient) -> None:
    token = make_user("kz-warm", "delegation:KZ", ["viewer"])
    client.get("/api/v1/me", headers=bearer(token))
    warm = selects(lambda: client.get("/api/v1/me", headers=bearer(token)))
    assert len(warm) == 1 and "registry_mark" in warm[0]
    _suspend_kazakhstan()
    cold = selects(lambda: client.get("/api/v1/me", headers=bearer(token)))
    assert len(cold) == 2


def test_only_a_committed_status_change_moves_the_mark(csto_db: str) -> None:
    before = _mark()
    make_user("kz-other", "delegation:KZ", ["viewer"])  # journaled, but no status changed
    assert _mark() == before
    with pytest.raises(RuntimeError, match="rolled back"), db.write_session() as s:
        actor, c = personas.secretariat(s, TODAY)
        registry.change_status(s, c, actor, org="CSTO", state="KZ",
                               status="participation_suspended", on=TODAY)
        raise RuntimeError("rolled back")
    assert _mark() == before
    _suspend_kazakhstan()
    with db.read_session() as s:
        head = s.execute(select(journal.JournalHead)).scalar_one()
        assert head.registry_mark == head.hash  # the status change is the newest entry


def test_a_status_changed_outside_the_journal_is_refused(csto_db: str) -> None:
    refused = pytest.raises(RuntimeError, match="registry without a journaled change")
    with refused, db.write_session() as s:
        row = s.execute(select(MembershipRow).where(MembershipRow.state == "KZ")
                        ).scalars().first()
        assert row is not None
        row.note_en = "edited behind the journal's back"
    with db.read_session() as s:
        assert not s.execute(select(MembershipRow).where(
            MembershipRow.note_en == "edited behind the journal's back")).first()
