"""Verifying the journal's hash chain: `journal.verify` against a raw sqlite3 loop, in the same run.

    python -m benchmarks.journal_verify --entries 1000000

Builds (or reuses) a SQLite database whose journal holds `--entries` correctly chained
entries, written with raw `executemany` (no service, one transaction), payloads shaped
like incident reports. Then, in alternating rounds, each side runs in a fresh Python
process, so that its peak memory (`ru_maxrss` of that process) is its own:

- verify: `journal.verify` in a `db.read_session()`, what `collsec journal verify` runs;
- baseline: the sqlite3 module iterating the same rows in seq order, recomputing each
  hash with the same `journal.entry_hash` and checking seq, previous hash and head;
- resume: `journal.verify` from the checkpoint at 90 % of the journal;
- cli: the whole `collsec journal verify` process as an operator runs it, its start-up
  and imports included (its peak from `os.wait4`).

Both sides must end at the same checkpoint (seq and hash of the head), else the run
stops. Figures are times, peaks and ratios, never pass/fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from collsec.core import db, journal  # all a measured process imports besides the stdlib

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ("seq", "at", "actor", "command", "payload", "prev_hash", "hash")
BATCH = 50_000  # rows per executemany while building
TYPES = ("armed_clash", "border_incident", "cyberattack", "terrorist_act", "mass_unrest",
         "natural_disaster", "illegal_crossing", "drug_trafficking")
OWNERS = ("delegation:AM", "delegation:BY", "delegation:KG", "delegation:KZ",
          "delegation:RU", "delegation:TJ", "organ:CRC")


# -- the journal ------------------------------------------------------------------------

def rows(n: int, seed: int = 5) -> Iterator[tuple[Any, ...]]:
    """`n` chained journal rows as `journal.record` writes them (seq from 1, canonical
    payloads, each hash over the previous), shaped like `crisis.report_incident`."""
    rnd = random.Random(seed)
    prev = journal.GENESIS
    start, step = dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.timedelta(days=28) / max(n, 1)
    for seq in range(1, n + 1):
        owner = rnd.choice(OWNERS)
        payload = journal.canonical({
            "id": seq, "type": rnd.choice(TYPES), "severity": rnd.randint(1, 5),
            "occurred_at": f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T"
                           f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00+00:00",
            "owner": owner, "visibility": "members", "released_to": [],
            "geometry": {"type": "Point", "coordinates": [round(rnd.uniform(40, 90), 4),
                                                          round(rnd.uniform(36, 55), 4)]},
            "title": f"Report {seq} from {owner.split(':')[1]}"})
        at = (start + step * seq).isoformat()
        actor = f"duty-{owner.split(':')[1].lower()}"
        digest = journal.entry_hash(seq, at, actor, "crisis.report_incident", payload, prev)
        yield (seq, at, actor, "crisis.report_incident", payload, prev, digest)
        prev = digest


def build(path: Path, n: int, seed: int = 5) -> float:
    """A migrated database at `path` whose journal holds `n` chained entries and a head that
    matches; the seconds it took."""
    from benchmarks import databases
    from collsec.core import migrate

    started = time.perf_counter()
    url = f"sqlite:///{path}"
    databases.drop(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = db.engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        insert = (f"INSERT INTO journal ({', '.join(COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        batch: list[tuple[Any, ...]] = []
        last = (0, journal.GENESIS)
        for row in rows(n, seed):
            batch.append(row)
            if len(batch) >= BATCH:
                conn.executemany(insert, batch)
                batch = []
            last = (row[0], row[6])
        conn.executemany(insert, batch)
        conn.execute("INSERT INTO journal_head (id, seq, hash) VALUES (1, ?, ?)", last)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.perf_counter() - started


def cached(n: int, seed: int = 5) -> tuple[Path, float | None]:
    """var/bench/journal_<n>_s<seed>.db, built unless it holds `n` entries at the current
    schema; its path and the build time (None when reused)."""
    from benchmarks import databases

    path = databases.CACHE / f"journal_{n}_s{seed}.db"
    if path.exists() and _holds(path, n):
        return path, None
    return path, build(path, n, seed)


def _holds(path: Path, n: int) -> bool:
    from alembic.script import ScriptDirectory

    from collsec.core import migrate

    url = f"sqlite:///{path}"
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    conn = sqlite3.connect(path)
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        count = conn.execute("SELECT count(*) FROM journal").fetchone()
        top = conn.execute("SELECT seq FROM journal_head WHERE id = 1").fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return revision == (head,) and count == (n,) and top == (n,)


def checkpoint_at(path: Path, seq: int) -> journal.Checkpoint:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    finally:
        conn.close()
    return journal.START if seq == 0 else journal.Checkpoint(seq, found[0])


# -- one side, in its own process ---------------------------------------------------------

def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _verify(path: Path, after: journal.Checkpoint | None, chunk: int) -> dict[str, Any]:
    engine = db.engine_for(f"sqlite:///{path}")
    with db.read_session(engine) as s:  # connect and import outside the timing
        s.connection()
        before = _rss_mb()
        started = time.perf_counter()
        verdict = journal.verify(s, after=after, chunk=chunk)
        seconds = time.perf_counter() - started
    if not verdict.ok or verdict.checkpoint is None:
        raise AssertionError(f"verify: entry {verdict.first_broken}: {verdict.reason}")
    return {"seconds": seconds, "entries": verdict.entries, "after": verdict.after,
            "checkpoint": str(verdict.checkpoint), "rss_before_mb": before}


def _baseline(path: Path) -> dict[str, Any]:
    """The chain recomputed by hand: one sqlite3 cursor over the rows, the same hash."""
    conn = sqlite3.connect(path)
    entry_hash = journal.entry_hash
    try:
        before = _rss_mb()
        started = time.perf_counter()
        prev, last = journal.GENESIS, 0
        for seq, at, actor, command, payload, prev_hash, digest in conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM journal ORDER BY seq"):
            if (seq != last + 1 or prev_hash != prev
                    or entry_hash(seq, at, actor, command, payload, prev_hash) != digest):
                raise AssertionError(f"baseline: entry {last + 1} does not verify")
            prev, last = digest, seq
        head = conn.execute("SELECT seq, hash FROM journal_head WHERE id = 1").fetchone()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if head is not None and tuple(head) != (last, prev):
        raise AssertionError("baseline: the head does not match the last entry")
    return {"seconds": seconds, "entries": last, "after": 0,
            "checkpoint": str(journal.Checkpoint(last, prev)), "rss_before_mb": before}


def child(side: str, path: Path, after: str | None, chunk: int) -> dict[str, Any]:
    if side == "baseline":
        out = _baseline(path)
    else:
        out = _verify(path, journal.Checkpoint.parse(after) if after else None, chunk)
    return {**out, "side": side, "peak_rss_mb": _rss_mb()}  # the launcher's figure wins


@dataclass(frozen=True)
class Run:
    side: str
    seconds: float  # the verification alone, in the process
    entries: int
    after: int
    checkpoint: str
    rss_before_mb: float  # the process's peak before it started (interpreter, imports)
    peak_rss_mb: float  # the process's peak RSS (ru_maxrss)


# Linux keeps the parent's peak in a child's ru_maxrss across fork and exec, so each measured
# process is started by this small launcher (a few MB), never by the benchmark itself, whose
# imports and database build would be counted: the launcher's own peak is what it inherited,
# but its child starts from the launcher's small address space. It reports the child's
# ru_maxrss (os.wait4) and the time from spawn to exit on its last line.
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"returncode": child.returncode, "maxrss_kb": usage.ru_maxrss,
                  "seconds": seconds}), flush=True)
"""


def _spawn(command: list[str], env: dict[str, str]) -> tuple[list[str], float, float]:
    """Run `command` through the launcher: its output lines, its peak RSS in MB (ru_maxrss)
    and its seconds from spawn to exit."""
    done = subprocess.run([sys.executable, "-I", "-c", _LAUNCHER, *command], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=3600)
    lines = done.stdout.strip().splitlines()
    ended = json.loads(lines[-1]) if lines and lines[-1].startswith("{\"returncode\"") else {}
    if done.returncode != 0 or ended.get("returncode") != 0:
        raise RuntimeError(f"{command[1:]} failed: {(done.stderr or done.stdout)[-2000:]}")
    return lines[:-1], ended["maxrss_kb"] / 1024, ended["seconds"]


def measure(side: str, path: Path, after: journal.Checkpoint | None = None,
            chunk: int = journal.CHUNK) -> Run:
    """One side in a fresh interpreter; its figures."""
    command = [sys.executable, "-m", "benchmarks.journal_verify", "--child", side,
               "--path", str(path), "--chunk", str(chunk)]
    if after is not None:
        command += ["--after", str(after)]
    lines, peak, _ = _spawn(command, {**os.environ, "PYTHONPATH": str(REPO)})
    return Run(**{**json.loads(lines[-1]), "peak_rss_mb": peak})


def measure_cli(path: Path) -> Run:
    """`collsec journal verify` on the database, timed from spawn to exit."""
    command = [str(Path(sys.executable).parent / "collsec"), "journal", "verify"]
    lines, peak, seconds = _spawn(command, {**os.environ,
                                            "COLLSEC_DATABASE_URL": f"sqlite:///{path}"})
    if len(lines) != 2 or not lines[1].startswith("checkpoint "):
        raise RuntimeError(f"collsec journal verify printed {lines!r}")
    entries = int(lines[0].split(": ", 1)[1].split()[0])
    return Run("cli", seconds, entries, 0, lines[1].split()[1], 0.0, peak)


# -- the figures --------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    entries: int
    chunk: int
    verify: list[Run]
    baseline: list[Run]
    resume: list[Run]
    cli: list[Run]

    @staticmethod
    def _median(runs: list[Run], what: str) -> float:
        return statistics.median(getattr(r, what) for r in runs)

    def seconds(self, side: str) -> float:
        return self._median(getattr(self, side), "seconds")

    def peak_mb(self, side: str) -> float:
        return max(r.peak_rss_mb for r in getattr(self, side))

    @property
    def ratio(self) -> float:
        """verify / baseline, median seconds."""
        return self.seconds("verify") / self.seconds("baseline")

    @property
    def per_second(self) -> float:
        return self.entries / self.seconds("verify")


def run(path: Path, rounds: int = 3, chunk: int = journal.CHUNK,
        resume_at: float = 0.9) -> Figures:
    """Verify, baseline and resume, in alternating order, `rounds` times each; checks that
    the sides agree."""
    conn = sqlite3.connect(path)
    try:
        n = int(conn.execute("SELECT count(*) FROM journal").fetchone()[0])
    finally:
        conn.close()
    mark = checkpoint_at(path, int(n * resume_at))
    sides: dict[str, list[Run]] = {"verify": [], "baseline": [], "resume": [], "cli": []}
    for k in range(rounds):
        order = ["verify", "baseline", "resume", "cli"]
        for side in order if k % 2 == 0 else order[::-1]:
            sides[side].append(measure_cli(path) if side == "cli" else
                               measure(side, path, mark if side == "resume" else None, chunk))
    head = {r.checkpoint for runs in sides.values() for r in runs}
    if len(head) != 1:
        raise AssertionError(f"the sides end at different checkpoints: {sorted(head)}")
    if {r.entries for r in sides["verify"] + sides["baseline"] + sides["cli"]} != {n}:
        raise AssertionError("a side did not verify every entry")
    if {(r.after, r.entries) for r in sides["resume"]} != {(mark.seq, n - mark.seq)}:
        raise AssertionError("the resumed verification did not start at its checkpoint")
    return Figures(n, chunk, sides["verify"], sides["baseline"], sides["resume"], sides["cli"])


def report(f: Figures, built: float | None) -> dict[str, Any]:
    where = "reused cache" if built is None else f"built in {built:.0f} s"
    print(f"journal verify on sqlite, {f.entries:,} entries ({where}), "
          f"{len(f.verify)} rounds, chunk {f.chunk:,}")
    for side, label in (("verify", "journal.verify"), ("baseline", "raw sqlite3"),
                        ("resume", f"resume at {f.resume[0].after:,}"),
                        ("cli", "collsec journal verify")):
        runs: list[Run] = getattr(f, side)
        before = ("whole process" if side == "cli" else
                  f"before it: {max(r.rss_before_mb for r in runs):.1f} MB")
        print(f"  {label:22s} {f.seconds(side):7.2f} s (median; "
              f"{min(r.seconds for r in runs):.2f}-{max(r.seconds for r in runs):.2f})  "
              f"peak RSS {f.peak_mb(side):6.1f} MB ({before})  {runs[0].entries:,} entries")
    print(f"  ratio verify / raw {f.ratio:.2f}   {f.per_second:,.0f} entries/s   "
          "(targets at 1 M: < 8 s, < 150 MB)")
    print(f"  checkpoint {f.verify[0].checkpoint}")
    return {"entries": f.entries, "chunk": f.chunk, "built_seconds": built,
            "verify_seconds": f.seconds("verify"), "baseline_seconds": f.seconds("baseline"),
            "resume_seconds": f.seconds("resume"), "ratio": f.ratio,
            "verify_peak_rss_mb": f.peak_mb("verify"),
            "baseline_peak_rss_mb": f.peak_mb("baseline"),
            "resume_peak_rss_mb": f.peak_mb("resume"), "cli_seconds": f.seconds("cli"),
            "cli_peak_rss_mb": f.peak_mb("cli"),
            "runs": {side: [asdict(r) for r in getattr(f, side)]
                     for side in ("verify", "baseline", "resume", "cli")}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.journal_verify",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=1_000_000, help="journal entries")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side")
    parser.add_argument("--chunk", type=int, default=journal.CHUNK,
                        help="rows journal.verify reads per statement")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", choices=("verify", "baseline", "resume"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--after", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, Path(args.path), args.after, args.chunk)))
        return 0
    path, built = cached(args.entries)
    out = report(run(path, args.rounds, args.chunk), built)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
