"""The live-load benchmark runs end to end at a tiny scale, so it cannot rot.

Not a timed test: it checks that every acknowledged report is stored and reached every
subscriber, that nothing failed, and that the figures and the baseline are there, not
how fast they are (docs/performance.md holds the full-size figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from tests.conftest import BASE_URL, REPO, on_postgresql


def test_the_live_load_benchmark_delivers_every_acknowledged_report() -> None:
    engine = ["--db", "postgresql", "--url", BASE_URL] if on_postgresql() else ["--db", "sqlite"]
    name = f"live_test_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.live_load", *engine, "--subscribers", "3",
         "--users", "4", "--writes", "5", "--seconds", "3", "--name", name, "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["database"] == ("postgresql" if on_postgresql() else "sqlite")
    assert (result["error_count"], result["missing"], result["undelivered"]) == (0, 0, 0)
    assert result["acknowledged"] >= 10  # 5 reports a second for 3 s, less the stragglers
    assert result["lag"]["n"] == result["acknowledged"] * 3  # each reached each subscriber
    assert result["baseline"]["n"] > 0 and result["summary"]["n"] > 0
    assert 0 < result["lag"]["p50_ms"] <= result["lag"]["p99_ms"] <= result["lag"]["max_ms"]
    assert result["ratio_lag_p99_to_get_p99"] > 0
    assert not (REPO / "var" / "bench" / f"{name}.db").exists()  # the benchmark cleans up
