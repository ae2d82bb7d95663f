"""How long until the collective forces are in place: a Monte Carlo model, pure and
vectorized (every run of a batch at once, NumPy), with its distributions as data.

One run draws, in hours from the request for assistance:
- the collective decision (convening and deciding under the charter's rules);
- for each contingent, its state's own approval (a parliament may have to consent) and
  its readiness to move;
- its movement: by air, a share of the airlift fleet flies it in waves (each wave one
  sortie per aircraft, carrying what a sortie carries; the next wave leaves a round trip
  later), or by road and rail at a speed per day.

The result is the personnel in theatre at each hour of the horizon in every run; from it,
the distribution of the time until N personnel are in place, overall and per state. A
seed repeats a batch exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

KINDS = ("fixed", "uniform", "triangular", "lognormal")
MODES = ("air", "road")
EARTH_KM = 6371.0


@dataclass(frozen=True)
class Distribution:
    """Hours (or another positive quantity) as data: fixed `value`; uniform `low`..`high`;
    triangular `low`, `mode`, `high`; lognormal by its `median` and 90th percentile `p90`."""

    kind: str
    value: float = 0.0
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    median: float = 0.0
    p90: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a distribution is one of {', '.join(KINDS)}, not {self.kind!r}")
        numbers = (self.value, self.low, self.mode, self.high, self.median, self.p90)
        if any(not math.isfinite(x) or x < 0 for x in numbers):
            raise ValueError("a distribution's parameters are finite and not below zero")
        if self.kind == "uniform" and not self.low <= self.high:
            raise ValueError("a uniform distribution needs low <= high")
        if self.kind == "triangular" and not (self.low <= self.mode <= self.high
                                              and self.low < self.high):
            raise ValueError("a triangular distribution needs low <= mode <= high, low < high")
        if self.kind == "lognormal" and not 0 < self.median < self.p90:
            raise ValueError("a lognormal distribution needs 0 < median < p90")

    def draw(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> NDArray[np.float64]:
        if self.kind == "fixed":
            return np.full(size, self.value, dtype=np.float64)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, size)
        if self.kind == "triangular":
            return rng.triangular(self.low, self.mode, self.high, size)
        sigma = math.log(self.p90 / self.median) / 1.2815515655446004  # z of the 90th
        return rng.lognormal(math.log(self.median), sigma, size)


def distribution(raw: Mapping[str, Any] | float | int, where: str) -> Distribution:
    """A distribution as the data gives it (a number is a fixed value)."""
    if isinstance(raw, bool):
        raise ValueError(f"{where}: a distribution or a number")
    if isinstance(raw, int | float):
        return Distribution("fixed", value=float(raw))
    try:
        return Distribution(str(raw.get("kind", "")), **{
            k: float(v) for k, v in raw.items() if k in ("value", "low", "mode", "high",
                                                          "median", "p90")})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class Contingent:
    state: str
    personnel: int
    base: tuple[float, float]  # lon, lat of where it loads or sets off
    mode: str  # air or road
    readiness: Distribution
    approval: Distribution  # its state's own decision after the collective one


@dataclass(frozen=True)
class Airlift:
    aircraft: Distribution  # aircraft flying the deployment
    per_sortie: Distribution  # personnel a sortie carries with their equipment
    speed_kmh: float
    ground_hours: Distribution  # loading, unloading and turning round, per sortie
    route_factor: float = 1.2  # a route is longer than the great circle


@dataclass(frozen=True)
class Parameters:
    decision: Distribution
    contingents: tuple[Contingent, ...]
    airlift: Airlift
    road_km_per_day: Distribution
    horizon_hours: int = 240
    max_waves: int = 60

    def __post_init__(self) -> None:
        if not self.contingents:
            raise ValueError("name at least one contingent")
        if any(c.personnel <= 0 for c in self.contingents):
            raise ValueError("a contingent has at least one person")
        if any(c.mode not in MODES for c in self.contingents):
            raise ValueError(f"a contingent moves by {' or '.join(MODES)}")
        if self.airlift.speed_kmh <= 0 or self.airlift.route_factor < 1:
            raise ValueError("the airlift needs a speed above zero and a route factor of 1 "
                             "or more")
        if not 24 <= self.horizon_hours <= 24 * 60:
            raise ValueError("the horizon is one to sixty days")


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def check_place(lon: float, lat: float) -> tuple[float, float]:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        raise ValueError("a place is a longitude from -180 to 180 and a latitude from -90 "
                         "to 90")
    return (lon, lat)


@dataclass(frozen=True)
class Result:
    """Personnel in theatre per run (rows) and hour (columns, 0..horizon), and for each
    state, per run, the hour its whole contingent is in place."""

    hours: NDArray[np.int64]
    in_theatre: NDArray[np.float32]  # runs × hours
    complete: Mapping[str, NDArray[np.float64]]  # state → hour in place, per run
    decision: NDArray[np.float64]  # hour of the collective decision, per run
    states: tuple[str, ...] = field(default=())

    @property
    def runs(self) -> int:
        return int(self.in_theatre.shape[0])

    def time_to(self, need: float) -> NDArray[np.float64]:
        """Per run, the first hour with at least `need` in theatre (inf: not within the
        horizon)."""
        reached = self.in_theatre >= need
        first: NDArray[np.float64] = np.argmax(reached, axis=1).astype(np.float64)
        first[~reached.any(axis=1)] = np.inf
        return first

    def band(self, q: Sequence[float] = (10, 50, 90)) -> NDArray[np.float64]:
        """Percentiles of personnel in theatre at each hour (rows in the order of `q`)."""
        out: NDArray[np.float64] = np.percentile(self.in_theatre, q, axis=0)
        return out


def percentiles(values: NDArray[np.float64], q: Sequence[float] = (10, 50, 90)
                ) -> list[float | None]:
    """Percentiles of hours, None where more than that share never got there."""
    out: list[float | None] = []
    for p in q:
        v = float(np.percentile(values, p))
        out.append(None if math.isinf(v) or math.isnan(v) else round(v, 1))
    return out


CHUNK = 25_000  # runs drawn at once: a batch is the same whatever shows its progress
MAX_RUNS = 200_000


def simulate(params: Parameters, place: tuple[float, float], runs: int, seed: int,
             progress: Callable[[int], None] | None = None) -> Result:
    """`runs` runs, drawn in chunks of `CHUNK` from one seed (the same seed gives the same
    result); `progress(n)` hears of each chunk done."""
    if not 1 <= runs <= MAX_RUNS:
        raise ValueError(f"runs is from 1 to {MAX_RUNS:,}")
    check_place(*place)
    seeds = np.random.SeedSequence(seed).spawn(math.ceil(runs / CHUNK))
    parts = []
    for n, child in enumerate(seeds):
        size = min(CHUNK, runs - n * CHUNK)
        parts.append(_batch(params, place, size, np.random.default_rng(child)))
        if progress is not None:
            progress(size)
    if len(parts) == 1:
        return parts[0]
    return Result(parts[0].hours, np.vstack([p.in_theatre for p in parts]),
                  {s: np.concatenate([p.complete[s] for p in parts]) for s in parts[0].states},
                  np.concatenate([p.decision for p in parts]), parts[0].states)


def _batch(params: Parameters, place: tuple[float, float], runs: int,
           rng: np.random.Generator) -> Result:
    hours = np.arange(params.horizon_hours + 1)
    grid = hours.astype(np.float32)[None, :]
    decided = params.decision.draw(rng, runs)
    air_total = sum(c.personnel for c in params.contingents if c.mode == "air")
    fleet = np.maximum(1.0, np.floor(params.airlift.aircraft.draw(rng, runs)))
    per_sortie = np.maximum(1.0, params.airlift.per_sortie.draw(rng, runs))
    road_speed = np.maximum(1.0, params.road_km_per_day.draw(rng, runs)) / 24.0  # km/h
    ground = params.airlift.ground_hours.draw(rng, runs)
    in_theatre = np.zeros((runs, hours.size), dtype=np.float32)
    complete: dict[str, NDArray[np.float64]] = {}
    for c in params.contingents:
        ready = decided + c.approval.draw(rng, runs) + c.readiness.draw(rng, runs)
        km = distance_km(c.base, place)
        if c.mode == "road":
            arrival = ready + km / road_speed
            in_theatre += np.where(grid >= arrival[:, None].astype(np.float32),
                                   np.float32(c.personnel), np.float32(0))
            done = arrival
        else:
            # its share of the fleet, by its share of those flown; waves a round trip apart
            planes = np.maximum(1.0, np.round(fleet * c.personnel / air_total))
            lift = planes * per_sortie
            flight = km * params.airlift.route_factor / params.airlift.speed_kmh
            trip = 2 * flight + ground
            first = ready + ground / 2 + flight
            waves = np.minimum(np.ceil(c.personnel / lift), params.max_waves)
            landed = np.floor((grid - first[:, None].astype(np.float32))
                              / trip[:, None].astype(np.float32)) + 1
            landed = np.clip(landed, 0, waves[:, None].astype(np.float32))
            in_theatre += np.minimum(landed * lift[:, None].astype(np.float32),
                                     np.float32(c.personnel))
            done = np.where(waves * lift >= c.personnel, first + (waves - 1) * trip, np.inf)
        complete[c.state] = (np.maximum(complete[c.state], done) if c.state in complete
                             else done)
    return Result(hours, in_theatre, complete, decided,
                  tuple(dict.fromkeys(c.state for c in params.contingents)))


def _by_state(raw: Mapping[str, Any], state: str, where: str) -> Distribution:
    specific = (raw.get("by_state") or {}).get(state)
    return distribution(specific if specific is not None else raw.get("default", 0),
                        f"{where}.{state if specific is not None else 'default'}")


def parameters_from(raw: Mapping[str, Any], contingents: Mapping[str, int], *,
                    horizon_hours: int = 240) -> Parameters:
    """The parameters of simulation.yaml for the contingents given (state → personnel):
    each state's base, approval and readiness, the airlift and the road."""
    bases = raw.get("bases") or {}
    out = []
    for state, people in contingents.items():
        base = bases.get(state)
        if base is None:
            raise ValueError(f"simulation.yaml: no base for {state}")
        if isinstance(people, bool) or not isinstance(people, int) or people < 1:
            raise ValueError(f"the contingent of {state} is a whole number of personnel")
        lon, lat = (float(x) for x in base["at"])
        out.append(Contingent(state, people, check_place(lon, lat), str(base.get("by", "air")),
                              _by_state(raw.get("readiness") or {}, state, "readiness"),
                              _by_state(raw.get("approval") or {}, state, "approval")))
    lift = raw.get("airlift") or {}
    return Parameters(
        distribution((raw.get("decision") or {}).get("time", 0), "decision.time"),
        tuple(out),
        Airlift(distribution(lift.get("aircraft", 1), "airlift.aircraft"),
                distribution(lift.get("per_sortie", 1), "airlift.per_sortie"),
                float(lift.get("speed_kmh", 0)),
                distribution(lift.get("ground_hours", 0), "airlift.ground_hours"),
                float(lift.get("route_factor", 1.0))),
        distribution((raw.get("road") or {}).get("km_per_day", 1), "road.km_per_day"),
        horizon_hours)


def summary(result: Result, need: int) -> dict[str, Any]:
    """What a reader gets: the time until `need` are in place (p10, p50, p90 and the share
    of runs that got there), each state's time until its whole contingent is, and the band
    of personnel in theatre by hour."""
    times = result.time_to(need)
    band = result.band()
    step = max(1, len(result.hours) // 120)  # about 120 points for a chart
    return {
        "runs": result.runs, "need": need,
        "time_to_need": dict(zip(("p10", "p50", "p90"), percentiles(times), strict=True)),
        "reached": round(float(np.isfinite(times).mean()), 4),
        "by_state": {s: dict(zip(("p10", "p50", "p90"), percentiles(result.complete[s]),
                                 strict=True)) for s in result.states},
        "decision": dict(zip(("p10", "p50", "p90"), percentiles(result.decision),
                             strict=True)),
        "band": [{"hour": int(h), "p10": round(float(band[0][i]), 1),
                  "p50": round(float(band[1][i]), 1), "p90": round(float(band[2][i]), 1)}
                 for i, h in enumerate(result.hours) if i % step == 0
                 or i == len(result.hours) - 1]}
