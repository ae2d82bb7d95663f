"""The account and document pages, in process: sign-in, CSRF, lockout, tokens, the
clearance following the registry's date, the audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract
from sqlalchemy import select

from collsec.accounts import views as accounts_views
from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.auth.tables import AuditRow, SignInThrottleRow, TokenRow, UserRow
from collsec.core.journal import JournalEntry
from collsec.documents.tables import DocumentRow
from collsec.registry import views as registry_views
from collsec.web.access import PRE_CSRF_COOKIE, SESSION_COOKIE, Requires
from collsec.web.app import create_app
from collsec.web.render import LANG_COOKIE
from tests.conftest import bearer, make_user

PASSWORD = "correct-horse-battery"
TODAY = "2025-06-01"
ADMIN_VIEW = Clearance("organ:SEC", "test", frozenset({"public"}), frozenset({"read_audit"}))


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A fresh database per test (sign-ins write), today pinned."""
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD,
            next_path: str = "/") -> httpx.Response:
    token = form_token(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": next_path},
                       follow_redirects=False)


def audit_rows(*, object_type: str | None = None, object_id: str | None = None,
               username: str | None = None, kind: str | None = None) -> list[AuditRow]:
    with db.read_session() as s:
        return auth.audit_entries(s, ADMIN_VIEW, object_type=object_type,
                                  object_id=object_id, username=username, kind=kind)


def user_row(name: str) -> UserRow:
    with db.read_session() as s:
        return auth.get_user(s, name)


def doc_id(visibility: str) -> int:
    with db.read_session() as s:
        found = s.execute(select(DocumentRow.id).where(DocumentRow.visibility == visibility)
                          .order_by(DocumentRow.id)).scalars().first()
    assert found is not None
    return found


# -- sign-in --------------------------------------------------------------------------

def test_sign_in_sets_an_httponly_samesite_session_cookie(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    page = client.get("/login")
    assert page.status_code == 200
    pre = page.headers["set-cookie"].lower()
    assert f"{PRE_CSRF_COOKIE}=" in pre and "httponly" in pre and "samesite=strict" in pre
    assert client.cookies.get(PRE_CSRF_COOKIE) == form_token(page.text)

    response = sign_in(client, "kz.rep", next_path="/documents")
    assert response.status_code == 303
    assert response.headers["location"] == "/documents"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(f"{SESSION_COOKIE}=")).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=43200" in cookie and "secure" not in cookie  # plain http in tests

    account = client.get("/account")
    assert account.status_code == 200
    assert "kz.rep" in account.text and "delegation:KZ" in account.text
    assert "representative" in account.text
    assert "Kazakhstan is Member in CSTO on 2025-06-01" in account.text  # what it reads, why
    header = account.text.split("</header>", 1)[0]
    assert "Signed in as kz.rep" in header and 'action="/logout"' in header
    assert [e.kind for e in audit_rows(username="kz.rep")] == ["login"]
    assert audit_rows(username="kz.rep")[0].via == "web"


def test_wrong_password_rerenders_the_form_with_401(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    response = sign_in(client, "kz.rep", password="not-the-password")
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/account", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "/logout"])
def test_sign_in_only_returns_to_local_pages(client: TestClient, target: str) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    response = sign_in(client, "kz.rep", next_path=target)
    assert response.headers["location"] == "/"


def test_signed_in_pages_send_an_anonymous_visitor_to_the_sign_in_form(
        client: TestClient) -> None:
    for path in ("/account", "/account/password"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path.replace('/', '%2F')}"
    assert "Sign in" in client.get("/").text.split("</header>", 1)[0]


def test_sign_out_ends_the_session(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    sign_in(client, "kz.rep")
    old_cookie = client.cookies.get(SESSION_COOKIE)
    token = form_token(client.get("/").text)  # the header's sign-out form
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, old_cookie or "")  # a replayed cookie is dead
    assert client.get("/account", follow_redirects=False).status_code == 303


# -- CSRF -------------------------------------------------------------------------------

def test_posts_without_or_with_a_wrong_csrf_token_are_refused_and_change_nothing(
        client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    client.get("/login")  # the pre-sign-in cookie is set, but the form's twin is missing
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/login", data={"username": "kz.rep", "password": PASSWORD,
                                               **data}, follow_redirects=False)
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
        assert SESSION_COOKIE not in client.cookies
    assert audit_rows(username="kz.rep") == []  # not even an attempt was recorded

    sign_in(client, "kz.rep")
    before = [(t.id, t.revoked_at) for t in _tokens("kz.rep")]
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post("/account/tokens", data={"name": "x", **data}).status_code == 403
        assert client.post(f"/account/tokens/{before[0][0]}/revoke",
                           data=data).status_code == 403
        assert client.post("/account/password", data={
            "current": PASSWORD, "new": "another-long-pass", "again": "another-long-pass",
            **data}).status_code == 403
        assert client.post("/logout", data=data, follow_redirects=False).status_code == 403
    assert [(t.id, t.revoked_at) for t in _tokens("kz.rep")] == before
    assert sign_in(TestClient(create_app()), "kz.rep").status_code == 303
    assert client.get("/account").status_code == 200  # still signed in


def _tokens(name: str) -> list[TokenRow]:
    with db.read_session() as s:
        return auth.list_tokens(s, name)


# -- lockout ----------------------------------------------------------------------------

def test_ten_wrong_passwords_hold_back_that_address_and_the_audit_shows_it(
        client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    after = auth.policy_data()["lockout"]["after_failures"]
    assert after < 10
    statuses = [sign_in(client, "kz.rep", password=f"wrong-{i}").status_code
                for i in range(10)]
    assert statuses == [401] * after + [429] * (10 - after)
    refused = sign_in(client, "kz.rep")  # the right password, while held back
    assert refused.status_code == 429
    assert "too many failed sign-ins from this address" in refused.text
    assert SESSION_COOKIE not in client.cookies

    kinds = [e.kind for e in reversed(audit_rows(username="kz.rep"))]
    assert kinds.count("login_failed") == after
    assert kinds.count("sign_in_held_back") == 1
    assert kinds.count("login_held_back") == 10 - after + 1
    assert "login" not in kinds
    assert all(e.via == "web" for e in audit_rows(username="kz.rep"))

    client.cookies.set(LANG_COOKIE, "ru")  # the refusal is translated like any other
    assert "слишком много неудачных попыток входа" in sign_in(client, "kz.rep").text

    # Somebody guessing elsewhere locks nobody out: the owner signs in from its own address.
    with TestClient(create_app(), client=("10.20.30.40", 50000)) as elsewhere:
        assert sign_in(elsewhere, "kz.rep").status_code == 303


def test_an_unknown_name_is_held_back_exactly_like_a_known_one(client: TestClient) -> None:
    make_user("kz.known", "delegation:KZ", ["representative"])
    answers = {}
    for name in ("kz.known", "kz.nobody"):
        with TestClient(create_app(), client=(f"10.0.0.{len(answers) + 1}", 1)) as c:
            tries = [sign_in(c, name, password=f"wrong-{i}") for i in range(7)]
            answers[name] = [(r.status_code, re.sub(r"\d\d:\d\d:\d\d", "T", re.findall(
                r'class="form-error"[^>]*>([^<]*)<', r.text)[0])) for r in tries]
    assert answers["kz.known"] == answers["kz.nobody"]
    assert [status for status, _ in answers["kz.nobody"]][-1] == 429


def test_a_password_spray_from_one_address_is_held_back_across_names(
        client: TestClient) -> None:
    limit = auth.policy_data()["lockout"]["address_after_failures"]
    statuses = [sign_in(client, f"name-{i}", password="Winter2025!").status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429


# -- passwords --------------------------------------------------------------------------

def test_a_user_who_must_change_the_password_is_sent_to_change_it(
        client: TestClient) -> None:
    with db.write_session() as s:
        auth.add_user(s, *auth.installer(), username="kz.new", principal="delegation:KZ",
                      roles=["viewer"], now=clock.now(), password=PASSWORD,
                      must_change_password=True)
    response = sign_in(client, "kz.new", next_path="/documents")
    assert response.headers["location"] == "/account/password"
    assert "must be changed" in client.get("/").text  # the banner, on every page

    page = client.get("/account/password")
    token = form_token(page.text)
    wrong = client.post("/account/password", data={
        "current": "not-it-at-all", "new": "a-brand-new-pass", "again": "a-brand-new-pass",
        "csrf_token": token})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    differ = client.post("/account/password", data={
        "current": PASSWORD, "new": "a-brand-new-pass", "again": "another-new-pass",
        "csrf_token": token})
    assert differ.status_code == 400 and "differ" in differ.text
    short = client.post("/account/password", data={
        "current": PASSWORD, "new": "short", "again": "short", "csrf_token": token})
    assert short.status_code == 400 and "at least" in short.text
    assert user_row("kz.new").must_change_password

    done = client.post("/account/password", data={
        "current": PASSWORD, "new": "a-brand-new-pass", "again": "a-brand-new-pass",
        "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account?changed=1"
    assert not user_row("kz.new").must_change_password
    assert "must be changed" not in client.get("/").text
    fresh = TestClient(create_app())
    assert sign_in(fresh, "kz.new").status_code == 401
    assert sign_in(fresh, "kz.new", "a-brand-new-pass").status_code == 303


# -- API tokens -------------------------------------------------------------------------

def test_a_token_made_on_the_account_page_is_shown_once_works_and_can_be_revoked(
        client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    sign_in(client, "kz.rep")
    token = form_token(client.get("/account").text)
    created = client.post("/account/tokens", data={"name": "reporting", "expires": "",
                                                   "csrf_token": token})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(csk_[^"]+)"', created.text)
    assert secret, "the new token is on the page"
    me = TestClient(create_app()).get("/api/v1/me", headers=bearer(secret.group(1)))
    assert me.status_code == 200 and me.json()["username"] == "kz.rep"

    account = client.get("/account").text
    assert secret.group(1) not in account  # shown once
    assert "reporting" in account
    row = next(t for t in _tokens("kz.rep") if t.name == "reporting")
    assert f'action="/account/tokens/{row.id}/revoke"' in account
    revoked = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": token},
                          follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == "/account"
    again = TestClient(create_app()).get("/api/v1/me", headers=bearer(secret.group(1)))
    assert again.status_code == 401


def test_a_token_expiry_in_the_past_is_refused_on_the_page(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    sign_in(client, "kz.rep")
    token = form_token(client.get("/account").text)
    count = len(_tokens("kz.rep"))
    for expires in ("2001-01-01", "2024-13-01"):
        response = client.post("/account/tokens", data={"name": "x", "expires": expires,
                                                        "csrf_token": token})
        assert response.status_code == 400
        assert 'value="csk_' not in response.text  # no token was made
    assert len(_tokens("kz.rep")) == count


def test_nobody_revokes_another_users_token(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    other = make_user("by.rep", "delegation:BY", ["representative"])
    sign_in(client, "kz.rep")
    token = form_token(client.get("/account").text)
    theirs = _tokens("by.rep")[0].id
    response = client.post(f"/account/tokens/{theirs}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert TestClient(create_app()).get("/api/v1/me", headers=bearer(other)).status_code == 200


# -- documents --------------------------------------------------------------------------

def test_uzbek_delegation_reads_members_documents_in_2011_and_not_in_2013(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("uz.rep", "delegation:UZ", ["representative"])
    members_doc = doc_id("members")
    monkeypatch.setenv("COLLSEC_TODAY", "2011-06-01")
    sign_in(client, "uz.rep")
    page = client.get(f"/documents/{members_doc}")
    assert page.status_code == 200
    assert "Members only" in page.text and "marking-members" in page.text
    listed = client.get("/documents").text
    assert f'data-doc="{members_doc}"' in listed

    # No account is edited: only the day changes, and with it Uzbekistan's status.
    monkeypatch.setenv("COLLSEC_TODAY", "2013-01-01")
    refused = client.get(f"/documents/{members_doc}")
    assert refused.status_code == 404  # as a missing document: the audit keeps the reason
    assert "text/html" in refused.headers["content-type"]
    assert "participation_suspended" not in refused.text
    assert "participation_suspended" in audit_rows(
        object_type="document", object_id=str(members_doc), kind="read_refused")[-1].detail
    assert f'data-doc="{members_doc}"' not in client.get("/documents").text

    reads = audit_rows(object_type="document", object_id=str(members_doc), kind="read")
    assert [(e.username, e.principal, e.via) for e in reads] == [
        ("uz.rep", "delegation:UZ", "web")]


def test_anonymous_visitor_sees_only_public_documents(client: TestClient) -> None:
    html = client.get("/documents").text
    markings = re.findall(r'data-marking="(\w+)"', html)
    assert markings and set(markings) == {"public"}
    assert "Plan for developing military cooperation" not in html
    refused = client.get(f"/documents/{doc_id('members')}")
    assert refused.status_code == 404  # as a missing one; a reader it is released to signs in
    assert 'href="/login?next=' in refused.text.split('<main', 1)[1]
    public = client.get(f"/documents/{doc_id('public')}")
    assert public.status_code == 200 and "marking-public" in public.text
    assert audit_rows(object_type="document", kind="read") == []  # public reads: no audit
    refusals = audit_rows(object_type="document", kind="read_refused")
    assert [(e.username, e.object_id, e.via) for e in refusals] == [
        (None, str(doc_id("members")), "web")]  # a refused read leaves a trace


def test_document_list_filters_by_kind_and_text(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    sign_in(client, "kz.rep")
    plans = client.get("/documents", params={"kind": "plan"}).text
    assert set(re.findall(r'data-marking="(\w+)"', plans)) == {"members"}
    found = client.get("/documents", params={"q": "Anti-drug"}).text
    assert len(re.findall(r'class="doc-row"', found)) == 1
    assert client.get("/documents", params={"kind": "nonsense"}).status_code == 400
    assert client.get("/documents/not-a-number").status_code == 404
    assert client.get("/documents/999999").status_code == 404


def test_a_restricted_document_shows_whom_it_is_released_to_and_only_to_them(
        client: TestClient) -> None:
    import datetime as dt

    from collsec.documents import service as documents

    make_user("kz.rep", "delegation:KZ", ["representative"])
    make_user("by.rep", "delegation:BY", ["representative"])
    editor = auth.Actor(None, "sec.editor", auth.Principal.parse("organ:SEC"),
                        frozenset({"editor"}), "cli")
    with db.write_session() as s:
        c = auth.clearance(s, editor, dt.date.fromisoformat(TODAY), "CSTO")
        row = documents.create_document(
            s, c, editor, kind="report", date=dt.date(2025, 3, 1),
            title_en="Situation report on the southern border", title_ru="Доклад",
            visibility="restricted", released_to=["delegation:KZ"])
        restricted = row.id

    sign_in(client, "kz.rep")
    page = client.get(f"/documents/{restricted}")
    assert page.status_code == 200 and "marking-restricted" in page.text
    released = page.text.split("Released to", 1)[1].split("</dd>", 1)[0]
    assert "delegation:KZ" in released and "organ:SEC" not in released
    assert f'data-doc="{restricted}"' in client.get("/documents").text

    sign_in(client, "by.rep")
    refused = client.get(f"/documents/{restricted}")
    assert refused.status_code == 404
    assert f"unknown document {restricted}" in refused.text
    assert "Situation report" not in refused.text
    listed = client.get("/documents", params={"q": "Situation"}).text
    assert f'data-doc="{restricted}"' not in listed


def test_on_https_the_session_cookie_is_secure(csto_db: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    make_user("kz.rep", "delegation:KZ", ["representative"])
    with TestClient(create_app(), base_url="https://testserver") as secure:
        response = sign_in(secure, "kz.rep")
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(f"{SESSION_COOKIE}=")).lower()
    assert "; secure" in cookie and "httponly" in cookie


def test_an_overlong_user_name_is_refused_like_a_wrong_one(client: TestClient) -> None:
    response = sign_in(client, "x" * 200)
    assert response.status_code == 401
    assert "wrong user name or password" in response.text


# -- the audit page ---------------------------------------------------------------------

def test_audit_page_is_for_admins_only(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    make_user("root", "organ:SEC", ["admin"])
    anonymous = client.get("/audit")
    assert anonymous.status_code == 401 and 'href="/login?next=/audit"' in anonymous.text

    sign_in(client, "kz.rep")
    assert 'href="/audit"' not in client.get("/").text  # no link for those refused
    refused = client.get("/audit")
    assert refused.status_code == 403 and "may not read audit" in refused.text
    assert "Signed in as kz.rep" in refused.text  # the error page still knows the visitor

    sign_in(client, "root")
    assert 'href="/audit"' in client.get("/").text
    page = client.get("/audit")
    assert page.status_code == 200
    assert "kz.rep" in page.text and "login" in page.text
    only = client.get("/audit", params={"user": "kz.rep", "kind": "login"}).text
    assert len(re.findall(r'class="audit-row', only)) == 1
    assert client.get("/audit", params={"since": "2024-02-30"}).status_code == 400


# -- declarations and translations -------------------------------------------------------

def test_every_page_route_declares_its_access() -> None:
    pages = [r for router in (accounts_views.router, registry_views.router)
             for r in router.routes if isinstance(r, APIRoute)]
    assert len(pages) > 10
    undeclared = [r.path for r in pages if not any(
        isinstance(d.call, Requires) for d in r.dependant.dependencies)]
    assert undeclared == []


def test_every_template_string_in_every_folder_has_a_russian_translation() -> None:
    root = Path(__file__).resolve().parents[2] / "src/collsec"  # web/ and every package's
    po = root / "locale/ru/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="ru")
    missing = []
    for template in sorted(root.rglob("templates/**/*.html")):
        with template.open("rb") as f:
            for _line, _func, msg, _comments in babel_extract(f, ("_", "ngettext"), [], {}):
                if msg is None:
                    continue
                msgid = msg if isinstance(msg, str) else msg[0]
                entry = catalog.get(msgid)
                if entry is None or not entry.string:
                    missing.append(f"{template.relative_to(root)}: {msgid}")
    assert missing == []


def test_russian_account_pages(client: TestClient) -> None:
    make_user("kz.rep", "delegation:KZ", ["representative"])
    login = client.get("/login", params={"lang": "ru"}).text
    assert "Имя пользователя" in login and "Войти" in login
    sign_in(client, "kz.rep")
    account = client.get("/account").text
    assert "API-токены" in account and "Выйти" in account
    assert "Только для членов" in client.get("/documents").text


def test_a_new_password_ends_the_users_other_sessions(client: TestClient) -> None:
    with db.write_session() as s:
        auth.add_user(s, *auth.installer(), username="ru.viewer", principal="delegation:RU",
                      roles=["viewer"], now=clock.now(), password=PASSWORD)
    other = TestClient(create_app())
    assert sign_in(other, "ru.viewer").status_code == 303
    assert other.get("/account", follow_redirects=False).status_code == 200
    assert sign_in(client, "ru.viewer").status_code == 303
    token = form_token(client.get("/account/password").text)
    done = client.post("/account/password", data={
        "current": PASSWORD, "new": "a-brand-new-pass", "again": "a-brand-new-pass",
        "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with db.read_session() as s:  # one journal entry, the command's, by the user
        last = s.scalars(select(JournalEntry).order_by(JournalEntry.seq.desc())).first()
    assert last is not None and last.command == "auth.set_password"
    assert last.actor == "web:ru.viewer"
    assert client.get("/account", follow_redirects=False).status_code == 200  # this one stays
    assert other.get("/account", follow_redirects=False).status_code == 303  # the other ends


def test_wrong_current_passwords_count_towards_the_lockout(client: TestClient) -> None:
    with db.write_session() as s:
        auth.add_user(s, *auth.installer(), username="tj.viewer", principal="delegation:TJ",
                      roles=["viewer"], now=clock.now(), password=PASSWORD)
    assert sign_in(client, "tj.viewer").status_code == 303
    token = form_token(client.get("/account/password").text)
    for _ in range(3):
        client.post("/account/password", data={"current": "guess-guess-guess",
                                                "new": "a-brand-new-pass",
                                                "again": "a-brand-new-pass",
                                                "csrf_token": token})
    with db.read_session() as s:
        held = s.get(SignInThrottleRow, "name:tj.viewer|testclient")
        assert held is not None and held.failures == 3
    assert len(audit_rows(kind="login_failed")) >= 3
