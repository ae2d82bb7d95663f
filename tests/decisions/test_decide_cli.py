"""`collsec decide --explain` against the registry as of the session date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COLLSEC = str(Path(sys.executable).parent / "collsec")


def decide(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, "decide", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)


def test_an_objection_blocks_consensus_and_the_reason_says_so(use_db: str) -> None:
    r = decide("--body", "CSC", "--on", "2022-11-23", "--position", "AM=object",
               "--position", "RU=support", "--explain")
    assert r.returncode == 1
    assert "not adopted: Armenia objects; consensus is required for substantive matters of "\
           "the Collective Security Council" in r.stdout


def test_the_explanation_speaks_russian(use_db: str) -> None:
    r = decide("--body", "CSC", "--on", "2022-11-23", "--position", "AM=object", "--explain",
               "--lang", "ru")
    assert "не принято: Армения возражает" in r.stdout and "консенсус" in r.stdout


def test_non_participation_does_not_block_and_does_not_bind(use_db: str) -> None:
    r = decide("--body", "CSC", "--on", "2024-11-28", "--position", "AM=not_participating",
               *[f"--position={s}=support" for s in ("BY", "KZ", "KG", "RU", "TJ")], "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["adopted"]
    assert "AM" not in data["bound"] and "Armenia" in data["explanation"]


def test_seats_follow_the_registry_as_of_the_session_date(use_db: str) -> None:
    in_2011 = json.loads(decide("--body", "CSC", "--on", "2011-06-01", "--json").stdout)
    in_2013 = json.loads(decide("--body", "CSC", "--on", "2013-01-01", "--json").stdout)
    assert "UZ" in in_2011["seated"] and "UZ" not in in_2013["seated"]


def test_bad_input_exits_2_with_one_line(use_db: str) -> None:
    for args, needle in [
        (("--body", "CSC", "--on", "2013-01-01", "--position", "UZ=support"), "holds no seat"),
        (("--body", "CSC", "--matter", "war"), "unknown kind of matter"),
        (("--body", "XYZ"), "unknown body"),
        (("--body", "CSC", "--position", "KZ"), "should look like KZ=support"),
        (("--body", "CSC", "--on", "2024-02-30"), "not a valid date"),
    ]:
        r = decide(*args)
        assert r.returncode == 2, args
        assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
