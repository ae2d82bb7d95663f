"""Live updates: announcements that leave only with their commit, and the broker that
hands each one to the subscribers of this server process who may read it.

Each streamed topic is a `Feed`: the SSE event's name, the object type the audit names,
and how a round loads its objects (marking and event data, and for a withdrawal the
notice each principal it was taken from gets instead). Incidents are registered here;
other feature packages register theirs (reports: `collsec.exchange.live`), and one
subscriber reads one topic.

A service announces what it changed with `commands.announce`; the unit of work lists the
events in the transaction's journal entry and, on PostgreSQL, sends them with pg_notify,
which PostgreSQL delivers at commit and drops on rollback; every server process LISTENs
on one dedicated connection, so any process can serve any subscriber. SQLite: after the
commit the unit of work tells this module, which wakes the broker to read what is new
from the journal; a rollback discards it. The broker also reads the journal
every POLL_SECONDS, so changes committed by other processes reach subscribers too.

The broker works in batches: whatever was announced since its last round (one event or
a hundred) is delivered in one round of three steps. It loads the incidents and their
markings in one read, decides per subscriber with the rule of every read
(`fanout.audience`), writes the audit rows of all the round's deliveries in one
transaction (the broker is the one writer of delivery audits), and only then hands the
events to each event loop in one call. Under load a round carries more events, so the
commit of the audit, which is most of the cost, is paid once per round and not per event.

Each subscriber's queue is bounded: a reader that falls its backlog of events behind
(COLLSEC_LIVE_BACKLOG) is sent BEHIND, which its stream passes on as a `dropped` event
before it ends; the client reconnects with Last-Event-ID and replays what it missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from queue import Empty, SimpleQueue
from types import FrameType
from typing import Any, TypeVar

import psycopg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from collsec.core import clock, commands, db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking
from collsec.core.auth.tables import AuditRow, ReleaseRow
from collsec.core.commands import LiveEvent
from collsec.core.journal import JournalEntry
from collsec.crisis.incidents.tables import IncidentRow
from collsec.crisis.live import model as fanout
from collsec.crisis.live.model import Announcement

CHANNEL = commands.LIVE_CHANNEL
EVENT = "incident"  # the name of the incidents' server-sent event
MAX_BACKLOG = 1000  # by default, events queued for one subscriber before its stream ends
REPLAY_LIMIT = 500  # the newest events a client reconnecting with Last-Event-ID gets
POLL_SECONDS = 0.5  # SQLite: how often the journal is read for other processes' commits
LAST = 1 << 30  # an index past every event of an entry: (seq, LAST) is "after all of seq"
log = logging.getLogger(__name__)
K = TypeVar("K")


# -- what streams ------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    """One changed object as a round reads it: its marking, the event its readers get, and
    for a withdrawal the notice (JSON) each principal it was taken from gets instead."""

    mark: Marking
    data: str
    notices: Mapping[str, str] = field(default_factory=dict)


Loader = Callable[[Session, set[tuple[int, str]]], dict[tuple[int, str], Found]]


@dataclass(frozen=True)
class Feed:
    """A streamed topic: its event name, the object type its audit rows name, its loader
    ((object id, kind) -> Found, read once a round for every subscriber)."""

    topic: str
    event: str
    object_type: str
    load: Loader


_feeds: dict[str, Feed] = {}


def register(feed: Feed, kinds: tuple[str, ...]) -> None:
    """Stream `feed`'s topic, with these kinds of event."""
    _feeds[feed.topic] = feed
    fanout.register(feed.topic, kinds)


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
        if e.topic in _feeds:
            found.publish(Announcement(e.seq, e.index, e.id, e.kind, time.time(), e.topic))


commands.on_committed(_committed)


# -- subscribers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """What a subscriber's queue carries: the event's place (its id), its JSON data, when it
    was announced, the event's name."""

    position: fanout.Position
    data: str
    at: float
    event: str = EVENT

    @cached_property
    def wire(self) -> bytes:
        """The event as sent, written once for all its subscribers; the announcement time
        rides along as a comment, for latency measurements."""
        return fanout.event(self.position, self.event, self.data, note=f"announced {self.at:.6f}"
                            ).encode("utf-8")


BEHIND = Delivery((0, 0), "behind", 0.0)  # the reader fell its backlog behind: cut off


@dataclass(eq=False)
class Subscriber:
    """One open stream: who reads it, with which clearance, on which event loop, which topic."""

    actor: auth.Actor
    clearance: Clearance  # recomputed by the stream at every heartbeat
    loop: asyncio.AbstractEventLoop
    topic: str = fanout.TOPIC
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)
    backlog: int = MAX_BACKLOG  # events queued before the reader is cut off
    cut_off: bool = False  # BEHIND was queued: nothing more is

    def offer(self, item: Delivery | None) -> None:
        """Hand over an event (None ends the stream) from any thread."""
        self.loop.call_soon_threadsafe(self._put, [item])

    def _put(self, items: Sequence[Delivery | None]) -> None:
        for item in items:
            if item is None:
                self.queue.put_nowait(None)
            elif self.cut_off:
                return
            elif self.queue.qsize() >= self.backlog:
                # A reader this slow is told and cut off; it reconnects with Last-Event-ID
                # and replays from the journal, so the queue never grows past the bound.
                while not self.queue.empty():
                    self.queue.get_nowait()
                self.cut_off = True
                self.queue.put_nowait(BEHIND)
                self.queue.put_nowait(None)
                return
            else:
                self.queue.put_nowait(item)


def _hand_over(handed: list[tuple[Subscriber, list[Delivery]]]) -> None:
    """On one event loop: queue a round's events for each of its subscribers."""
    for sub, items in handed:
        sub._put(items)


# -- the broker --------------------------------------------------------------------------

class Broker:
    """The subscribers of one database in this process, and the thread that feeds them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The feed's own connections: under load the request threads hold every pooled
        # connection of `engine`, and the feed of every stream would wait in line for one.
        self.feed = db.make_engine(engine.url.render_as_string(hide_password=False),
                                   connections=2)
        self.postgres = engine.dialect.name == "postgresql"
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._closing = False
        self._inbox: SimpleQueue[Announcement | None] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._waiting_since = 0.0  # the oldest undelivered announcement's time

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
        self.feed.dispose()

    def subscribe(self, actor: auth.Actor, clearance: Clearance,
                  loop: asyncio.AbstractEventLoop, *, backlog: int = MAX_BACKLOG,
                  topic: str = fanout.TOPIC) -> Subscriber:
        if topic not in _feeds:
            raise ValueError(f"no live feed for {topic!r}")
        self.start()
        sub = Subscriber(actor, clearance, loop, topic, backlog=backlog)
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
        """Deliver one announcement (a round of one); returns how many received it."""
        return self.deliver_all([a])

    def deliver_all(self, round_: list[Announcement]) -> int:
        """Deliver a round of announcements, oldest first: load each topic's objects in one
        read, audit every delivery in one transaction, then hand each event loop its
        subscribers' events in one call. Returns the number of deliveries."""
        with self._lock:
            subs = list(self._subscribers)
        if not subs or not round_:
            return 0
        with db.read_session(self.feed) as s:
            per_sub, audited = route(s, round_, {sub: (sub.topic, sub.clearance)
                                                 for sub in subs})
        if not per_sub:
            return 0
        if any(m.level != "public" for *_, m in audited):
            with db.write_session(self.feed, first=True) as s:
                _audit(s, [(sub.actor, kind, i, m) for sub, kind, i, m in audited])
        per_loop: dict[asyncio.AbstractEventLoop, list[tuple[Subscriber, list[Delivery]]]] = {}
        for sub, items in per_sub.items():
            per_loop.setdefault(sub.loop, []).append((sub, items))
        for loop, handed in per_loop.items():
            try:
                loop.call_soon_threadsafe(_hand_over, handed)
            except RuntimeError:  # that event loop is closed: its streams are gone
                for sub, _ in handed:
                    self.unsubscribe(sub)
        return sum(len(items) for items in per_sub.values())

    def lag(self) -> float:
        """Seconds the oldest announcement still waiting for this broker has waited (0 when
        it is idle): what a stream reports when no event comes to tell it."""
        waiting = self._waiting_since
        return max(0.0, time.time() - waiting) if waiting else 0.0

    def replay(self, sub: Subscriber, after: fanout.Position) -> list[Delivery]:
        """What `sub` missed since event `after`, from the journal; audited like any delivery."""
        with db.write_session(self.engine) as s:
            per_sub, audited = route(s, _since(s, after), {sub: (sub.topic, sub.clearance)})
            _audit(s, [(sub.actor, kind, i, m) for _, kind, i, m in audited])
        return per_sub.get(sub, [])

    def _deliver_safely(self, round_: list[Announcement]) -> None:
        if not round_:
            return
        self._waiting_since = min(a.at for a in round_)
        try:
            self.deliver_all(round_)
        except Exception:  # one bad round must not stop the feed of every stream
            log.exception("live updates: delivering %d event(s) from %s failed",
                          len(round_), round_[0])
        finally:
            self._waiting_since = 0.0

    def _dispatch(self) -> None:
        """SQLite: the journal is the feed. A commit of this process wakes the thread at once;
        commits of other processes (a second server, the CLI) are found by reading the
        journal every POLL_SECONDS. Either way events go out once each, in journal order,
        everything new since the last round in one round."""
        last = _head(self.feed)
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
            if announced:
                self._waiting_since = min(announced.values())
            try:
                with db.read_session(self.feed) as s:
                    found = _since(s, (last, LAST))
            except Exception:  # a locked or vanished file: try again at the next wake-up
                log.exception("live updates: reading the journal failed")
                continue
            self._deliver_safely([replace(a, at=announced.pop(a.position, a.at))
                                  for a in found])
            if found:
                last = max(last, found[-1].seq)
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
                        last = _head(self.feed)
                    else:
                        with db.read_session(self.feed) as s:
                            missed = _since(s, (last, LAST))
                        self._deliver_safely(missed)
                        if missed:
                            last = max(last, missed[-1].seq)
                    self._ready.set()
                    pause = 0.5
                    while not self._stop.is_set():
                        # the first notification, then whatever else has come meanwhile:
                        # one round
                        notes = list(conn.notifies(timeout=0.5, stop_after=1))
                        if not notes:
                            continue
                        notes += conn.notifies(timeout=0)
                        heard = [a for a in map(Announcement.parse,
                                                (n.payload for n in notes)) if a is not None]
                        self._deliver_safely(heard)
                        if heard:
                            last = max(last, max(a.seq for a in heard))
            except (psycopg.Error, OSError, ValueError) as exc:
                log.warning("live updates: listener lost its connection (%s); retrying", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)


def route(session: Session, round_: Sequence[Announcement],
          readers: Mapping[K, tuple[str, Clearance]]
          ) -> tuple[dict[K, list[Delivery]], list[tuple[K, str, int, Marking]]]:
    """Who gets what of a round: each reader (its topic, its clearance) gets the events of
    its topic it may read (the rule of every read, `fanout.audience`) and the notice of a
    withdrawal from it (`fanout.told_of_withdrawal`), in the round's order; with the
    deliveries to audit (reader, object type, object id, marking). Each topic's objects are
    loaded once, for every reader."""
    by_topic: dict[str, dict[K, Clearance]] = {}
    for key, (topic, c) in readers.items():
        by_topic.setdefault(topic, {})[key] = c
    wanted: dict[str, set[tuple[int, str]]] = {}
    for a in round_:
        if a.topic in by_topic:
            wanted.setdefault(a.topic, set()).add((a.object_id, a.kind))
    loaded = {topic: _feeds[topic].load(session, keys) for topic, keys in wanted.items()}
    per_reader: dict[K, list[Delivery]] = {}
    audited: list[tuple[K, str, int, Marking]] = []
    for a in round_:
        found = loaded.get(a.topic, {}).get((a.object_id, a.kind))
        if found is None:
            continue
        feed, clearances = _feeds[a.topic], by_topic[a.topic]
        item = Delivery(a.position, found.data, a.at, feed.event)
        for key in fanout.audience(found.mark, clearances):
            per_reader.setdefault(key, []).append(item)
            audited.append((key, feed.object_type, a.object_id, found.mark))
        for key, notice in fanout.told_of_withdrawal(found.mark, found.notices, clearances):
            per_reader.setdefault(key, []).append(Delivery(a.position, notice, a.at,
                                                           feed.event))
    return per_reader, audited


def _load_incidents(session: Session, wanted: set[tuple[int, str]]
                    ) -> dict[tuple[int, str], Found]:
    """The markings and event data of a round's incidents, read once for every subscriber:
    (incident, kind) -> Found; a vanished incident is left out."""
    from collsec.crisis.incidents import service  # the service announces through this module

    if not wanted:
        return {}
    ids = sorted({i for i, _ in wanted})
    rows = {r.id: r for r in session.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids)))}
    released: dict[int, set[str]] = {}
    for object_id, principal in session.execute(
            select(ReleaseRow.object_id, ReleaseRow.principal).where(
                ReleaseRow.object_type == service.OBJECT, ReleaseRow.object_id.in_(ids))):
        released.setdefault(int(object_id), set()).add(principal)
    out: dict[tuple[int, str], Found] = {}
    for incident_id, kind in wanted:
        row = rows.get(incident_id)
        if row is None:
            continue
        to = released.get(incident_id, set())
        mark = auth.marking_of(row, to)
        shown = sorted(to) if row.visibility == "restricted" else None
        out[(incident_id, kind)] = Found(mark, json.dumps(
            {"kind": kind, "incident": service.as_dict(row, shown)},
            ensure_ascii=False, separators=(",", ":")))
    return out


def _audit(session: Session, deliveries: list[tuple[auth.Actor, str, int, Marking]]) -> None:
    """The rows `auth.audit` writes for a read, for every delivery of a round in one
    statement: on the path of every event, ORM objects one by one cost more than the commit."""
    rows = [d for d in deliveries if d[3].level != "public"]
    if not rows:
        return
    now = clock.now()
    session.execute(insert(AuditRow), [
        {"at": now, "kind": "read", "username": actor.username,
         "principal": actor.principal.key if actor.principal else None,
         "object_type": object_type, "object_id": str(object_id), "via": actor.via,
         "detail": f"marked {mark.level}; live stream"}
        for actor, object_type, object_id, mark in rows])


def _since(session: Session, after: fanout.Position) -> list[Announcement]:
    """Streamed changes journaled after event `after` (the rest of its entry, then later
    entries), oldest first: those of the newest REPLAY_LIMIT entries, so what is replayed
    joins what comes live without a gap."""
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.command, JournalEntry.payload)
        .where(JournalEntry.seq >= after[0], JournalEntry.live.is_(True))
        .order_by(JournalEntry.seq.desc()).limit(REPLAY_LIMIT)).all()
    now = time.time()
    return [a for seq, command, payload in reversed(rows)
            for a in fanout.from_entry(seq, command, payload, now) if a.position > after]


register(Feed(fanout.TOPIC, EVENT, "incident", _load_incidents), fanout.EVENT_KINDS)


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
