"""`collsec replay FILE` as a user runs it: a real process, a fresh database, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from collsec.replay import runner
from tests.conftest import create_database, drop_database

COLLSEC = str(Path(sys.executable).parent / "collsec")


def collsec(*args: str, tmp: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "TMPDIR": str(tmp)}
    if url is not None:
        env["COLLSEC_DATABASE_URL"] = url
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_a_shipped_replay_holds_and_leaves_a_database_to_inspect(tmp_path: Path) -> None:
    r = collsec("replay", "uzbekistan-suspension-2012", tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[5] 2012-12-19 close_item, as organ:SEC: ok" in r.stdout
    assert "adopted by consensus" in r.stdout and "replay holds" in r.stdout
    path = re.search(r"^database: (.+)$", r.stdout, re.M)
    assert path is not None and Path(path.group(1)).is_file()
    assert Path(path.group(1)).is_relative_to(tmp_path)
    members = collsec("members", "--as-of", "2013-01-01", "--json", tmp=tmp_path,
                      url=f"sqlite:///{path.group(1)}")
    assert members.returncode == 0, members.stderr
    codes = sorted(m["state"]["code"] for m in json.loads(members.stdout)["members"])
    assert codes == ["AM", "BY", "KG", "KZ", "RU", "TJ"]
    verify = collsec("journal", "verify", tmp=tmp_path, url=f"sqlite:///{path.group(1)}")
    assert verify.returncode == 0 and "journal intact" in verify.stdout


def test_a_replay_file_by_path_with_json_output(tmp_path: Path) -> None:
    path = next(p for p in runner.shipped("CSTO") if p.name == "bishkek-csc-2019.yaml")
    r = collsec("replay", str(path), "--json", tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["ok"] and all(s["ok"] for s in data["steps"]) and data["checks"]
    assert data["database_url"].startswith("sqlite:///")
    closes = [s for s in data["steps"] if s["do"] == "close_item"]
    assert any("CSC-2019-1" in line for line in closes[0]["result"])


def test_a_malformed_file_exits_2_naming_the_step(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nsources: [seed-000]\nbase: {load_default: CSTO}\nsteps:\n"
                   "  - {on: 2030-01-01, do: convene, body: CSC}\n"
                   "  - {on: 2030-01-02, do: vote, item: x}\n", encoding="utf-8")
    r = collsec("replay", str(bad), tmp=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: bad.yaml: step 2: unknown command 'vote'; commands: "
                                + ", ".join(sorted(runner.HANDLERS)))
    assert r.stdout == ""
    missing = collsec("replay", str(tmp_path / "nowhere.yaml"), tmp=tmp_path)
    assert missing.returncode == 2 and "no scenario file" in missing.stderr


def test_a_failed_expectation_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "objection.yaml"
    scenario.write_text("""
title: An objection blocks consensus
sources: [seed-000]
base: {load_default: CSTO, until: 2022-11-23}
steps:
  - {on: 2022-11-23, do: convene, id: yerevan, body: CSC, host: AM, city_en: Yerevan}
  - {on: 2022-11-23, do: add_item, session: yerevan, id: d, title_en: Draft declaration,
     draft_kind: declaration}
  - {on: 2022-11-23, do: position, item: d, positions: {AM: object, RU: support}}
  - {on: 2022-11-23, do: close_item, item: d, expect: {adopted: true}}
checks:
  - members: {as_of: 2022-11-23, include: [AM]}
""", encoding="utf-8")
    r = collsec("replay", str(scenario), tmp=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[4] 2022-11-23 close_item, as organ:SEC: FAILED" in r.stdout
    assert "step 4 (close_item) failed: expected adoption, but the outcome is " \
           "consensus_objection" in r.stdout
    assert "checks not run" in r.stdout and "replay FAILED" in r.stdout


def test_a_given_database_must_be_empty(tmp_path: Path) -> None:
    url = create_database(tmp_path)
    try:
        first = collsec("replay", "uzbekistan-suspension-2012", "--database-url", url,
                        tmp=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        again = collsec("replay", "uzbekistan-suspension-2012", "--database-url", url,
                        tmp=tmp_path)
        assert again.returncode == 2
        assert "already holds data; a replay needs an empty one" in again.stderr
    finally:
        drop_database(url)
