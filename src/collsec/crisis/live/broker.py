"""Live incident updates: announcements that leave only with their commit, and the broker
that hands each one to the subscribers of this server process who may read it.

A service announces what it changed with `commands.announce`; the unit of work lists the
events in the transaction's journal entry and, on PostgreSQL, sends them with pg_notify,
which PostgreSQL delivers at commit and drops on rollback; every server process LISTENs
on one dedicated connection, so any process can serve any subscriber. SQLite: after the
commit the unit of work tells this module, which wakes the broker to read what is new
from the journal; a rollback discards it. The broker also reads the journal
every POLL_SECONDS, so changes committed by other processes reach subscribers too.

For each announcement the broker loads the incident and its marking once, decides per
subscriber with the rule of every read (`fanout.audience`), writes the audit rows of all
its deliveries in one transaction, and only then puts the event on the queues.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from queue import Empty, SimpleQueue
from types import FrameType
from typing import Any

import psycopg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from collsec.core import clock, commands, db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking, may_read
from collsec.core.auth.tables import AuditRow
from collsec.core.commands import LiveEvent
from collsec.core.journal import JournalEntry
from collsec.crisis.incidents.tables import IncidentRow
from collsec.crisis.live import model as fanout
from collsec.crisis.live.model import Announcement

CHANNEL = commands.LIVE_CHANNEL
EVENT = "incident"  # the name of the server-sent event
MAX_BACKLOG = 1000  # events queued for one subscriber before its stream is ended
REPLAY_LIMIT = 500  # the newest events a client reconnecting with Last-Event-ID gets
POLL_SECONDS = 0.5  # SQLite: how often the journal is read for other processes' commits
LAST = 1 << 30  # an index past every event of an entry: (seq, LAST) is "after all of seq"
log = logging.getLogger(__name__)


# -- the announcement path -------------------------------------------------------------

def _committed(engine: Engine, events: list[LiveEvent]) -> None:
    """SQLite: this process committed live events on `engine`; wake its broker, which reads
    them from the journal (PostgreSQL hears them through LISTEN instead)."""
    if engine.dialect.name == "postgresql":
        return
    found = _brokers.get(_key(engine.url))
    if found is None:  # nobody subscribed in this process yet: nobody to tell
        return
    for e in events:
        if e.topic == fanout.TOPIC:
            found.publish(Announcement(e.seq, e.index, e.id, e.kind, time.time()))


commands.on_committed(_committed)


# -- subscribers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """What a subscriber's queue carries: the event's place (its id), its JSON data, when it
    was announced."""

    position: fanout.Position
    data: str
    at: float

    @cached_property
    def wire(self) -> bytes:
        """The event as sent, written once for all its subscribers; the announcement time
        rides along as a comment, for latency measurements."""
        return fanout.event(self.position, EVENT, self.data, note=f"announced {self.at:.6f}"
                            ).encode("utf-8")


NOTHING = Delivery((0, 0), "", 0.0)  # what a stream holds when a heartbeat came before any event


@dataclass(eq=False)
class Subscriber:
    """One open stream: who reads it, with which clearance, on which event loop."""

    actor: auth.Actor
    clearance: Clearance  # recomputed by the stream at every heartbeat
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)

    def offer(self, item: Delivery | None) -> None:
        """Hand over an event (None ends the stream) from any thread."""
        self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Delivery | None) -> None:
        if item is not None and self.queue.qsize() >= MAX_BACKLOG:
            # A reader this slow is cut off; it reconnects with Last-Event-ID and replays.
            while not self.queue.empty():
                self.queue.get_nowait()
            item = None
        self.queue.put_nowait(item)


# -- the broker --------------------------------------------------------------------------

class Broker:
    """The subscribers of one database in this process, and the thread that feeds them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._closing = False
        self._inbox: SimpleQueue[Announcement | None] = SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the feed once (LISTEN on PostgreSQL); wait until it hears announcements."""
        with self._lock:
            if self._thread is None:
                target = self._listen if self.postgres else self._dispatch
                self._thread = threading.Thread(target=target, name="collsec-live",
                                                daemon=True)
                self._thread.start()
        if not self._ready.wait(10):
            log.warning("live updates: the listener is not ready yet")

    def stop(self) -> None:
        self.close_all()
        self._stop.set()
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(5)

    def subscribe(self, actor: auth.Actor, clearance: Clearance,
                  loop: asyncio.AbstractEventLoop) -> Subscriber:
        self.start()
        sub = Subscriber(actor, clearance, loop)
        with self._lock:
            self._subscribers.add(sub)
            closing = self._closing
        if closing:
            sub.offer(None)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def close_all(self, *, closing: bool = False) -> None:
        """End every stream (the server is stopping)."""
        with self._lock:
            self._closing = self._closing or closing
            subs = list(self._subscribers)
        for sub in subs:
            try:
                sub.offer(None)
            except RuntimeError:  # its event loop is closed already
                self.unsubscribe(sub)

    def publish(self, a: Announcement) -> None:
        """An announcement committed in this process (SQLite)."""
        self._inbox.put(a)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # -- delivering ----------------------------------------------------------------------

    def deliver(self, a: Announcement) -> int:
        """Load the incident once, audit every delivery in one transaction, then hand the
        event to each subscriber that may read it; returns how many received it."""
        with self._lock:
            subs = list(self._subscribers)
        if not subs:
            return 0
        with db.read_session(self.engine) as s:
            loaded = _load(s, a.incident_id, a.kind)
        if loaded is None:
            return 0
        mark, data = loaded
        readers = fanout.audience(mark, {sub: sub.clearance for sub in subs})
        if not readers:
            return 0
        with db.write_session(self.engine) as s:
            _audit(s, [sub.actor for sub in readers], a.incident_id, mark)
        item = Delivery(a.position, data, a.at)
        for sub in readers:
            try:
                sub.offer(item)
            except RuntimeError:
                self.unsubscribe(sub)
        return len(readers)

    def replay(self, sub: Subscriber, after: fanout.Position) -> list[Delivery]:
        """What `sub` missed since event `after`, from the journal; audited like any delivery."""
        out: list[Delivery] = []
        loaded: dict[tuple[int, str], tuple[Marking, str] | None] = {}
        with db.write_session(self.engine) as s:
            for a in _since(s, after):
                key = (a.incident_id, a.kind)
                if key not in loaded:
                    loaded[key] = _load(s, a.incident_id, a.kind)
                found = loaded[key]
                if found is None or not may_read(sub.clearance, found[0]).allowed:
                    continue
                _audit(s, [sub.actor], a.incident_id, found[0])
                out.append(Delivery(a.position, found[1], a.at))
        return out

    def _deliver_safely(self, a: Announcement) -> None:
        try:
            self.deliver(a)
        except Exception:  # one bad event must not stop the feed of every stream
            log.exception("live updates: delivering %s failed", a)

    def _dispatch(self) -> None:
        """SQLite: the journal is the feed. A commit of this process wakes the thread at once;
        commits of other processes (a second server, the CLI) are found by reading the
        journal every POLL_SECONDS. Either way events go out once each, in journal order."""
        last = _head(self.engine)
        # this process's announcements: their place -> when
        announced: dict[fanout.Position, float] = {}
        self._ready.set()
        while not self._stop.is_set():
            try:
                woke = self._inbox.get(timeout=POLL_SECONDS)
            except Empty:
                woke = None
            while woke is not None:
                announced[woke.position] = woke.at
                try:
                    woke = self._inbox.get_nowait()
                except Empty:
                    woke = None
            try:
                with db.read_session(self.engine) as s:
                    found = _since(s, (last, LAST))
            except Exception:  # a locked or vanished file: try again at the next wake-up
                log.exception("live updates: reading the journal failed")
                continue
            for a in found:
                self._deliver_safely(replace(a, at=announced.pop(a.position, a.at)))
                last = max(last, a.seq)
            announced = {p: at for p, at in announced.items() if p[0] > last}

    def _listen(self) -> None:
        """PostgreSQL: one LISTEN connection; after a lost connection, catch up from the
        journal so no committed change is missed."""
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        last: int | None = None
        pause = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if last is None:
                        last = _head(self.engine)
                    else:
                        with db.read_session(self.engine) as s:
                            missed = _since(s, (last, LAST))
                        for a in missed:
                            self._deliver_safely(a)
                            last = max(last, a.seq)
                    self._ready.set()
                    pause = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            heard = Announcement.parse(note.payload)
                            if heard is None:  # another topic's event
                                continue
                            self._deliver_safely(heard)
                            last = max(last, heard.seq)
            except (psycopg.Error, OSError, ValueError) as exc:
                log.warning("live updates: listener lost its connection (%s); retrying", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)


def _load(session: Session, incident_id: int, kind: str) -> tuple[Marking, str] | None:
    """An incident's marking and its event data, read once for every subscriber."""
    from collsec.crisis.incidents import service  # the service announces through this module

    row = session.get(IncidentRow, incident_id)
    if row is None:
        return None
    mark = auth.marking(session, service.OBJECT, row)
    released = sorted(mark.released_to) if row.visibility == "restricted" else None
    data = json.dumps({"kind": kind, "incident": service.as_dict(row, released)},
                      ensure_ascii=False, separators=(",", ":"))
    return mark, data


def _audit(session: Session, readers: list[auth.Actor], incident_id: int,
           mark: Marking) -> None:
    """The rows `auth.audit` writes for a read, for every reader of one event in one
    statement: on the path of every event, ORM objects one by one cost more than the commit."""
    if mark.level == "public" or not readers:
        return
    now = clock.now()
    session.execute(insert(AuditRow), [
        {"at": now, "kind": "read", "username": actor.username,
         "principal": actor.principal.key if actor.principal else None,
         "object_type": "incident", "object_id": str(incident_id), "via": actor.via,
         "detail": f"marked {mark.level}; live stream"} for actor in readers])


def _since(session: Session, after: fanout.Position) -> list[Announcement]:
    """Incident changes journaled after event `after` (the rest of its entry, then later
    entries), oldest first: those of the newest REPLAY_LIMIT entries, so what is replayed
    joins what comes live without a gap."""
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.command, JournalEntry.payload)
        .where(JournalEntry.seq >= after[0], JournalEntry.live.is_(True))
        .order_by(JournalEntry.seq.desc()).limit(REPLAY_LIMIT)).all()
    now = time.time()
    return [a for seq, command, payload in reversed(rows)
            for a in fanout.from_entry(seq, command, payload, now) if a.position > after]


def _head(engine: Engine) -> int:
    with db.read_session(engine) as s:
        return int(s.scalar(select(func.max(JournalEntry.seq))) or 0)


# -- one broker per database in this process ---------------------------------------------

_brokers: dict[str, Broker] = {}
_brokers_lock = threading.Lock()


def _key(url: URL | str) -> str:
    return make_url(url).render_as_string(hide_password=False)


def broker(engine: Engine | None = None) -> Broker:
    """The broker of the database this process serves (started by its first subscriber)."""
    eng = engine or db.engine()
    key = _key(eng.url)
    with _brokers_lock:
        found = _brokers.get(key)
        if found is None:
            found = _brokers[key] = Broker(eng)
        return found


def shutdown() -> None:
    with _brokers_lock:
        stopping = list(_brokers.values())
        _brokers.clear()
    for b in stopping:
        b.stop()


def _end_streams_on_exit_signal() -> Callable[[], None]:
    """uvicorn waits for open responses before it stops, and a live stream never ends by
    itself: on SIGINT/SIGTERM end every stream first, then let uvicorn's handler run."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(sig: int, frame: FrameType | None) -> None:
        for b in list(_brokers.values()):
            b.close_all(closing=True)
        before = previous[signal.Signals(sig)]
        if callable(before):
            before(sig, frame)
        elif before != signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, before in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

    return restore


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Brokers start with their first subscriber and stop with the application."""
    restore = _end_streams_on_exit_signal()
    try:
        yield
    finally:
        restore()
        await asyncio.to_thread(shutdown)
