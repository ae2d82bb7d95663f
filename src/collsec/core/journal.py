"""The journal: one hash-chained entry per change, written in the change's own transaction.

Each entry's hash covers its sequence number, time, actor, command, canonical
JSON payload and the previous entry's hash, so editing or deleting any row
breaks the chain from that row on; `verify` names the first row that breaks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    false,
    select,
)
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
    # The entry's payload lists live events (`live`); derived from the payload, so outside
    # the hash, and indexed so the live broker finds them without reading every entry.
    live: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                       index=True)


class JournalHead(Base):
    """A single row locked by every writer, so sequence numbers never race."""

    __tablename__ = "journal_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # The hash of the last entry that changed what the decision point reads from the
    # registry (a state's status): the key of every cached standing (`auth.clearance`).
    # A hash, not a seq, because it names the whole history up to that entry: two
    # journals with the same mark hold the same registry, whatever was rolled back.
    registry_mark: Mapped[str] = mapped_column(String(64), default=GENESIS,
                                               server_default=GENESIS)


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


_ENTRIES = cast(Table, JournalEntry.__table__)
_HEAD = cast(Table, JournalHead.__table__)

# An append as the driver's own statements, on the DBAPI connection of the transaction
# (a session's or a driver unit's, core.commands): lock the head, insert the entry, move
# the head, checking it moved from the sequence number read. PostgreSQL moves the head and
# inserts the entry in one statement, the entry written only if the head moved; SQLite has
# no data-modifying WITH, and its BEGIN IMMEDIATE already holds the write lock.
_ENTRY_COLUMNS = "seq, at, actor, command, payload, prev_hash, hash, live"
LOCK_HEAD = {
    "sqlite": "SELECT seq, hash, registry_mark FROM journal_head WHERE id = 1",
    "postgresql": "SELECT seq, hash, registry_mark FROM journal_head WHERE id = 1 FOR UPDATE"}
_SQLITE_APPEND = f"INSERT INTO journal ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_SQLITE_MOVE_HEAD = ("UPDATE journal_head SET seq = ?, hash = ?, registry_mark = ? "
                     "WHERE id = 1 AND seq = ?")
_START_HEAD = {"sqlite": "INSERT INTO journal_head (id, seq, hash, registry_mark) "
                         "VALUES (1, ?, ?, ?)",
               "postgresql": "INSERT INTO journal_head (id, seq, hash, registry_mark) "
                             "VALUES (1, %s, %s, %s)"}
_PG_APPEND = {"first": f"INSERT INTO journal ({_ENTRY_COLUMNS}) VALUES "
                       "(%s, %s, %s, %s, %s, %s, %s, %s)",
              "moving": "WITH moved AS (UPDATE journal_head SET seq = %s, hash = %s, "
                        "registry_mark = %s WHERE id = 1 AND seq = %s RETURNING seq) "
                        f"INSERT INTO journal ({_ENTRY_COLUMNS}) SELECT CAST(%s AS integer), "
                        "CAST(%s AS text), CAST(%s AS text), CAST(%s AS text), "
                        "CAST(%s AS text), CAST(%s AS text), CAST(%s AS text), "
                        "CAST(%s AS boolean) FROM moved RETURNING seq"}
Head = tuple[int, str, str]  # the locked head: seq, hash, registry mark


class Appended(NamedTuple):
    """The entry an append wrote: its place and hash."""

    seq: int
    hash: str


def lock_head(cursor: Any, dialect: str) -> Head | None:
    """Read the head under the writers' lock (None: the journal is empty)."""
    cursor.execute(LOCK_HEAD[dialect])
    found = cursor.fetchone()
    return None if found is None else (int(found[0]), found[1], found[2])


# The registry mark, read beside the caller's token or session (one query per request).
REGISTRY_MARK = select(_HEAD.c.registry_mark).where(_HEAD.c.id == 1).scalar_subquery()


def record(session: Staging, *, actor: Any, command: str, payload: Any,
           at: dt.datetime | None = None) -> None:
    """Record a step of the transaction's command; call inside the transaction that makes
    the change. The step is staged: at commit the transaction's steps become one entry
    (`collsec.core.commands`), so a command calling other commands still writes one.
    `actor` is an `auth.Actor` (journaled as `via:name`) or already such a string."""
    who = actor if isinstance(actor, str) else f"{actor.via}:{actor.name}"
    pending(session).steps.append(Step(command, who, payload, at))


@dataclass(frozen=True)
class Step:
    """One recorded step of a transaction's command, staged until the commit."""

    command: str
    actor: str
    payload: Any
    at: dt.datetime | None


@dataclass
class Pending:
    """What one transaction has staged for the journal: the name of its command (set by
    the outermost `@command`), its steps and the live events of what it changed."""

    command: str | None = None
    counted: bool = False  # nested steps are counted per command, not listed
    steps: list[Step] = field(default_factory=list)
    events: list[tuple[str, int, str]] = field(default_factory=list)  # topic, id, kind
    registry_changed: bool = False  # a state's status changed: the entry moves the mark


PENDING = "collsec_journal_pending"  # session.info key


class Staging(Protocol):
    """Where a transaction stages its journal record: a session or a driver unit
    (`core.commands`), each with its `info`."""

    @property
    def info(self) -> dict[Any, Any]: ...


def pending(session: Staging) -> Pending:
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending()
    return cast(Pending, found)


def registry_changed(session: Staging) -> None:
    """The transaction changed what the decision point reads from the registry; its entry
    becomes the registry mark, so every cached standing is read again."""
    pending(session).registry_changed = True


def append_on(cursor: Any, dialect: str, head: Head | None = None, *, locked: bool = False,
              actor: str, command: str, payload: Any, at: dt.datetime | None = None,
              live: bool = False, registry: bool = False) -> Appended:
    """Append one entry now, on a DBAPI cursor of the transaction (the unit of work calls
    this at commit, whichever kind of unit it is; nothing else should). `locked`: this
    transaction read the
    head with `lock_head` already, and `head` is what it read (None: the journal was
    empty); otherwise the head is locked now.

    The driver's statements rather than SQLAlchemy's: the same steps in the same
    transaction, without the execution overhead that cost most of a report's time
    (docs/performance.md)."""
    if not locked:
        head = lock_head(cursor, dialect)
    prev_seq, prev_hash = (head[0], head[1]) if head is not None else (0, GENESIS)
    seq = prev_seq + 1
    stamp = (at or clock.now()).isoformat()
    body = canonical(payload)
    digest = entry_hash(seq, stamp, actor, command, body, prev_hash)
    mark = digest if registry else head[2] if head is not None else GENESIS
    entry = (seq, stamp, actor, command, body, prev_hash, digest, live)
    if head is None:
        cursor.execute(_SQLITE_APPEND if dialect == "sqlite" else _PG_APPEND["first"], entry)
        cursor.execute(_START_HEAD[dialect], (seq, digest, mark))
    elif dialect == "postgresql":  # one round trip for both
        cursor.execute(_PG_APPEND["moving"], (seq, digest, mark, prev_seq, *entry))
        moved = cursor.fetchone()
        if moved is None or moved[0] != seq:
            raise RuntimeError("the journal head moved under its lock")  # never, unless misused
    else:
        cursor.execute(_SQLITE_APPEND, entry)
        cursor.execute(_SQLITE_MOVE_HEAD, (seq, digest, mark, prev_seq))
        if cursor.rowcount != 1:
            raise RuntimeError("the journal head moved under its lock")
    return Appended(seq, digest)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int  # entries read after the starting point, the first broken one included
    first_broken: int | None = None
    reason: str = ""
    # The last entry verified (its seq and hash): keep it and pass it as `after` next time.
    # When the chain breaks, the last good entry before the break; None when the starting
    # checkpoint itself does not match the journal.
    checkpoint: Checkpoint | None = None
    after: int = 0  # the entry the verification started after (0: from the first entry)


@dataclass(frozen=True)
class Checkpoint:
    """A verified point of the chain: entry `seq` has hash `hash` (seq 0: the genesis)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """`SEQ:HASH` as `str()` writes it; anything else is a ValueError naming the form."""
        seq, sep, digest = text.strip().partition(":")
        digest = digest.lower()
        if (not sep or not seq.isascii() or not seq.isdigit() or len(digest) != 64
                or any(c not in "0123456789abcdef" for c in digest)):
            raise ValueError(f"not a checkpoint: {text.strip()[:80]!r} (expected SEQ:HASH, an "
                             "entry's sequence number and its 64 hex digit hash)")
        return cls(int(seq), digest)


START = Checkpoint(0, GENESIS)
CHUNK = 20_000  # rows `verify` reads per statement: the most it holds at once

# Plain rows in keyset chunks by seq; the head and single entries without a lock.
_CHUNK = (select(_ENTRIES.c.seq, _ENTRIES.c.at, _ENTRIES.c.actor, _ENTRIES.c.command,
                 _ENTRIES.c.payload, _ENTRIES.c.prev_hash, _ENTRIES.c.hash)
          .where(_ENTRIES.c.seq > bindparam("last", type_=Integer))
          .order_by(_ENTRIES.c.seq)
          .limit(bindparam("n", type_=Integer)))
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_HASH_AT = select(_ENTRIES.c.hash).where(_ENTRIES.c.seq == bindparam("seq", type_=Integer))
_LAST_SEQ = select(_ENTRIES.c.seq).order_by(_ENTRIES.c.seq.desc()).limit(1)


def verify(session: Session, *, after: Checkpoint | None = None,
           chunk: int = CHUNK) -> Verdict:
    """Recompute the chain from the first entry, or from the one after `after` (a
    checkpoint an earlier verdict gave); stop at the first mismatch.

    Reads plain rows, `chunk` at a time, so memory does not grow with the journal. A
    resumed verification trusts the entries up to the checkpoint: it checks that the
    checkpoint is a point of this journal (its entry has that hash and is not beyond the
    head) and that the chain goes on from it, not the entries before it.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    start = after or START
    if after is not None:
        refused = _check_start(session, after)
        if refused is not None:
            return refused
    conn = session.connection()
    prev, last, count = start.hash, start.seq, 0
    head: tuple[int, str] | None = None
    recheck = False
    while True:
        rows = conn.execute(_CHUNK, {"last": last, "n": chunk}).all()
        if recheck and not rows:  # the head is ahead of the last entry and stays so
            break
        recheck = False
        for seq, at, actor, command, payload, prev_hash, digest in rows:
            count += 1
            expected = last + 1
            if seq != expected:
                return Verdict(False, count, expected, f"entry {expected} is missing",
                               Checkpoint(last, prev), start.seq)
            if prev_hash != prev:
                return Verdict(False, count, seq,
                               "its previous-hash does not match the entry before",
                               Checkpoint(last, prev), start.seq)
            if entry_hash(seq, at, actor, command, payload, prev_hash) != digest:
                return Verdict(False, count, seq, "its content does not match its hash",
                               Checkpoint(last, prev), start.seq)
            prev, last = digest, seq
        if len(rows) == chunk:
            continue
        head = _head(session)
        if head is None or head == (last, prev):
            return Verdict(True, count, checkpoint=Checkpoint(last, prev), after=start.seq)
        if head[0] <= last:
            break
        # The head is ahead: entries were removed, or appended since the last chunk was
        # read where each statement sees the newest commits (PostgreSQL's default). An
        # appender moves the head in its entry's transaction, so reading on finds them.
        recheck = True
    assert head is not None
    return Verdict(False, count, last + 1 if head[0] > last else head[0],
                   "the journal head does not match the last entry (entries removed?)",
                   Checkpoint(last, prev), start.seq)


def _head(session: Session) -> tuple[int, str] | None:
    row = session.connection().execute(_READ_HEAD).one_or_none()
    return None if row is None else (row.seq, row.hash)


def _check_start(session: Session, after: Checkpoint) -> Verdict | None:
    """A failed verdict when the checkpoint is not a point of this journal, else None."""
    conn = session.connection()
    mismatch = "the checkpoint does not match the journal"
    if after.seq < 0:
        return Verdict(False, 0, 1, f"{mismatch}: {after.seq} is not a sequence number",
                       None, after.seq)
    head = _head(session)
    top = head[0] if head is not None else (conn.execute(_LAST_SEQ).scalar() or 0)
    if after.seq > top:
        return Verdict(False, 0, top + 1,
                       f"{mismatch}: it is at entry {after.seq}, beyond the head at entry {top}",
                       None, after.seq)
    stored = GENESIS if after.seq == 0 else conn.execute(_HASH_AT, {"seq": after.seq}).scalar()
    if stored is None:
        return Verdict(False, 0, after.seq, f"{mismatch}: entry {after.seq} is missing",
                       None, after.seq)
    if stored != after.hash:
        what = "the chain starts from" if after.seq == 0 else f"entry {after.seq} has"
        return Verdict(False, 0, max(after.seq, 1),
                       f"{mismatch}: {what} hash {stored[:16]}…, not {after.hash[:16]}…",
                       None, after.seq)
    return None


def entries(session: Session, *, limit: int = 50) -> list[JournalEntry]:
    stmt = select(JournalEntry).order_by(JournalEntry.seq.desc()).limit(limit)
    return list(session.execute(stmt).scalars())
