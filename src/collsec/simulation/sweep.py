"""Sweeps: many places and parameter sets at once, each case a run of its own, in the
processes of a local pool (the model is NumPy, so processes, not threads, use the cores)
or on a Dask cluster when one is configured (COLLSEC_CLUSTER: its scheduler's address).
A case's seed is derived from the sweep's seed and the case's place in it, so a sweep
repeats exactly whatever the number of workers and wherever it runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import CollsecError, InvalidInput, Unavailable
from collsec.simulation import service

MAX_CASES = 500
SCHEMES = ("tcp://", "tls://")  # what a Dask scheduler listens on
CONNECT_SECONDS = 10  # before a scheduler that does not answer is said to be unavailable


@dataclass(frozen=True)
class Case:
    place: tuple[float, float]
    need: int
    composition: str = service.DEFAULT_COMPOSITION
    parameters: Mapping[str, Any] | None = None  # a parameter set (service.parameters)
    name: str = ""  # what the reader calls it; the place when empty


CASE_KEYS = ("name", "place", "need", "composition", "parameters")


def cases_from(raw: object) -> list[Case]:
    """The cases of a sweep file (YAML or JSON, already read): `cases`, a list of mappings
    with `place` [lon, lat] and optionally `name`, `need`, `composition` and `parameters`;
    `need` and `composition` at the top are each case's default."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("cases"), list):
        raise InvalidInput("a sweep file has a list of cases under `cases`")
    unknown = sorted(str(k) for k in raw if k not in ("cases", "need", "composition"))
    if unknown:
        raise InvalidInput("a sweep file has no {fields}", fields=", ".join(unknown))
    out = []
    for n, item in enumerate(raw["cases"]):
        try:
            out.append(_case(item, raw))
        except CollsecError as exc:
            raise exc.within("case {number}", number=n + 1) from None
    return out


def _case(item: object, defaults: Mapping[str, Any]) -> Case:
    if not isinstance(item, Mapping):
        raise InvalidInput("a case is a mapping with a place")
    unknown = sorted(str(k) for k in item if k not in CASE_KEYS)
    if unknown:
        raise InvalidInput("a case has no {fields}", fields=", ".join(unknown))
    place = item.get("place")
    if (not isinstance(place, list) or len(place) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in place)):
        raise InvalidInput("a case's place is [LON, LAT]")
    need = item.get("need", defaults.get("need"))
    if isinstance(need, bool) or not isinstance(need, int):
        raise InvalidInput("a case's need is a whole number of personnel")
    parameters = item.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise InvalidInput("a parameter set is a mapping of sections")
    return Case((float(place[0]), float(place[1])), need,
                str(item.get("composition", defaults.get("composition",
                                                          service.DEFAULT_COMPOSITION))),
                parameters, str(item.get("name", ""))[:120])


def _execute(plan: service.Plan) -> dict[str, Any]:
    return plan.execute()


def plans(org: str, cases: Sequence[Case], *, runs: int, seed: int) -> list[service.Plan]:
    """Every case checked and resolved before any runs: a bad one is refused by its number
    and nothing is started."""
    if not 1 <= len(cases) <= MAX_CASES:
        raise InvalidInput("a sweep has from 1 to {most} cases", most=MAX_CASES)
    out = []
    for n, c in enumerate(cases):
        try:
            out.append(service.plan(org, place=c.place, need=c.need, runs=runs,
                                    seed=seed * 100_003 + n, name=c.composition,
                                    overrides=c.parameters))
        except CollsecError as exc:
            raise exc.within("case {number}", number=n + 1) from None
    return out


def sweep(org: str, cases: Sequence[Case], *, runs: int = 10_000, seed: int = 1,
          workers: int | None = None, cluster: str | None = None,
          progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Each case's result, in the order given. `cluster`: a Dask scheduler's address (the
    workers need collsec installed, not its data); else `workers` processes here (default:
    the cores; 1 runs in this process)."""
    count = workers or os.cpu_count() or 1
    if count < 1 or count > 64:
        raise InvalidInput("workers is from 1 to {most}", most=64)
    if cluster and not cluster.startswith(SCHEMES):
        raise InvalidInput("COLLSEC_CLUSTER is a Dask scheduler's address (tcp://HOST:PORT), "
                           "not {address}", address=cluster[:80])
    work = plans(org, cases, runs=runs, seed=seed)
    tick = progress or (lambda n: None)
    if cluster:
        return _on_cluster(cluster, work, tick)
    if count == 1:
        out = []
        for plan in work:
            out.append(plan.execute())
            tick(1)
        return out
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=min(count, len(work))) as pool:
        for result in pool.map(_execute, work):
            results.append(result)
            tick(1)
    return results


def _on_cluster(address: str, work: list[service.Plan], tick: Callable[[int], None]
                ) -> list[dict[str, Any]]:
    try:  # the cluster's client is an extra (collsec[cluster]): a laptop needs none
        from distributed import Client, as_completed
    except ImportError:
        raise Unavailable("COLLSEC_CLUSTER is set but dask.distributed is not installed "
                          "(pip install 'collsec[cluster]')") from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS,  # type: ignore[no-untyped-call]
                        set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise Unavailable("the Dask scheduler at {address} does not answer: {problem}",
                          address=address, problem=str(exc)[:200]) from None
    with client, client.as_current():  # as_completed asks for the current client
        futures = client.map(_execute, work, pure=False)
        for _ in as_completed(futures):  # type: ignore[no-untyped-call]
            tick(1)
        results: list[dict[str, Any]] = client.gather(futures)  # type: ignore[no-untyped-call]
    return results
