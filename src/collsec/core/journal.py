"""The journal: one hash-chained entry per change, written in the change's own transaction.

Each entry's hash covers its sequence number, time, actor, command, canonical
JSON payload and the previous entry's hash, so editing or deleting any row
breaks the chain from that row on; `verify` names the first row that breaks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, String, Table, Text, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from collsec.core import clock
from collsec.core.db import Base

GENESIS = "0" * 64


class JournalEntry(Base):
    __tablename__ = "journal"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    command: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """A single row locked by every writer, so sequence numbers never race."""

    __tablename__ = "journal_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not journalable: {type(value).__name__}")


def entry_hash(seq: int, at: str, actor: str, command: str, payload: str, prev: str) -> str:
    material = "\x1f".join([str(seq), at, actor, command, payload, prev])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# Built once: the three statements of an append, with their parameters bound per call.
_ENTRIES = cast(Table, JournalEntry.__table__)
_HEAD = cast(Table, JournalHead.__table__)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_APPEND = insert(_ENTRIES)
_START_HEAD = insert(_HEAD)
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1, _HEAD.c.seq == bindparam("prev_seq"))
              .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))
# PostgreSQL: move the head and insert the entry in one statement; the entry is written
# only if the head moved (SQLite has no data-modifying WITH, so it sends the two).
_MOVED = (update(_HEAD).where(_HEAD.c.id == 1, _HEAD.c.seq == bindparam("prev_seq"))
          .values(seq=bindparam("seq"), hash=bindparam("hash"))
          .returning(_HEAD.c.seq).cte("moved"))
_APPEND_MOVING_HEAD = insert(_ENTRIES).from_select(
    [c.name for c in _ENTRIES.c],
    select(*(bindparam(c.name, type_=c.type) for c in _ENTRIES.c)).select_from(_MOVED)
).returning(_ENTRIES.c.seq)


def record(session: Session, *, actor: str, command: str, payload: Any,
           at: dt.datetime | None = None) -> JournalEntry:
    """Append one entry; call inside the transaction that makes the change.

    Core statements on the session's connection rather than the unit of work: the same
    three steps (lock the head, insert the entry, move the head) in the same transaction,
    without the flush bookkeeping that cost most of a report's time (docs/performance.md).
    The returned entry is a copy, not attached to the session.
    """
    conn = session.connection()
    head = conn.execute(_LOCK_HEAD).one_or_none()
    prev_seq, prev_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    seq = prev_seq + 1
    stamp = (at or clock.now()).isoformat()
    body = canonical(payload)
    digest = entry_hash(seq, stamp, actor, command, body, prev_hash)
    values = {"seq": seq, "at": stamp, "actor": actor, "command": command, "payload": body,
              "prev_hash": prev_hash, "hash": digest}
    if head is None:
        conn.execute(_APPEND, values)
        conn.execute(_START_HEAD, {"id": 1, "seq": seq, "hash": digest})
    elif conn.dialect.name == "postgresql":  # one round trip for both
        appended = conn.execute(_APPEND_MOVING_HEAD, {**values, "prev_seq": prev_seq})
        if appended.scalar_one_or_none() != seq:
            raise RuntimeError("the journal head moved under its lock")  # never, unless misused
    else:
        conn.execute(_APPEND, values)
        if conn.execute(_MOVE_HEAD, {"prev_seq": prev_seq, "new_seq": seq,
                                     "new_hash": digest}).rowcount != 1:
            raise RuntimeError("the journal head moved under its lock")
    return JournalEntry(**values)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str = ""


def verify(session: Session) -> Verdict:
    """Recompute the chain from the first entry; stop at the first mismatch."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for e in session.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars():
        count += 1
        if e.seq != expected_seq:
            return Verdict(False, count, expected_seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev:
            return Verdict(False, count, e.seq, "its previous-hash does not match the entry before")
        if entry_hash(e.seq, e.at, e.actor, e.command, e.payload, e.prev_hash) != e.hash:
            return Verdict(False, count, e.seq, "its content does not match its hash")
        prev = e.hash
        expected_seq += 1
    head = session.get(JournalHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        return Verdict(False, count, count + 1 if head.seq > count else head.seq,
                       "the journal head does not match the last entry (entries removed?)")
    return Verdict(True, count)


def entries(session: Session, *, limit: int = 50) -> list[JournalEntry]:
    stmt = select(JournalEntry).order_by(JournalEntry.seq.desc()).limit(limit)
    return list(session.execute(stmt).scalars())
