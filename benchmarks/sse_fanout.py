"""Live updates: time from a report's commit to its arrival at every SSE subscriber.

    python -m benchmarks.sse_fanout --db sqlite --subscribers 100 --incidents 200
    python -m benchmarks.sse_fanout --db postgresql --processes 2 \\
        --url postgresql://collsec@127.0.0.1:55433/collsec

Starts the real server (uvicorn, as many processes as `--processes`, subscribers split
across them; on SQLite the processes that did not commit a report find it by reading the
journal every half second), opens the subscribers' streams with
httpx (signed-in duty officers and viewers of the member delegations, bearer tokens),
then reports incidents one after another through process 1's API, each once every
subscriber received the previous one. Latency is measured from the time the server
stamps on the announcement (SQLite: its commit; PostgreSQL: just before the commit,
so the figure is an upper bound) to the arrival of the event's last line at the
subscriber. The baseline, in the same run, is a plain HTTP GET of the same incident
by one subscriber (`GET /api/v1/incidents/{id}`, one audited read). Figures are
percentiles and ratios, never pass/fail timings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from benchmarks import databases, servers
from benchmarks.incidents import Latency
from collsec import startup
from collsec.core import clock, db
from collsec.core.auth import service as auth

STATES = ("AM", "BY", "KG", "KZ", "RU", "TJ")  # member delegations
STREAM = "/api/v1/incidents/stream"
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}


@dataclass(frozen=True)
class Figures(Latency):
    """The incident benchmark's latency figures, with the worst case and a summary."""

    @property
    def max(self) -> float:
        return max(self.samples_ms)

    def summary(self) -> dict[str, float]:
        return {"n": len(self.samples_ms), "p50_ms": round(self.p50, 2),
                "p99_ms": round(self.p99, 2), "max_ms": round(self.max, 2)}


@dataclass(frozen=True)
class Result:
    database: str
    processes: int
    subscribers: int
    incidents: int
    delivered: int  # events received, over all subscribers
    fanout: Figures  # announcement stamp -> arrival, per subscriber and incident
    after_response: Figures  # end of the POST's response -> arrival (may be negative)
    baseline: Figures  # GET of the same incident, round trip

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items()
               if k not in ("fanout", "after_response", "baseline")}
        return {**out, "fanout": self.fanout.summary(),
                "after_response": self.after_response.summary(),
                "baseline_get": self.baseline.summary(),
                "ratio_p50": round(self.fanout.p50 / self.baseline.p50, 2),
                "ratio_p99": round(self.fanout.p99 / self.baseline.p99, 2)}


# -- the world: users and servers ---------------------------------------------------------

def _users(url: str, subscribers: int) -> tuple[str, list[str]]:
    """A reporting duty officer of Kazakhstan and `subscribers` readers; their tokens."""
    engine = db.engine_for(url)
    names = [("bench-reporter", "delegation:KZ", "duty_officer")] + [
        (f"bench-sub-{i:03d}", f"delegation:{STATES[i % len(STATES)]}",
         "duty_officer" if i % 2 else "viewer") for i in range(subscribers)]
    tokens = []
    with db.write_session(engine) as s:
        for name, principal, role in names:
            auth.add_user(s, *auth.installer(), username=name, principal=principal, roles=[role],
                          now=clock.now(), password="bench-password-" + name)
    with db.write_session(engine) as s:
        for name, _, _ in names:
            tokens.append(auth.create_token(s, *auth.installer(), username=name, name="bench",
                                            now=clock.now())[1])
    return tokens[0], tokens[1:]


# -- the measurement -------------------------------------------------------------------

@dataclass
class Arrivals:
    """What the subscribers received: per incident, the (announced, arrived) pairs."""

    expected: int
    seen: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    complete: dict[int, asyncio.Event] = field(default_factory=dict)

    def waiter(self, incident_id: int) -> asyncio.Event:
        return self.complete.setdefault(incident_id, asyncio.Event())

    def add(self, incident_id: int, announced: float, arrived: float) -> None:
        got = self.seen.setdefault(incident_id, [])
        got.append((announced, arrived))
        if len(got) == self.expected:
            self.waiter(incident_id).set()


async def _subscribe(client: httpx.AsyncClient, token: str, arrivals: Arrivals,
                     ready: asyncio.Event, counter: list[int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", STREAM, headers=headers) as r:
        r.raise_for_status()
        announced = 0.0
        async for line in r.aiter_lines():
            if line.startswith("retry:"):
                counter[0] += 1
                if counter[0] == arrivals.expected:
                    ready.set()
            elif line.startswith(": announced "):
                announced = float(line.removeprefix(": announced "))
            elif line.startswith("data: "):
                arrived = time.time()
                incident = json.loads(line.removeprefix("data: "))["incident"]["id"]
                arrivals.add(incident, announced, arrived)


async def _measure(bases: list[str], reporter: str, tokens: list[str],
                   incidents: int) -> tuple[Arrivals, list[float], list[float], list[int]]:
    arrivals = Arrivals(len(tokens))
    ready, counter = asyncio.Event(), [0]
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    timeout = httpx.Timeout(30, read=None)
    clients = [httpx.AsyncClient(base_url=b, limits=limits, timeout=timeout) for b in bases]
    tasks = [asyncio.create_task(_subscribe(clients[i % len(clients)], t, arrivals, ready,
                                            counter)) for i, t in enumerate(tokens)]
    responses: list[float] = []
    baseline: list[float] = []
    ids: list[int] = []
    try:
        await asyncio.wait_for(ready.wait(), 60)
        async with httpx.AsyncClient(base_url=bases[0], timeout=30) as api:
            reporter_h = {"Authorization": f"Bearer {reporter}"}
            reader_h = {"Authorization": f"Bearer {tokens[0]}"}
            for n in range(incidents):
                r = await api.post("/api/v1/incidents", headers=reporter_h, json={
                    "type": "border_clash", "severity": 2, "geometry": ALMATY,
                    "occurred_at": "2025-05-01T10:30:00Z", "title": f"Benchmark report {n}"})
                responses.append(time.time())
                r.raise_for_status()
                incident = int(r.json()["id"])
                ids.append(incident)
                await asyncio.wait_for(arrivals.waiter(incident).wait(), 30)
                started = time.perf_counter()
                got = await api.get(f"/api/v1/incidents/{incident}", headers=reader_h)
                baseline.append((time.perf_counter() - started) * 1000)
                got.raise_for_status()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in clients:
            await c.aclose()
    return arrivals, responses, baseline, ids


def run(url: str, *, subscribers: int, incidents: int, processes: int) -> Result:
    reporter, tokens = _users(url, subscribers)
    with ExitStack() as stack:
        bases = [stack.enter_context(servers.collsec(url)) for _ in range(processes)]
        arrivals, responses, baseline, ids = asyncio.run(
            _measure(bases, reporter, tokens, incidents))
    fanout = [(arrived - announced) * 1000 for i in ids for announced, arrived in arrivals.seen[i]]
    after = [(arrived - end) * 1000 for i, end in zip(ids, responses, strict=True)
             for _, arrived in arrivals.seen[i]]
    return Result(db.engine_for(url).dialect.name, processes, subscribers, incidents,
                  sum(len(arrivals.seen[i]) for i in ids), Figures(fanout), Figures(after),
                  Figures(baseline))


def report_text(r: Result) -> str:
    d = r.as_dict()
    lines = [f"SSE fan-out on {r.database}: {r.processes} server process(es), "
             f"{r.subscribers} subscribers, {r.incidents} incidents, {r.delivered} deliveries"]
    for name, key in (("commit -> arrival", "fanout"), ("response -> arrival", "after_response"),
                      ("baseline GET", "baseline_get")):
        f = d[key]
        lines.append(f"  {name:<20} p50 {f['p50_ms']:8.2f} ms   p99 {f['p99_ms']:8.2f} ms   "
                     f"max {f['max_ms']:8.2f} ms")
    lines.append(f"  fan-out / GET        p50 x{d['ratio_p50']}   p99 x{d['ratio_p99']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sse_fanout",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG,
                        help="the PostgreSQL cluster (a database is created in it)")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--processes", type=int, default=None,
                        help="server processes (default: SQLite 1, PostgreSQL 2)")
    parser.add_argument("--name", default="sse_fanout", help="the benchmark database's name")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    processes = args.processes or (2 if args.db == "postgresql" else 1)
    if args.subscribers < 1 or args.incidents < 1:
        parser.error("--subscribers and --incidents must be at least 1")
    url = databases.url_for(args.db, args.name, args.url)
    try:
        databases.create(url)
        result = run(url, subscribers=args.subscribers, incidents=args.incidents,
                     processes=processes)
    finally:
        databases.drop(url)
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


if __name__ == "__main__":
    startup.wire()
    sys.exit(main())
