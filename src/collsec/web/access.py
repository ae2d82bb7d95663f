"""Who is calling: bearer token, session cookie or nobody, turned into an actor and a clearance.

Every route declares what it needs with `Depends(Requires(...))`; the declaration
is also what the route-walking test reads, so a route without one fails it.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets as _secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from collsec.core import clock, db, idempotency, settings
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.context import Context
from collsec.core.errors import CollsecError
from collsec.core.i18n import accept_language
from collsec.exercises import runs
from collsec.registry.service import charter_for
from collsec.web.render import choose_language

SESSION_COOKIE = "collsec_session"
# Exercise mode: the run a browser plays in (set by entering it, cleared by leaving), or
# the header an API client names it with. Either only narrows what the actor may do.
EXERCISE_COOKIE = "collsec_exercise"
EXERCISE_HEADER = "collsec-exercise"
PRE_CSRF_COOKIE = "collsec_csrf"  # double-submit token for forms shown before sign-in


class CsrfRejected(CollsecError):
    status = 403
    title = "Form expired or forged"
    type_slug = "csrf"


@dataclass(frozen=True)
class Guard:
    """The request's context (who calls, cleared for what, in which organization, when, in
    which language) and its session's CSRF token."""

    ctx: Context
    csrf: str | None
    exercise: runs.Mode | None = None  # the run the caller plays in, for the watermark

    @property
    def actor(self) -> auth.Actor:
        return self.ctx.actor

    @property
    def clearance(self) -> Clearance:
        return self.ctx.clearance

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now

    @property
    def today(self) -> dt.date:
        return self.ctx.today

    @property
    def org(self) -> str:
        return self.ctx.org

    @property
    def signed_in(self) -> bool:
        return self.actor.user_id is not None


def language(request: Request) -> str:
    """A page's language (`?lang=`, then its cookie); an API call's from Accept-Language."""
    if not request.url.path.startswith("/api/"):
        return choose_language(request)[0]
    return accept_language(request.headers.get("accept-language"))


def _resolve(request: Request, now: dt.datetime, today: dt.date) -> Guard:
    via = "api" if request.url.path.startswith("/api/") else "web"
    org = settings.load().organization.upper()
    charter = charter_for(org)  # an unknown organization fails here, never falls back
    header = request.headers.get("authorization", "")
    with db.read_session() as s:
        if header:
            user, mark = _token_caller(s, header, now)
            actor, csrf = auth.actor_for(user, via), None
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            found = auth.caller_for_cookie(s, cookie, now) if cookie else None
            if found is None:
                actor, csrf, mark = auth.anonymous(via), None, None
            else:
                user, sess, mark = found
                actor, csrf = auth.actor_for(user, via), sess.csrf
        c = auth.clearance(s, actor, today, org, mark)
        c, mode = _exercise(s, request, c, via)
    return Guard(Context(org, charter, actor, c, now, today, language(request)), csrf, mode)


def _exercise(s: Any, request: Request, c: Clearance, via: str
              ) -> tuple[Clearance, runs.Mode | None]:
    """The clearance of a caller playing in an exercise run, and the run's mode. A page's
    cookie naming a run it may not play in is ignored (the pages then show no watermark:
    the real world); an API call's header naming one is refused."""
    named = request.headers.get(EXERCISE_HEADER) if via == "api" else None
    text = named if named is not None else request.cookies.get(EXERCISE_COOKIE)
    if not text:
        return c, None
    found = runs.playing(s, c, int(text)) if text.isascii() and text.isdigit() \
        and len(text) < 10 else None
    if found is None:
        if named is not None:
            raise runs.refuse_header(named)
        return c, None
    return found


def _token_caller(s: Any, header: str, now: dt.datetime) -> Any:
    """The user an Authorization header's API token names: `Bearer <token>`, or HTTP Basic
    with the user's name and the token as its password (what TAXII clients send)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return auth.caller_for_token(s, value.strip(), now)
    if scheme.lower() == "basic" and value.strip():
        try:
            name, sep, token = base64.b64decode(value.strip(), validate=True).decode(
                "utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            name, sep, token = "", "", ""
        if sep and token:
            user, mark = auth.caller_for_token(s, token, now)
            if _secrets.compare_digest(user.username.encode(), name.strip().lower().encode()):
                return user, mark
    raise auth.Unauthenticated("use 'Authorization: Bearer <token>' (or HTTP Basic with your "
                               "user name and an API token as the password)")


class Requires:
    """A route's access declaration and its enforcement.

    `public=True` routes serve anonymous readers (what they show is still narrowed
    by the clearance); other routes need a signed-in actor whose role allows `action`.
    """

    def __init__(self, action: str = "read", *, public: bool = False) -> None:
        self.action = action
        self.public = public

    def __call__(self, request: Request) -> Guard:
        writes = request.method not in SAFE_METHODS
        bearer = bool(request.headers.get("authorization"))
        if writes and not bearer:  # a browser's write: only from our own pages
            check_origin(request)
        guard = _resolve(request, clock.now(), clock.today())
        if writes and guard.csrf is not None and request.url.path.startswith("/api/"):
            # A cookie-authenticated API write, with a body or without one, carries its
            # session's token (pages send theirs in the form, checked by the page).
            check_csrf(request, guard, request.headers.get(CSRF_HEADER))
        if guard.actor.must_change_password and request.url.path not in PASSWORD_PAGES:
            raise auth.PasswordChangeRequired(
                "this account still has its one-time password: change it at "
                "/account/password before anything else (sign-out also works)")
        if not self.public and not guard.signed_in:
            raise auth.Unauthenticated("sign in or send 'Authorization: Bearer <token>'")
        if not (self.public and self.action == "read"):
            auth.require(guard.clearance, self.action)
        attempt = idempotency.CURRENT.get()
        if attempt is not None and writes and guard.signed_in:
            # A keyed write (web.idempotency): answered again if it was carried out before.
            with db.read_session() as s:
                idempotency.claim(s, attempt, guard.actor.name)
            attempt.status = getattr(request.scope.get("route"), "status_code", None) or 200
        request.state.guard = guard
        return guard

    def __repr__(self) -> str:
        return f"Requires({self.action!r}, public={self.public})"


# What an account with a one-time password may still reach (the sign-in page too, to
# sign in as someone else).
PASSWORD_PAGES = frozenset({"/account/password", "/logout", "/login"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"  # a cookie-authenticated API write's token (<meta name=csrf-token>)


def check_origin(request: Request) -> None:
    """A write a browser sends must come from a page of this site: `Sec-Fetch-Site` (sent
    by current browsers) says same-origin, or `Origin` names this host. A client that sends
    neither is not a browser acting for someone else, and meets the token check alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRejected("a {site} request may not change anything here; use the "
                           "site's own pages or an API token", site=site)
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise CsrfRejected("a request from {origin} may not change anything here; "
                           "use the site's own pages or an API token", origin=origin[:100])


def check_csrf(request: Request, guard: Guard, submitted: str | None) -> None:
    """A form post must carry its session's token (or the pre-sign-in cookie's twin)."""
    expected = guard.csrf or request.cookies.get(PRE_CSRF_COOKIE)
    if not expected or not submitted or not _secrets.compare_digest(expected, submitted):
        raise CsrfRejected("the form's security token is missing or wrong; reload the page "
                           "and submit it again")


def new_pre_csrf() -> str:
    return _secrets.token_urlsafe(32)
