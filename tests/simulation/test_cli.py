"""`collsec simulate --cases FILE` as a user runs it: a sweep file of places and parameter
sets, here and on the Dask cluster COLLSEC_CLUSTER names; a bad file is a message and a
non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import distributed

COLLSEC = str(Path(sys.executable).with_name("collsec"))
SWEEP = """
need: 1000
cases:
  - {name: Almaty, place: [76.93, 43.35]}
  - name: Almaty, decided in four days
    place: [76.93, 43.35]
    parameters: {decision: {time: 96}}
"""


def _simulate(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, "simulate", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200", **env})


def test_a_sweep_file_runs_on_the_configured_cluster_as_it_does_here(tmp_path: Path) -> None:
    cases = tmp_path / "sweep.yaml"
    cases.write_text(SWEEP, encoding="utf-8")
    args = ("--cases", str(cases), "--runs", "2000", "--json", "--no-progress")
    here = _simulate(*args, "--workers", "1")
    assert here.returncode == 0, here.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        there = _simulate(*args, COLLSEC_CLUSTER=cluster.scheduler_address)
    assert there.returncode == 0, there.stderr
    answers = json.loads(here.stdout)["cases"]
    assert json.loads(there.stdout)["cases"] == answers
    assert [a["name"] for a in answers] == ["Almaty", "Almaty, decided in four days"]
    assert answers[1]["parameters"] == {"decision": {"time": 96}}
    assert answers[1]["decision"]["p50"] == 96 > answers[0]["decision"]["p50"]
    table = _simulate("--cases", str(cases), "--runs", "500", "--no-progress")
    assert "Almaty, decided in four days" in table.stdout


def test_a_bad_sweep_file_is_a_message_and_no_run(tmp_path: Path) -> None:
    cases = tmp_path / "sweep.yaml"
    cases.write_text("need: 10\ncases:\n  - {place: [76.93, 43.35], parameters: {fleet: 3}}\n",
                     encoding="utf-8")
    bad = _simulate("--cases", str(cases))
    assert bad.returncode != 0 and bad.stdout == ""
    assert "case 1" in bad.stderr and "fleet" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = _simulate("--cases", str(tmp_path / "none.yaml"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    both = _simulate("--cases", str(cases), "--place", "76.93,43.35")
    assert both.returncode != 0 and "not both" in both.stderr
