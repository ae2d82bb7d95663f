"""Incident ingest and the situation-picture query, each against raw SQL in the same run.

    python -m benchmarks.incidents --db sqlite --sizes 100000,1000000
    python -m benchmarks.incidents --db postgresql --url postgresql://collsec@127.0.0.1:55433/collsec

Ingest: reports through the service as the API makes them (one journaled write
transaction each) against hand-written INSERTs of the same rows on a connection of
the same engine (same PRAGMAs, one transaction per row), in alternating rounds so
neither side gets the quieter disk. Situation: the window query a duty officer of
Kazakhstan runs (box, week, types, counts per reporting state, newest 100) through
`service.situation` against the equivalent SQL on the same connection, alternating
which goes first; every answer pair is compared, so a faster but wrong raw query
cannot win. Figures are ratios and percentiles, never pass/fail timings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from benchmarks import databases, synthetic
from collsec import startup
from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.context import Context
from collsec.crisis.incidents import service
from collsec.registry import service as registry

ROW_COLUMNS = synthetic.COLUMNS[1:]  # the database numbers the rows


# -- figures -------------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Ingest:
    database: str
    journaled: Rate  # one service call and journal entry per write transaction
    raw: Rate  # one INSERT (plus its releases) per transaction
    batch: int
    journaled_batched: Rate  # `batch` service calls per write transaction
    raw_batched: Rate
    # Where a journaled report's time goes: the raw side's INSERTs, one transaction each,
    # through SQLAlchemy's engine.begin() and through db.write_session() (the ceiling).
    through_engine: Rate
    in_write_session: Rate

    @property
    def ratio(self) -> float:
        return self.journaled.per_second / self.raw.per_second

    def share(self, rate: Rate) -> float:
        """`rate` as a fraction of the raw rate."""
        return rate.per_second / self.raw.per_second

    @property
    def batched_ratio(self) -> float:
        return self.journaled_batched.per_second / self.raw_batched.per_second


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of the samples."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class Latency:
    samples_ms: list[float] = field(repr=False)

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)


@dataclass(frozen=True)
class Situation:
    database: str
    incidents: int
    queries: int
    service: Latency
    raw: Latency
    mean_counted: float  # incidents counted per window, on average
    answers_compared: int  # windows whose service and raw answers were checked equal

    @property
    def ratio_p50(self) -> float:
        return self.service.p50 / self.raw.p50

    @property
    def ratio_p99(self) -> float:
        return self.service.p99 / self.raw.p99


# -- ingest ------------------------------------------------------------------------------

def _reporters(engine: Engine, owners: set[str]) -> dict[str, tuple[auth.Actor, Clearance]]:
    """A duty officer per reporting principal with its clearance, computed once as the API's
    guard does per request (outside the write transaction)."""
    out = {}
    with db.read_session(engine) as s:
        for owner in sorted(owners):
            actor = auth.Actor(None, f"bench-{owner.split(':')[1].lower()}",
                               Principal.parse(owner), frozenset({"duty_officer"}), "api")
            out[owner] = (actor, auth.clearance(s, actor, synthetic.NOW.date(), "CSTO"))
    return out


def _journaled(engine: Engine, who: dict[str, tuple[auth.Actor, Clearance]],
               reports: Sequence[synthetic.Report], batch: int) -> float:
    if batch == 1:
        return _run(engine, who, reports)
    started = time.perf_counter()
    for i in range(0, len(reports), batch):
        with db.write_session(engine) as s:
            for r in reports[i:i + batch]:
                actor, c = who[r.owner]
                service.report_incident(
                    s, c, actor, type=r.type, severity=r.severity, occurred_at=r.occurred_at,
                    geometry=r.geometry, title=r.title, description=r.description,
                    released_to=list(r.released_to), now=synthetic.NOW)
    return time.perf_counter() - started


def _run(engine: Engine, who: dict[str, tuple[auth.Actor, Clearance]],
         reports: Sequence[synthetic.Report]) -> float:
    """One report per command as `POST /api/v1/incidents` runs it once the caller is known:
    `report_incident.run(ctx, ...)`, which opens the command's own unit of work."""
    charter = registry.charter_for("CSTO")
    contexts = {owner: Context("CSTO", charter, actor, c, synthetic.NOW, synthetic.NOW.date())
                for owner, (actor, c) in who.items()}
    saved = os.environ.get("COLLSEC_DATABASE_URL")
    os.environ["COLLSEC_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        for r in reports:
            service.report_incident.run(
                contexts[r.owner], type=r.type, severity=r.severity, occurred_at=r.occurred_at,
                geometry=r.geometry, title=r.title, description=r.description,
                released_to=list(r.released_to))
        return time.perf_counter() - started
    finally:
        if saved is None:
            os.environ.pop("COLLSEC_DATABASE_URL", None)
        else:
            os.environ["COLLSEC_DATABASE_URL"] = saved


RawRow = tuple[tuple[Any, ...], tuple[str, ...]]


def _raw_rows(engine: Engine, reports: Sequence[synthetic.Report]) -> list[RawRow]:
    """The rows the service stores for these reports, ready for hand-written INSERTs."""
    status = next(iter(service.taxonomy("CSTO").incident_transitions))
    rows = []
    for r in reports:
        actor = f"bench-{r.owner.split(':')[1].lower()}"
        row = r.row(None, status, actor)[1:]
        if engine.dialect.name == "sqlite":
            row = tuple(databases.sqlite_time(v) for v in row)
        rows.append((row, r.released_to))
    return rows


def _statements(pg: bool) -> tuple[str, str]:
    """The hand-written INSERTs of an incident row and of one of its releases."""
    mark = "%s" if pg else "?"
    insert = (f"INSERT INTO incidents ({', '.join(ROW_COLUMNS)}) "
              f"VALUES ({', '.join(mark for _ in ROW_COLUMNS)})" + (" RETURNING id" if pg else ""))
    release = f"INSERT INTO releases (object_type, object_id, principal) VALUES ({mark}, " \
              f"{mark}, {mark})"
    return insert, release


def _raw(engine: Engine, rows: Sequence[RawRow], batch: int) -> float:
    pg = engine.dialect.name == "postgresql"
    insert, release = _statements(pg)
    pooled = engine.raw_connection()  # through the engine: the same connection settings
    conn = pooled.driver_connection
    assert conn is not None
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            if not pg:
                cur.execute("BEGIN IMMEDIATE")  # as write_session begins
            for row, released in rows[i:i + batch]:
                cur.execute(insert, row)
                incident_id = cur.fetchone()[0] if pg else cur.lastrowid
                for principal in released:
                    cur.execute(release, ("incident", incident_id, principal))
            if pg:
                conn.commit()
            else:
                cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        pooled.close()


def _insert_one(conn: Connection, statements: tuple[str, str], pg: bool, row: RawRow) -> None:
    """The raw side's INSERTs of one report, sent through SQLAlchemy's `conn`."""
    insert, release = statements
    result = conn.exec_driver_sql(insert, row[0])
    incident_id = result.scalar_one() if pg else result.lastrowid
    for principal in row[1]:
        conn.exec_driver_sql(release, ("incident", incident_id, principal))


def _through_engine(engine: Engine, rows: Sequence[RawRow]) -> float:
    """The raw side's INSERTs, one transaction each, in `engine.begin()`: SQLAlchemy's
    transaction and connection handling, no session."""
    pg = engine.dialect.name == "postgresql"
    statements, writer = _statements(pg), engine.execution_options(collsec_write=True)
    started = time.perf_counter()
    for row in rows:
        with writer.begin() as conn:
            _insert_one(conn, statements, pg, row)
    return time.perf_counter() - started


def _in_write_session(engine: Engine, rows: Sequence[RawRow]) -> float:
    """The raw side's INSERTs, one `db.write_session()` each: the unit of work every command
    runs in, with no command in it. No journaled path can be faster than this."""
    pg = engine.dialect.name == "postgresql"
    statements = _statements(pg)
    started = time.perf_counter()
    for row in rows:
        with db.write_session(engine) as s:
            _insert_one(s.connection(), statements, pg, row)
    return time.perf_counter() - started


def run_ingest(url: str, reports: int = 2000, batch: int = 500, rounds: int = 4,
               seed: int = 3) -> Ingest:
    """Journaled reports against raw INSERTs of the same rows, alternating in `rounds`."""
    engine = db.engine_for(url)
    items = list(synthetic.reports(reports, seed))
    who = _reporters(engine, {r.owner for r in items})
    rows = _raw_rows(engine, items)
    times = {"journaled": 0.0, "raw": 0.0, "journaled_batched": 0.0, "raw_batched": 0.0,
             "through_engine": 0.0, "in_write_session": 0.0}
    step = -(-reports // rounds)
    for k, start in enumerate(range(0, reports, step)):
        part, raw_part = items[start:start + step], rows[start:start + step]
        runs: list[tuple[str, Callable[[], float]]] = [
            ("journaled", partial(_journaled, engine, who, part, 1)),
            ("raw", partial(_raw, engine, raw_part, 1)),
            ("journaled_batched", partial(_journaled, engine, who, part, batch)),
            ("raw_batched", partial(_raw, engine, raw_part, batch)),
            ("through_engine", partial(_through_engine, engine, raw_part)),
            ("in_write_session", partial(_in_write_session, engine, raw_part))]
        for name, run in runs if k % 2 == 0 else runs[::-1]:
            times[name] += run()
    return Ingest(engine.dialect.name, Rate(reports, times["journaled"]),
                  Rate(reports, times["raw"]), batch,
                  Rate(reports, times["journaled_batched"]), Rate(reports, times["raw_batched"]),
                  Rate(reports, times["through_engine"]), Rate(reports, times["in_write_session"]))


# -- the situation picture ------------------------------------------------------------

Counts = dict[str, int]


def raw_situation(conn: Any, dialect: str, w: synthetic.Window, c: Clearance, limit: int,
                  org: str = "CSTO") -> tuple[Counts, list[tuple[Any, ...]]]:
    """The situation query written by hand: counts per owner, then the newest `limit` rows.
    Restricted rows are readable by their owner and the principals they are released to."""
    assert c.principal is not None and c.in_good_standing, "written for a member in standing"
    mark = "%s" if dialect == "postgresql" else "?"
    when: Callable[[Any], Any] = (
        (lambda v: v) if dialect == "postgresql" else databases.sqlite_time)
    levels = sorted(level for level in c.levels if level != "restricted")
    where = (f"i.org = {mark} AND i.min_lon <= {mark} AND i.max_lon >= {mark}"
             f" AND i.min_lat <= {mark} AND i.max_lat >= {mark}"
             f" AND i.occurred_at >= {mark} AND i.occurred_at <= {mark}"
             f" AND i.type IN ({', '.join(mark for _ in w.types)})")
    params: list[Any] = [org, w.bbox[2], w.bbox[0], w.bbox[3], w.bbox[1], when(w.since),
                         when(w.until), *w.types]
    if w.severity_min is not None:
        where += f" AND i.severity >= {mark}"
        params.append(w.severity_min)
    where += (f" AND (i.visibility IN ({', '.join(mark for _ in levels)})"
              f" OR (i.visibility = 'restricted' AND (i.owner = {mark} OR EXISTS ("
              f"SELECT 1 FROM releases r WHERE r.object_type = 'incident'"
              f" AND r.object_id = i.id AND r.principal = {mark}))))")
    params += [*levels, c.principal, c.principal]
    cur = conn.cursor()
    cur.execute(f"SELECT i.owner, count(*) FROM incidents i WHERE {where} "
                "GROUP BY i.owner ORDER BY i.owner",
                params)
    counts = {owner: n for owner, n in cur.fetchall()}
    rows: list[tuple[Any, ...]] = []
    if counts:
        cur.execute(f"SELECT i.id, {', '.join('i.' + col for col in ROW_COLUMNS)} "
                    f"FROM incidents i WHERE {where} ORDER BY i.occurred_at DESC, i.id "
                    f"LIMIT {mark}", [*params, limit])
        rows = cur.fetchall()
    return counts, rows


def run_situation(url: str, queries: int = 200, days: float = 7.0, limit: int = 100,
                  principal: str = "delegation:KZ", warmup: int = 10,
                  seed: int = 2) -> Situation:
    """Service and raw SQL over the same randomized windows on one connection."""
    engine = db.engine_for(url)
    incidents = databases.incident_count(engine)
    actor = auth.Actor(None, "bench-duty", Principal.parse(principal),
                       frozenset({"duty_officer"}), "api")
    timed: dict[str, list[float]] = {"service": [], "raw": []}
    counted = 0
    with Session(engine) as s, s.begin():
        c = auth.clearance(s, actor, synthetic.NOW.date(), "CSTO")
        conn = s.connection().connection.driver_connection  # the session's own connection
        for i, w in enumerate(synthetic.windows(warmup + queries, seed, days)):
            answers: dict[str, tuple[Counts, list[int]]] = {}
            order = ("service", "raw") if i % 2 == 0 else ("raw", "service")
            for side in order:
                started = time.perf_counter()
                if side == "service":
                    picture = service.situation(
                        s, c, bbox=w.bbox, since=w.since, until=w.until, types=list(w.types),
                        severity_min=w.severity_min, limit=limit, now=w.until)
                    elapsed = time.perf_counter() - started
                    answers[side] = (picture.per_state, [r.id for r in picture.incidents])
                    s.expunge_all()  # each API request starts with an empty session
                else:
                    counts, rows = raw_situation(conn, engine.dialect.name, w, c, limit)
                    elapsed = time.perf_counter() - started
                    answers[side] = (counts, [row[0] for row in rows])
                if i >= warmup:
                    timed[side].append(elapsed * 1000)
            if answers["service"] != answers["raw"]:
                raise AssertionError(f"window {i}: the service and the raw SQL disagree: "
                                     f"{answers['service'][0]} vs {answers['raw'][0]}")
            if i >= warmup:
                counted += sum(answers["service"][0].values())
    return Situation(engine.dialect.name, incidents, queries, Latency(timed["service"]),
                     Latency(timed["raw"]), counted / max(queries, 1), warmup + queries)


# -- the command ---------------------------------------------------------------------------

def _report_ingest(f: Ingest) -> dict[str, Any]:
    print(f"ingest on {f.database}: {f.journaled.rows} reports each way")
    print(f"  one per transaction: journaled {f.journaled.per_second:8.0f}/s   "
          f"raw {f.raw.per_second:8.0f}/s   ratio {f.ratio:.2f} (target >= 0.6)")
    print(f"  {f.batch} per transaction: journaled {f.journaled_batched.per_second:8.0f}/s   "
          f"raw {f.raw_batched.per_second:8.0f}/s   ratio {f.batched_ratio:.2f}")
    print("  the raw rows, one per transaction, wrapped as the application wraps a command:")
    for label, rate in (("in engine.begin()", f.through_engine),
                        ("in db.write_session() (the ceiling)", f.in_write_session)):
        print(f"    {label:38s} {rate.per_second:8.0f}/s   {f.share(rate):.2f} of raw")
    return {**asdict(f), "ratio": f.ratio, "batched_ratio": f.batched_ratio,
            "through_engine_share": f.share(f.through_engine),
            "in_write_session_share": f.share(f.in_write_session)}


def _report_situation(f: Situation, load_seconds: float | None) -> dict[str, Any]:
    built = "reused cache" if load_seconds is None else f"built in {load_seconds:.0f} s"
    print(f"situation on {f.database}, {f.incidents:,} incidents ({built}), {f.queries} "
          f"windows, {f.mean_counted:.0f} incidents counted per window on average")
    print(f"  service p50 {f.service.p50:7.2f} ms  p99 {f.service.p99:7.2f} ms")
    print(f"  raw SQL p50 {f.raw.p50:7.2f} ms  p99 {f.raw.p99:7.2f} ms")
    print(f"  ratio   p50 {f.ratio_p50:7.2f}     p99 {f.ratio_p99:7.2f}    "
          "(targets: p99 < 50 ms at 1 M, ratio <= 1.2)")
    return {"database": f.database, "incidents": f.incidents, "queries": f.queries,
            "service_p50_ms": f.service.p50, "service_p99_ms": f.service.p99,
            "raw_p50_ms": f.raw.p50, "raw_p99_ms": f.raw.p99, "ratio_p50": f.ratio_p50,
            "ratio_p99": f.ratio_p99, "mean_counted": f.mean_counted,
            "load_seconds": load_seconds}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.incidents",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG,
                        help="a PostgreSQL cluster to create the benchmark databases in")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="incident counts for the situation query, comma-separated")
    parser.add_argument("--reports", type=int, default=2000, help="reports each way (ingest)")
    parser.add_argument("--batch", type=int, default=500, help="reports per batched transaction")
    parser.add_argument("--queries", type=int, default=200, help="windows per size")
    parser.add_argument("--days", type=float, default=7.0, help="length of a window")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-situation", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"database": args.db}
    if not args.skip_ingest:
        url = databases.url_for(args.db, "ingest", args.url)
        if args.db == "sqlite":
            databases.CACHE.mkdir(parents=True, exist_ok=True)
        databases.create(url)
        try:
            out["ingest"] = _report_ingest(run_ingest(url, args.reports, args.batch))
        finally:
            databases.drop(url)
    if not args.skip_situation:
        out["situation"] = []
        for size in (int(s) for s in args.sizes.split(",") if s.strip()):
            url, seconds = databases.cached(args.db, size, pg_base=args.url)
            figures = run_situation(url, args.queries, args.days)
            out["situation"].append(_report_situation(figures, seconds))
            db.engine_for(url).dispose()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    startup.wire()
    sys.exit(main())
