"""The accounts page of those who manage users: what `collsec users` does, from a browser,
each post one command behind the session's CSRF token, and nobody else let in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db
from collsec.core.auth.tables import TokenRow, UserRow
from collsec.core.journal import JournalEntry
from tests.accounts.test_views import client, form_token, sign_in  # noqa: F401
from tests.conftest import bearer, make_user


def _user(name: str) -> UserRow:
    with db.read_session() as s:
        return s.execute(select(UserRow).where(UserRow.username == name)).scalar_one()


def _entries() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


@pytest.fixture
def admin(client: TestClient) -> str:  # noqa: F811
    make_user("root", "organ:SEC", ["admin"])
    assert sign_in(client, "root").status_code == 303
    return form_token(client.get("/admin/users").text)


def test_only_those_who_manage_users_reach_the_page(client: TestClient) -> None:  # noqa: F811
    assert client.get("/admin/users").status_code == 401
    make_user("kz-viewer", "delegation:KZ", ["viewer"])
    sign_in(client, "kz-viewer")
    assert client.get("/admin/users").status_code == 403
    token = form_token(client.get("/account").text)
    before = _entries()
    refused = client.post("/admin/users/kz-viewer/delete",
                          data={"confirm": "kz-viewer", "csrf_token": token})
    assert refused.status_code == 403 and _entries() == before
    assert "/admin/users" not in client.get("/").text  # no link for them


def test_an_admin_adds_an_account_and_its_one_time_password_is_shown_once(
        client: TestClient, admin: str) -> None:  # noqa: F811
    assert 'href="/admin/users"' in client.get("/").text
    r = client.post("/admin/users", data={"username": "tj-duty", "display_name": "T. J.",
                                          "principal": "delegation:TJ",
                                          "role": ["duty_officer", "viewer"],
                                          "csrf_token": admin})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'id="secret"[^>]*value="([^"]+)"', r.text)
    assert secret is not None
    row = _user("tj-duty")
    assert (row.principal, row.roles, row.must_change_password) == (
        "delegation:TJ", "viewer duty_officer", True)
    assert secret.group(1) not in client.get("/admin/users").text
    bad = client.post("/admin/users", data={"username": "x y", "principal": "delegation:TJ",
                                            "role": ["viewer"], "csrf_token": admin})
    assert bad.status_code == 400 and "user name" in bad.text
    assert 'value="x y"' in bad.text  # the form comes back as typed


def test_an_admin_disables_enables_sets_roles_resets_and_deletes(
        client: TestClient, admin: str) -> None:  # noqa: F811
    token = make_user("kg-duty", "delegation:KG", ["duty_officer"])
    me = bearer(token)

    def post(action: str, **data: object) -> int:
        r = client.post(f"/admin/users/kg-duty/{action}", data={**data, "csrf_token": admin},
                        follow_redirects=False)
        return r.status_code

    assert post("disable") == 303 and client.get("/api/v1/me", headers=me).status_code == 401
    assert post("disable") == 409  # said again: refused, in words
    assert post("enable") == 303 and client.get("/api/v1/me", headers=me).status_code == 200
    assert post("roles", role=["analyst"]) == 303
    assert client.get("/api/v1/me", headers=me).json()["roles"] == ["analyst"]
    assert post("roles", role=["emperor"]) == 400 and _user("kg-duty").roles == "analyst"
    reset = client.post("/admin/users/kg-duty/reset-password", data={"csrf_token": admin})
    assert reset.status_code == 200 and 'id="secret"' in reset.text
    assert client.get("/api/v1/me", headers=me).status_code == 403  # until it is changed
    before = _entries()
    assert post("delete", confirm="kg-dut") == 400 and _entries() == before  # mistyped
    assert post("delete", confirm="kg-duty") == 303
    gone = _user("kg-duty")
    assert gone.deleted_at is not None and gone.roles == ""
    with db.read_session() as s:
        assert all(t.revoked_at is not None for t in s.scalars(
            select(TokenRow).where(TokenRow.user_id == gone.id)))
    assert post("enable") == 409


def test_a_post_without_the_sessions_token_changes_nothing(
        client: TestClient, admin: str) -> None:  # noqa: F811
    make_user("am-duty", "delegation:AM", ["duty_officer"])
    before = _entries()
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post("/admin/users/am-duty/disable", data=data)
        assert r.status_code == 403
    assert _entries() == before and not _user("am-duty").disabled


def test_an_admin_does_not_delete_or_disable_itself_from_the_page(
        client: TestClient, admin: str) -> None:  # noqa: F811
    page = client.get("/admin/users").text
    row = re.search(r'<tr[^>]*data-user="root".*?</tr>', page, re.S)
    assert row is not None and "/admin/users/root/" not in row.group(0)
    r = client.post("/admin/users/root/delete", data={"confirm": "root", "csrf_token": admin})
    assert r.status_code == 409 and _user("root").deleted_at is None
