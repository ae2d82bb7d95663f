"""Server-side HTML rendering: the Jinja2 environment, the page language and the as-of date.

One environment is shared by every request and never changed after creation, so
rendering is thread-safe: the translation callables and per-request helpers are
passed in each template's context instead of being installed on the environment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from collsec.core.i18n import DEFAULT, LANGUAGES, gettext_for, ngettext_for

LANG_COOKIE = "collsec_lang"
LANG_MAX_AGE = 365 * 24 * 3600  # a year: the choice is a preference, not a session

# Each feature package keeps its pages in its own `templates/`, named with the package's
# prefix ("forces/mission.html"); the layout (base, macros, error) lives in web/templates.
PACKAGE_TEMPLATES = {"registry": "collsec.registry", "accounts": "collsec.accounts",
                     "documents": "collsec.documents", "decisions": "collsec.decisions",
                     "incidents": "collsec.crisis.incidents", "forces": "collsec.crisis.forces",
                     "escalation": "collsec.crisis.escalation", "exchange": "collsec.exchange",
                     "operations": "collsec.operations", "exercises": "collsec.exercises",
                     "simulation": "collsec.simulation"}

ENV = Environment(
    loader=ChoiceLoader([PackageLoader("collsec", "web/templates"), PrefixLoader(
        {prefix: PackageLoader(package, "templates")
         for prefix, package in PACKAGE_TEMPLATES.items()})]),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a typo in a template fails loudly in tests, not silently
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Ctx:
    """What every page needs to know about its request: language and the day it shows."""

    lang: str
    lang_from_param: bool
    as_of: dt.date
    pinned: bool  # as_of came from the URL, so links keep it
    path: str  # current path and query without `lang`, the target of the language switch

    def url(self, path: str, **params: Any) -> str:
        """A local link that keeps the pinned as-of date, so navigation stays in the past."""
        query = {k: v for k, v in params.items() if v is not None}
        if self.pinned:
            query.setdefault("as_of", self.as_of.isoformat())
        return f"{path}?{urlencode(query)}" if query else path

    def tr(self, obj: Any, field: str = "name") -> str:
        """The `<field>_ru` or `<field>_en` attribute of a row or view, per page language."""
        return str(getattr(obj, f"{field}_{self.lang}", "") or "")

    def text(self, obj: Any, field: str) -> Markup:
        """Typed text in the page's language. What was typed in English only shows in
        English on a Russian page, marked `lang="en"` so browsers, screen readers and
        translators know which language they have (the page's own is Russian)."""
        own = self.tr(obj, field)
        if own or self.lang == "en":
            return escape(own)
        english = str(getattr(obj, f"{field}_en", "") or "")
        return Markup('<span lang="en">{}</span>').format(english) if english else Markup("")


def choose_language(request: Request) -> tuple[str, bool]:
    """`?lang=` wins, then the cookie, then English; the flag says the param decided."""
    param = (request.query_params.get("lang") or "").lower()
    if param in LANGUAGES:
        return param, True
    cookie = (request.cookies.get(LANG_COOKIE) or "").lower()
    return (cookie if cookie in LANGUAGES else DEFAULT), False


def current_path(request: Request) -> str:
    """The request's path and query minus `lang`, so switching language keeps the page."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def safe_next(target: str | None) -> str:
    """Only a local absolute path is a redirect target; anything else is an open redirect."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=LANG_MAX_AGE, path="/",
                        httponly=True, samesite="lax")


def render(ctx: Ctx, template: str, *, status: int = 200, **data: Any) -> HTMLResponse:
    """Render `template` for this request's language; a `?lang=` choice is remembered."""
    switch = {code: f"/lang/{code}?next={quote(ctx.path, safe='')}" for code in LANGUAGES}
    html = ENV.get_template(template).render(
        _=gettext_for(ctx.lang), ngettext=ngettext_for(ctx.lang), ctx=ctx, lang=ctx.lang,
        url=ctx.url, tr=ctx.tr, text=ctx.text, languages=LANGUAGES, lang_links=switch, **data)
    response = HTMLResponse(html, status_code=status)
    if ctx.lang_from_param:
        remember_language(response, ctx.lang)
    return response
