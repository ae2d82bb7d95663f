"""What every request and answer obeys before routing, authentication or parsing: the
size of a body, the length of a URL, and the headers a browser is told to enforce.

An ASGI middleware rather than a route dependency, because a dependency runs after the
body has been read and parsed: eight anonymous 50 MB bodies must cost nothing but their
refusal. A body that declares its length is refused on the declaration; one that does
not (chunked) is counted as it arrives and refused once it passes the limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from collsec.core import i18n
from collsec.core.problems import MEDIA_TYPE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MiB = 1024 * 1024

# Pages use only their own scripts, styles and images (no inline script, no CDN), and no
# other site may frame them.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = ((b"content-security-policy", CSP.encode()),
           (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin"),
           (b"x-frame-options", b"DENY"))


@dataclass(frozen=True)
class Sizes:
    """The limits, from the environment (bytes and characters; documented in the README)."""

    body: int = 1 * MiB  # any request body
    # route (method, path) -> its own body limit: an import carries up to 10,000 reports
    bodies: dict[tuple[str, str], int] = field(default_factory=dict)
    # routes with an id in their path: (method, pattern) -> their body limit
    patterns: tuple[tuple[str, re.Pattern[str], int], ...] = ()
    query: int = 4096  # the query string
    path: int = 2048

    @classmethod
    def from_environment(cls) -> Sizes:
        return cls(body=_number("COLLSEC_MAX_BODY", 1 * MiB),
                   bodies={("POST", "/api/v1/incidents/import"):
                           _number("COLLSEC_MAX_IMPORT_BODY", 32 * MiB),
                           ("POST", "/api/v1/stix/bundles"):
                           _number("COLLSEC_MAX_BUNDLE_BODY", 32 * MiB),
                           ("POST", "/reports/import"):
                           _number("COLLSEC_MAX_BUNDLE_BODY", 32 * MiB)},
                   patterns=(("POST", ATTACHMENT_ROUTE,
                              _number("COLLSEC_MAX_ATTACHMENT_BODY", 11 * MiB)),),
                   query=_number("COLLSEC_MAX_QUERY", 4096))

    def body_for(self, method: str, path: str) -> int:
        for verb, pattern, limit in self.patterns:
            if verb == method and pattern.match(path):
                return limit
        return self.bodies.get((method, path), self.body)


# A report's file, by the API or the page's form (its size is the charter's to limit; this
# is what the transport lets through, a file and its form's envelope).
ATTACHMENT_ROUTE = re.compile(r"^/(?:api/v1/)?reports/\d{1,10}/attachments$")


def _number(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a positive whole number of bytes, not {text!r}")
    return int(text)


class Limits:
    """The middleware: refuses what is too large (413, 414) with problem+json, and adds the
    security headers (and `Cache-Control: no-store` outside /static) to every answer."""

    def __init__(self, app: ASGIApp, sizes: Sizes | None = None) -> None:
        self.app = app
        self.sizes = sizes or Sizes.from_environment()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        send = _with_headers(send, cache=not path.startswith("/static/"))
        lang = language(scope)
        if len(scope.get("query_string", b"")) > self.sizes.query:
            await _refuse(send, 414, "URI too long", "uri-too-long", path,
                          "the query string is longer than {limit} characters", lang=lang,
                          limit=self.sizes.query)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in path:
            # PostgreSQL refuses a NUL in any text, a lookup's parameter as well
            await _refuse(send, 400, "Bad request", "bad-request", path[:200].replace(
                "\x00", "%00"), "the address holds a NUL character (%00)", lang=lang)
            return
        if len(path) > self.sizes.path:
            await _refuse(send, 414, "URI too long", "uri-too-long", path[:200],
                          "the path is longer than {limit} characters", lang=lang,
                          limit=self.sizes.path)
            return
        limit = self.sizes.body_for(scope["method"], path)
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(send, 400, "Bad request", "bad-request", path,
                          "Content-Length is not a length", lang=lang)
            return
        if declared is not None and declared > limit:
            await _refuse(send, 413, "Request too large", "too-large", path,
                          "the body is {size:,} bytes; this route takes at most {limit:,}",
                          lang=lang, size=declared, limit=limit)
            return
        if declared is None and _chunked(scope):
            # No length declared: read the body here, up to the limit, and hand it on. Read
            # inside the app, a refusal would become the framework's "error parsing the
            # body".
            messages: list[Message] = []
            seen = 0
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                seen += len(message.get("body", b""))
                if seen > limit:
                    await _refuse(send, 413, "Request too large", "too-large", path,
                                  "the body is longer than {limit:,} bytes, the most this "
                                  "route takes", lang=lang, limit=limit)
                    return
                if not message.get("more_body", False):
                    break
            receive = _replaying(messages, receive)
        await self.app(scope, receive, send)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()
    return replay


def _chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", ()))


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when not declared, -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else -1
    return None


def _with_headers(send: Send, *, cache: bool) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {name.lower() for name, _ in headers}
            headers += [h for h in HEADERS if h[0] not in present]
            if cache and b"cache-control" not in present:
                # Nothing dynamic is kept by a browser or a proxy: a page or an answer may
                # hold restricted material, or a new token, for the one who asked.
                headers.append((b"cache-control", b"no-store"))
            message["headers"] = headers
        await send(message)
    return sending


def language(scope: Scope) -> str:
    """The language of a refusal made before routing: the request's Accept-Language."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return i18n.accept_language(value.decode("latin-1")[:500])
    return i18n.DEFAULT


async def _refuse(send: Send, status: int, title: str, slug: str, path: str,
                  template: str, *, lang: str = i18n.DEFAULT, **params: object) -> None:
    """A refusal as problem+json, its title and `template` (filled with `params`) worded
    in `lang`, as `problems.domain_problem` words a domain error."""
    tr = i18n.translations(lang).gettext
    detail = template.format(**params) if params else template
    with contextlib.suppress(KeyError, IndexError, ValueError):
        detail = tr(template).format(**params) if params else tr(template)
    await _worded_refusal(send, status, tr(title), slug, path, detail, lang)


async def _worded_refusal(send: Send, status: int, title: str, slug: str, path: str,
                          detail: str, lang: str) -> None:
    """A refusal as problem+json, already worded in `lang`."""
    body = json.dumps({"type": f"https://collsec.invalid/problems/{slug}", "title": title,
                       "status": status, "detail": detail, "instance": path},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", MEDIA_TYPE.encode()),
                            (b"content-language", lang.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
