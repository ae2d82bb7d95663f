"""Who is calling: bearer token, session cookie or nobody, turned into an actor and a clearance.

Every route declares what it needs with `Depends(Requires(...))`; the declaration
is also what the route-walking test reads, so a route without one fails it.
"""

from __future__ import annotations

import datetime as dt
import secrets as _secrets
from dataclasses import dataclass

from fastapi import Request

from collsec.core import clock, db, settings
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.context import Context
from collsec.core.errors import CollsecError
from collsec.registry.service import charter_for
from collsec.web.render import DEFAULT, LANGUAGES, choose_language

SESSION_COOKIE = "collsec_session"
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
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def _resolve(request: Request, now: dt.datetime, today: dt.date) -> Guard:
    via = "api" if request.url.path.startswith("/api/") else "web"
    org = settings.load().organization.upper()
    charter = charter_for(org)  # an unknown organization fails here, never falls back
    header = request.headers.get("authorization", "")
    with db.read_session() as s:
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise auth.Unauthenticated("use 'Authorization: Bearer <token>'")
            user, mark = auth.caller_for_token(s, token.strip(), now)
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
    return Guard(Context(org, charter, actor, c, now, today, language(request)), csrf)


class Requires:
    """A route's access declaration and its enforcement.

    `public=True` routes serve anonymous readers (what they show is still narrowed
    by the clearance); other routes need a signed-in actor whose role allows `action`.
    """

    def __init__(self, action: str = "read", *, public: bool = False) -> None:
        self.action = action
        self.public = public

    def __call__(self, request: Request) -> Guard:
        guard = _resolve(request, clock.now(), clock.today())
        if not self.public and not guard.signed_in:
            raise auth.Unauthenticated("sign in or send 'Authorization: Bearer <token>'")
        if not (self.public and self.action == "read"):
            auth.require(guard.clearance, self.action)
        request.state.guard = guard
        return guard

    def __repr__(self) -> str:
        return f"Requires({self.action!r}, public={self.public})"


def check_csrf(request: Request, guard: Guard, submitted: str | None) -> None:
    """A form post must carry its session's token (or the pre-sign-in cookie's twin)."""
    expected = guard.csrf or request.cookies.get(PRE_CSRF_COOKIE)
    if not expected or not submitted or not _secrets.compare_digest(expected, submitted):
        raise CsrfRejected("the form's security token is missing or wrong; reload the page "
                           "and submit it again")


def new_pre_csrf() -> str:
    return _secrets.token_urlsafe(32)
