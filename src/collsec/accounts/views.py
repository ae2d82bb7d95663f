"""HTML pages of accounts and documents: sign-in and sign-out, the account with its API
tokens, the password, the documents the visitor may read, and the audit (admins).

Access declarations. Every route declares `Depends(Requires(...))`:

- public pages (`/login`, `/documents`, `/documents/{id}`) declare
  `Requires("read", public=True)`; what they show is narrowed by the clearance;
- pages for signed-in users (`/account...`, `/logout`) also declare
  `Requires("read", public=True)`, on purpose: `Requires("read")` would answer an
  anonymous browser with a 401 page before the view runs, while a person should be
  sent to the sign-in form (303 to `/login?next=...`). Each of these views therefore
  starts with `_signed_in(guard)` and serves nothing else to an anonymous visitor;
- the audit page declares `Requires("read_audit")` (role `admin`), enforced by the
  dependency itself; an anonymous visitor gets the 401 page with a sign-in link.

Every form post carries a CSRF token: the session's, or before sign-in the twin of
the `PRE_CSRF_COOKIE` double-submit cookie. A refused post changes nothing.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.core import i18n, paging, settings
from collsec.core.auth import secrets
from collsec.core.auth import service as auth
from collsec.core.auth.model import ROLES
from collsec.core.commands import reading
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError, InvalidInput, NotFound, Phrase
from collsec.documents import model as doc_model
from collsec.documents import service as documents
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.web import names
from collsec.web.access import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    Guard,
    Requires,
    check_csrf,
    new_pre_csrf,
)
from collsec.web.params import page_cursor, page_link
from collsec.web.render import Ctx, choose_language, current_path, render, safe_next

if TYPE_CHECKING:
    pass

router = APIRouter(include_in_schema=False)

PUBLIC = Depends(Requires("read", public=True))
# Signed-in pages: declared public so an anonymous browser is redirected to the sign-in
# form by the view (see the module docstring), never served.
SIGNED_IN_PAGE = Depends(Requires("read", public=True))
AUDIT = Depends(Requires("read_audit"))

NO_STORE = {"Cache-Control": "no-store"}
# User names are at most 80 characters (core/auth/service.USERNAME). `auth.login` writes
# whatever name it is given into the audit's 80-character column, which PostgreSQL
# refuses for a longer one, so such names are turned away here, before the database.
USERNAME_MAX = 80


# -- helpers -----------------------------------------------------------------------

def _ctx(request: Request, guard: Guard) -> Ctx:
    lang, from_param = choose_language(request)
    return Ctx(lang, from_param, guard.today, False, current_path(request))


def _show(request: Request, guard: Guard, template: str, *, status: int = 200,
          ctx: Ctx | None = None, headers: dict[str, str] | None = None,
          **data: Any) -> HTMLResponse:
    """Render one of this package's pages with the header every page has."""
    ctx = ctx or _ctx(request, guard)
    organization = None
    with reading(guard.ctx) as read:
        header = registry_views.chrome(read, guard, ctx.lang)
        with suppress(CollsecError):
            organization = read(registry.get_organization, guard.org)
        known = {src.id for src in read(registry.sources)}
    response = render(ctx, template, status=status, organization=organization,
                      known_sources=known, **header, **data)
    response.headers.update(headers or {})
    return response


def _error(request: Request, exc: CollsecError) -> HTMLResponse:
    return registry_views.error_page(request, exc)


def _to_login(request: Request, back: str | None = None) -> RedirectResponse:
    """Send an anonymous visitor to the sign-in form, to come back to `back` (a page
    that can be fetched with GET; default the requested one)."""
    target = back or current_path(request)
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _id(text: str, what: str) -> int:
    """A numeric id from a URL; anything else is simply not found (an HTML 404)."""
    if not text.isdigit() or len(text) > 9:
        raise NotFound("unknown {kind} {id}", kind=Phrase(what), id=text)
    return int(text)


def _signed_in(guard: Guard) -> bool:
    return guard.signed_in and guard.actor.username is not None


def _after_login(target: str | None) -> str:
    """Where to go after signing in: a local page, never back to a form's post target."""
    path = safe_next(target)
    bare = path.split("?", 1)[0]
    return "/" if bare in ("/login", "/logout") else path


def _form_csrf(request: Request, guard: Guard) -> tuple[str, bool]:
    """The token a form carries, and whether a pre-sign-in cookie must be (re)set."""
    if guard.csrf:
        return guard.csrf, False
    existing = request.cookies.get(PRE_CSRF_COOKIE, "")
    if len(existing) >= 32 and existing.replace("-", "").replace("_", "").isalnum():
        return existing, True
    return new_pre_csrf(), True


def _set_pre_csrf(request: Request, response: Response, value: str) -> None:
    response.set_cookie(PRE_CSRF_COOKIE, value, path="/", httponly=True, samesite="strict",
                        secure=_secure(request))


def _status(exc: CollsecError) -> int:
    # As on the registry's pages: a bad form value is a bad request, not an API's 422.
    return 400 if isinstance(exc, InvalidInput) else exc.status


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or settings.load().secure_cookies


def _address(request: Request) -> str:
    """Where a sign-in comes from, for its back-off: the peer's address (behind a proxy,
    the proxy's; a deployment that needs the client's configures the server to pass it,
    e.g. uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


def _utc_day(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


# -- sign-in and sign-out ------------------------------------------------------------

def _login_form(request: Request, guard: Guard, *, next_path: str, username: str = "",
                error: str | None = None, status: int = 200) -> HTMLResponse:
    csrf, pre = _form_csrf(request, guard)
    response = _show(request, guard, "accounts/login.html", status=status, csrf=csrf,
                     next_path=next_path, username=username, error=error, headers=NO_STORE)
    if pre:
        _set_pre_csrf(request, response, csrf)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, guard: Guard = PUBLIC
               ) -> HTMLResponse:
    return _login_form(request, guard, next_path=_after_login(next))


@router.post("/login")
def login(request: Request, guard: Guard = PUBLIC, username: str = Form(""),
          password: str = Form(""), csrf_token: str = Form(""), next: str = Form("")
          ) -> Response:
    check_csrf(request, guard, csrf_token)
    target = _after_login(next)
    if len(username.strip()) > USERNAME_MAX:  # no such user can exist; see the note above
        return _login_form(request, guard, next_path=target, status=401,
                           error=auth.WRONG)
    old_cookie = request.cookies.get(SESSION_COOKIE)
    # signing in again replaces the browser's session
    result = auth.sign_in.run(guard.ctx, username=username, password=password, via="web",
                              replacing=old_cookie, address=_address(request))
    if result.user is not None and result.user.must_change_password:
        target = "/account/password"
    if result.user is None:
        message = result.error or auth.WRONG
        status = 429 if result.throttled else 401
        return _login_form(request, guard, next_path=target, username=username.strip(),
                           error=message, status=status)
    response = RedirectResponse(target, status_code=303)
    hours = int(auth.policy_data()["sessions"]["web_hours"])
    response.set_cookie(SESSION_COOKIE, result.cookie, max_age=hours * 3600, path="/",
                        httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, guard: Guard = SIGNED_IN_PAGE, csrf_token: str = Form("")
           ) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if _signed_in(guard):
        check_csrf(request, guard, csrf_token)
        if cookie:
            auth.end_session.run(guard.ctx, cookie)
    # Not signed in (session already expired or ended): there is nothing to end.
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_secure(request))
    return response


# -- the account -----------------------------------------------------------------------

def _token_state(t: Any, now: dt.datetime) -> str:
    if t.revoked_at is not None:
        return "revoked"
    expires = t.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def _account_page(request: Request, guard: Guard, *, error: str | None = None,
                  status: int = 200, token_name: str = "", token_expires: str = ""
                  ) -> HTMLResponse:
    name = guard.actor.username or ""
    with reading(guard.ctx) as read:
        user = read(auth.get_user, name)
        tokens = [(t, _token_state(t, guard.now)) for t in read(auth.list_tokens, name)]
    c = guard.clearance
    return _show(request, guard, "accounts/account.html", status=status, user=user,
                 clearance=c, roles=sorted(guard.actor.roles, key=_role_order),
                 reads=[level for level in doc_model.MARKINGS if level in c.levels],
                 actions=sorted(c.actions), tokens=tokens, error=error,
                 changed=request.query_params.get("changed") == "1",
                 token_name=token_name, token_expires=token_expires,
                 min_expiry=(guard.today + dt.timedelta(days=1)).isoformat())


def _role_order(role: str) -> int:
    return ROLES.index(role) if role in ROLES else len(ROLES)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, guard: Guard = SIGNED_IN_PAGE) -> Response:
    if not _signed_in(guard):
        return _to_login(request)
    try:
        return _account_page(request, guard)
    except CollsecError as exc:
        return _error(request, exc)


@router.post("/account/tokens")
def create_token(request: Request, guard: Guard = SIGNED_IN_PAGE, name: str = Form(""),
                 expires: str = Form(""), csrf_token: str = Form("")) -> Response:
    if not _signed_in(guard):
        return _to_login(request, "/account")
    check_csrf(request, guard, csrf_token)
    try:
        day = parse_date(expires.strip() or None, field="expires")
        row, token = auth.create_token.run(guard.ctx, username=guard.actor.name, name=name,
                                           expires=_utc_day(day))
    except CollsecError as exc:
        return _account_page(request, guard, error=i18n.message(exc, guard.ctx.lang),
                             status=_status(exc), token_name=name,
                             token_expires=expires)
    # The token's text exists only in this answer: never cached, never shown again.
    return _show(request, guard, "accounts/token_created.html", row=row, token=token,
                 headers=NO_STORE)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, guard: Guard = SIGNED_IN_PAGE,
                 csrf_token: str = Form("")) -> Response:
    if not _signed_in(guard):
        return _to_login(request, "/account")
    check_csrf(request, guard, csrf_token)
    try:
        tid = _id(token_id, "token")
        owner = auth.get_user.run(guard.ctx, guard.actor.name)  # revoke_token reads its id
        auth.revoke_token.run(guard.ctx, token_id=tid, owner=owner)
    except CollsecError as exc:
        return _error(request, exc)
    return RedirectResponse("/account", status_code=303)


def _password_form(request: Request, guard: Guard, *, error: str | None = None,
                   status: int = 200) -> HTMLResponse:
    return _show(request, guard, "accounts/password.html", status=status, error=error,
                 csrf=guard.csrf or "", min_length=secrets.MIN_PASSWORD, headers=NO_STORE)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, guard: Guard = SIGNED_IN_PAGE) -> Response:
    if not _signed_in(guard):
        return _to_login(request)
    return _password_form(request, guard)


@router.post("/account/password")
def change_password(request: Request, guard: Guard = SIGNED_IN_PAGE,
                    current: str = Form(""), new: str = Form(""), again: str = Form(""),
                    csrf_token: str = Form("")) -> Response:
    if not _signed_in(guard):
        return _to_login(request, "/account/password")
    check_csrf(request, guard, csrf_token)
    if new != again:
        return _password_form(request, guard, status=400,
                              error="the two new passwords differ")
    if new == current:
        return _password_form(request, guard, status=400,
                              error="the new password must differ from the current one")
    # The current password is checked like a sign-in, so guesses count towards the lockout.
    check = auth.login.run(guard.ctx, username=guard.actor.name, password=current, via="web",
                           address=_address(request))
    if check.user is None:
        return _password_form(request, guard, status=400,
                              error="the current password is wrong")
    try:
        auth.set_password.run(guard.ctx, username=guard.actor.name, password=new,
                              keep_session=request.cookies.get(SESSION_COOKIE))
    except CollsecError as exc:
        return _password_form(request, guard, status=_status(exc),
                              error=i18n.message(exc, guard.ctx.lang))
    return RedirectResponse("/account?changed=1", status_code=303)


# -- documents ---------------------------------------------------------------------------

def _documents_ctx(request: Request, guard: Guard) -> Ctx:
    ctx = _ctx(request, guard)
    day = parse_date(request.query_params.get("as_of"), field="as_of")
    return replace(ctx, as_of=day, pinned=True) if day is not None else ctx


DOCUMENT_PAGE = 50  # documents on one page of the list; the rest are a link away


@router.get("/documents", response_class=HTMLResponse)
def document_list(request: Request, guard: Guard = PUBLIC, kind: str = "", q: str = "",
                  cursor: str = "") -> Response:
    """The documents the visitor may read, newest first, a page at a time (the API's
    keyset cursors)."""
    place = page_cursor(cursor)
    try:
        ctx = _documents_ctx(request, guard)
        rows = documents.list_documents.run(
            guard.ctx, kind=kind or None, query=q.strip() or None,
            until=ctx.as_of if ctx.pinned else None, limit=DOCUMENT_PAGE + 1,
            after=paging.after_dated("documents", place) if place else None)
    except CollsecError as exc:
        return _error(request, exc)
    c = guard.clearance
    nxt = page_link(request, paging.page_of(rows, DOCUMENT_PAGE, "documents"))
    return _show(request, guard, "documents/list.html", ctx=ctx,
                 documents=rows[:DOCUMENT_PAGE], next_page=nxt, paged=bool(place or nxt),
                 kinds=doc_model.KINDS, kind=kind, q=q,
                 reads=[level for level in doc_model.MARKINGS if level in c.levels],
                 clearance=c)


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: str, guard: Guard = PUBLIC) -> Response:
    try:
        ctx = _documents_ctx(request, guard)
        did = _id(doc_id, "document")
        # reads and refusals of marked documents are audited: a write unit
        result = documents.get_document.run(guard.ctx, did)
        row, released = result.unwrap()  # raised after the audit row committed
    except CollsecError as exc:
        return _error(request, exc)
    fact = registry.Fact(sources=row.sources.split(), confidence=row.confidence)
    return _show(request, guard, "documents/detail.html", ctx=ctx, doc=row, fact=fact,
                 released=released if row.visibility == "restricted" else [])


# -- the audit ---------------------------------------------------------------------------

@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, guard: Guard = AUDIT, object: str = "", since: str = "",
               user: str = "", kind: str = "", cursor: str = "") -> Response:
    obj_type, _, obj_id = object.strip().partition(":")
    place = page_cursor(cursor)
    try:
        day = parse_date(since.strip() or None, field="since")
        rows = auth.audit_entries.run(guard.ctx, object_type=obj_type or None,
                                      object_id=obj_id or None, since=_utc_day(day),
                                      username=user.strip().lower() or None,
                                      kind=kind.strip() or None, limit=AUDIT_PAGE + 1,
                                      before=paging.below("audit", place) if place else None)
    except CollsecError as exc:
        return _error(request, exc)
    older = page_link(request, paging.cursor("audit", rows[AUDIT_PAGE - 1].id)
                      if len(rows) > AUDIT_PAGE else None)
    return _show(request, guard, "accounts/audit.html", entries=rows[:AUDIT_PAGE], older=older,
                 filters={"object": object, "since": since, "user": user, "kind": kind},
                 kinds=tuple(names.AUDIT_KINDS))


AUDIT_PAGE = 200  # entries on one page of the audit; older ones follow a link
