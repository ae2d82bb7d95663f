"""Sweeps: many places and compositions at once, each case a run of its own in a process
of a local pool (the model is NumPy, so processes, not threads, use the cores). A case's
seed is derived from the sweep's seed and the case's place in it, so a sweep repeats
exactly whatever the number of workers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import InvalidInput
from collsec.simulation import service

MAX_CASES = 500


@dataclass(frozen=True)
class Case:
    place: tuple[float, float]
    need: int
    composition: str = service.DEFAULT_COMPOSITION


def _one(args: tuple[str, Case, int, int]) -> dict[str, Any]:
    org, case, runs, seed = args
    return service.run(org, place=case.place, need=case.need, runs=runs, seed=seed,
                       name=case.composition)


def sweep(org: str, cases: Sequence[Case], *, runs: int = 10_000, seed: int = 1,
          workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Each case's result, in the order given. `workers`: processes (default: the cores;
    1 runs in this process)."""
    if not 1 <= len(cases) <= MAX_CASES:
        raise InvalidInput("a sweep has from 1 to {most} cases", most=MAX_CASES)
    work = [(org, c, runs, seed * 100_003 + n) for n, c in enumerate(cases)]
    count = workers or os.cpu_count() or 1
    if count < 1 or count > 64:
        raise InvalidInput("workers is from 1 to {most}", most=64)
    for c in cases:  # a bad case fails here, before any process starts (a run is cheap)
        service.run(org, place=c.place, need=c.need, runs=1, seed=0, name=c.composition)
    if count == 1:
        out = []
        for item in work:
            out.append(_one(item))
            if progress is not None:
                progress(1)
        return out
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=min(count, len(work))) as pool:
        for result in pool.map(_one, work):
            results.append(result)
            if progress is not None:
                progress(1)
    return results
