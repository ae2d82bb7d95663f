"""Bulk import of incident reports: `crisis.import_incidents` against raw bulk writes of the
same rows, in the same database and the same run.

    python -m benchmarks.bulk_import --db sqlite --reports 5000
    python -m benchmarks.bulk_import --db postgresql --url postgresql://collsec@127.0.0.1:55433/collsec

Sides, each one transaction of `--reports` reports from one crisis centre, its commit
included, in alternating rounds so neither gets the quieter disk:

- import: `bulk.import_incidents` in a `db.write_session()`, what
  `POST /api/v1/incidents/import` runs once its body is parsed: every report checked,
  ids reserved, the incidents and their releases written in bulk, one journal entry
  listing every report and its live event (on PostgreSQL one NOTIFY statement for all);
- raw: the same rows, prepared beforehand, into bare twins of `incidents` and `releases`
  (the same columns, no key, index or foreign key), with `executemany` on SQLite and
  COPY on PostgreSQL, on a DBAPI connection of the same engine;
- raw into the real tables: the same statements into `incidents` and `releases`
  themselves, with ids taken as the import takes them: what the tables' indexes cost;
- checks alone: `service.check_report` over the reports, no database (the CPU part of
  the import's time).

Ratio = import rate / raw rate (targets: >= 0.55 on SQLite, >= 0.75 on PostgreSQL). The
first round's rows of the import and of the raw side are compared column by column, so a
raw side that stored less cannot win. Figures are rates and ratios, never pass/fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import Column, Engine, MetaData, Table

from benchmarks import databases, synthetic
from benchmarks.incidents import Rate
from collsec import startup
from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.crisis.incidents import bulk, service
from collsec.crisis.incidents.tables import IncidentRow

REPORTER = "delegation:KZ"
NOW = synthetic.NOW
COLUMNS = synthetic.COLUMNS  # id first
RELEASE_COLUMNS = ("object_type", "object_id", "principal")
RAW_INCIDENTS, RAW_RELEASES = "bench_raw_incidents", "bench_raw_releases"


@dataclass(frozen=True)
class Figures:
    database: str
    reports: int  # per transaction
    rounds: int
    imported: Rate
    raw: Rate  # into the bare tables
    raw_real: Rate  # into incidents and releases themselves
    checks: Rate  # service.check_report alone
    releases: int  # release rows per batch
    entry_bytes: int  # the size of one import's journal payload
    rows_compared: int

    @property
    def ratio(self) -> float:
        return self.imported.per_second / self.raw.per_second

    @property
    def ratio_to_real(self) -> float:
        """The import against raw writes into the tables it writes, indexes and all."""
        return self.imported.per_second / self.raw_real.per_second

    def share(self, rate: Rate) -> float:
        """`rate` as a fraction of the raw rate."""
        return rate.per_second / self.raw.per_second


# -- the batch -------------------------------------------------------------------------------

def batch(n: int, seed: int = 4) -> list[synthetic.Report]:
    """`n` synthetic reports, all from Kazakhstan's centre (an import is one centre's)."""
    out = []
    for r in synthetic.reports(n, seed):
        released = tuple(p for p in r.released_to if p != REPORTER)
        out.append(dataclasses.replace(r, owner=REPORTER, released_to=released))
    return out


def as_sent(reports: Sequence[synthetic.Report]) -> list[dict[str, Any]]:
    """The reports as the API hands them to the service: times as zoned ISO text."""
    return [{"type": r.type, "severity": r.severity, "occurred_at": r.occurred_at.isoformat(),
             "geometry": r.geometry, "title": r.title, "description": r.description,
             "released_to": list(r.released_to)} for r in reports]


Prepared = tuple[list[tuple[Any, ...]], list[tuple[str, int, str]]]


def prepare(reports: Sequence[synthetic.Report], first_id: int, dialect: str,
            status: str, reported_by: str) -> Prepared:
    """The incident and release rows the import stores for these reports, numbered from
    `first_id`, ready for the raw statements."""
    rows: list[tuple[Any, ...]] = []
    releases: list[tuple[str, int, str]] = []
    for k, r in enumerate(reports):
        row = list(r.row(first_id + k, status, reported_by))
        row[COLUMNS.index("reported_at")] = NOW
        if dialect == "sqlite":
            row = [databases.sqlite_time(v) for v in row]
        rows.append(tuple(row))
        releases.extend(("incident", first_id + k, p) for p in sorted(set(r.released_to)))
    return rows, releases


def _renumber(prepared: Prepared, ids: Sequence[int]) -> Prepared:
    rows, releases = prepared
    first = rows[0][0]
    return ([(ids[row[0] - first], *row[1:]) for row in rows],
            [(t, ids[i - first], p) for t, i, p in releases])


def create_bare_tables(engine: Engine) -> None:
    """Twins of incidents and releases with the same columns and types, and nothing else."""
    meta = MetaData()
    incidents = cast(Table, IncidentRow.__table__)
    Table(RAW_INCIDENTS, meta, *(Column(c.name, c.type) for c in incidents.c))
    from collsec.core.auth.tables import ReleaseRow

    releases = cast(Table, ReleaseRow.__table__)
    Table(RAW_RELEASES, meta, *(Column(c.name, c.type) for c in releases.c
                                if c.name in RELEASE_COLUMNS))
    meta.drop_all(engine)
    meta.create_all(engine)


# -- the sides -------------------------------------------------------------------------------

def _import(engine: Engine, actor: auth.Actor, c: Clearance, sent: list[dict[str, Any]],
            out: list[list[int]]) -> float:
    started = time.perf_counter()
    with db.write_session(engine) as s:
        ids = bulk.import_incidents(s, c, actor, sent, now=NOW)
    elapsed = time.perf_counter() - started
    out.append(ids)
    return elapsed


def _write(cur: Any, pg: bool, tables: tuple[str, str], prepared: Prepared) -> None:
    rows, releases = prepared
    incidents, release_table = tables
    if pg:
        with cur.copy(f"COPY {incidents} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if releases:
            with cur.copy(f"COPY {release_table} ({', '.join(RELEASE_COLUMNS)}) "
                          "FROM STDIN") as copy:
                for rel in releases:
                    copy.write_row(rel)
        return
    marks = ", ".join("?" for _ in COLUMNS)
    cur.executemany(f"INSERT INTO {incidents} ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    cur.executemany(f"INSERT INTO {release_table} ({', '.join(RELEASE_COLUMNS)}) "
                    "VALUES (?, ?, ?)", releases)


def _raw(engine: Engine, prepared: Prepared, *, real: bool) -> float:
    """One transaction of raw bulk writes on the engine's own DBAPI connection. `real`: into
    incidents and releases, with ids reserved as the import reserves them."""
    pg = engine.dialect.name == "postgresql"
    pooled = engine.raw_connection()  # the engine's connection settings (SQLite PRAGMAs)
    conn = pooled.driver_connection
    assert conn is not None
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")  # as write_session begins
        if real:
            n = len(prepared[0])
            if pg:
                cur.execute("SELECT nextval(pg_get_serial_sequence('incidents', 'id')) "
                            "FROM generate_series(1, %s)", (n,))
                ids = sorted(row[0] for row in cur.fetchall())
            else:
                highest = cur.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()
                ids = list(range(highest[0] + 1, highest[0] + 1 + n))
            _write(cur, pg, ("incidents", "releases"), _renumber(prepared, ids))
        else:
            _write(cur, pg, (RAW_INCIDENTS, RAW_RELEASES), prepared)
        if pg:
            conn.commit()
        else:
            cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        pooled.close()


def _checks(sent: list[dict[str, Any]]) -> float:
    tax = service.taxonomy("CSTO")
    started = time.perf_counter()
    for report in sent:
        service.check_report(tax, "CSTO", owner=REPORTER, reported_by="bench", now=NOW,
                             **report)
    return time.perf_counter() - started


# -- comparing like with like ----------------------------------------------------------------

def _stored(engine: Engine, table: str, release_table: str, ids: Sequence[int]
            ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A batch's rows as stored, ids replaced by their place in the batch."""
    place = {incident_id: k for k, incident_id in enumerate(ids)}
    pooled = engine.raw_connection()
    try:
        cur = pooled.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM {table}")
        rows = sorted((place[r[0]], *r[1:]) for r in cur.fetchall() if r[0] in place)
        cur.execute(f"SELECT {', '.join(RELEASE_COLUMNS)} FROM {release_table}")
        releases = sorted((t, place[i], p) for t, i, p in cur.fetchall() if i in place)
        pooled.rollback()
        return rows, releases
    finally:
        pooled.close()


def compare(engine: Engine, imported: Sequence[int], raw: Sequence[int]) -> int:
    """Check that the import stored what the raw side stored; the rows compared."""
    mine = _stored(engine, "incidents", "releases", imported)
    theirs = _stored(engine, RAW_INCIDENTS, RAW_RELEASES, raw)
    if mine != theirs:
        first = next((a, b) for a, b in zip(mine[0], theirs[0], strict=False) if a != b) \
            if mine[0] != theirs[0] else (mine[1][:3], theirs[1][:3])
        raise AssertionError(f"the import and the raw side stored different rows: {first}")
    return len(mine[0])


# -- the run ---------------------------------------------------------------------------------

def run(url: str, reports: int = 5000, rounds: int = 3, seed: int = 4) -> Figures:
    engine = db.engine_for(url)
    create_bare_tables(engine)
    dialect = engine.dialect.name
    status = next(iter(service.taxonomy("CSTO").incident_transitions))
    actor = auth.Actor(None, "bench-kz", Principal.parse(REPORTER), frozenset({"duty_officer"}),
                       "api")
    with db.read_session(engine) as s:  # as the API's guard does, outside the transaction
        c = auth.clearance(s, actor, NOW.date(), "CSTO")
    times = {"imported": 0.0, "raw": 0.0, "raw_real": 0.0, "checks": 0.0}
    imported_ids: list[list[int]] = []
    compared = 0
    releases = 0
    for k in range(rounds):
        part = batch(reports, seed + k)  # made per round: the process holds one batch
        sent = as_sent(part)
        prepared = prepare(part, k * reports + 1, dialect, status, actor.name)
        releases = len(prepared[1])
        runs: list[tuple[str, Callable[[], float]]] = [
            ("imported", partial(_import, engine, actor, c, sent, imported_ids)),
            ("raw", partial(_raw, engine, prepared, real=False)),
            ("raw_real", partial(_raw, engine, prepared, real=True)),
            ("checks", partial(_checks, sent))]
        for name, side in runs if k % 2 == 0 else runs[::-1]:
            times[name] += side()
        if k == 0:
            compared = compare(engine, imported_ids[0],
                               [row[0] for row in prepared[0]])
    with db.read_session(engine) as s:
        entry = next(e for e in journal.entries(s, limit=3 * rounds)
                     if e.command == "crisis.import_incidents")
        entry_bytes = len(entry.payload.encode("utf-8"))
        if not journal.verify(s).ok:
            raise AssertionError("the journal does not verify after the imports")
    total = reports * rounds
    return Figures(dialect, reports, rounds, Rate(total, times["imported"]),
                   Rate(total, times["raw"]), Rate(total, times["raw_real"]),
                   Rate(total, times["checks"]), releases, entry_bytes, compared)


def report(f: Figures) -> dict[str, Any]:
    target = 0.75 if f.database == "postgresql" else 0.55
    print(f"bulk import on {f.database}: {f.rounds} rounds of {f.reports:,} reports "
          f"({f.releases} release rows each; journal payload {f.entry_bytes / 1e6:.1f} MB)")
    print(f"  import                     {f.imported.per_second:9.0f} reports/s")
    print(f"  raw into bare tables       {f.raw.per_second:9.0f} rows/s    "
          f"ratio {f.ratio:.2f} (target >= {target})")
    print(f"  raw into the real tables   {f.raw_real.per_second:9.0f} rows/s    "
          f"{f.share(f.raw_real):.2f} of raw; the import is {f.ratio_to_real:.2f} of it")
    print(f"  checks alone, no database  {f.checks.per_second:9.0f} reports/s")
    return {**asdict(f), "ratio": f.ratio, "raw_real_share": f.share(f.raw_real),
            "ratio_to_real": f.ratio_to_real, "target": target}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk_import",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG,
                        help="a PostgreSQL cluster to create the benchmark database in")
    parser.add_argument("--reports", type=int, default=5000, help="reports per import")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    url = databases.url_for(args.db, "bulk_import", args.url)
    if args.db == "sqlite":
        databases.CACHE.mkdir(parents=True, exist_ok=True)
    databases.create(url)
    try:
        out = report(run(url, args.reports, args.rounds))
    finally:
        databases.drop(url)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    startup.wire()
    sys.exit(main())

