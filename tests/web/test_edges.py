"""The edges every request meets before a route: body and URL sizes (refused before
authentication and parsing), the security headers of every answer, and CSRF on every
cookie-authenticated write, with a body or without one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collsec.core.problems import MEDIA_TYPE
from collsec.web.access import CSRF_HEADER
from collsec.web.app import create_app
from collsec.web.limits import CSP, MiB
from tests.accounts.test_views import sign_in
from tests.conftest import make_user

TODAY = "2025-06-01"


@pytest.fixture
def client(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


def _problem(r: object, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == MEDIA_TYPE  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


# -- sizes --------------------------------------------------------------------------------

def test_an_anonymous_oversized_body_is_refused_on_its_declared_length(
        client: TestClient) -> None:
    r = client.post("/api/v1/decide", content=b"{" + b" " * (2 * MiB) + b"}",
                    headers={"content-type": "application/json"})
    assert "at most 1,048,576" in str(_problem(r, 413)["detail"])


def test_an_oversized_body_without_a_length_is_refused_as_it_arrives(
        client: TestClient) -> None:
    chunks = (b"x" * 65536 for _ in range(40))  # 2.5 MiB, chunked: no Content-Length
    r = client.post("/api/v1/decide", content=chunks,
                    headers={"content-type": "application/json"})
    assert "longer than 1,048,576" in str(_problem(r, 413)["detail"])


def test_an_import_has_a_larger_limit_of_its_own(client: TestClient) -> None:
    body = b'{"reports": []' + b" " * (2 * MiB) + b"}"
    r = client.post("/api/v1/incidents/import", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 401  # past the size check, refused for want of a caller


def test_the_limits_are_configurable_and_refuse_a_nonsense_setting(
        csto_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_MAX_BODY", "100")
    with TestClient(create_app()) as c:
        _problem(c.post("/api/v1/decide", json={"padding": "x" * 200}), 413)
    monkeypatch.setenv("COLLSEC_MAX_BODY", "lots")
    refused = pytest.raises(ValueError, match="COLLSEC_MAX_BODY must be a positive whole")
    with refused, TestClient(create_app()) as c:
        c.get("/")


@pytest.mark.parametrize("path", ["/documents", "/api/v1/documents"])
def test_a_search_of_fifty_thousand_characters_is_a_414_not_a_500(
        client: TestClient, path: str) -> None:
    _problem(client.get(path, params={"q": "x" * 50_000}), 414)


def test_a_bad_content_length_is_a_400(client: TestClient) -> None:
    r = client.post("/api/v1/decide", content=b"{}",
                    headers={"content-type": "application/json", "content-length": "1e9"})
    assert r.status_code in (400, 413)


# -- headers -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/v1/organizations", "/login", "/api/docs",
                                  "/no-such-page"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(client: TestClient) -> None:
    r = client.get("/static/collsec.css")
    assert r.status_code == 200 and r.headers.get("cache-control") != "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_page_has_an_inline_script(client: TestClient) -> None:
    for path in ("/", "/login", "/situation", "/api/docs", "/documents"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path


# -- CSRF ----------------------------------------------------------------------------------

def _meta_token(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text)
    assert found, "a signed-in page names its session's token"
    return found.group(1)


def _signed_in(client: TestClient, username: str) -> str:
    make_user(username, "delegation:KZ", ["representative"])
    assert sign_in(client, username).status_code == 303
    return _meta_token(client)


def test_a_cookie_api_write_without_its_token_is_refused_body_or_not(
        client: TestClient) -> None:
    token = _signed_in(client, "kz.csrf")
    made = client.post("/api/v1/me/tokens", json={"name": "tool"},
                       headers={CSRF_HEADER: token})
    assert made.status_code == 201, made.text
    token_id = made.json()["id"]
    assert "token" in str(_problem(client.post("/api/v1/me/tokens", json={"name": "x"}),
                                   403)["detail"])
    _problem(client.delete(f"/api/v1/me/tokens/{token_id}"), 403)  # no body, still refused
    _problem(client.delete(f"/api/v1/me/tokens/{token_id}", headers={CSRF_HEADER: "forged"}),
             403)
    listed = client.get("/api/v1/me/tokens").json()
    assert any(t["id"] == token_id and not t["revoked"] for t in listed["tokens"])
    assert client.delete(f"/api/v1/me/tokens/{token_id}",
                         headers={CSRF_HEADER: token}).status_code == 200


@pytest.mark.parametrize("headers", [{"origin": "https://evil.example"},
                                     {"origin": "null"},
                                     {"sec-fetch-site": "cross-site"},
                                     {"sec-fetch-site": "same-site"}])
def test_a_write_from_another_site_is_refused_even_with_the_token(
        client: TestClient, headers: dict[str, str]) -> None:
    token = _signed_in(client, "kz.origin")
    r = client.post("/logout", data={"csrf_token": token}, headers=headers,
                    follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/account").status_code == 200  # still signed in
    r = client.post("/api/v1/me/tokens", json={"name": "x"},
                    headers={**headers, CSRF_HEADER: token})
    assert r.status_code == 403


def test_a_write_from_this_site_passes(client: TestClient) -> None:
    token = _signed_in(client, "kz.same")
    r = client.post("/api/v1/me/tokens", json={"name": "x"},
                    headers={"origin": "http://testserver", "sec-fetch-site": "same-origin",
                             CSRF_HEADER: token})
    assert r.status_code == 201, r.text


def test_a_bearer_call_needs_no_csrf_token(client: TestClient) -> None:
    api_token = make_user("kz.bearer", "delegation:KZ", ["representative"])
    r = client.post("/api/v1/me/tokens", json={"name": "x"},
                    headers={"authorization": f"Bearer {api_token}",
                             "origin": "https://tool.example"})
    assert r.status_code == 201, r.text


# -- a one-time password -------------------------------------------------------------------

def test_a_one_time_password_opens_nothing_but_its_change(client: TestClient) -> None:
    from collsec.core import clock, db
    from collsec.core.auth import service as auth

    with db.write_session() as s:
        auth.add_user(s, *auth.installer(), username="kz.new", principal="delegation:KZ",
                      roles=["representative"], now=clock.now(), password=PASSWORD_ONCE,
                      must_change_password=True)
    with db.write_session() as s:
        _, api_token = auth.create_token(s, *auth.installer(), username="kz.new",
                                         name="tool", now=clock.now())
    assert sign_in(client, "kz.new", PASSWORD_ONCE).headers["location"] == "/account/password"
    for path in ("/", "/account", "/documents"):
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers.get("location")) == (303, "/account/password"), path
    page = client.get("/account/password")
    assert page.status_code == 200
    bearer_me = client.get("/api/v1/me", headers={"authorization": f"Bearer {api_token}"})
    assert "one-time password" in str(_problem(bearer_me, 403)["detail"])
    _problem(client.get("/api/v1/me"), 403)  # the session's cookie, likewise

    form = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert form
    changed = client.post("/account/password", data={
        "current": PASSWORD_ONCE, "new": "a-new-and-longer-secret", "again":
        "a-new-and-longer-secret", "csrf_token": form.group(1)}, follow_redirects=False)
    assert changed.status_code == 303
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me", headers={"authorization": f"Bearer {api_token}"}
                      ).status_code == 200


PASSWORD_ONCE = "one-time-password-123"


# -- dates and times at the ends of the calendar -------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/sessions?year=9999", "/sessions?year=9999", "/api/v1/sessions?year=0",
    "/api/v1/sessions?year=99999999999999999999",
    "/api/v1/organizations/CSTO/members?as_of=9999-12-31",
    "/api/v1/organizations/CSTO/members?as_of=0001-01-01", "/?as_of=9999-12-31",
    "/?as_of=0001-01-01", "/api/v1/incidents/summary?since=0001-01-01T00:00:00%2B05:00",
    "/api/v1/incidents/summary?until=9999-12-31T23:59:59-05:00",
    "/api/v1/incidents?since=0001-01-01T00:00:00%2B14:00",
    "/api/v1/incidents?until=9999-12-31T23:00:00-12:00",
    "/situation?since=0001-01-01T00:00:00%2B05:00", "/api/v1/documents?as_of=9999-12-31",
])
def test_a_date_at_the_end_of_the_calendar_is_answered_not_a_500(
        client: TestClient, path: str) -> None:
    token = make_user("kz.dates", "delegation:KZ", ["duty_officer", "representative"])
    for headers in ({}, {"authorization": f"Bearer {token}"}):
        r = client.get(path, headers=headers)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        if r.status_code >= 400 and path.startswith("/api/"):
            assert r.headers["content-type"] == MEDIA_TYPE


# -- what a report may hold ------------------------------------------------------------------

REPORT = {"type": "mass_unrest", "severity": 2, "occurred_at": "2025-05-01T10:30:00+05:00",
          "geometry": {"type": "Point", "coordinates": [76.9, 43.2]}, "title": "Unrest"}


@pytest.mark.parametrize("change,words", [
    ({"title": "Unrest\x00 in the square"}, "NUL"),
    ({"description": "a crowd\x00"}, "NUL"),
    ({"title": "Unrest \u202egnitoor"}, "right-to-left override"),
    ({"title": "Unrest \u2067isolated\u2069"}, "right-to-left override"),
    ({"occurred_at": "0025-05-01T10:30:00+05:00"}, "before 1992-01-01"),
    ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "outside the times"),
    ({"geometry": {"type": "Point", "coordinates": [10 ** 400, 1]}}, "far out of range"),
    ({"geometry": {"type": "MultiPoint", "coordinates": [[1.0, 1.0]] * 10_001}},
     "more than 10,000 positions"),
])
def test_a_report_with_what_no_report_needs_is_a_422_and_stores_nothing(
        client: TestClient, change: dict[str, object], words: str) -> None:
    token = make_user("kz.duty.edges", "delegation:KZ", ["duty_officer"])
    headers = {"authorization": f"Bearer {token}"}
    before = client.get("/api/v1/incidents", headers=headers).json()
    r = client.post("/api/v1/incidents", json={**REPORT, **change}, headers=headers)
    assert words in str(_problem(r, 422)["detail"])
    assert client.get("/api/v1/incidents", headers=headers).json() == before
    assert client.post("/api/v1/incidents", json=REPORT, headers=headers).status_code == 201


def test_production_marks_the_cookies_secure(
        csto_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a proxy that ends TLS the app sees http; the setting marks the cookies Secure
    all the same (and a browser then sends them over https only)."""
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    make_user("kz.secure", "delegation:KZ", ["representative"])
    for setting, secure in (("", False), ("1", True)):
        monkeypatch.setenv("COLLSEC_SECURE_COOKIES", setting)
        with TestClient(create_app()) as c:
            form = c.get("/login")
            session = sign_in(c, "kz.secure") if not secure else None
        cookies = [v for k, v in form.headers.multi_items() if k == "set-cookie"]
        if session is not None:
            cookies += [v for k, v in session.headers.multi_items() if k == "set-cookie"
                        and v.startswith("collsec_session=")]
        assert cookies and all(("; secure" in v.lower()) is secure for v in cookies), cookies
    with TestClient(create_app(), base_url="https://testserver") as c:
        session = sign_in(c, "kz.secure")
    cookie = next(v for k, v in session.headers.multi_items() if k == "set-cookie"
                  and v.startswith("collsec_session="))
    assert "; secure" in cookie.lower()


# -- what the protocol asks of an answer -----------------------------------------------------

def test_a_405_says_which_methods_would_do(client: TestClient) -> None:
    r = client.delete("/api/v1/organizations")
    assert r.status_code == 405 and r.headers["content-type"] == MEDIA_TYPE
    assert "GET" in r.headers["allow"]


def test_a_401_names_the_scheme_that_would_do(client: TestClient) -> None:
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_field_is_refused_by_name_not_ignored(client: TestClient) -> None:
    token = make_user("kz.fields", "delegation:KZ", ["representative"])
    headers = {"authorization": f"Bearer {token}"}
    r = client.post("/api/v1/me/tokens", json={"name": "tool", "expires_on": "2026-01-01"},
                    headers=headers)
    assert "expires_on" in str(_problem(r, 422)["detail"])
    assert all(t["name"] != "tool" for t in
               client.get("/api/v1/me/tokens", headers=headers).json()["tokens"])


# -- the OpenAPI document says what the API answers ------------------------------------------

def test_the_openapi_document_declares_problems_and_credentials(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}
    assert "HTTPValidationError" not in str(doc)  # FastAPI's own 422 body is never sent
    operations = [(path, method, op) for path, ops in doc["paths"].items()
                  for method, op in ops.items()]
    assert len(operations) > 40
    for path, method, op in operations:
        for status in ("401", "403", "404", "414", "422"):
            content = op["responses"][status]["content"]
            assert list(content) == [MEDIA_TYPE], (path, method, status)
        if method in ("post", "put", "delete"):
            assert "413" in op["responses"], (path, method)
    public = {p for p, m, op in operations if {} in op["security"]}
    assert "/api/v1/organizations" in public and "/api/v1/incidents" not in public


def test_a_declared_problem_is_what_an_error_looks_like(client: TestClient) -> None:
    from collsec.web.contract import PROBLEM

    for r in (client.get("/api/v1/me"), client.get("/api/v1/sessions?year=abc"),
              client.get("/api/v1/organizations/NOPE"), client.delete("/api/v1/organizations")):
        body = r.json()
        assert r.status_code >= 400 and set(PROBLEM["required"]) <= set(body), r.text
        assert set(body) <= set(PROBLEM["properties"]), r.text


def test_a_nul_anywhere_in_a_request_is_refused_before_a_route_runs(
        csto_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL refuses a NUL in any text, a lookup's parameter too (schemathesis found
    POST /api/v1/decide with {"body": "\\u0000"} answering 500)."""
    from fastapi.testclient import TestClient

    from collsec.web.app import create_app

    with TestClient(create_app()) as client:
        r = client.post("/api/v1/decide", json={"body": "\u0000"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"][-1] == "body"
        r = client.post("/api/v1/decide", headers={"Accept-Language": "ru"},
                        json={"body": "CSC", "positions": {"K\u0000Z": "support"}})
        assert r.status_code == 422 and "NUL" in r.text
        for address in ("/api/v1/states?as_of=%00", "/api/v1/states/K%00Z", "/states/K%00Z"):
            r = client.get(address)
            assert r.status_code == 400, (address, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
