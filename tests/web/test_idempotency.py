"""Idempotent writes: an API POST sent again with its `Idempotency-Key` is answered again,
never carried out twice; the key is kept in the write's own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core import idempotency as keys
from collsec.core.commands import driver_of
from collsec.crisis.incidents.tables import IncidentRow
from collsec.documents.tables import DocumentRow
from collsec.web import idempotency as edge
from collsec.web.app import create_app
from tests.conftest import bearer, make_user
from tests.crisis.test_api import incident


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def kz(csto_db: str) -> dict[str, str]:
    return bearer(make_user("duty-kz", "delegation:KZ", ["duty_officer"]))


def _count(table: Any) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def _entries() -> int:
    return _count(journal.JournalEntry)


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_a_report_sent_again_with_its_key_is_answered_again_not_made_twice(
        client: TestClient, kz: dict[str, str]) -> None:
    first = client.post("/api/v1/incidents", headers=_keyed(kz, "k-1"), json=incident())
    assert first.status_code == 201, first.text
    before = (_count(IncidentRow), _entries())
    again = client.post("/api/v1/incidents", headers=_keyed(kz, "k-1"), json=incident())
    assert again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert (_count(IncidentRow), _entries()) == before
    # The same body written another way (key order, spacing) is the same request.
    reordered = dict(reversed(list(incident().items())))
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "k-1"),
                       json=reordered).content == first.content
    # Without a key, or with another, a report is a new report.
    assert client.post("/api/v1/incidents", headers=kz, json=incident()).status_code == 201
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "k-2"),
                       json=incident()).status_code == 201
    assert _count(IncidentRow) == before[0] + 2


def test_a_key_used_with_another_request_is_refused_and_changes_nothing(
        client: TestClient, kz: dict[str, str]) -> None:
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "k"),
                       json=incident()).status_code == 201
    before = (_count(IncidentRow), _entries())
    r = client.post("/api/v1/incidents", headers=_keyed(kz, "k"), json=incident(severity=4))
    assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")
    assert (_count(IncidentRow), _entries()) == before


def test_a_key_is_its_callers_own(client: TestClient, kz: dict[str, str]) -> None:
    ru = bearer(make_user("duty-ru", "delegation:RU", ["duty_officer"]))
    a = client.post("/api/v1/incidents", headers=_keyed(kz, "shared"), json=incident())
    b = client.post("/api/v1/incidents", headers=_keyed(ru, "shared"), json=incident())
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers


def test_a_refused_request_keeps_no_key(client: TestClient, kz: dict[str, str]) -> None:
    refused = client.post("/api/v1/incidents", headers=_keyed(kz, "k"),
                          json=incident(severity=0))
    assert refused.status_code == 422
    assert _count(keys.IdempotencyKeyRow) == 0
    mended = client.post("/api/v1/incidents", headers=_keyed(kz, "k"), json=incident())
    assert mended.status_code == 201 and "idempotent-replayed" not in mended.headers


@pytest.mark.parametrize("key", ["", "a" * 201, "with space", "кириллица".encode()])
def test_a_key_that_is_not_one_is_a_400(client: TestClient, kz: dict[str, str],
                                        key: str | bytes) -> None:
    headers: dict[str, Any] = {**kz, "Idempotency-Key": key}
    r = client.post("/api/v1/incidents", headers=headers, json=incident())
    assert r.status_code == 400 and r.json()["type"].endswith("/idempotency-key-invalid")
    assert _count(IncidentRow) == 0


def _writer(route: str) -> tuple[dict[str, str], dict[str, Any], Any]:
    duty = {"incidents": incident(released_to=["delegation:kg"]),
            "incidents/import": {"reports": [incident(), incident(title="Second")]}}
    if route in duty:
        return bearer(make_user("duty-kz", "delegation:KZ", ["duty_officer"])), duty[route], \
            IncidentRow
    return bearer(make_user("editor", "organ:SEC", ["editor"])), {
        "kind": "report", "date": "2025-06-01", "title_en": "Minutes",
        "visibility": "members"}, DocumentRow


@pytest.mark.parametrize("route", ["incidents", "incidents/import", "documents"])
def test_the_key_commits_with_the_change_even_when_its_answer_is_lost(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, route: str) -> None:
    # A report runs on the driver's unit, a document in an ORM session: both keep the key,
    # and the answer too, since each is made in its transaction (Command.answer).
    headers, body, table = _writer(route)
    # The process dies after the commit, before the answer is kept (and sent).
    monkeypatch.setattr(edge, "_keep", lambda attempt, answer: None)
    first = client.post(f"/api/v1/{route}", headers=_keyed(headers, "k"), json=body)
    assert first.status_code == 201
    before = (_count(table), _entries())
    with db.read_session() as s:
        row = s.scalars(select(keys.IdempotencyKeyRow)).one()
        made = s.get(journal.JournalEntry, row.seq)
        assert made is not None
        assert made.command == {"incidents": "crisis.report_incident",
                                "incidents/import": "crisis.import_incidents",
                                "documents": "documents.create"}[route]
    r = client.post(f"/api/v1/{route}", headers=_keyed(headers, "k"), json=body)
    assert r.status_code == 201 and r.content == first.content
    assert r.headers["idempotent-replayed"] == "true"
    assert (_count(table), _entries()) == before
    if route == "incidents":  # what a read of it answers, to the byte
        read = client.get(f"/api/v1/incidents/{first.json()['id']}", headers=headers)
        assert read.content == first.content
        assert first.json()["released_to"] == ["delegation:KG"]


def test_a_new_tokens_text_is_not_kept_and_a_retry_makes_no_second_token(
        client: TestClient, kz: dict[str, str]) -> None:
    first = client.post("/api/v1/me/tokens", headers=_keyed(kz, "t"), json={"name": "ci"})
    assert first.status_code == 201
    token = first.json()["token"]
    with db.read_session() as s:
        kept = s.scalars(select(keys.IdempotencyKeyRow)).one()
        assert kept.body is None and token.encode() not in (kept.body or b"")
    again = client.post("/api/v1/me/tokens", headers=_keyed(kz, "t"), json={"name": "ci"})
    assert again.status_code == 409 and token not in again.text
    names = [t["name"] for t in client.get("/api/v1/me/tokens", headers=kz).json()["tokens"]]
    assert names.count("ci") == 1


def test_a_key_another_request_committed_first_rolls_this_one_back_whole(
        client: TestClient, kz: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Two requests with one key, both claimed before either committed: the second's
    # transaction meets the first's key and is undone, its change with it.
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "k"),
                       json=incident()).status_code == 201
    before = (_count(IncidentRow), _entries())
    monkeypatch.setattr(keys, "claim", lambda s, attempt, principal: setattr(
        attempt, "principal", principal))
    r = client.post("/api/v1/incidents", headers=_keyed(kz, "k"), json=incident())
    assert r.status_code == 409 and r.json()["type"].endswith("/idempotency-key-unanswered")
    assert (_count(IncidentRow), _entries()) == before


def _journaled_change() -> None:
    with db.write_session() as s:
        journal.record(s, actor="cli:test", command="test.step", payload={})


def test_outside_a_keyed_request_a_command_writes_no_key(csto_db: str) -> None:
    _journaled_change()
    assert _count(keys.IdempotencyKeyRow) == 0
    attempt = keys.Attempt("k", "f" * 64, principal="someone")
    token = keys.CURRENT.set(attempt)
    try:
        entries = _entries()
        _journaled_change()
        assert attempt.seq == entries + 1
        attempt.seq = None  # a second request under the key, as if claimed before the first
        with pytest.raises(keys.Unanswered):
            _journaled_change()
        assert _entries() == entries + 1  # its entry went with its key
    finally:
        keys.CURRENT.reset(token)
    assert _count(keys.IdempotencyKeyRow) == 1


def test_the_openapi_document_declares_the_key_on_every_api_write(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    posts = [(path, op) for path, ops in doc["paths"].items() for m, op in ops.items()
             if m == "post"]
    assert posts
    for path, op in posts:
        assert any(p["name"] == "Idempotency-Key" for p in op["parameters"]), path
        assert "409" in op["responses"], path


def test_keys_older_than_the_retention_are_pruned_by_a_later_keyed_write(
        client: TestClient, kz: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_IDEMPOTENCY_HOURS", "24")
    monkeypatch.setitem(keys._pruned, "at", float("-inf"))  # this process has not pruned
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "old"),
                       json=incident()).status_code == 201
    with db.write_session() as s:  # made 25 hours ago
        row = s.scalars(select(keys.IdempotencyKeyRow)).one()
        row.created_at = row.created_at - dt.timedelta(hours=25)
    monkeypatch.setitem(keys._pruned, "at", float("-inf"))
    assert client.post("/api/v1/incidents", headers=_keyed(kz, "new"),
                       json=incident()).status_code == 201
    with db.read_session() as s:
        assert list(s.scalars(select(keys.IdempotencyKeyRow.key))) == ["new"]
    # The pruned key is free again: sent now, it is a new request, not a replay.
    again = client.post("/api/v1/incidents", headers=_keyed(kz, "old"), json=incident())
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert _count(IncidentRow) == 3


def test_a_process_prunes_at_most_once_a_minute(csto_db: str) -> None:
    with db.write_session() as s:
        cursor, dialect = driver_of(s)
        at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
        assert keys.prune(cursor, dialect, at, force=True)
        assert not keys.prune(cursor, dialect, at)  # too soon
