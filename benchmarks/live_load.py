"""The live picture under load: commit -> arrival at 100 subscribers while 100 users hit
the app at full speed and reports come in at a steady rate.

    python -m benchmarks.live_load --db sqlite --seconds 60
    python -m benchmarks.live_load --db postgresql --processes 2 \\
        --url postgresql://collsec@127.0.0.1:55433/collsec

Three kinds of process besides the server(s): one holds the subscribers' streams
(`/api/v1/incidents/stream`, bearer tokens of duty officers and viewers of the six
member delegations) and stamps each arrival; one runs the users, each a loop with no
pause between requests (the situation summary a dashboard loads, the first page of
incidents, one incident), and the reporters, which post `--writes` reports a second
whatever the answers' speed. The processes are separate so that the clients' own work
does not sit between an event's arrival and its stamp.

Figures, all from the same run: commit -> arrival per delivery (the server's stamp on the
announcement to the subscriber's clock, same machine), the users' request latencies,
and as the baseline the same GET of one incident timed by the users under the same
load. Checks, reported, not asserted: every request answered 2xx, every acknowledged
report present in the database and delivered to every subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks import databases, servers
from benchmarks.sse_fanout import ALMATY, STREAM, Figures, _users
from collsec import startup
from collsec.core import db
from collsec.crisis.incidents.tables import IncidentRow

DRAIN_SECONDS = 20.0  # how long the subscribers wait for the last reports after the load


# -- the subscribers' process --------------------------------------------------------------

def subscribers_main(bases: list[str], tokens: list[str], conn: Connection) -> None:
    """Open every stream, say so, stamp every arrival; when told which reports were
    acknowledged, wait for them (up to DRAIN_SECONDS) and send back what arrived."""
    conn.send(asyncio.run(_subscribe_all(bases, tokens, conn)))


async def _subscribe_all(bases: list[str], tokens: list[str], conn: Connection
                         ) -> dict[str, Any]:
    lags: list[float] = []
    seen: dict[int, int] = {}  # incident -> subscribers that received it
    opened = [0]
    dropped = [0]  # streams the server ended because their reader fell behind
    delayed = [0]  # "delayed" signals the streams sent
    all_open = asyncio.Event()
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    timeout = httpx.Timeout(30, read=None)
    clients = [httpx.AsyncClient(base_url=b, limits=limits, timeout=timeout) for b in bases]

    async def one(client: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        last: str | None = None
        first = True
        while True:  # reconnect, as EventSource does, with Last-Event-ID
            h = dict(headers, **({"Last-Event-ID": last} if last else {}))
            async with client.stream("GET", STREAM, headers=h) as r:
                r.raise_for_status()
                announced, event = 0.0, ""
                async for line in r.aiter_lines():
                    if line.startswith("retry:") and first:
                        first = False
                        opened[0] += 1
                        if opened[0] == len(tokens):
                            all_open.set()
                    elif line.startswith(": announced "):
                        announced = float(line.removeprefix(": announced "))
                    elif line.startswith("id: "):
                        last = line.removeprefix("id: ")
                    elif line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        if event == "incident":
                            arrived = time.time()
                            data = json.loads(line.removeprefix("data: "))
                            if data["kind"] == "reported":
                                lags.append((arrived - announced) * 1000)
                                key = int(data["incident"]["id"])
                                seen[key] = seen.get(key, 0) + 1
                        elif event == "dropped":
                            dropped[0] += 1
                        elif event == "delayed":
                            delayed[0] += 1

    tasks = [asyncio.create_task(one(clients[i % len(clients)], t))
             for i, t in enumerate(tokens)]
    await asyncio.wait_for(all_open.wait(), 120)
    conn.send("open")
    acknowledged: list[int] = await asyncio.to_thread(conn.recv)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and any(seen.get(i, 0) < len(tokens)
                                              for i in acknowledged):
        await asyncio.sleep(0.1)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for c in clients:
        await c.aclose()
    return {"lags_ms": lags, "undelivered": sum(max(0, len(tokens) - seen.get(i, 0))
                                                for i in acknowledged),
            "dropped": dropped[0], "delayed": delayed[0]}


# -- the users' process ------------------------------------------------------------------

def users_main(bases: list[str], reporters: list[str], readers: list[str], users: int,
               writes: float, seconds: float, conn: Connection, nice: int = 0) -> None:
    if nice:  # the users' machine is another one: the server goes first for the CPU
        os.nice(nice)
    conn.send(asyncio.run(_load(bases, reporters, readers, users, writes, seconds)))


async def _load(bases: list[str], reporters: list[str], readers: list[str], users: int,
                writes: float, seconds: float) -> dict[str, Any]:
    lat: dict[str, list[float]] = {"summary": [], "list": [], "incident": [], "report": []}
    errors: list[str] = []
    acknowledged: list[int] = []
    # uvicorn closes an idle connection after 5 s: let the client drop it first, not race it
    limits = httpx.Limits(max_connections=users + 64, keepalive_expiry=4)
    clients = [httpx.AsyncClient(base_url=b, limits=limits, timeout=30) for b in bases]
    stop = time.monotonic() + seconds
    rng = random.Random(7)

    async def timed(kind: str, client: httpx.AsyncClient, method: str, path: str,
                    **kw: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            errors.append(f"{kind}: {type(exc).__name__}")
            return None
        lat[kind].append((time.perf_counter() - started) * 1000)
        if not r.is_success:
            errors.append(f"{kind}: {r.status_code}")
            return None
        return r

    async def user(n: int) -> None:
        client = clients[n % len(clients)]
        h = {"Authorization": f"Bearer {readers[n % len(readers)]}"}
        while time.monotonic() < stop:
            pick = rng.random()
            if pick < 0.4 or not acknowledged:
                await timed("summary", client, "GET", "/api/v1/incidents/summary", headers=h)
            elif pick < 0.7:
                await timed("list", client, "GET", "/api/v1/incidents?limit=50", headers=h)
            else:
                await timed("incident", client, "GET", f"/api/v1/incidents/{acknowledged[-1]}",
                            headers=h)

    async def report(n: int) -> None:
        h = {"Authorization": f"Bearer {reporters[n % len(reporters)]}"}
        r = await timed("report", clients[n % len(clients)], "POST", "/api/v1/incidents",
                        headers=h, json={
                            "type": "border_clash", "severity": 2, "geometry": ALMATY,
                            "occurred_at": "2025-05-01T10:30:00Z",
                            "title": f"Load report {n}"})
        if r is not None:
            acknowledged.append(int(r.json()["id"]))

    async def reporters_loop() -> None:  # open loop: a slow answer does not slow the rate
        pending: list[asyncio.Task[None]] = []
        n, start = 0, time.monotonic()
        while time.monotonic() < stop:
            pending.append(asyncio.create_task(report(n)))
            n += 1
            await asyncio.sleep(max(0.0, start + n / writes - time.monotonic()))
        await asyncio.gather(*pending)

    await asyncio.gather(reporters_loop(), *(user(n) for n in range(users)))
    for c in clients:
        await c.aclose()
    return {"latency_ms": lat, "errors": errors, "acknowledged": acknowledged}


# -- the run -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    database: str
    processes: int
    subscribers: int
    users: int
    seconds: float
    writes_per_s: float
    requests: int
    errors: list[str]
    acknowledged: int
    missing: int  # acknowledged reports not in the database
    undelivered: int  # (report, subscriber) pairs that never arrived
    dropped: int
    delayed: int
    lag: Figures
    summary: Figures
    listing: Figures
    reporting: Figures
    baseline: Figures  # GET of one incident, under the same load

    def as_dict(self) -> dict[str, Any]:
        figures = ("lag", "summary", "listing", "reporting", "baseline")
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__
                               if k not in figures}
        out["errors"] = sorted(set(self.errors))[:20]
        out["error_count"] = len(self.errors)
        for k in figures:
            out[k] = getattr(self, k).summary()
        out["requests_per_s"] = round(self.requests / self.seconds, 1)
        out["ratio_lag_p99_to_get_p99"] = round(self.lag.p99 / self.baseline.p99, 2)
        return out


def run(url: str, *, subscribers: int, users: int, writes: float, seconds: float,
        processes: int, users_nice: int = 0) -> Result:
    reporter, tokens = _users(url, subscribers)
    ctx = mp.get_context("spawn")
    with ExitStack() as stack:
        bases = [stack.enter_context(servers.collsec(url)) for _ in range(processes)]
        sub_end, sub_child = ctx.Pipe()
        subs = ctx.Process(target=subscribers_main, args=(bases, tokens, sub_child))
        subs.start()
        if sub_end.recv() != "open":
            raise RuntimeError("the subscribers did not connect")
        load_end, load_child = ctx.Pipe()
        # the reporter is Kazakhstan's duty officer; readers are the subscribers' accounts
        loader = ctx.Process(target=users_main, args=(bases, [reporter], tokens, users,
                                                      writes, seconds, load_child,
                                                      users_nice))
        loader.start()
        loaded = load_end.recv()
        loader.join()
        sub_end.send(loaded["acknowledged"])
        received = sub_end.recv()
        subs.join()
    engine = db.engine_for(url)
    with db.read_session(engine) as s:
        found = s.scalar(select(func.count()).select_from(IncidentRow)
                         .where(IncidentRow.id.in_(loaded["acknowledged"]))) or 0
    lat = loaded["latency_ms"]
    return Result(engine.dialect.name, processes, subscribers, users, seconds, writes,
                  sum(len(v) for v in lat.values()), loaded["errors"],
                  len(loaded["acknowledged"]), len(loaded["acknowledged"]) - found,
                  received["undelivered"], received["dropped"], received["delayed"],
                  Figures(received["lags_ms"] or [0.0]), Figures(lat["summary"] or [0.0]),
                  Figures(lat["list"] or [0.0]), Figures(lat["report"] or [0.0]),
                  Figures(lat["incident"] or [0.0]))


def report_text(r: Result) -> str:
    d = r.as_dict()
    lines = [f"Live picture under load on {r.database}: {r.processes} server process(es), "
             f"{r.subscribers} subscribers, {r.users} users at full speed, "
             f"{r.writes_per_s:g} reports/s for {r.seconds:g} s",
             f"  {d['requests']} requests ({d['requests_per_s']}/s), {d['error_count']} errors"
             f"{' ' + ', '.join(d['errors']) if d['errors'] else ''}",
             f"  {r.acknowledged} reports acknowledged, {r.missing} missing, "
             f"{r.undelivered} deliveries missing, {r.dropped} streams dropped, "
             f"{r.delayed} delayed signals"]
    for name, key in (("commit -> arrival", "lag"), ("dashboard summary", "summary"),
                      ("incident list", "listing"), ("report POST", "reporting"),
                      ("baseline GET", "baseline")):
        f = d[key]
        lines.append(f"  {name:<20} n {f['n']:6d}   p50 {f['p50_ms']:8.2f} ms   "
                     f"p99 {f['p99_ms']:8.2f} ms   max {f['max_ms']:8.2f} ms")
    lines.append(f"  lag p99 / GET p99    x{d['ratio_lag_p99_to_get_p99']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live_load",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG,
                        help="the PostgreSQL cluster (a database is created in it)")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--writes", type=float, default=15.0, help="reports per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=None,
                        help="server processes (default: SQLite 1, PostgreSQL 2)")
    parser.add_argument("--users-nice", type=int, default=0, metavar="N",
                        help="run the users' process at this niceness (0-19), standing in "
                             "for a load generator on another machine")
    parser.add_argument("--name", default="live_load", help="the benchmark database's name")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    processes = args.processes or (2 if args.db == "postgresql" else 1)
    if not 0 <= args.users_nice <= 19:
        parser.error("--users-nice lies between 0 and 19")
    if min(args.subscribers, args.users) < 1 or args.writes <= 0 or not 0 < args.seconds <= 600:
        parser.error("--subscribers and --users at least 1, --writes above 0, "
                     "--seconds in (0, 600]")
    url = databases.url_for(args.db, args.name, args.url)
    try:
        databases.create(url)
        result = run(url, subscribers=args.subscribers, users=args.users, writes=args.writes,
                     seconds=args.seconds, processes=processes,
                     users_nice=args.users_nice)
    finally:
        databases.drop(url)
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


if __name__ == "__main__":
    startup.wire()
    sys.exit(main())
