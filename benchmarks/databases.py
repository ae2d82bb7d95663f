"""The benchmarks' databases: fresh or cached, migrated, the CSTO loaded, incidents bulk-loaded.

SQLite files live in var/bench/ (git-ignored); PostgreSQL databases are created in
the cluster the given URL points at, named collsec_bench_*. A cached database is
reused when it holds the expected number of incidents at the current schema.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks import synthetic
from collsec.core import db, migrate
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "bench"
DEFAULT_PG = "postgresql://collsec@127.0.0.1:55433/collsec"
CHUNK = 20_000


def pg_url(base: str, name: str) -> str:
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.set(database=name).render_as_string(hide_password=False)


def url_for(kind: str, name: str, pg_base: str = DEFAULT_PG) -> str:
    if kind == "sqlite":
        return f"sqlite:///{CACHE / (name + '.db')}"
    return pg_url(pg_base, f"collsec_bench_{name}")


def drop(url: str) -> None:
    db.engine_for(url).dispose()
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def create(url: str) -> Engine:
    """A new database at `url` (an old one is dropped), migrated, with the CSTO loaded."""
    from collsec import startup
    from collsec.registry import defaults

    startup.wire()  # the load checks principals against the registry (a scenario's teams)
    drop(url)
    if url.startswith("postgresql"):
        admin = create_engine(make_url(url).set(database="postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        admin.dispose()
    engine: Engine = db.engine_for(url)
    migrate.upgrade(engine)
    with db.write_session(engine) as s:
        defaults.load_default(s, actor="bench", org="CSTO")
    return engine


def incident_count(engine: Engine) -> int:
    with db.read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(IncidentRow)) or 0


def _current(engine: Engine, n: int) -> bool:
    """Does the cached database hold `n` incidents at the newest schema?"""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config(str(engine.url))).get_current_head()
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no such database or table: build it
        return False
    return revision == head and incident_count(engine) == n


def cached(kind: str, n: int, seed: int = 1, pg_base: str = DEFAULT_PG,
           log: bool = True) -> tuple[str, float | None]:
    """A database of `n` synthetic incidents; its URL and the load time (None when reused)."""
    url = url_for(kind, f"incidents_{n}_s{seed}", pg_base)
    if kind == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
    missing = kind == "sqlite" and not Path(url.removeprefix("sqlite:///")).exists()
    if not missing and _current(db.engine_for(url), n):
        return url, None
    started = time.perf_counter()
    engine = create(url)
    bulk_load(engine, synthetic.reports(n, seed), log=log)
    return url, time.perf_counter() - started


def bulk_load(engine: Engine, reports: Iterable[synthetic.Report], log: bool = False) -> int:
    """Insert reports straight into the tables (no service, no journal), then refresh the
    planner's statistics. Returns the number loaded."""
    first = (incident_count(engine) and _max_id(engine)) + 1
    status = next(iter(service.taxonomy("CSTO").incident_transitions))
    loaded = 0
    incidents: list[tuple[Any, ...]] = []
    releases: list[tuple[str, int, str]] = []
    pooled = engine.raw_connection()  # the engine's own connection settings (PRAGMAs)
    raw = pooled.driver_connection
    assert raw is not None
    try:
        for r in reports:
            incident_id = first + loaded
            incidents.append(r.row(incident_id, status, "bench"))
            releases.extend(("incident", incident_id, p) for p in r.released_to)
            loaded += 1
            if len(incidents) >= CHUNK:
                _insert(raw, engine.dialect.name, incidents, releases)
                incidents, releases = [], []
                if log and loaded % 200_000 == 0:
                    print(f"  loaded {loaded:,} incidents", flush=True)
        _insert(raw, engine.dialect.name, incidents, releases)
        raw.commit()
    finally:
        pooled.close()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return loaded


def _max_id(engine: Engine) -> int:
    with db.read_session(engine) as s:
        return s.scalar(select(func.max(IncidentRow.id))) or 0


def _insert(raw: Any, dialect: str, incidents: list[tuple[Any, ...]],
            releases: list[tuple[str, int, str]]) -> None:
    if not incidents:
        return
    cur = raw.cursor()
    release_cols = ("object_type", "object_id", "principal")
    if dialect == "postgresql":
        with cur.copy(f"COPY incidents ({', '.join(synthetic.COLUMNS)}) FROM STDIN") as copy:
            for row in incidents:
                copy.write_row(row)
        with cur.copy(f"COPY releases ({', '.join(release_cols)}) FROM STDIN") as copy:
            for rel in releases:
                copy.write_row(rel)
        return
    if not raw.in_transaction:
        cur.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" for _ in synthetic.COLUMNS)
    cur.executemany(f"INSERT INTO incidents ({', '.join(synthetic.COLUMNS)}) VALUES ({marks})",
                    [_sqlite_row(row) for row in incidents])
    cur.executemany(f"INSERT INTO releases ({', '.join(release_cols)}) VALUES (?, ?, ?)",
                    releases)


def sqlite_time(value: Any) -> Any:
    """A time as SQLAlchemy stores it in SQLite (naive UTC text), so comparisons agree."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sqlite_time(v) for v in row)
