"""The crisis replays against the domain notes: the Kazakhstan mission's timeline printed by
`collsec crisis timeline` carries the days DOMAIN.md gives (appeal, decision, start and end
of the withdrawal) and its totals the reported contingents; Armenia's request ends with
no mission."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from collsec.core import db
from collsec.replay import runner

COLLSEC = str(Path(sys.executable).parent / "collsec")


def _run(name: str, url: str) -> None:
    report = runner.run(runner.read_scenario(runner.find(name, "CSTO")), db.engine_for(url))
    assert report.ok, [s.failure for s in report.steps if not s.ok]


def _cli(url: str, *args: str) -> dict[str, object]:
    out = subprocess.run([COLLSEC, "crisis", *args, "--json"], capture_output=True, text=True,
                         env={**os.environ, "COLLSEC_DATABASE_URL": url}, check=True)
    return dict(json.loads(out.stdout))


def _kazakhstan_days(domain: str) -> dict[str, int]:
    """The days of January 2022 DOMAIN.md gives for the Kazakhstan case."""
    start = domain.index("**Kazakhstan, January 2022**")
    text = " ".join(domain[start:domain.index("- **", start + 10)].split())

    def day(pattern: str) -> int:
        found = re.search(pattern, text)
        assert found, f"DOMAIN.md no longer says: {pattern}"
        return int(found.group(1))

    return {"appeal": day(r"on (\d+) January President Tokayev appealed"),
            "decision": day(r"decided on (\d+) January 2022"),
            "withdrawal": day(r"withdrawal began (\d+) January"),
            "finished": day(r"finished by (\d+) January")}


def test_the_kazakhstan_mission_matches_the_domain_notes(empty_db: str, shared: Path) -> None:
    days = _kazakhstan_days((shared / "DOMAIN.md").read_text(encoding="utf-8"))
    _run("kazakhstan-2022", empty_db)
    events = _cli(empty_db, "timeline", "CPF-KZ-2022")["events"]
    assert isinstance(events, list)

    def first(kind: str, actor: str | None = None) -> int:
        e = next(e for e in events if e["kind"] == kind and actor in (None, e["actor"]))
        return int(e["at"][8:10])

    assert first("assistance_request", "KZ") == days["appeal"]
    assert first("decision") == days["decision"]
    assert first("withdrawal") == days["withdrawal"]
    ordered = next(e for e in events if e["kind"] == "withdrawal")
    assert "send-off ceremony" in ordered["note"]  # the step's note is the order's basis
    returned = [int(e["at"][8:10]) for e in events if e["status"] == "returned"]
    assert len(returned) == 5 and max(returned) <= days["finished"]
    assert first("release") == days["finished"]
    contributors = {e["actor"] for e in events if e["kind"] == "commit"}
    assert contributors == {"RU", "BY", "AM", "TJ", "KG"}  # five states; KZ hosts

    totals = _cli(empty_db, "totals", "CPF-KZ-2022", "--as-of", "2022-01-10")
    by_state = totals["by_state"]
    assert isinstance(by_state, dict)
    # DOMAIN.md: Armenia about 100, Kyrgyzstan about 150, Tajikistan about 200, over 2,000 in
    # all; Kazinform's 2,030 is the total the replay carries.
    assert (by_state["AM"], by_state["KG"], by_state["TJ"]) == (100, 150, 200)
    assert totals["total"] == 2030 and sum(by_state.values()) == 2030
    after = _cli(empty_db, "totals", "CPF-KZ-2022", "--as-of", f"2022-01-{days['finished']}")
    assert after["total"] == 0


def test_armenias_request_ends_without_a_mission(empty_db: str) -> None:
    _run("armenia-2022", empty_db)
    out = subprocess.run([COLLSEC, "crisis", "timeline", "AM-ASSIST-2022"],
                         capture_output=True, text=True,
                         env={**os.environ, "COLLSEC_DATABASE_URL": empty_db})
    assert out.returncode != 0 and "unknown mission" in out.stderr
