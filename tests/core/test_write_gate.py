"""The SQLite writers of one process take turns at a gate: in the order they came, those
asking to go first before the rest, and a thread already holding the turn passes."""

from __future__ import annotations

import threading
import time

from collsec.core.db import WriteGate


def _queue_behind(gate: WriteGate, names: list[tuple[str, bool]]) -> list[str]:
    """Hold the turn, line up writers one after another, release; the order they wrote in."""
    order: list[str] = []
    released = threading.Event()

    def holder() -> None:
        with gate.turn():
            released.wait(5)

    def writer(name: str, first: bool) -> None:
        with gate.turn(first=first):
            order.append(name)

    h = threading.Thread(target=holder)
    h.start()
    time.sleep(0.05)
    threads = []
    for name, first in names:
        t = threading.Thread(target=writer, args=(name, first))
        t.start()
        threads.append(t)
        time.sleep(0.05)  # so that arrival order is the order of the list
    released.set()
    for t in [h, *threads]:
        t.join(5)
    return order


def test_writers_take_turns_in_the_order_they_came() -> None:
    assert _queue_behind(WriteGate(), [("a", False), ("b", False), ("c", False)]) == [
        "a", "b", "c"]


def test_a_writer_asking_to_go_first_overtakes_those_waiting() -> None:
    assert _queue_behind(WriteGate(), [("a", False), ("b", False), ("audit", True)]) == [
        "audit", "a", "b"]


def test_the_holder_passes_again_and_keeps_the_turn_until_its_outer_turn_ends() -> None:
    gate = WriteGate()
    got_in = threading.Event()

    def other() -> None:
        with gate.turn():
            got_in.set()

    with gate.turn():
        with gate.turn():  # reentrant: would deadlock if the gate did not know its holder
            pass
        t = threading.Thread(target=other)
        t.start()
        assert not got_in.wait(0.1)  # the inner turn's end did not hand the turn over
    assert got_in.wait(5)
    t.join(5)


def test_a_writer_that_fails_hands_the_turn_over() -> None:
    gate = WriteGate()
    try:
        with gate.turn():
            raise ValueError("rolled back")
    except ValueError:
        pass
    done = threading.Event()
    t = threading.Thread(target=lambda: (gate.turn().__enter__(), done.set()))
    t.start()
    assert done.wait(5)
    t.join(5)
