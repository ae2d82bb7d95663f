"""Idempotent writes: a request sent again with the same `Idempotency-Key` is answered, not
carried out again.

The key is written in the command's own transaction, beside its journal entry (`write_on`,
called by the unit of work as it appends the entry), so a change and its key commit or
vanish together: a client whose request was carried out but never answered (the server
killed in between) cannot make the change twice by retrying. A route whose answer is made
inside the transaction (`Command.answer`) keeps it with the key there too; every answer is
kept again, as sent, by the web edge before it leaves (`keep_answer`). A retry gets the
first answer back. Only a route that reads its answer back after the commit, killed
between the commit and keeping the answer, leaves a key without one: a retry is then
told which journal entry the first request made (`Unanswered`), never carried out again.

A key belongs to its caller (the account name): two callers may use the same key. It is
kept at least COLLSEC_IDEMPOTENCY_HOURS (24): a keyed write deletes the keys older than
that, at most once a minute per process (`prune`), so the table holds about a day of
keyed writes rather than every one ever made.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from collsec.core import settings
from collsec.core.db import Base
from collsec.core.errors import CollsecError, Conflict, InvalidInput

MAX_KEY = 200  # characters; a UUID is 36


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path, query and body
    seq: Mapped[int] = mapped_column(Integer, index=True)  # the journal entry it made
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    # The answer, once the route has made it (None: not yet, or the process died first).
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


class Replay(Exception):  # noqa: N818 - not an error: the first answer, given again
    """The request was carried out before under this key: answer what it answered."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


class KeyReused(InvalidInput):
    title = "Idempotency key reused"
    type_slug = "idempotency-key-reused"


class Unanswered(Conflict):
    title = "Request under this key not answered"
    type_slug = "idempotency-key-unanswered"


class InvalidKey(CollsecError):
    status = 400
    title = "Invalid idempotency key"
    type_slug = "idempotency-key-invalid"


@dataclass
class Attempt:
    """One request that carries a key, as the web edge sees it. `principal` is set once
    the caller is known; `seq` once its command's transaction wrote the key."""

    key: str
    fingerprint: str
    principal: str | None = None
    seq: int | None = None
    status: int = 200  # what the route answers when it succeeds
    staged: bytes | None = None  # its answer, made inside the transaction (`stage`)


CURRENT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "collsec_idempotency", default=None)


def check_key(text: str) -> str:
    """A key as a client may send it: 1 to 200 visible ASCII characters."""
    if not 0 < len(text) <= MAX_KEY or not all(33 <= ord(ch) <= 126 for ch in text):
        raise InvalidKey("Idempotency-Key must be 1 to {most} visible ASCII characters "
                         "(a UUID will do)", most=MAX_KEY)
    return text


def claim(session: Session, attempt: Attempt, principal: str) -> None:
    """Before the route runs: raise `Replay` with the first answer when the key was used
    with this request, `KeyReused` when it was used with another, `Unanswered` when the
    first request's answer is not kept (still running, or lost with its process)."""
    attempt.principal = principal
    row = session.scalars(select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.principal == principal, IdempotencyKeyRow.key == attempt.key)
    ).one_or_none()
    if row is None:
        return
    if row.fingerprint != attempt.fingerprint:
        raise KeyReused("this Idempotency-Key was used with a different request (method, "
                        "path or body); use a new key for a new request")
    if row.status is None or row.body is None:
        raise Unanswered("a request with this Idempotency-Key was carried out as journal "
                         "entry {seq} but its answer is not (yet) kept; read the "
                         "object it changed rather than sending it again", seq=row.seq)
    raise Replay(Answer(row.status, row.content_type or "application/json", row.body))


def stage(answer: Any) -> None:
    """A keyed request's answer, made inside its command's transaction: kept with the key
    (as the JSON the API sends), so it survives a crash before the answer leaves."""
    attempt = CURRENT.get()
    if attempt is None or attempt.principal is None or attempt.seq is not None:
        return
    # As FastAPI's JSONResponse writes it, so a replay is the same bytes.
    attempt.staged = json.dumps(answer, ensure_ascii=False, allow_nan=False, indent=None,
                                separators=(",", ":")).encode("utf-8")


_COLUMNS = "principal, key, fingerprint, seq, created_at, status, content_type, body"
_PRUNE = {"sqlite": "DELETE FROM idempotency_keys WHERE created_at < ?",
          "postgresql": "DELETE FROM idempotency_keys WHERE created_at < %s"}
PRUNE_EVERY = 60.0  # seconds between two prunings by one process
_pruned = {"at": float("-inf")}  # when this process last pruned (monotonic)
_pruning = threading.Lock()
_INSERT = {"sqlite": f"INSERT INTO idempotency_keys ({_COLUMNS}) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?)",
           "postgresql": f"INSERT INTO idempotency_keys ({_COLUMNS}) VALUES "
                         "(%s, %s, %s, %s, %s, %s, %s, %s)"}


def write_on(cursor: Any, dialect: str, seq: int, at: dt.datetime) -> None:
    """In the transaction that appends journal entry `seq`: keep the current request's key
    with it. The first command of a request takes the key; the request's other commands
    (none today) and every command outside a keyed request write nothing."""
    attempt = CURRENT.get()
    if attempt is None or attempt.principal is None or attempt.seq is not None:
        return
    stamp = _stamp(at, dialect)
    try:
        staged = attempt.staged
        cursor.execute(_INSERT[dialect], (
            attempt.principal, attempt.key, attempt.fingerprint, seq, stamp,
            attempt.status if staged is not None else None,
            "application/json" if staged is not None else None, staged))
    except Exception as exc:  # the driver's own error: sqlite3's or psycopg's
        if not any(k.__name__ == "IntegrityError" for k in type(exc).__mro__):
            raise
        # Another request under this key committed between our claim and our commit.
        raise Unanswered("another request with this Idempotency-Key was carried out while "
                         "this one ran; this one changed nothing") from exc
    attempt.seq = seq
    prune(cursor, dialect, at)


def _stamp(at: dt.datetime, dialect: str) -> Any:
    # SQLite keeps a time as SQLAlchemy writes it (UTC, no zone), as the ORM's rows do.
    return (at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if dialect == "sqlite" else at)


def prune(cursor: Any, dialect: str, at: dt.datetime, *, force: bool = False) -> bool:
    """In a keyed write's transaction: delete the keys kept longer than the retention,
    unless this process did so less than `PRUNE_EVERY` seconds ago; whether it did."""
    with _pruning:
        now = time.monotonic()
        if not force and now - _pruned["at"] < PRUNE_EVERY:
            return False
        _pruned["at"] = now
    hours = settings.load().idempotency_hours
    cursor.execute(_PRUNE[dialect], (_stamp(at - dt.timedelta(hours=hours), dialect),))
    return True


def keep_answer(session: Session, attempt: Attempt, answer: Answer) -> None:
    """After the commit, before the answer leaves: keep it for a retry (nothing when the
    transaction that wrote the key did not commit after all)."""
    row = session.scalars(select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.principal == attempt.principal,
        IdempotencyKeyRow.key == attempt.key, IdempotencyKeyRow.seq == attempt.seq)
    ).one_or_none()
    if row is None:
        return
    row.status, row.content_type, row.body = answer.status, answer.content_type, answer.body
