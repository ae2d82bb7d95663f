"""Crash safety: a write the server acknowledged survives the server being killed.

The real server runs as its own process on a fresh database (SQLite in WAL mode
with synchronous=FULL, or PostgreSQL with its default durability). Client threads
write documents in a burst; mid-burst the server gets SIGKILL. After a restart on
the same database every write that got a 201 must be there exactly once, with its
journal entry, and `collsec journal verify` must pass. Every request carries an
`Idempotency-Key`; after the restart each request that got no answer is sent again with
its key, and none may be carried out twice.

SIGKILL ends the process, not the machine: it proves that no answer is sent before
the commit and that a killed writer leaves a database that opens and verifies. The
fsync settings that guard against power loss are checked by reading them back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import select, text

from collsec.core import clock, db, journal
from collsec.core.auth import service as auth
from collsec.documents import service as documents
from tests.conftest import bearer, create_database, drop_database, make_user, prepare

COLLSEC = str(Path(sys.executable).parent / "collsec")
CLIENTS = 8
MAX_REQUESTS = 2000        # the whole burst, every client together
BURST_SECONDS = 30.0       # the burst stops by then whatever happens
REQUEST_TIMEOUT = 10.0     # every client call
START_SECONDS = 30.0       # for the server to answer after it starts
MIN_ACKED_BEFORE_KILL = 30

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path
    log_file: IO[bytes]

    def tail(self) -> str:
        self.log_file.flush()
        return self.log.read_text(errors="replace")[-4000:]


def _start(url: str, log: Path) -> Server:
    """The real app under uvicorn in its own process; returns once it answers."""
    port = _free_port()
    env = {**os.environ, "COLLSEC_DATABASE_URL": url}
    log_file = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "collsec.web.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-access-log"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server(proc, f"http://127.0.0.1:{port}", log, log_file)
    deadline = time.monotonic() + START_SECONDS
    try:
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited with {proc.returncode}:\n{server.tail()}")
                try:
                    if client.get(f"{server.base}/api/v1/organizations").status_code == 200:
                        return server
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not answer within {START_SECONDS:.0f} s:\n"
                                f"{server.tail()}")
                time.sleep(0.1)
    except BaseException:
        _stop(server)
        raise


def _stop(server: Server | None) -> None:
    """Kill the process if it still runs, reap it and close its log."""
    if server is None:
        return
    if server.proc.poll() is None:
        server.proc.kill()
    try:
        server.proc.wait(timeout=15)
    finally:
        server.log_file.close()


@dataclass
class Burst:
    """What the clients sent and what they were told, shared by the client threads."""

    token: str
    base: str
    prefix: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    killed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    in_flight: int = 0
    acked: dict[str, int] = field(default_factory=dict)     # title -> id from the 201
    unacked: list[str] = field(default_factory=list)        # sent, no answer
    unexpected: list[str] = field(default_factory=list)     # anything but 201 or a dead server

    def next_title(self, deadline: float) -> str | None:
        with self.lock:
            if (self.stop.is_set() or self.sent >= MAX_REQUESTS
                    or time.monotonic() > deadline):
                return None
            self.sent += 1
            self.in_flight += 1
            return f"{self.prefix} #{self.sent:04d}"

    def client(self, deadline: float) -> None:
        headers = bearer(self.token)
        with httpx.Client(base_url=self.base, trust_env=False, timeout=REQUEST_TIMEOUT,
                          headers=headers) as client:
            while (title := self.next_title(deadline)) is not None:
                try:
                    r = client.post("/api/v1/documents", json=_body(title),
                                    headers=_keyed(title))
                except httpx.TransportError as exc:
                    with self.lock:
                        self.in_flight -= 1
                        self.unacked.append(title)
                        if not self.killed.is_set():
                            self.unexpected.append(f"{title}: {exc!r} before the kill")
                    return  # the server is gone: this client is done
                with self.lock:
                    self.in_flight -= 1
                    if r.status_code == 201 and r.json()["title"]["en"] == title:
                        self.acked[title] = int(r.json()["id"])
                    else:
                        self.unacked.append(title)
                        self.unexpected.append(f"{title}: {r.status_code} {r.text[:300]}")


def _body(title: str) -> dict[str, str]:
    return {"kind": "report", "date": "2025-06-01", "title_en": title, "visibility": "members"}


def _keyed(title: str) -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid5(uuid.NAMESPACE_URL, title))}


def _retry(client: httpx.Client, title: str) -> int:
    """Send an unanswered request again with its key: the id it made, whenever it was made
    (a document's answer is kept with its key in its transaction: a retry always gets it)."""
    r = client.post("/api/v1/documents", json=_body(title), headers=_keyed(title))
    assert r.status_code == 201 and r.json()["title"]["en"] == title, r.text
    return int(r.json()["id"])


def _check_durability_settings(url: str) -> None:
    """The settings that make a commit survive a power loss, read back from a connection."""
    with db.engine_for(url).connect() as conn:
        if url.startswith("sqlite"):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        else:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
            assert conn.execute(text("SHOW fsync")).scalar() == "on"


@pytest.mark.parametrize("round_", range(3))
def test_acknowledged_writes_survive_sigkill(round_: int, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url = create_database(tmp_path)
    monkeypatch.setenv("COLLSEC_DATABASE_URL", url)
    first: Server | None = None
    second: Server | None = None
    try:
        prepare(url, load=True)
        token = make_user("editor", "organ:SEC", ["editor"])
        db.engine_for(url).dispose()  # the test holds no connection while the server writes

        rng = random.Random()
        kill_after = rng.randint(MIN_ACKED_BEFORE_KILL, MIN_ACKED_BEFORE_KILL + 30)
        log = tmp_path / "server.log"
        first = _start(url, log)
        burst = Burst(token, first.base, f"crash r{round_} {uuid.uuid4().hex[:8]}")
        deadline = time.monotonic() + BURST_SECONDS
        threads = [threading.Thread(target=burst.client, args=(deadline,), daemon=True)
                   for _ in range(CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()

        # Mid-burst: once enough writes are acknowledged, wait a random moment and kill.
        while time.monotonic() < deadline:
            with burst.lock:
                if len(burst.acked) >= kill_after or burst.unexpected:
                    break
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        with burst.lock:
            burst.killed.set()
            os.kill(first.proc.pid, signal.SIGKILL)
            acked_at_kill, in_flight_at_kill = len(burst.acked), burst.in_flight
            sent_at_kill = burst.sent
        burst.stop.set()
        first.proc.wait(timeout=15)
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)
        assert not any(t.is_alive() for t in threads), "a client did not finish"
        burst_seconds = time.monotonic() - started

        assert not burst.unexpected, "\n".join(burst.unexpected[:10]) + "\n" + first.tail()
        assert acked_at_kill >= MIN_ACKED_BEFORE_KILL, (
            f"only {acked_at_kill} writes acknowledged in {BURST_SECONDS:.0f} s")
        acked = dict(burst.acked)  # includes answers read from the socket after the kill
        print(f"\n[{url.split(':')[0]} round {round_}] sent {sent_at_kill} before the kill, "
              f"acknowledged {acked_at_kill} at the kill ({len(acked)} in all), "
              f"{in_flight_at_kill} in flight at the kill, "
              f"{len(burst.unacked)} never answered, burst {burst_seconds:.2f} s")

        second = _start(url, log)

        # Through the API, as the editor (organs read `members` documents); first, every
        # request that was never answered is sent again with its key.
        with httpx.Client(base_url=second.base, trust_env=False, timeout=REQUEST_TIMEOUT,
                          headers=bearer(token)) as client:
            retried = {title: _retry(client, title) for title in burst.unacked}
            again = {title: _retry(client, title) for title in list(acked)[:5]}
            listed = []
            page: str | None = "/api/v1/documents?kind=report&limit=1000"
            while page is not None:  # every page
                r = client.get(page)
                assert r.status_code == 200, r.text
                listed += [(d["id"], d["title"]["en"]) for d in r.json()["documents"]
                           if d["title"]["en"].startswith(burst.prefix)]
                page = r.json()["next"]
        counts = Counter(title for _, title in listed)
        missing = sorted(t for t in acked if counts[t] == 0)
        assert not missing, f"acknowledged but lost after SIGKILL: {missing}"
        assert not [t for t in acked if counts[t] != 1], "an acknowledged write is doubled"
        api_ids = {title: doc_id for doc_id, title in listed}
        assert all(api_ids[t] == doc_id for t, doc_id in acked.items())
        attempted = set(acked) | set(burst.unacked)
        assert set(counts) == attempted and max(counts.values()) == 1  # retried: all there
        assert all(api_ids[t] == i for t, i in retried.items())
        assert again == {t: acked[t] for t in again}, "a replay answered another id"

        # Directly through the services, with the editor's own clearance.
        db.engine_for(url).dispose()
        _check_durability_settings(url)
        with db.read_session(db.engine_for(url)) as s:
            user = auth.user_for_token(s, token, clock.now())
            clearance = auth.clearance(s, auth.actor_for(user, "api"), clock.today(), "CSTO")
            rows = [row for row in documents.list_documents(s, clearance, kind="report")
                    if row.title_en.startswith(burst.prefix)]
            entries = list(s.execute(select(journal.JournalEntry).where(
                journal.JournalEntry.command == "documents.create")).scalars())
            verdict = journal.verify(s)
        stored = Counter(row.title_en for row in rows)
        assert all(stored[t] == 1 for t in acked), "services disagree with the API"
        assert {row.title_en: row.id for row in rows} == api_ids

        # Each stored document, acknowledged or not, has exactly one journal entry: same id.
        journaled: Counter[str] = Counter()
        journal_ids: dict[str, int] = {}
        for e in entries:
            payload = json.loads(e.payload)
            if payload["title"].startswith(burst.prefix):
                journaled[payload["title"]] += 1
                journal_ids[payload["title"]] = payload["id"]
        assert all(journaled[t] == 1 for t in acked), "an acknowledged write has no entry"
        assert journaled == stored and journal_ids == api_ids
        assert verdict.ok, verdict

        cli = subprocess.run([COLLSEC, "journal", "verify"], capture_output=True, text=True,
                             env={**os.environ, "COLLSEC_DATABASE_URL": url}, timeout=120)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "journal intact" in cli.stdout
        print(f"[round {round_}] {len(acked)} acknowledged all present once; "
              f"{len(retried)} unanswered sent again with their keys, all made once; "
              f"{cli.stdout.strip()}")
    finally:
        try:
            if first is not None:
                _stop(first)
        finally:
            try:
                _stop(second)
            finally:
                drop_database(url)
