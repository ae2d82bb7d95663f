"""A sweep over places: the same answers in one process and in a pool of two, in the order
asked, each case as a single run of it would give."""

from __future__ import annotations

import pytest

from collsec.core.errors import InvalidInput
from collsec.simulation import service, sweep

CASES = [sweep.Case((76.93, 43.35), 1000), sweep.Case((69.28, 41.31), 500),
         sweep.Case((74.59, 42.87), 2030)]


def test_a_sweep_repeats_exactly_with_any_number_of_workers() -> None:
    one = sweep.sweep("CSTO", CASES, runs=2000, seed=3, workers=1)
    two = sweep.sweep("CSTO", CASES, runs=2000, seed=3, workers=2)
    assert one == two and [r["place"] for r in one] == [list(c.place) for c in CASES]
    alone = service.run("CSTO", place=CASES[1].place, need=500, runs=2000,
                        seed=3 * 100_003 + 1)
    assert one[1] == alone


def test_a_bad_case_is_refused_before_any_process_starts() -> None:
    with pytest.raises(InvalidInput, match="need"):
        sweep.sweep("CSTO", [CASES[0], sweep.Case((76.93, 43.35), 10**6)], runs=10)
    with pytest.raises(InvalidInput, match="from 1 to"):
        sweep.sweep("CSTO", [], runs=10)
