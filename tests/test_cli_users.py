"""Accounts from the command line: users, tokens, the first admin, the audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth.tables import UserRow
from collsec.web.app import create_app

COLLSEC = str(Path(sys.executable).parent / "collsec")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)


# A password chosen by the operator: an account with a generated one-time password may do
# nothing, tokens included, until it is changed (web/access.py).
TOOL_PASSWORD = "a-tool-account-password-7\n"


def test_a_generated_password_holds_back_the_accounts_tokens(csto_db: str) -> None:
    run("users", "add", "kz-once", "--principal", "delegation:KZ", "--role", "viewer")
    token = run("users", "token", "kz-once").stdout.strip().splitlines()[-1]
    r = TestClient(create_app()).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "one-time password" in r.json()["detail"]
    listed = run("users", "list", "--json")
    assert any(u["username"] == "kz-once" and u["must_change_password"]
               for u in json.loads(listed.stdout))


def _counts() -> tuple[int, int]:
    with db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(UserRow)) or 0,
                s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0)


def test_setup_creates_one_admin_with_a_one_time_password_and_the_operator(
        empty_db: str) -> None:
    first = run("db", "setup")
    assert first.returncode == 0, first.stderr
    assert "one-time password" in first.stderr
    assert "operator account 'operator'" in first.stderr
    password = first.stderr.split("one-time password", 1)[1].split()[0]
    assert len(password) >= 12
    again = run("db", "setup")
    assert "one-time password" not in again.stderr
    users = json.loads(run("users", "list", "--json").stdout)
    # the operator acts for the Secretariat in the command line; its password is never shown
    assert [(u["username"], u["principal"]) for u in users] == [("admin", "organ:SEC"),
                                                                 ("operator", "organ:SEC")]


def test_the_command_line_acts_as_the_user_it_is_told_to(csto_db: str) -> None:
    """--as USER (or COLLSEC_USER): the journal names that user, and its role is checked."""
    assert run("users", "add", "kz-rep", "--principal", "delegation:KZ", "--role",
               "representative").returncode == 0
    refused = run("--as", "kz-rep", "session", "convene", "--body", "CSC", "--date",
                  "2025-05-01")
    assert refused.returncode == 2 and "may not manage sessions" in refused.stderr
    unknown = run("--as", "nobody", "session", "convene", "--body", "CSC", "--date", "2025-05-01")
    assert unknown.returncode == 2 and "unknown user 'nobody'" in unknown.stderr
    done = run("session", "convene", "--body", "CSC", "--date", "2025-05-01")
    assert done.returncode == 0, done.stderr
    with db.read_session() as s:
        assert journal.entries(s, limit=1)[0].actor == "cli:operator"


def test_a_token_revoked_in_the_cli_stops_working_on_the_next_request(csto_db: str) -> None:
    assert run("users", "add", "kz-analyst", "--principal", "delegation:KZ", "--role",
               "analyst", "--password-stdin", stdin=TOOL_PASSWORD).returncode == 0
    created = run("users", "token", "kz-analyst", "--name", "laptop")
    token = created.stdout.strip().splitlines()[-1]
    client = TestClient(create_app())
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["principal"] == "delegation:KZ"
    token_id = created.stdout.split("token ", 1)[1].split()[0]
    assert run("users", "token", "kz-analyst", "--revoke", token_id).returncode == 0
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_password_from_stdin_is_used_and_not_printed(csto_db: str) -> None:
    result = run("users", "add", "by-rep", "--principal", "delegation:BY", "--role",
                 "representative", "--password-stdin", stdin="a-long-password-9\n")
    assert result.returncode == 0 and "a-long-password-9" not in result.stdout
    assert "one-time password" not in result.stdout


@pytest.mark.parametrize("args,needle", [
    (("users", "add", "someone", "--principal", "delegation:XX", "--role", "viewer"),
     "unknown state code"),
    (("users", "add", "someone", "--principal", "nation:KZ", "--role", "viewer"),
     "not a principal"),
    (("users", "add", "someone", "--principal", "delegation:KZ", "--role", "king"),
     "unknown role"),
    (("users", "add", "someone", "--principal", "organ:NOPE", "--role", "viewer"),
     "unknown body"),
    (("users", "add", "S P A C E", "--principal", "delegation:KZ", "--role", "viewer"),
     "user name"),
    (("users", "disable", "nobody"), "unknown user"),
    (("users", "token", "nobody"), "unknown user"),
    (("audit", "--since", "2024-13-01"), "not a valid date"),
])
def test_bad_account_input_exits_2_and_changes_nothing(csto_db: str, args: tuple,
                                                       needle: str) -> None:
    before = _counts()
    result = run(*args)
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _counts() == before


def test_disabling_a_user_stops_its_tokens(csto_db: str) -> None:
    run("users", "add", "tj-viewer", "--principal", "delegation:TJ", "--role", "viewer")
    token = run("users", "token", "tj-viewer").stdout.strip().splitlines()[-1]
    assert run("users", "disable", "tj-viewer").returncode == 0
    client = TestClient(create_app())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_the_audit_lists_reads_of_members_documents(csto_db: str) -> None:
    run("users", "add", "kz-viewer", "--principal", "delegation:KZ", "--role", "viewer",
        "--password-stdin", stdin=TOOL_PASSWORD)
    token = run("users", "token", "kz-viewer").stdout.strip().splitlines()[-1]
    client = TestClient(create_app())
    headers = {"Authorization": f"Bearer {token}"}
    docs = client.get("/api/v1/documents", headers=headers).json()["documents"]
    members_doc = next(d for d in docs if d["visibility"] == "members")
    assert client.get(f"/api/v1/documents/{members_doc['id']}", headers=headers
                      ).status_code == 200
    audit = run("audit", "--object", f"document:{members_doc['id']}", "--json")
    assert audit.returncode == 0
    assert '"kz-viewer"' in audit.stdout and '"api"' in audit.stdout


def test_an_operator_enables_resets_and_changes_roles_of_a_user(csto_db: str) -> None:
    run("users", "add", "kg-viewer", "--principal", "delegation:KG", "--role", "viewer",
        "--password-stdin", stdin=TOOL_PASSWORD)
    token = run("users", "token", "kg-viewer").stdout.strip().splitlines()[-1]
    client = TestClient(create_app())
    me = {"Authorization": f"Bearer {token}"}
    assert run("users", "disable", "kg-viewer").returncode == 0
    assert client.get("/api/v1/me", headers=me).status_code == 401
    assert run("users", "enable", "kg-viewer").returncode == 0
    assert client.get("/api/v1/me", headers=me).json()["roles"] == ["viewer"]
    again = run("users", "enable", "kg-viewer")
    assert again.returncode == 2 and again.stderr.startswith("error:")

    assert run("users", "set-role", "kg-viewer", "--role", "analyst").returncode == 0
    assert client.get("/api/v1/me", headers=me).json()["roles"] == ["analyst"]
    bad = run("users", "set-role", "kg-viewer", "--role", "emperor")
    assert bad.returncode == 2 and "unknown role" in bad.stderr

    reset = run("users", "reset-password", "kg-viewer")
    assert reset.returncode == 0 and "one-time password for kg-viewer:" in reset.stdout
    assert client.get("/api/v1/me", headers=me).status_code == 403  # until it is changed
    missing = run("users", "reset-password", "nobody-at-all")
    assert missing.returncode == 2 and "unknown user" in missing.stderr


def test_a_deleted_user_is_erased_but_for_its_name_and_never_comes_back(csto_db: str) -> None:
    run("users", "add", "am-viewer", "--principal", "delegation:AM", "--role", "viewer",
        "--name", "Anna M.", "--password-stdin", stdin=TOOL_PASSWORD)
    token = run("users", "token", "am-viewer").stdout.strip().splitlines()[-1]
    client = TestClient(create_app())
    me = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=me).status_code == 200
    asked = run("users", "delete", "am-viewer", stdin="n\n")  # asked, and said no
    assert asked.returncode == 1 and client.get("/api/v1/me", headers=me).status_code == 200
    assert run("users", "delete", "am-viewer", "--yes").returncode == 0
    assert client.get("/api/v1/me", headers=me).status_code == 401
    with db.read_session() as s:
        row = s.execute(select(UserRow).where(UserRow.username == "am-viewer")).scalar_one()
        assert (row.roles, row.display_name, row.disabled) == ("", "", True)
    listed = json.loads(run("users", "list", "--json").stdout)
    assert next(u for u in listed if u["username"] == "am-viewer")["deleted"] is True
    client.post("/login", data={"username": "am-viewer", "password": TOOL_PASSWORD.strip()})
    assert client.get("/api/v1/me").status_code == 401  # the old password signs in nobody
    for args in (("enable", "am-viewer"), ("reset-password", "am-viewer"),
                 ("delete", "am-viewer", "--yes"), ("token", "am-viewer"),
                 ("set-role", "am-viewer", "--role", "viewer")):
        refused = run("users", *args)
        assert refused.returncode == 2 and "was deleted" in refused.stderr, args
    taken = run("users", "add", "am-viewer", "--principal", "delegation:AM", "--role",
                "viewer")
    assert taken.returncode == 2 and "already exists" in taken.stderr
