"""Engine, sessions and the unit of work: every command runs in exactly one transaction.

SQLite runs in WAL mode with synchronous=FULL so an acknowledged write survives a
crash; write transactions start with BEGIN IMMEDIATE so two writers never
deadlock on a lock upgrade. PostgreSQL keeps its default durability.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
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


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(settings_mod.database_url())


@contextmanager
def write_session(eng: Engine | None = None) -> Iterator[Session]:
    """One command, one transaction: commit on success, roll back on any error."""
    eng = (eng or engine()).execution_options(collsec_write=True)
    with Session(eng, expire_on_commit=False) as session, session.begin():
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
