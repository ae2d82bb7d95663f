"""Statistics of an operation over a million national report rows: what a statistics page
asks (`operations.service.statistics_of`: totals by year, stage, state or indicator, one
indicator or all, as of a day) against the same aggregation written by hand in SQL on the
same database, alternating, every answer compared. Each raw ask takes a connection from
the pool and runs in a transaction of its own, as a request would.

The database: the CSTO loaded, then Channel given `--stages` stages opened here, each with
a report of every member state on 24 indicators and two corrections of a third of them
(the older versions kept, as the service keeps them), all closed, so their released
summaries exist; about a million rows of `national_figures` at the defaults. The rows are
written with bulk inserts, not the commands (which the tests cover): building through the
service would take most of the run.

Also reported, for scale: the same totals summed from `national_figures` itself (what the
released summaries spare a page).

    python -m benchmarks.operations_stats [--stages 4200] [--queries 200] \
        [--db postgresql --url ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import sys
import time
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from benchmarks import databases
from benchmarks.incidents import percentile
from collsec import startup
from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.context import Context
from collsec.operations import running, service
from collsec.operations.tables import (
    NationalFigureRow,
    NationalReportRow,
    OperationRow,
    StageResultRow,
    StageRow,
    StageTotalRow,
)
from collsec.registry import service as registry

STATES = ("AM", "BY", "KZ", "KG", "RU", "TJ")
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def build(engine: Engine, stages: int, seed: int = 5) -> int:
    """Channel's stages with reports, corrections and released summaries; returns the
    number of national figure rows."""
    rng = random.Random(seed)
    with db.write_session(engine) as s:
        channel = s.execute(select(OperationRow).where(OperationRow.code == "channel")
                            ).scalar_one()
        indicators = [c for c, spec in service.indicators(registry.charter_for("CSTO")).items()
                      if "channel" in spec.operations][:24]
        stage_rows = [{"operation_id": channel.id, "year": 2004 + n % 22, "number": n,
                       "name_en": f"Stage {n}", "name_ru": f"Этап {n}",
                       "start": dt.date(2004 + n % 22, 3, 1), "end": dt.date(2004 + n % 22, 3, 7),
                       "states": " ".join(STATES), "origin": "user", "opened_by": "bench",
                       "closed_at": dt.datetime(2004 + n % 22, 4, 1, tzinfo=dt.UTC),
                       "closed_by": "bench"} for n in range(stages)]
        s.execute(insert(StageRow), stage_rows)
        ids = list(s.execute(select(StageRow.id, StageRow.year).where(
            StageRow.opened_by == "bench").order_by(StageRow.id)))
        reports, figures = [], []
        report_id = (s.execute(select(func.max(NationalReportRow.id))).scalar() or 0) + 1
        for stage_id, year in ids:
            for state in STATES:
                versions = 3 if rng.random() < 1 / 3 else 1
                for v in range(1, versions + 1):
                    current = v == versions
                    reports.append({"id": report_id, "stage_id": stage_id, "state": state,
                                    "version": v, "current": current, "submitted_at": NOW,
                                    "submitted_by": "bench", "note": ""})
                    figures.extend({"report_id": report_id, "operation_id": channel.id,
                                    "stage_id": stage_id, "year": year, "state": state,
                                    "indicator": ind, "value": float(rng.randint(0, 500)),
                                    "current": current} for ind in indicators)
                    report_id += 1
        for at in range(0, len(reports), 20_000):
            s.execute(insert(NationalReportRow), reports[at:at + 20_000])
        for at in range(0, len(figures), 20_000):
            s.execute(insert(NationalFigureRow), figures[at:at + 20_000])
        # the close of each stage: the released summary of its current reports
        s.execute(insert(StageResultRow).from_select(
            ["stage_id", "operation_id", "year", "state", "indicator", "value"],
            select(NationalFigureRow.stage_id, NationalFigureRow.operation_id,
                   NationalFigureRow.year, NationalFigureRow.state,
                   NationalFigureRow.indicator, func.sum(NationalFigureRow.value))
            .where(NationalFigureRow.current, NationalFigureRow.operation_id == channel.id)
            .group_by(NationalFigureRow.stage_id, NationalFigureRow.operation_id,
                      NationalFigureRow.year, NationalFigureRow.state,
                      NationalFigureRow.indicator)))
        s.execute(insert(StageTotalRow).from_select(
            ["stage_id", "operation_id", "year", "closed_at", "indicator", "value"],
            select(StageResultRow.stage_id, StageResultRow.operation_id, StageResultRow.year,
                   StageRow.closed_at, StageResultRow.indicator, func.sum(StageResultRow.value))
            .join(StageRow, StageRow.id == StageResultRow.stage_id)
            .where(StageRow.opened_by == "bench")
            .group_by(StageResultRow.stage_id, StageResultRow.operation_id,
                      StageResultRow.year, StageRow.closed_at, StageResultRow.indicator)))
        running.rebuild(s, channel.id)  # and each group's running total, as closes keep
        return len(figures)


RAW = {  # the record's grouping keys, by hand
    "year": "s.year", "stage": "s.id", "state": "f.scope", "indicator": "''"}


def raw_query(conn: Any, op_id: int, by: str, on: dt.date, indicator: str | None
              ) -> list[tuple[str, str, float, str, int]]:
    """What statistics_of answers, written by hand: the released summaries and the
    record's first figures, each one statement, merged as the service merges them."""
    ind = " AND {t}.indicator = :ind" if indicator else ""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    params = {"op": op_id, "end": end, "on": on, "ind": indicator}
    if by in ("state", "indicator", "year"):  # each group's last running total by the end
        key = {"state": "r.state", "indicator": "''", "year": "r.year"}[by]
        which = {"state": "g.state <> '' AND g.year = 0", "indicator": "g.state = '' AND "
                 "g.year = 0", "year": "g.state = '' AND g.year <> 0"}[by]
        released = conn.execute(text(
            f"SELECT {key}, r.indicator, r.total, r.stages FROM operation_running_groups g "
            "JOIN operation_running_totals r ON r.id = (SELECT l.id FROM "
            "operation_running_totals l WHERE l.operation_id = g.operation_id AND "
            "l.state = g.state AND l.year = g.year AND l.indicator = g.indicator AND "
            "l.closed_at < :end ORDER BY l.closed_at DESC, l.stage_id DESC LIMIT 1) "
            f"WHERE g.operation_id = :op AND {which}{ind.format(t='g')}"), params).all()
    else:
        released = conn.execute(text(
            "SELECT t.stage_id, t.indicator, sum(t.value), count(DISTINCT t.stage_id) "
            "FROM operation_stage_totals t "
            f"WHERE t.operation_id = :op AND t.closed_at < :end{ind.format(t='t')} "
            "GROUP BY t.stage_id, t.indicator"), params).all()
    scope = ("{t}.scope NOT IN ('all', 'region')" if by == "state"
             else "{t}.scope = 'all'")
    same = " AND g.scope = f.scope" if by == "state" else ""
    key = RAW[by]
    recorded = conn.execute(text(
        f"SELECT {key}, f.indicator, sum(f.value), count(DISTINCT f.stage_id), "
        "max(CASE f.qual WHEN '~' THEN 2 WHEN '>' THEN 1 ELSE 0 END) "
        "FROM operation_figures f JOIN operation_stages s ON s.id = f.stage_id "
        "WHERE f.operation_id = :op AND s.origin = 'default' AND s.closes <= :on "
        f"AND {scope.format(t='f')}{ind.format(t='f')} AND f.position = "
        "(SELECT min(g.position) FROM operation_figures g WHERE g.stage_id = f.stage_id "
        f"AND g.indicator = f.indicator AND {scope.format(t='g')}{same}) "
        f"GROUP BY {'f.indicator' if by == 'indicator' else key + ', f.indicator'}"),
        params).all()
    groups: dict[tuple[str, str], tuple[float, str, int]] = {
        (str(k), str(i)): (float(v), {0: "=", 1: ">", 2: "~"}[int(q)], int(n))
        for k, i, v, n, q in recorded}
    for k, i, v, n in released:
        old = groups.get((str(k), str(i)), (0.0, "=", 0))
        groups[(str(k), str(i))] = (old[0] + float(v), old[1], old[2] + int(n))
    return sorted((k, i, v, q, n) for (k, i), (v, q, n) in groups.items())


def summed(conn: Any, op_id: int, by: str, on: dt.date) -> float:
    """What the running totals replace: adding up every released summary by state (or the
    stages' totals by indicator or year) up to the day, timed."""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    t = time.perf_counter()
    if by == "state":
        conn.execute(text(
            "SELECT r.state, r.indicator, sum(r.value), count(DISTINCT r.stage_id) "
            "FROM operation_stage_results r JOIN operation_stages s ON s.id = r.stage_id "
            "WHERE r.operation_id = :op AND s.closed_at < :end GROUP BY r.state, r.indicator"),
            {"op": op_id, "end": end}).all()
    else:
        key = "t.year, t.indicator" if by == "year" else "t.indicator"
        conn.execute(text(
            f"SELECT {key}, sum(t.value), count(DISTINCT t.stage_id) FROM "
            "operation_stage_totals t WHERE t.operation_id = :op AND t.closed_at < :end "
            f"GROUP BY {key}"), {"op": op_id, "end": end}).all()
    return time.perf_counter() - t


def from_figures(conn: Any, op_id: int, indicator: str) -> float:
    t = time.perf_counter()
    conn.execute(text("SELECT year, sum(value) FROM national_figures WHERE operation_id = :op "
                      "AND current AND indicator = :ind GROUP BY year"),
                 {"op": op_id, "ind": indicator}).all()
    return time.perf_counter() - t


def run(url: str, stages: int = 4200, queries: int = 200, seed: int = 9) -> dict[str, Any]:
    os.environ["COLLSEC_DATABASE_URL"] = url  # the service's own engine reads it
    startup.wire()
    engine = db.engine_for(url)
    rows = build(engine, stages)
    rng = random.Random(seed)
    with db.read_session(engine) as s:
        op_id = s.execute(select(OperationRow.id).where(OperationRow.code == "channel")
                          ).scalar_one()
        actor, c = auth.anonymous("api"), None
        c = auth.clearance(s, actor, NOW.date(), "CSTO")
        indicators = sorted({r for (r,) in s.execute(select(StageResultRow.indicator)
                                                       .distinct())})
    ctx = Context("CSTO", registry.charter_for("CSTO"), actor, c, NOW, NOW.date())
    asks = [(rng.choice(service.BY), rng.choice([None, *indicators, *indicators]),
             dt.date(rng.randint(2005, 2026), 6, 1)) for _ in range(queries)]
    ours, theirs, figures = [], [], []
    # The heap the build and the wiring left is frozen: a full collection over it took
    # 60-110 ms and fell on whichever side was running, which set both sides' p99.
    gc.collect()
    gc.freeze()
    scans: dict[str, list[float]] = {}
    slowest: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for n, (by, ind, day) in enumerate(asks):
            pair = []
            for side in ((0, 1) if n % 2 else (1, 0)):
                t = time.perf_counter()
                if side == 0:
                    got = service.statistics_of.run(ctx, "channel", by=by, on=day,
                                                    indicator=ind)
                    ours.append(time.perf_counter() - t)
                    slowest.setdefault(f"by {by}{'' if ind else ', every indicator'}",
                                       []).append(ours[-1])
                    pair.append(("ours", sorted((r.key, r.indicator, r.value, r.qual,
                                                 r.stages) for r in got)))
                else:  # a pooled connection and a transaction of its own, as a request has
                    with engine.connect() as own, own.begin():
                        raw = raw_query(own, op_id, by, day, ind)
                    theirs.append(time.perf_counter() - t)
                    pair.append(("raw", raw))
            if dict(pair)["ours"] != dict(pair)["raw"]:
                raise SystemExit(f"the service and the raw SQL disagree for {by} {ind} {day}")
            with conn.begin():
                if ind is not None:
                    figures.append(from_figures(conn, op_id, ind))
                if by in ("state", "indicator", "year") and ind is None:
                    scans.setdefault(by, []).append(summed(conn, op_id, by, day))
    engine.dispose()

    def ms(xs: list[float], q: float) -> float:
        return round(percentile(xs, q) * 1000, 2)

    return {"national_figure_rows": rows, "stages": stages, "queries": queries,
            "service_ms": {"p50": ms(ours, 50), "p99": ms(ours, 99)},
            "raw_ms": {"p50": ms(theirs, 50), "p99": ms(theirs, 99)},
            "ratio": {"p50": round(percentile(ours, 50) / percentile(theirs, 50), 2),
                      "p99": round(percentile(ours, 99) / percentile(theirs, 99), 2)},
            "from_national_figures_ms": {"p50": ms(figures, 50), "p99": ms(figures, 99)}
            if figures else None,
            "service_by_grouping_ms": {k: {"asks": len(v), "p50": ms(v, 50), "max": ms(v, 100)}
                                       for k, v in sorted(slowest.items())},
            "summing_the_summaries_ms": {k: {"p50": ms(v, 50), "max": ms(v, 100)}
                                         for k, v in sorted(scans.items())}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", type=int, default=4200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    databases.CACHE.mkdir(parents=True, exist_ok=True)
    url = databases.url_for(args.db, "operations_stats", args.url)
    databases.create(url)
    try:
        result = run(url, args.stages, args.queries)
    finally:
        databases.drop(url)
    text_out = json.dumps({"db": args.db, **result}, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text_out)
    sys.stdout.write(text_out + "\n")


if __name__ == "__main__":
    main()
