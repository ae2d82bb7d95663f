"""Full-text search over many reports, for one delegation against the same search
unrestricted, in the same run on the same connection (issue 13: at 1 M reports the
access-filtered search is at most 1.3x the unrestricted one, and its p99 under 100 ms on
SQLite).

A database of N synthetic reports (`var/bench/report_search_<n>.db`, or
`collsec_bench_report_search_<n>` in the cluster; kept and reused while the schema stays)
is bulk-loaded: titles and bodies drawn from a Zipf-distributed vocabulary of Latin and
Cyrillic words, most reports released to all members, some to observers or the public,
a fifth restricted to one to three named member states. Kazakhstan's reader then asks
for the first page (100) of searches of one or two words, common, middling and rare.

Sides, alternating which goes first, the first queries not timed:

- unrestricted: `service.reports_query` with no narrowing (no one's answer: the baseline);
- narrowed: the same statement narrowed to the reader (`auth.narrow`), what the service
  runs;
- service: `service.list_reports` in a read session, the whole call a page makes,
  its audit row included.

The narrowed answers are checked against the service's, and (for the first queries)
against the unrestricted matches filtered in Python by the decision point.

    python -m benchmarks.report_search --reports 1000000 [--db postgresql --url ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from benchmarks import databases
from benchmarks.incidents import percentile
from collsec import startup
from collsec.core import db
from collsec.core.auth import model as access
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.exchange import service
from collsec.exchange.tables import ReportRow

STATES = ("AM", "BY", "KZ", "KG", "RU", "TJ")
LATIN = ("ka", "ri", "to", "mu", "se", "lo", "ne", "va", "di", "po", "ar", "el", "us", "in")
CYRILLIC = ("ка", "ри", "то", "му", "се", "ло", "не", "ва", "ди", "по", "ар", "ел", "ус", "ин")
VOCABULARY = 4000
PAGE = 100
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def vocabulary(seed: int = 7) -> list[str]:
    """Distinct words, half Latin and half Cyrillic, the commonest first."""
    rnd = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        syllables = LATIN if len(words) % 2 == 0 else CYRILLIC
        words.setdefault("".join(rnd.choice(syllables) for _ in range(rnd.randint(2, 4))))
    return list(words)


def _weights() -> list[float]:
    return [1.0 / (rank + 1) for rank in range(VOCABULARY)]


def reports(n: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """(id, title, body, owner, visibility, released_to) of `n` synthetic reports."""
    rnd = random.Random(seed)
    vocab, weights = vocabulary(), _weights()
    for i in range(1, n + 1):
        drawn = rnd.choices(vocab, weights, k=36)
        owner = f"delegation:{rnd.choice(STATES)}"
        roll = rnd.random()
        if roll < 0.70:
            level, to = "members", []
        elif roll < 0.75:
            level, to = "public", []
        elif roll < 0.80:
            level, to = "observers", []
        else:
            level = "restricted"
            to = [f"delegation:{st}" for st in rnd.sample(STATES, rnd.randint(1, 3))]
        yield i, " ".join(drawn[:6]).capitalize(), " ".join(drawn[6:]), owner, level, to


def _current(url: str, n: int) -> bool:
    from alembic.script import ScriptDirectory

    from collsec.core import migrate

    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    engine = db.engine_for(url)
    head = ScriptDirectory.from_config(migrate.alembic_config(str(engine.url))).get_current_head()
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            count = conn.execute(select(func.count()).select_from(ReportRow)).scalar()
    except Exception:  # no such database or table: build it
        return False
    return revision == head and count == n


def build(url: str, n: int, log: bool = True) -> float | None:
    """The database of `n` reports at `url`: its load time, None when reused."""
    if url.startswith("sqlite"):
        databases.CACHE.mkdir(parents=True, exist_ok=True)
    if _current(url, n):
        return None
    started = time.perf_counter()
    engine = databases.create(url)
    _load(engine, n, log)
    return time.perf_counter() - started


def _load(engine: Engine, n: int, log: bool) -> None:
    sqlite = engine.dialect.name == "sqlite"
    pooled = engine.raw_connection()
    raw = pooled.driver_connection
    assert raw is not None
    at = NOW.replace(tzinfo=None).isoformat(sep=" ")
    mark = "?" if sqlite else "%s"
    columns = ("id, org, title, body, tlp, scope, states, classification, status, owner, "
               "visibility, author, created_at, updated_at, released_at")
    insert_report = (f"INSERT INTO exchange_reports ({columns}) VALUES "
                     f"({', '.join([mark] * 15)})")
    insert_release = ("INSERT INTO releases (object_type, object_id, principal) "
                      f"VALUES ({mark}, {mark}, {mark})")
    try:
        cur = raw.cursor()
        if sqlite:  # index once at the end rather than row by row
            cur.execute("DROP TRIGGER exchange_reports_fts_ai")
        rows: list[tuple[Any, ...]] = []
        releases: list[tuple[str, int, str]] = []
        for i, title, body, owner, level, to in reports(n):
            scope = {"members": "members", "public": "public", "observers": "observers",
                     "restricted": "states"}[level]
            rows.append((i, "CSTO", title, body, "AMBER" if level != "public" else "CLEAR",
                         scope, " ".join(p.split(":")[1] for p in to), "official_use",
                         "released", owner, level, "bench", at, at, at))
            releases.extend(("report", i, p) for p in to)
            if len(rows) >= 20_000:
                cur.executemany(insert_report, rows)
                cur.executemany(insert_release, releases)
                rows, releases = [], []
                if log and i % 200_000 == 0:
                    print(f"  loaded {i:,} reports", file=sys.stderr, flush=True)
        cur.executemany(insert_report, rows)
        cur.executemany(insert_release, releases)
        if sqlite:
            m = importlib.import_module("collsec.migrations.versions.0029_report_search")
            cur.execute("INSERT INTO exchange_reports_fts(exchange_reports_fts) "
                        "VALUES ('rebuild')")
            cur.execute(m.SQLITE[1])  # the insert trigger again
        raw.commit()
    finally:
        pooled.close()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def queries(count: int, seed: int = 3) -> list[str]:
    """Searches of one or two words: common (rank < 30), middling (100-600), rare (from
    2,000), and two middling words."""
    rnd = random.Random(seed)
    vocab = vocabulary()
    bands = ((0, 30), (100, 600), (2000, VOCABULARY))
    out = []
    for n in range(count):
        kind = n % 4
        if kind < 3:
            low, high = bands[kind]
            out.append(vocab[rnd.randrange(low, high)])
        else:
            out.append(" ".join(vocab[rnd.randrange(100, 600)] for _ in range(2)))
    return out


def run(url: str, count: int = 200, warmup: int = 10) -> dict[str, Any]:
    startup.wire()
    engine = db.engine_for(url)
    reader = auth.Actor(None, "kz-reader", Principal.parse("delegation:KZ"),
                        frozenset({"viewer"}), "bench")
    with db.read_session(engine) as s:
        c = auth.clearance(s, reader, NOW.date(), "CSTO")
    samples: dict[str, list[float]] = {"unrestricted": [], "narrowed": [], "service": []}
    checked = 0
    for n, q in enumerate(queries(count + warmup)):
        order = ("unrestricted", "narrowed", "service") if n % 2 else (
            "service", "narrowed", "unrestricted")
        ids: dict[str, list[int]] = {}
        for side in order:
            started = time.perf_counter()
            if side == "service":
                with db.read_session(engine) as s:
                    rows = service.list_reports(s, c, query=q, limit=PAGE, now=NOW)
                    ids[side] = [r.id for r in rows]
            else:
                with db.read_session(engine) as s:
                    stmt = service.reports_query(
                        s, "CSTO", query=q, limit=PAGE,
                        narrowed_for=c if side == "narrowed" else None)
                    ids[side] = list(s.execute(stmt.with_only_columns(ReportRow.id)
                                               ).scalars())
            if n >= warmup:
                samples[side].append((time.perf_counter() - started) * 1000)
        if ids["narrowed"] != ids["service"]:
            raise SystemExit(f"the sides differ for {q!r}: {ids['narrowed'][:5]} "
                             f"vs {ids['service'][:5]}")
        if checked < 5:
            _check(engine, c, q, ids["narrowed"])
            checked += 1
    return _report(samples)


def _check(engine: Engine, c: access.Clearance, q: str, got: Sequence[int]) -> None:
    """The narrowed page is the newest `PAGE` of all the matches the decision point lets
    the reader read."""
    with db.read_session(engine) as s:
        stmt = service.reports_query(s, "CSTO", query=q, limit=10**9, narrowed_for=None)
        readable = []
        for row in s.execute(stmt).scalars():
            if access.may_read(c, auth.marking(s, "report", row)).allowed:
                readable.append(row.id)
                if len(readable) == PAGE:
                    break
    if readable != list(got):
        raise SystemExit(f"the narrowed page for {q!r} is not the reader's newest matches")


def _report(samples: dict[str, list[float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"queries": len(samples["service"])}
    for side, values in samples.items():
        out[side] = {"p50_ms": round(percentile(values, 50), 2),
                     "p99_ms": round(percentile(values, 99), 2)}
    for q in (50, 99):
        base = percentile(samples["unrestricted"], q)
        out[f"narrowed_over_unrestricted_p{q}"] = round(
            percentile(samples["narrowed"], q) / base, 3)
        out[f"service_over_unrestricted_p{q}"] = round(
            percentile(samples["service"], q) / base, 3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG)
    args = parser.parse_args(argv)
    url = databases.url_for(args.db, f"report_search_{args.reports}", args.url)
    startup.wire()
    loaded = build(url, args.reports)
    result = run(url, args.queries)
    sys.stdout.write(json.dumps({"db": args.db, "reports": args.reports,
                                 "load_seconds": loaded and round(loaded, 1), **result},
                                indent=2) + "\n")


if __name__ == "__main__":
    main()
