"""Accounts against a real database: tokens, lockout, clearance from the registry, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core import clock, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.auth.tables import AuditRow, SignInThrottleRow, TokenRow, UserRow
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound
from collsec.documents import service as documents
from collsec.documents.tables import DocumentRow
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

PASSWORD = "correct-horse-battery"
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def client(auth_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    with TestClient(create_app()) as c:
        yield c


def _document_id(level: str) -> int:
    with db.read_session() as s:
        found = s.execute(select(DocumentRow.id).where(DocumentRow.visibility == level)
                          .order_by(DocumentRow.id)).scalars().first()
    assert found is not None, f"the CSTO default has no {level} document"
    return found


def _audit(**where: str) -> list[AuditRow]:
    with db.read_session() as s:
        stmt = select(AuditRow)
        for col, value in where.items():
            stmt = stmt.where(getattr(AuditRow, col) == value)
        return list(s.execute(stmt.order_by(AuditRow.id)).scalars())


def _counts() -> tuple[int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(UserRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


# -- tokens --------------------------------------------------------------------------

def test_a_new_token_identifies_its_user(client: TestClient) -> None:
    token = make_user("tok-works", "delegation:KZ", ["viewer"])
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200
    assert r.json()["username"] == "tok-works"
    assert r.json()["principal"] == "delegation:KZ"


def test_a_revoked_token_is_refused_on_the_next_call(client: TestClient) -> None:
    token = make_user("tok-revoked", "delegation:KZ", ["viewer"])
    tokens = client.get("/api/v1/me/tokens", headers=bearer(token)).json()["tokens"]
    assert len(tokens) == 1
    r = client.delete(f"/api/v1/me/tokens/{tokens[0]['id']}", headers=bearer(token))
    assert r.status_code == 200 and r.json()["revoked"] is True
    refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_an_expired_token_is_refused(client: TestClient) -> None:
    make_user("tok-expired", "delegation:KZ", ["viewer"])
    earlier = clock.now() - dt.timedelta(days=2)
    with db.write_session() as s:
        _, token = auth.create_token(s, *auth.installer(), username="tok-expired", name="old",
                                     now=earlier, expires=earlier + dt.timedelta(days=1))
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_a_disabled_users_token_is_refused(client: TestClient) -> None:
    token = make_user("tok-disabled", "delegation:KZ", ["viewer"])
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with db.write_session() as s:
        auth.disable_user(s, *auth.installer(), username="tok-disabled")
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401
    assert "disabled" in r.json()["detail"]


def test_an_unknown_token_and_a_wrong_scheme_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/me", headers=bearer("csk_not-a-token")).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_only_the_tokens_digest_is_stored(auth_db: str) -> None:
    token = make_user("tok-digest", "delegation:KZ", ["viewer"])
    with db.read_session() as s:
        rows = list(s.execute(select(TokenRow)).scalars())
    assert all(token not in (r.digest, r.prefix) for r in rows)
    assert any(r.prefix == token[:10] for r in rows)


# -- lockout -------------------------------------------------------------------------

def _login(password: str, now: dt.datetime, username: str = "lock-me") -> auth.LoginResult:
    with db.write_session() as s:
        return auth.login(s, username=username, password=password, now=now, via="web")


def test_repeated_wrong_passwords_hold_back_the_address_until_the_time_runs_out(
        auth_db: str) -> None:
    make_user("lock-me", "delegation:KZ", ["viewer"], password=PASSWORD)
    for _ in range(10):
        assert _login("wrong-password", NOW).user is None
    kinds = [a.kind for a in _audit(username="lock-me")]
    assert "sign_in_held_back" in kinds
    assert kinds.count("login_failed") == auth.policy_data()["lockout"]["after_failures"]

    refused = _login(PASSWORD, NOW)
    assert refused.user is None and refused.throttled
    assert _audit(username="lock-me")[-1].kind == "login_held_back"

    later = NOW + dt.timedelta(seconds=auth.policy_data()["lockout"]["max_lock_seconds"] + 1)
    accepted = _login(PASSWORD, later)
    assert accepted.user is not None and accepted.user.username == "lock-me"
    assert _audit(username="lock-me")[-1].kind == "login"
    with db.read_session() as s:  # a right password from that address starts it afresh
        assert s.get(SignInThrottleRow, "name:lock-me|local") is None


def test_an_unknown_user_is_refused_in_the_same_words_and_audited(auth_db: str) -> None:
    result = _login(PASSWORD, NOW, username="nobody-here")
    assert result.user is None and result.error == "wrong user name or password"
    assert [a.kind for a in _audit(username="nobody-here")] == ["login_failed"]


# -- clearance from the registry -----------------------------------------------------

def _clearance(username: str, day: dt.date) -> Clearance:
    with db.read_session() as s:
        return auth.clearance(s, auth.actor_for(auth.get_user(s, username), "cli"), day, "CSTO")


def _user_state(username: str) -> tuple[str, str, bool]:
    with db.read_session() as s:
        row = auth.get_user(s, username)
        return row.principal, row.roles, row.disabled


def test_uzbekistan_reads_members_material_before_its_suspension_and_only_public_after(
        auth_db: str) -> None:
    make_user("uz-rep", "delegation:UZ", ["representative"])
    before = _user_state("uz-rep"), _counts()
    c2011 = _clearance("uz-rep", dt.date(2011, 6, 1))
    c2013 = _clearance("uz-rep", dt.date(2013, 1, 1))
    assert (_user_state("uz-rep"), _counts()) == before  # no account was edited
    assert c2011.levels == {"public", "observers", "partners", "members"}
    assert "member" in c2011.reason
    assert c2013.levels == {"public"}
    assert "participation_suspended" in c2013.reason

    members_doc = _document_id("members")
    with db.read_session() as s:
        assert members_doc in {d.id for d in _list(s, c2011)}
        assert members_doc not in {d.id for d in _list(s, c2013)}
        assert {d.visibility for d in _list(s, c2013)} == {"public"}


def _list(s: Session, c: Clearance) -> list[DocumentRow]:
    return documents.list_documents(s, c)


@pytest.mark.parametrize("today,status", [("2011-06-01", 200), ("2013-01-01", 404)])
def test_uzbekistans_api_reads_follow_the_registry_on_the_day(
        auth_db: str, monkeypatch: pytest.MonkeyPatch, today: str, status: int) -> None:
    token = make_user(f"uz-api-{today}", "delegation:UZ", ["viewer"])
    monkeypatch.setenv("COLLSEC_TODAY", today)
    with TestClient(create_app()) as c:
        r = c.get(f"/api/v1/documents/{_document_id('members')}", headers=bearer(token))
    assert r.status_code == status
    if status == 404:  # what a missing document answers; the audit keeps the reason
        assert r.json()["detail"] == f"unknown document {_document_id('members')}"
        refusal = _audit(username=f"uz-api-{today}", kind="read_refused")[-1]
        assert "participation_suspended" in refusal.detail


def test_armenia_with_participation_frozen_still_reads_members_material(
        client: TestClient) -> None:
    token = make_user("am-rep", "delegation:AM", ["representative"])
    c = _clearance("am-rep", dt.date(2025, 6, 1))
    assert "participation_frozen" in c.reason
    assert "members" in c.levels
    r = client.get(f"/api/v1/documents/{_document_id('members')}", headers=bearer(token))
    assert r.status_code == 200


def test_a_delegation_without_any_status_reads_only_public(auth_db: str) -> None:
    make_user("cn-viewer", "delegation:CN", ["viewer"])
    c = _clearance("cn-viewer", dt.date(2025, 6, 1))
    assert c.levels == {"public"} and "no status" in c.reason


# -- audit ---------------------------------------------------------------------------

def test_a_read_of_a_non_public_document_is_audited(client: TestClient) -> None:
    token = make_user("audit-kz", "delegation:KZ", ["viewer"])
    doc = _document_id("members")
    assert client.get(f"/api/v1/documents/{doc}", headers=bearer(token)).status_code == 200
    rows = _audit(username="audit-kz", kind="read")
    assert len(rows) == 1
    row = rows[0]
    assert (row.via, row.object_type, row.object_id, row.principal) == (
        "api", "document", str(doc), "delegation:KZ")
    assert "members" in row.detail


def test_a_read_of_a_public_document_is_not_audited(client: TestClient) -> None:
    token = make_user("audit-public", "delegation:KZ", ["viewer"])
    doc = _document_id("public")
    assert client.get(f"/api/v1/documents/{doc}", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/v1/documents/{doc}").status_code == 200
    assert _audit(object_type="document", object_id=str(doc)) == []
    assert _audit(username="audit-public", kind="read") == []


def test_a_refused_read_is_not_recorded_as_a_read(client: TestClient) -> None:
    token = make_user("audit-refused", "delegation:UZ", ["viewer"])
    doc = _document_id("members")
    assert client.get(f"/api/v1/documents/{doc}", headers=bearer(token)).status_code == 404
    assert _audit(username="audit-refused", kind="read") == []


# -- bad input to add_user -----------------------------------------------------------

@pytest.mark.parametrize("username,principal,roles,password,error,words", [
    ("new-user", "delegation:XX", ["viewer"], PASSWORD, NotFound, "unknown state"),
    ("new-user", "organ:NOPE", ["viewer"], PASSWORD, NotFound, "unknown body"),
    ("new-user", "external:NOPE", ["viewer"], PASSWORD, NotFound, "unknown organization"),
    ("new-user", "state:KZ", ["viewer"], PASSWORD, InvalidInput, "not a principal"),
    ("new-user", "delegation:KZ", ["overlord"], PASSWORD, InvalidInput, "unknown role"),
    ("new-user", "delegation:KZ", [], PASSWORD, InvalidInput, "at least one role"),
    ("new-user", "delegation:KZ", ["viewer"], "short", InvalidInput, "at least 10"),
    ("x", "delegation:KZ", ["viewer"], PASSWORD, InvalidInput, "user name"),
    ("dup-user", "delegation:KZ", ["viewer"], PASSWORD, Conflict, "already exists"),
    ("DUP-User", "delegation:KZ", ["viewer"], PASSWORD, Conflict, "already exists"),
])
def test_bad_input_to_add_user_is_refused_in_words_and_writes_nothing(
        auth_db: str, username: str, principal: str, roles: list[str], password: str,
        error: type[CollsecError], words: str) -> None:
    with db.read_session() as s:
        exists = s.execute(select(UserRow.id).where(UserRow.username == "dup-user")).first()
    if exists is None:
        make_user("dup-user", "delegation:BY", ["viewer"])
    before = _counts()
    with pytest.raises(error, match=f"(?i){words}"), db.write_session() as s:
        auth.add_user(s, *auth.installer(), username=username, principal=principal, roles=roles,
                      now=NOW, password=password)
    assert _counts() == before
    with db.read_session() as s:
        assert s.execute(select(UserRow).where(UserRow.username == "new-user")).first() is None


# -- who manages accounts --------------------------------------------------------------

def _as(username: str) -> tuple[Clearance, auth.Actor]:
    with db.read_session() as s:
        actor = auth.actor_for(auth.get_user(s, username), "cli")
        return auth.clearance(s, actor, NOW.date(), "CSTO"), actor


def test_only_a_manager_of_users_adds_or_disables_one(auth_db: str) -> None:
    for name, roles in (("acct-rep", ["representative"]), ("acct-admin", ["admin"])):
        with db.read_session() as s:
            known = s.execute(select(UserRow.id).where(UserRow.username == name)).first()
        if known is None:
            make_user(name, "delegation:KZ" if name == "acct-rep" else "organ:SEC", roles)
    rep, admin = _as("acct-rep"), _as("acct-admin")
    before = _counts()
    with pytest.raises(auth.NotEntitled, match="acct-rep may not manage users"), \
            db.write_session() as s:
        auth.add_user(s, *rep, username="acct-new", principal="delegation:KZ",
                      roles=["admin"], now=NOW)
    with pytest.raises(auth.NotEntitled, match="may not manage users"), db.write_session() as s:
        auth.disable_user(s, *rep, username="acct-admin")
    assert _counts() == before
    with db.write_session() as s:
        auth.add_user(s, *admin, username="acct-new", principal="delegation:KZ",
                      roles=["viewer"], now=NOW)
        auth.disable_user(s, *admin, username="acct-new")
    with db.read_session() as s:
        entry = journal.entries(s, limit=1)[0]  # one entry for the transaction's two steps
        assert (entry.command, entry.actor) == ("auth.add_user", "cli:acct-admin")
        assert auth.get_user(s, "acct-new").disabled


def test_ones_own_tokens_and_password_are_ones_own_to_manage(auth_db: str) -> None:
    for name in ("acct-own", "acct-other"):
        with db.read_session() as s:
            known = s.execute(select(UserRow.id).where(UserRow.username == name)).first()
        if known is None:
            make_user(name, "delegation:BY", ["viewer"])
    own = _as("acct-own")
    with db.write_session() as s:
        row, _ = auth.create_token(s, *own, username="acct-own", name="mine", now=NOW)
        auth.revoke_token(s, *own, token_id=row.id, now=NOW)
        auth.set_password(s, *own, username="acct-own",
                          password="another-horse-battery")
    before = _counts()
    with db.read_session() as s:
        theirs = auth.list_tokens(s, "acct-other")[0].id  # make_user gave it one
    for attempt in (
            lambda s: auth.create_token(s, *own, username="acct-other", name="x", now=NOW),
            lambda s: auth.revoke_token(s, *own, token_id=theirs, now=NOW),
            lambda s: auth.set_password(s, *own, username="acct-other",
                                        password="a-stolen-horse-battery")):
        with pytest.raises(auth.NotEntitled, match="may not manage users"), \
                db.write_session() as s:
            attempt(s)
    assert _counts() == before


# -- releases ------------------------------------------------------------------------

def test_a_release_is_stored_under_the_principals_canonical_key(client: TestClient) -> None:
    editor = make_user("rel-editor", "organ:SEC", ["editor"])
    kz = make_user("rel-kz", "delegation:KZ", ["viewer"])
    r = client.post("/api/v1/documents", headers=bearer(editor), json={
        "kind": "report", "date": "2025-05-01", "title_en": "Lower-case release",
        "visibility": "restricted", "released_to": ["delegation:kz", "delegation:KZ"]})
    assert r.status_code == 201, r.text
    doc = r.json()["id"]
    with db.read_session() as s:
        mark = auth.marking(s, "document", s.get(DocumentRow, doc))
    assert mark.released_to == {"delegation:KZ"}
    assert client.get(f"/api/v1/documents/{doc}", headers=bearer(kz)).status_code == 200


@pytest.mark.parametrize("released_to", [["bogus"], ["organ:"], ["state:KZ"],
                                         ["delegation:" + "K" * 80]])
def test_a_malformed_release_is_refused_with_422_and_writes_nothing(
        client: TestClient, released_to: list[str]) -> None:
    editor = make_user(f"rel-bad-{len(released_to[0])}-{released_to[0][:3]}", "organ:SEC",
                       ["editor"])
    with db.read_session() as s:
        before = s.scalar(select(func.count()).select_from(DocumentRow)), _counts()
    r = client.post("/api/v1/documents", headers=bearer(editor), json={
        "kind": "report", "date": "2025-05-01", "title_en": "Bad release",
        "visibility": "restricted", "released_to": released_to})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    with db.read_session() as s:
        assert (s.scalar(select(func.count()).select_from(DocumentRow)), _counts()) == before


@pytest.mark.parametrize("password,words", [
    ("aaaaaaaaaa", "too easy to guess"), ("password123", "too easy to guess"),
    ("1234567890", "too easy to guess"), ("qwertyuiop12", "too easy to guess"),
    ("pw-strong-check", "too easy to guess"),  # the user's own name, as the password
    ("short", "at least 10"), ("x" * 1025, "at most 1024"),
])
def test_a_weak_password_is_refused_in_words_and_changes_nothing(
        auth_db: str, password: str, words: str) -> None:
    before = _counts()
    with pytest.raises(InvalidInput, match=words), db.write_session() as s:
        auth.add_user(s, *auth.installer(), username="pw-strong-check",
                      principal="delegation:KZ", roles=["viewer"], now=NOW, password=password)
    assert _counts() == before


def test_a_long_unusual_password_is_taken(auth_db: str) -> None:
    with db.write_session() as s:
        user, _ = auth.add_user(s, *auth.installer(), username="pw-strong-ok",
                                principal="delegation:KZ", roles=["viewer"], now=NOW,
                                password="copper-lantern-orbit-47")
    assert user.username == "pw-strong-ok"
