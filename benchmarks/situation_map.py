"""The situation map at scale: the database's clustering against the same SQL written by
hand, and the situation page a duty officer opens, at a million incidents.

    .venv/bin/python -m benchmarks.situation_map --db sqlite --size 1000000
    .venv/bin/python -m benchmarks.situation_map --db postgresql \\
        --url postgresql://collsec@127.0.0.1:55433/collsec

**Views** (`--views`). Randomized map views of a duty officer of Kazakhstan: a zoom from
3 (the members' region) to 12 (a town), a box the size of the page's map (1000 by 560
pixels) around a point drawn like the synthetic incidents, no filter (the heaviest
case: every incident of the year). Each view runs on both sides, in alternating order,
on one connection:

- service: `service.map_view` (filters, `auth.narrow`, the grid's cells, the rows of the
  sparse cells, the audit of those rows);
- raw: the two statements written by hand (`raw_map`), with the same planner settings
  on PostgreSQL (hashing, no JIT, a plan for each box: without them a hand-written
  query is as slow).

Answers (total, clusters, ids shown) are compared and the run stops if they differ.

**The page** (`--loads`). What a browser asks for when the page opens, in-process
through the application (`TestClient`, a bearer token): `GET /situation` (the HTML and
the list's first page), `GET /api/v1/incidents?limit=100` and `GET
/api/v1/incidents/map` for the page's first view (zoom 4 over the region). The three
are timed one after the other (a browser asks for the last two together), and the
process's resident memory is read after each load: it must not grow with the loads.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from benchmarks import databases, synthetic
from benchmarks.incidents import Latency, percentile
from collsec import startup
from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.errors import NotFound
from collsec.crisis import geo
from collsec.crisis.incidents import service

PRINCIPAL = "delegation:KZ"
MAP_PIXELS = (1000, 560)  # the page's map, about
FIRST_VIEW = (4, (20.0, 30.0, 110.0, 62.0))  # the page's first view: the members' region
Answer = tuple[int, list[tuple[int, int]], list[int]]  # total, (count, severity), ids


def views(n: int, seed: int = 3) -> list[tuple[int, geo.BBox]]:
    """`n` map views: the first view of the page, then random ones."""
    rng = random.Random(seed)
    weights = [share for _, share, _ in synthetic.REGIONS]
    out: list[tuple[int, geo.BBox]] = [FIRST_VIEW]
    while len(out) < n:
        zoom = rng.randint(3, 12)
        _, _, box = rng.choices(synthetic.REGIONS, weights)[0]
        lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        per_degree = 256 * 2 ** zoom / 360  # pixels per degree of longitude
        half_w = MAP_PIXELS[0] / per_degree / 2
        half_h = MAP_PIXELS[1] / per_degree / 2 * math.cos(math.radians(lat))
        view = (max(lon - half_w, -180.0), max(lat - half_h, -90.0),
                min(lon + half_w, 180.0), min(lat + half_h, 90.0))
        if geo.cells_in(view, geo.cell_size(zoom)) <= geo.MAX_CELLS:
            out.append((zoom, tuple(round(v, 6) for v in view)))  # type: ignore[arg-type]
    return out


def raw_map(conn: Any, dialect: str, zoom: int, box: geo.BBox, c: Clearance,
            org: str = "CSTO") -> Answer:
    """The map of a view written by hand: the cells, then the rows of the sparse ones."""
    assert c.principal is not None and c.in_good_standing, "written for a member in standing"
    pg = dialect == "postgresql"
    mark = "%s" if pg else "?"
    size = geo.cell_size(zoom)
    levels = sorted(level for level in c.levels if level != "restricted")
    where = (f"i.org = {mark} AND i.lon BETWEEN {mark} AND {mark}"
             f" AND i.lat BETWEEN {mark} AND {mark}"
             f" AND (i.visibility IN ({', '.join(mark for _ in levels)})"
             f" OR (i.visibility = 'restricted' AND (i.owner = {mark} OR EXISTS ("
             f"SELECT 1 FROM releases r WHERE r.object_type = 'incident'"
             f" AND r.object_id = i.id AND r.principal = {mark}))))")
    params: list[Any] = [org, box[0], box[2], box[1], box[3], *levels, c.principal,
                         c.principal]
    whole = "CAST(FLOOR({}) AS BIGINT)" if pg else "CAST({} AS INTEGER)"
    key = (f"{whole.format(f'(i.lon + 180.0) / {size!r}')} * {2 ** 22} + "
           f"{whole.format(f'(i.lat + 90.0) / {size!r}')}")
    cur = conn.cursor()
    if pg:
        cur.execute("SET LOCAL enable_sort = off; SET LOCAL jit = off; "
                    "SET LOCAL plan_cache_mode = force_custom_plan")
    cur.execute(f"SELECT count(*), avg(i.lon), avg(i.lat), max(i.severity), min(i.id), "
                f"max(i.id) FROM incidents i WHERE {where} GROUP BY {key}", params)
    cells = cur.fetchall()
    if pg:
        cur.execute("RESET enable_sort; RESET jit; RESET plan_cache_mode")
    clusters = sorted(((n, sev) for n, _, _, sev, _, _ in cells if n > service.SPREAD),
                      reverse=True)
    ids = sorted({i for n, _, _, _, low, high in cells if n <= service.SPREAD
                  for i in (low, high)})
    shown: list[int] = []
    if ids:
        cur.execute(f"SELECT i.id, i.geometry, i.title FROM incidents i WHERE {where} AND "
                    f"i.id IN ({', '.join(mark for _ in ids)}) "
                    "ORDER BY i.occurred_at DESC, i.id", [*params, *ids])
        shown = [row[0] for row in cur.fetchall()]
    return sum(n for n, *_ in cells), clusters, sorted(shown)


@dataclass(frozen=True)
class Figures:
    database: str
    incidents: int
    views: int
    service: Latency
    raw: Latency
    first_view_service_ms: float
    first_view_raw_ms: float
    page: Latency  # the three requests of a page load, one after the other
    page_requests_ms: dict[str, float]  # p50 of each request
    rss_after_warmup_mb: float
    rss_growth_mb: float  # the most the memory grew over the warm-up figure

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items()
               if k not in ("service", "raw", "page")}
        for name in ("service", "raw", "page"):
            lat: Latency = getattr(self, name)
            out[name] = {"p50_ms": round(lat.p50, 1), "p99_ms": round(lat.p99, 1)}
        out["ratio_p50"] = round(self.service.p50 / self.raw.p50, 3)
        out["ratio_p99"] = round(self.service.p99 / self.raw.p99, 3)
        out["page_to_first_view_raw"] = round(self.page.p50 / self.first_view_raw_ms, 2)
        return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _answer(v: service.MapView) -> Answer:
    return (v.total, sorted(((k.count, k.severity) for k in v.clusters), reverse=True),
            sorted(r.id for r in v.incidents))


def run_views(url: str, n: int, warmup: int = 5) -> tuple[Latency, Latency, float, float]:
    """Service and raw SQL over the same views on one connection; p50/p99 of each, and
    the first view's (median over its warm-up and timed runs) on each side."""
    engine = db.engine_for(url)
    actor = auth.Actor(None, "bench-duty", Principal.parse(PRINCIPAL),
                       frozenset({"duty_officer"}), "api")
    timed: dict[str, list[float]] = {"service": [], "raw": []}
    first: dict[str, list[float]] = {"service": [], "raw": []}
    with Session(engine) as s, s.begin():
        c = auth.clearance(s, actor, synthetic.NOW.date(), "CSTO")
        conn = s.connection().connection.driver_connection
        chosen = [FIRST_VIEW] * warmup + views(n)
        for i, (zoom, box) in enumerate(chosen):
            answers: dict[str, Answer] = {}
            for side in (("service", "raw") if i % 2 == 0 else ("raw", "service")):
                started = time.perf_counter()
                if side == "service":
                    answers[side] = _answer(service.map_view(s, c, bbox=box, zoom=zoom,
                                                             now=synthetic.NOW))
                    s.expunge_all()
                else:
                    answers[side] = raw_map(conn, engine.dialect.name, zoom, box, c)
                elapsed = (time.perf_counter() - started) * 1000
                if i >= warmup:
                    timed[side].append(elapsed)
                if (zoom, box) == FIRST_VIEW:
                    first[side].append(elapsed)
            if answers["service"] != answers["raw"]:
                raise AssertionError(f"view {i} (zoom {zoom}, {box}): the service and the "
                                     f"raw SQL disagree")
        s.rollback()  # the audit rows of the service's reads
    return (Latency(timed["service"]), Latency(timed["raw"]),
            percentile(first["service"], 50), percentile(first["raw"], 50))


def _token(url: str) -> str:
    engine = db.engine_for(url)
    name = "bench-map-duty"
    with db.write_session(engine) as s:
        try:
            auth.get_user(s, name)
        except NotFound:  # the first run on this database
            auth.add_user(s, *auth.installer(), username=name, principal=PRINCIPAL,
                          roles=["duty_officer"], now=clock.now(),
                          password="bench-password-" + name)
    with db.write_session(engine) as s:
        return auth.create_token(s, *auth.installer(), username=name, name="bench",
                                 now=clock.now())[1]


def run_page(url: str, loads: int, warmup: int = 3
             ) -> tuple[Latency, dict[str, float], float, float]:
    """Page loads through the application; their latency, each request's p50, the
    resident memory after the warm-up and the most it grew after it."""
    from fastapi.testclient import TestClient

    from collsec.web.app import create_app

    saved = {k: os.environ.get(k) for k in ("COLLSEC_DATABASE_URL", "COLLSEC_TODAY")}
    os.environ["COLLSEC_DATABASE_URL"] = url
    os.environ["COLLSEC_TODAY"] = synthetic.NOW.date().isoformat()
    zoom, box = FIRST_VIEW
    requests: dict[str, str] = {
        "page": "/situation",
        "list": "/api/v1/incidents?limit=100",
        "map": f"/api/v1/incidents/map?zoom={zoom}&bbox={','.join(map(str, box))}"}
    each: dict[str, list[float]] = {k: [] for k in requests}
    totals: list[float] = []
    base = peak = 0.0
    try:
        headers = {"Authorization": f"Bearer {_token(url)}"}
        with TestClient(create_app()) as client:
            for i in range(warmup + loads):
                total = 0.0
                for name, path in requests.items():
                    started = time.perf_counter()
                    r = client.get(path, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    if r.status_code != 200:
                        raise AssertionError(f"{path}: {r.status_code} {r.text[:300]}")
                    total += elapsed
                    if i >= warmup:
                        each[name].append(elapsed)
                if i == warmup - 1:
                    base = peak = _rss_mb()
                elif i >= warmup:
                    totals.append(total)
                    peak = max(peak, _rss_mb())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return (Latency(totals), {k: round(percentile(v, 50), 1) for k, v in each.items()},
            base, peak - base)


def run(url: str, views_n: int = 100, loads: int = 20) -> Figures:
    service_ms, raw_ms, first_service, first_raw = run_views(url, views_n)
    page, per_request, base, growth = run_page(url, loads)
    engine = db.engine_for(url)
    return Figures(engine.dialect.name, databases.incident_count(engine), views_n, service_ms,
                   raw_ms, round(first_service, 1), round(first_raw, 1), page, per_request,
                   round(base, 1), round(growth, 1))


def report_text(f: Figures) -> str:
    d = f.as_dict()
    return "\n".join([
        f"situation map, {f.database}, {f.incidents:,} incidents, {f.views} views",
        f"  views: service p50 {d['service']['p50_ms']} ms, p99 {d['service']['p99_ms']} ms; "
        f"raw p50 {d['raw']['p50_ms']} ms, p99 {d['raw']['p99_ms']} ms; "
        f"ratio p50 {d['ratio_p50']}, p99 {d['ratio_p99']}",
        f"  first view (zoom 4, the region): service {f.first_view_service_ms} ms, "
        f"raw {f.first_view_raw_ms} ms",
        f"  page load (3 requests): p50 {d['page']['p50_ms']} ms, p99 {d['page']['p99_ms']} "
        f"ms; each p50 {f.page_requests_ms}; {d['page_to_first_view_raw']}x the raw first view",
        f"  memory: {f.rss_after_warmup_mb} MB after the warm-up, grew {f.rss_growth_mb} MB",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.situation_map",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG,
                        help="the PostgreSQL cluster (the cached databases live in it)")
    parser.add_argument("--size", type=int, default=1_000_000, help="incidents")
    parser.add_argument("--views", type=int, default=100)
    parser.add_argument("--loads", type=int, default=20, help="page loads")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if min(args.size, args.views, args.loads) < 1:
        parser.error("--size, --views and --loads at least 1")
    url, built = databases.cached(args.db, args.size, pg_base=args.url)
    if built is not None:
        print(f"built the database in {built:.0f} s", file=sys.stderr)
    figures = run(url, args.views, args.loads)
    print(json.dumps(figures.as_dict(), indent=2) if args.json else report_text(figures))
    return 0


if __name__ == "__main__":
    startup.wire()
    sys.exit(main())
