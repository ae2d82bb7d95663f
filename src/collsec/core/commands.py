"""Commands: every change is one transaction with exactly one journal entry and the live
events of what it changed, committed together.

A service records what it did with `journal.record` and announces each object it changed
with `announce`; neither writes at once. When the transaction commits, the steps staged
in it become one journal entry: the outermost command's (named by `@command`, or else
the last step, which is the outer call's since it records after its nested calls), with
the other steps inside its payload under `steps`. Its live events go into the same entry
(`live`), so the broker and a reconnecting client read them from the journal, and on
PostgreSQL they are also sent with pg_notify, which PostgreSQL delivers only at commit.
A rollback discards all of it. So no nesting of service calls can write two entries, and
no change can be announced without being journaled.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from collsec.core import clock, db, idempotency, journal
from collsec.core.context import Context
from collsec.core.errors import Conflict

R = TypeVar("R")
T = TypeVar("T")

LIVE_CHANNEL = "collsec_live"  # PostgreSQL NOTIFY channel of every live event
_COMMITTED = "collsec_live_committed"  # session.info key: events awaiting after_commit


@dataclass(frozen=True)
class LiveEvent:
    """A committed change of one object, as it travels to the live broker: `seq` is the
    journal entry that made it, `index` its place among that entry's events."""

    seq: int
    index: int
    topic: str  # the kind of object: incident, ...
    id: int
    kind: str  # what happened to it: reported, updated, ...
    at: float  # Unix time it was announced

    def payload(self) -> str:
        return json.dumps({"seq": self.seq, "index": self.index, "topic": self.topic,
                           "id": self.id, "kind": self.kind, "at": self.at},
                          separators=(",", ":"))


def announce(session: journal.Staging, topic: str, object_id: int, kind: str) -> None:
    """Announce that this transaction changed an object; it leaves with the commit."""
    staged = journal.pending(session)
    if (topic, object_id, kind) not in staged.events:
        staged.events.append((topic, object_id, kind))


def announce_many(session: journal.Staging, topic: str, object_ids: Iterable[int],
                  kind: str) -> None:
    """`announce` for many objects of one command (an import): each once, in order, without
    searching the staged events once per object."""
    staged = journal.pending(session)
    seen = set(staged.events)
    for object_id in object_ids:
        event = (topic, object_id, kind)
        if event not in seen:
            seen.add(event)
            staged.events.append(event)


# Called after commit with the engine and the events of this process's committed
# transactions (the live broker registers here, so core knows no feature).
_listeners: list[Callable[[Any, list[LiveEvent]], None]] = []


def on_committed(listener: Callable[[Any, list[LiveEvent]], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


# Parameters that are always the context's; `now`, `today`, `org` and `lang` are too
# unless the caller gives them (the registry's public reads name their organization).
_CONTEXT_TYPED = frozenset({"ctx", "c", "actor", "charter"})


class _Unit(Generic[R]):
    """A service function that an interface runs with a context: `run(ctx, ...)` opens the
    unit of work, gives the function the parts of `ctx` it names among its parameters
    (`ctx`, `c`, `actor`, `charter` always; `now`, `today`, `org`, `lang` when the caller
    does not pass them), and closes the unit. Called with a session first, it is the plain
    function, for a service that calls another inside its own unit (and for tests that
    hold a session)."""

    writes = True
    driver = False  # a command that runs on a DriverUnit (`command(..., driver=True)`)
    plain = False  # a query that runs on a connection alone (`query(plain=True)`)

    def __init__(self, fn: Callable[..., R]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.signature = inspect.signature(fn)
        if "session" not in self.signature.parameters:
            raise TypeError(f"{fn.__qualname__} needs its session as `session`")
        self._positional = [p.name for p in self.signature.parameters.values()
                            if p.name != "session" and p.name not in _CONTEXT_TYPED
                            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def __call__(self, *args: Any, **kwargs: Any) -> R:
        return self.fn(*args, **kwargs)

    def bind(self, ctx: Context | None, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> dict[str, Any]:
        """The function's arguments but its session: the caller's, then the context's."""
        if len(args) > len(self._positional):
            raise TypeError(f"{self.fn.__qualname__} takes {len(self._positional)} "
                            f"positional arguments besides its context, not {len(args)}")
        bound = {**dict(zip(self._positional, args, strict=False)), **kwargs}
        parts = ctx.parts() if ctx is not None else {}
        for name in self.signature.parameters:
            if name in parts and name not in bound:
                bound[name] = parts[name]
        return bound

    def run(self, ctx: Context, /, *args: Any, **kwargs: Any) -> R:
        """Run in a unit of work of its own: committed when it returns, else rolled back."""
        return self.present(_same, ctx, *args, **kwargs)

    def present(self, show: Callable[[R], T], ctx: Context, /, *args: Any, **kwargs: Any
                ) -> T:
        """`run`, with `show(result)` called before the unit closes: what the interface
        answers may follow the result's relationships (never the session itself)."""
        bound = self.bind(ctx, args, kwargs)
        if self.driver:
            with driver_unit() as unit:
                return show(self(unit, **bound))
        opened: Any = (db.write_session() if self.writes else
                       db.read_connection() if self.plain else
                       db.read_session())
        with opened as session:
            return show(self(session, **bound))

    def answer(self, show: Callable[[R], T], ctx: Context, /, *args: Any, **kwargs: Any
               ) -> T:
        """`present`, where `show(result)` is the interface's whole answer: a request with
        an Idempotency-Key keeps it with its key in this same transaction, so a retry
        after a crash between the commit and the answer still gets it."""
        def shown(result: R) -> T:
            made = show(result)
            idempotency.stage(made)
            return made
        return self.present(shown, ctx, *args, **kwargs)


class Reading:
    """One read unit an interface runs several queries in (a page and its frame): it hands
    out query results, never the session, and takes queries only."""

    def __init__(self, session: Session, ctx: Context | None) -> None:
        self._session, self.ctx = session, ctx  # no context: an error page's public reads

    def __call__(self, q: Query[R], /, *args: Any, **kwargs: Any) -> R:
        if not isinstance(q, Query):
            raise TypeError(f"{getattr(q, '__qualname__', q)!r} is not a query")
        return q(self._session, **q.bind(self.ctx, args, kwargs))


@contextmanager
def reading(ctx: Context | None) -> Iterator[Reading]:
    """A read unit for several queries; its audit rows are written as it ends."""
    with db.read_session() as session:
        yield Reading(session, ctx)


def _same(value: R) -> R:
    return value


class Command(_Unit[R]):
    """A command (see `command`): one journal entry, its live events, one transaction."""

    def __init__(self, fn: Callable[..., R], name: str, action: str | None,
                 counted: bool, driver: bool = False, exercise: bool = False) -> None:
        super().__init__(fn)
        self.exercise = exercise
        if action is not None and "c" not in self.signature.parameters:
            raise TypeError(f"command {name} needs an action's clearance: a parameter `c`")
        self.name, self.action, self.counted, self.driver = name, action, counted, driver
        self.__collsec_command__ = name
        self.__collsec_action__ = action

    def __call__(self, *args: Any, **kwargs: Any) -> R:
        arguments = kwargs
        if len(args) != 1 or "session" in kwargs:  # the usual call (session, **named) skips it
            arguments = self.signature.bind_partial(*args, **kwargs).arguments
        session = args[0] if arguments is kwargs else arguments.get("session")
        if not isinstance(session, Session | DriverUnit):
            raise TypeError(f"command {self.name} needs its session as `session`")
        if self.action is not None:
            from collsec.core.auth import service as auth  # core.auth imports us

            if "c" not in arguments:
                raise TypeError(f"command {self.name} needs its clearance as `c`")
            auth.require(arguments["c"], self.action)
        played = getattr(arguments.get("c"), "exercise", None)
        if played is not None and not self.exercise:
            # Exercise mode is closed by default: only a command declared for it marks what
            # it makes with the run, so no other can touch the real world from an exercise.
            raise Conflict("{command} is not open during an exercise (run {run}); leave "
                           "exercise mode to do it", command=self.name, run=played)
        staged = journal.pending(session)
        outermost = staged.command is None
        if outermost:
            staged.command, staged.counted = self.name, self.counted
        try:
            return self.fn(*args, **kwargs)
        finally:
            if outermost and not staged.steps:
                staged.command = None  # it wrote nothing: the session may run another

class Query(_Unit[R]):
    """A query (see `query`): reads, narrowed by the decision point, its restricted rows
    audited (a read unit writes its audit rows as it ends)."""

    def __init__(self, fn: Callable[..., R], writes: bool, plain: bool = False) -> None:
        super().__init__(fn)
        self.writes, self.plain = writes, plain


def command(name: str, *, action: str | None = None, counted: bool = False,
            driver: bool = False, exercise: bool = False
            ) -> Callable[[Callable[..., R]], Command[R]]:
    """Declare a service function a command: `name` is its journal command, `action` the
    decision point's action it needs (asked of its `c` argument before it runs). Only the
    outermost command names the transaction's entry; nested ones become its steps.
    `counted`: the nested steps are counted per command instead of listed (a bulk load).
    `driver`: run by an interface, it gets a `DriverUnit` rather than a session (its
    writes are the driver's own statements, through `driver_of`); called with a session,
    it runs in that session's transaction like any command.
    `exercise`: open to an actor playing in an exercise run (`Clearance.exercise`); what it
    makes carries the run. Every other command refuses such an actor."""
    def wrap(fn: Callable[..., R]) -> Command[R]:
        run = Command(fn, name, action, counted, driver, exercise)
        COMMANDS[name] = run
        return run
    return wrap


def query(*, writes: bool = False, plain: bool = False
          ) -> Callable[[Callable[..., R]], Query[R]]:
    """Declare a service function a query an interface runs with `run(ctx, ...)`.
    `writes`: its unit is a write transaction, for a read whose refusal is audited before
    the refusal is raised (the audit row must commit first). `plain`: run alone, it gets a
    connection (`db.read_connection`), not a session, for a read of columns (what it owes,
    the audit of its restricted rows, left with `db.owe`, is written as the read ends);
    in a page's `reading` it gets the page's session, so it reads through
    `db.connection_of`."""
    def wrap(fn: Callable[..., R]) -> Query[R]:
        return Query(fn, writes, plain)
    return wrap


COMMANDS: dict[str, Command[Any]] = {}


def _entry_of(uow: journal.Pending) -> tuple[str, str, Any, dt.datetime | None]:
    name = uow.command or uow.steps[-1].command
    main = next((s for s in reversed(uow.steps) if s.command == name), None)
    others = [s for s in uow.steps if s is not main]
    payload: Any = main.payload if main is not None else {}
    if others:
        payload = dict(payload) if isinstance(payload, dict) else {"value": payload}
        if uow.counted:
            counts: dict[str, int] = {}
            for s in others:
                counts[s.command] = counts.get(s.command, 0) + 1
            payload["steps"] = counts
        else:
            payload["steps"] = [{"command": s.command, "payload": s.payload} for s in others]
    first = main or uow.steps[0]
    return name, first.actor, payload, first.at


_NOTIFY_SQL = "SELECT pg_notify(%s, %s)"
# Many events (an import): one statement sends them all, in their order. The payloads go as
# one JSON text, which the driver sends as it is; as a text[] it escaped each element, which
# cost more than the statement for a few thousand events.
_NOTIFY_ALL_SQL = ("SELECT pg_notify(%s, e.payload) FROM json_array_elements_text("
                   "CAST(%s AS json)) WITH ORDINALITY AS e(payload, n) ORDER BY e.n")


def _close(uow: journal.Pending | None, cursor: Any, dialect: str,
           head: journal.Head | None = None, locked: bool = False) -> list[LiveEvent]:
    """Write what a transaction staged as its one journal entry, on a DBAPI cursor of the
    transaction, and send its live events on PostgreSQL (delivered at commit); the events,
    for the listeners once the commit is done."""
    if uow is None:
        return []
    if not uow.steps:
        if uow.events:
            raise RuntimeError("a live event without a journaled change: "
                               f"{uow.events[0]!r}")
        if uow.registry_changed:
            raise RuntimeError("a change of the registry without a journaled change")
        return []
    name, actor, payload, at = _entry_of(uow)
    if uow.events:
        payload = dict(payload) if isinstance(payload, dict) else {"value": payload}
        payload["live"] = [{"topic": t, "id": i, "kind": k} for t, i, k in uow.events]
    entry = journal.append_on(cursor, dialect, head, locked=locked, actor=actor, command=name,
                              payload=payload, at=at or clock.now(), live=bool(uow.events),
                              registry=uow.registry_changed)
    idempotency.write_on(cursor, dialect, entry.seq, clock.now())
    now = time.time()
    events = [LiveEvent(entry.seq, n, t, i, k, now) for n, (t, i, k) in enumerate(uow.events)]
    if events and dialect == "postgresql":
        if len(events) == 1:
            cursor.execute(_NOTIFY_SQL, (LIVE_CHANNEL, events[0].payload()))
        else:  # one round trip, not one per event
            cursor.execute(_NOTIFY_ALL_SQL, (LIVE_CHANNEL, json.dumps(
                [e.payload() for e in events], separators=(",", ":"))))
    return events


@orm_event.listens_for(Session, "before_commit")
def _write_entry(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # SQLAlchemy flushes after this hook: its row events must stage first
    uow = session.info.pop(journal.PENDING, None)
    if uow is None:
        return
    cursor, dialect = driver_of(session)
    try:
        events = _close(uow, cursor, dialect)
    finally:
        cursor.close()
    if events:
        session.info[_COMMITTED] = events


@orm_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    events = session.info.pop(_COMMITTED, None)
    if events:
        for listener in _listeners:
            listener(session.get_bind(), events)


@orm_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(journal.PENDING, None)
    session.info.pop(_COMMITTED, None)


# -- the driver's unit of work ------------------------------------------------------------

class DriverUnit:
    """A command's unit of work on the driver's own connection, for the commands that an
    interface runs most and whose writes are plain INSERTs (an incident report): no ORM
    session, whose transaction handling alone cost more than the whole raw INSERT
    (docs/performance.md). The rules are the session's: one transaction, begun with BEGIN
    IMMEDIATE on SQLite and the journal head locked first, one journal entry written with
    the same `journal.append_on`, the same live events and listeners, a rollback on any
    error. It carries `info` like a session, so `journal.record` and `announce` stage into
    it; `driver_of` gives its cursor; it has no ORM, so a command for it reads nothing
    through a session (the decision point reads the registry in its own read units)."""

    def __init__(self, engine: Any, raw: Any) -> None:
        self.engine, self.dialect = engine, engine.dialect.name
        self.raw, self.cursor = raw, raw.cursor()
        self.info: dict[str, Any] = {}
        self.head: journal.Head | None = None

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.cursor.execute("BEGIN IMMEDIATE")  # as db.write_session begins
        self.head = journal.lock_head(self.cursor, self.dialect)

    def commit(self) -> list[LiveEvent]:
        events = _close(self.info.pop(journal.PENDING, None), self.cursor, self.dialect,
                        self.head, locked=True)
        if self.dialect == "sqlite":
            self.cursor.execute("COMMIT")
        else:
            self.raw.commit()
        return events

    def rollback(self) -> None:
        self.info.clear()
        if self.dialect == "sqlite":
            if self.raw.in_transaction:
                self.cursor.execute("ROLLBACK")
        else:
            self.raw.rollback()


@contextmanager
def driver_unit(engine: Any = None) -> Iterator[DriverUnit]:
    """One command on the driver's connection of `engine` (the settings' by default):
    committed when the block ends, else rolled back."""
    eng = engine or db.engine()
    with db.write_turn(eng):
        yield from _driver_unit(eng)


def _driver_unit(eng: Any) -> Iterator[DriverUnit]:
    pooled = eng.raw_connection()
    try:
        unit = DriverUnit(eng, pooled.driver_connection)
        try:
            unit.begin()
            yield unit
            events = unit.commit()
        except BaseException:
            unit.rollback()
            raise
        for listener in _listeners if events else ():
            listener(eng, events)
    finally:
        pooled.close()


def driver_of(session: Session | DriverUnit) -> tuple[Any, str]:
    """A DBAPI cursor in the transaction of `session` (a session or a driver unit) and the
    dialect's name, for a command's own statements."""
    if isinstance(session, DriverUnit):
        return session.cursor, session.dialect
    conn = session.connection()
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw.cursor(), conn.dialect.name
