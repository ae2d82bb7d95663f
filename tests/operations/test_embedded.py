"""The embedded operations (operations.yaml, the indicators in charter.yaml) pass the
model's checks: every figure of a known indicator its operation reports, every source and
state known, every stage within its operation's years."""

from __future__ import annotations

import datetime as dt

from collsec.operations import model
from collsec.registry.charter import read_yaml


def _embedded() -> tuple[model.Operation, ...]:
    charter = read_yaml("CSTO", "charter.yaml")
    known = model.Known(model.indicators_from(charter["operations"]),
                        frozenset(str(s["code"]) for s in read_yaml("CSTO", "states.yaml")),
                        frozenset(str(s["id"]) for s in read_yaml("CSTO", "sources.yaml")))
    return model.operations_from(read_yaml("CSTO", "operations.yaml"), known)


def test_the_four_operations_are_embedded_with_their_stages_and_figures() -> None:
    ops = {o.code: o for o in _embedded()}
    assert set(ops) == {"channel", "proxi", "illegal", "mercenary"}
    channel = ops["channel"]
    assert channel.started == 2003 and len(channel.stages) >= 10
    assert all(s.year >= 2003 for s in channel.stages)
    figures = [f for o in ops.values() for s in o.stages for f in s.figures]
    assert len(figures) >= 50
    totals = model.totals(channel.stages, on=dt.date(2026, 1, 1))
    assert totals and all(t.value > 0 for t in totals.values())
    assert ops["mercenary"].started is None  # its first active phase was not found
