"""STIX export against the `stix2` library: the same bundle of N reports built and written
by `exchange.stix` (plain dicts, streamed) and by `stix2` (its objects, then a Bundle
serialized), in the same run. Reported: objects per second of each, the ratio (target
>= 20), and the peak memory each needs as N grows (ours should stay flat: it streams).

    python -m benchmarks.stix_export --objects 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from collsec.exchange import stix

PUBLISHER = stix.Publisher("CSTO", "Collective Security Treaty Organization",
                           "2002-10-07T00:00:00.000Z")
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
STATES = ("KZ", "RU", "BY", "KG", "TJ", "AM")


def facts(n: int) -> Iterator[stix.ReportFacts]:
    for i in range(n):
        at = START + dt.timedelta(minutes=i)
        yield stix.ReportFacts(i + 1, f"Report {i + 1}", f"Seen at point {i}.", "AMBER", AMBER,
                               "members", [], "official_use", "released",
                               f"delegation:{STATES[i % 6]}", at, at, at)


def ours(n: int, out: io.TextIOBase) -> int:
    objects = (stix.report(PUBLISHER, f) for f in facts(n))
    for chunk in stix.bundle_chunks(objects, "bundle--8e0f7a1c-2f0b-4bd8-9d3e-5f4f9a7b2c11"):
        out.write(chunk)
    return n


def theirs(n: int, out: io.TextIOBase) -> int:
    import stix2

    reports = []
    for f in facts(n):
        author = stix.stix_id("identity", PUBLISHER.org, f.owner)
        reports.append(stix2.Report(
            id=stix.stix_id("report", PUBLISHER.org, f.id), created=f.created,
            modified=f.modified, created_by_ref=author, name=f.title,
            description=f.body, report_types=["threat-report"], published=f.released,
            object_refs=[author], object_marking_refs=[AMBER], allow_custom=True))
    out.write(stix2.Bundle(objects=reports, allow_custom=True).serialize())
    return n


class Counting(io.TextIOBase):
    """Where a bundle is written: counted, not kept (as a socket would take it)."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, s: str) -> int:  # type: ignore[override]
        self.chars += len(s)
        return len(s)


def timed(side: Any, n: int) -> tuple[float, int]:
    out = Counting()
    start = time.perf_counter()
    side(n, out)
    return time.perf_counter() - start, out.chars


def peak(side: Any, n: int) -> int:
    tracemalloc.start()
    side(n, Counting())
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def run(n: int, memory_sizes: list[int]) -> dict[str, Any]:
    ours_s, ours_chars = timed(ours, n)
    theirs_s, theirs_chars = timed(theirs, n)
    result: dict[str, Any] = {
        "objects": n, "ours_per_s": round(n / ours_s), "stix2_per_s": round(n / theirs_s),
        "ratio": round(theirs_s / ours_s, 1), "ours_chars": ours_chars,
        "stix2_chars": theirs_chars,
        "peak_bytes": {str(m): {"ours": peak(ours, m), "stix2": peak(theirs, m)}
                       for m in memory_sizes}}
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--memory-sizes", default="1000,10000")
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    result = run(args.objects, [int(x) for x in args.memory_sizes.split(",")])
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
