"""The clock that sends each running exercise's injects when their minute comes: a thread
of the serving process (`collsec serve`) that runs `runs.tick` every few seconds. Several
processes may run it: a run's inject is sent once (its row is unique per run and inject,
so a second sender's transaction fails and is rolled back)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import IntegrityError

from collsec.core import clock, db
from collsec.exercises import runs

log = logging.getLogger(__name__)
_stop = threading.Event()


def once() -> dict[int, list[int]]:
    """One round: what it sent, per run (nothing when another process sent it first)."""
    try:
        with db.write_session() as session:
            return runs.tick(session, runs.CLOCK, now=clock.now())
    except IntegrityError:
        return {}


def _loop(seconds: float) -> None:
    while not _stop.wait(seconds):
        try:
            sent = once()
        except Exception:  # a failed round must not stop the clock; the next one retries
            log.exception("sending the exercises' injects failed")
            continue
        if sent:
            log.info("exercise injects sent: %s", sent)


def start(seconds: float = 15.0) -> threading.Thread:
    """Start the clock in a daemon thread (it dies with the process)."""
    _stop.clear()
    thread = threading.Thread(target=_loop, args=(seconds,), name="exercise-injects",
                              daemon=True)
    thread.start()
    return thread


def stop() -> None:
    _stop.set()
