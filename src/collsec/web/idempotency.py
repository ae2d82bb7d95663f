"""The web edge of idempotent writes (`core.idempotency`): an API POST that carries an
`Idempotency-Key` is fingerprinted as it arrives, its key claimed once the caller is known
(`Requires`), and its answer kept before it is sent.

An ASGI middleware, because keeping the answer needs the bytes the route sent, and the
fingerprint needs the body before a route parses it. The middleware holds the answer of
a keyed POST until it is kept; unkeyed requests pass untouched.
"""

from __future__ import annotations

import hashlib
import json

import anyio

from collsec.core import db, i18n
from collsec.core import idempotency as keys
from collsec.core.journal import canonical
from collsec.web.limits import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    _replaying,
    _worded_refusal,
    language,
)

HEADER = b"idempotency-key"
# Answers that hold a secret shown once (a new token's text): their key is kept, so a retry
# makes no second token, but the answer is not, and the retry is told so (409).
SECRET_ANSWERS = frozenset({"/api/v1/me/tokens"})


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = _header(scope) if scope["type"] == "http" else None
        if header is None or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        try:
            key = keys.check_key(header)
        except keys.InvalidKey as exc:
            lang = language(scope)
            title, said = i18n.worded(exc, lang)
            await _worded_refusal(send, exc.status, title, exc.type_slug, path, said, lang)
            return
        messages, body = await _read(receive)
        attempt = keys.Attempt(key, _fingerprint(scope, body))
        held: list[Message] = []

        async def holding(message: Message) -> None:
            held.append(message)

        token = keys.CURRENT.set(attempt)
        try:
            await self.app(scope, _replaying(messages, receive), holding)
        finally:
            keys.CURRENT.reset(token)
        if attempt.seq is not None and path not in SECRET_ANSWERS:
            answer = _answer(held)
            if answer is not None:
                await anyio.to_thread.run_sync(_keep, attempt, answer)
        for message in held:
            await send(message)


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            return str(value.decode("latin-1").strip())
    return None


async def _read(receive: Receive) -> tuple[list[Message], bytes]:
    """The whole body (already bounded by `Limits`), and the messages to hand on."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


def _fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests the same one: method, path, query and body, a JSON body
    compared by its content (key order and spacing aside)."""
    try:
        content = canonical(json.loads(body)).encode() if body else b""
    except (ValueError, RecursionError):
        content = body
    material = b"\x1f".join([scope["method"].encode(), scope["path"].encode(),
                             scope.get("query_string", b""), content])
    return hashlib.sha256(material).hexdigest()


def _answer(held: list[Message]) -> keys.Answer | None:
    start = next((m for m in held if m["type"] == "http.response.start"), None)
    if start is None:
        return None
    kind = next((v.decode("latin-1") for n, v in start.get("headers", ())
                 if n.lower() == b"content-type"), "application/json")
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    return keys.Answer(int(start["status"]), kind, body)


def _keep(attempt: keys.Attempt, answer: keys.Answer) -> None:
    with db.write_session() as session:
        keys.keep_answer(session, attempt, answer)
