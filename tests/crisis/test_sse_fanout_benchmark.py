"""The SSE fan-out benchmark runs end to end at a tiny scale, so it cannot rot.

Not a timed test: it checks that every subscriber received every report and that the
figures and the baseline are there, not how fast they are.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from tests.conftest import BASE_URL, REPO, on_postgresql


def test_the_benchmark_delivers_every_report_to_every_subscriber() -> None:
    engine = ["--db", "postgresql", "--url", BASE_URL, "--processes", "2"] if on_postgresql() \
        else ["--db", "sqlite"]
    name = f"sse_test_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.sse_fanout", *engine, "--subscribers", "3",
         "--incidents", "5", "--name", name, "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["database"] == ("postgresql" if on_postgresql() else "sqlite")
    assert (result["subscribers"], result["incidents"], result["delivered"]) == (3, 5, 15)
    assert result["fanout"]["n"] == 15 and result["baseline_get"]["n"] == 5
    assert 0 < result["fanout"]["p50_ms"] <= result["fanout"]["p99_ms"] \
        <= result["fanout"]["max_ms"]
    assert result["ratio_p99"] > 0
    assert not (REPO / "var" / "bench" / f"{name}.db").exists()  # the benchmark cleans up
