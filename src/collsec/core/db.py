"""Engine, sessions and the unit of work: every command runs in exactly one transaction.

SQLite runs in WAL mode with synchronous=FULL so an acknowledged write survives a
crash; write transactions start with BEGIN IMMEDIATE so two writers never
deadlock on a lock upgrade, and the writers of one process take turns at a gate
before they ask SQLite for its lock (`WriteGate`). PostgreSQL keeps its default
durability and has no gate: its writers lock rows, not the database.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session

from collsec.core import settings as settings_mod
from collsec.core import text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


text.guard_rows(Base)  # no NUL, no text past its column, no bidi controls in a line


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("collsec_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, connections: int | None = None) -> Engine:
    """An engine of its own pool; `connections` bounds it (a single thread's engine needs one
    or two), else SQLAlchemy's default pool."""
    pool: dict[str, Any] = {} if connections is None else {
        "pool_size": connections, "max_overflow": 0}
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        _configure_sqlite(engine)
        return engine
    # psycopg prepares a statement run five times, and PostgreSQL may then plan it once
    # for any values: a search's best plan depends on how common its words are, and the
    # generic plan of a narrowed search took 100-300 ms where its own took 1 ms. Each
    # statement is planned with its values (docs/performance.md, full-text search).
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
                         **pool)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(settings_mod.database_url())


class WriteGate:
    """The SQLite writers of one process, one at a time, in the order they came, those that
    ask to go first (the live broker's audit, which every subscriber's events wait for)
    before the rest. SQLite's own busy handler polls, sleeping up to 100 ms between tries,
    and lets a late comer overtake: under load a writer waited a second while the lock was
    free most of that time (docs/performance.md). The gate hands the turn over at once.
    Writers in other processes still meet SQLite's busy handler. A thread that opens a
    write while it holds one passes (SQLite then refuses the second, as it always did)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[tuple[int, int]] = []  # (0 first / 1 in turn, arrival)
        self._arrivals = itertools.count()
        self._holder: int | None = None  # the thread that has the turn
        self._depth = 0

    @contextmanager
    def turn(self, *, first: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._holder == me:
                self._depth += 1
            else:
                ticket = (0 if first else 1, next(self._arrivals))
                heapq.heappush(self._waiting, ticket)
                while self._holder is not None or self._waiting[0] != ticket:
                    self._cond.wait()
                heapq.heappop(self._waiting)
                self._holder, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._holder = None
                    self._cond.notify_all()


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def write_turn(eng: Engine, *, first: bool = False) -> Any:
    """A context in which this thread is the only writer of `eng`'s SQLite file in this
    process (nothing on PostgreSQL)."""
    if eng.dialect.name != "sqlite":
        return nullcontext()
    key = eng.url.render_as_string(hide_password=False)
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate()
    return gate.turn(first=first)


@contextmanager
def write_session(eng: Engine | None = None, *, first: bool = False) -> Iterator[Session]:
    """One command, one transaction: commit on success, roll back on any error. `first`:
    ahead of this process's other waiting writers (the live broker's audit)."""
    base = eng or engine()
    opts = base.execution_options(collsec_write=True)
    with write_turn(base, first=first), Session(opts, expire_on_commit=False) as session, \
            session.begin():
        yield session


AFTER_READ = "collsec_after_read"  # session.info key: writes a read owes (its audit rows)


@contextmanager
def read_session(eng: Engine | None = None) -> Iterator[Session]:
    """A read; what it owes (the audit of the restricted rows it returned) is written in a
    write transaction of its own as the read ends, before the caller gets its rows: a read
    that wrote in place would upgrade its lock, which SQLite refuses once another writer
    has committed since the read began."""
    bind = eng or engine()
    with Session(bind, expire_on_commit=False) as session:
        with session.begin():
            yield session
        owed = session.info.pop(AFTER_READ, None)
    if owed:
        with write_session(bind) as w:
            for write in owed:
                write(w)


@contextmanager
def read_connection(eng: Engine | None = None) -> Iterator[Connection]:
    """A read of columns, not objects, in a transaction of its own on a pooled connection:
    no ORM session, whose unit cost more than the statements of a cheap page (operations'
    statistics, a TAXII page of 1,000 objects). What it owes (`owe`: the audit of the
    restricted rows it returned) is written on the same connection in a write transaction
    of its own as the read ends, before the caller gets its rows, as `read_session` does."""
    bind = eng or engine()
    with bind.connect() as conn:
        try:
            with conn.begin():
                yield conn
            owed = conn.info.pop(AFTER_READ, None)
            if owed:
                with write_turn(bind):
                    conn.execution_options(collsec_write=True)  # BEGIN IMMEDIATE on SQLite
                    with conn.begin():
                        for write in owed:
                            write(conn)
        finally:  # the info is the pooled connection's: nothing owed outlives the read
            conn.info.pop(AFTER_READ, None)


def owe(unit: Session | Connection, write: Any) -> None:
    """Leave `write(unit)` for a read unit to run as it ends (`read_session`,
    `read_connection`)."""
    unit.info.setdefault(AFTER_READ, []).append(write)


def connection_of(unit: Session | Connection) -> Connection:
    """The connection a read's statements run on: the session's, or the plain read's."""
    return unit.connection() if isinstance(unit, Session) else unit
