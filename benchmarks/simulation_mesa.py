"""The deployment simulation (collsec.simulation.model, vectorized with NumPy) against the
same model written the usual Python way, agent-based with Mesa: the same parameters
(simulation.yaml, the composition sent in January 2022, Almaty), the same number of runs,
in the same process, one after the other.

The Mesa model has a contingent agent per state and steps an hour at a time: at its
creation each run draws the collective decision, the fleet, what a sortie carries, the
ground time and the road speed, and each agent its state's approval and readiness, from
the same distributions; at each step an agent counts the personnel its landed waves
brought. Before any figure is reported the answers are compared: the time until `need`
are in place (p10, p50, p90) from both must agree within sampling error (the bootstrap
spread of the smaller sample, or two hours, whichever is larger).

Also timed: 100,000 runs of the vectorized model alone (the target is under 2 s).

    python -m benchmarks.simulation_mesa [--runs 5000] [--need 2030] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import mesa
import numpy as np

from collsec.simulation import model, service

PLACE = (76.93, 43.35)


class ContingentAgent(mesa.Agent):
    """A state's contingent: when it may move, how it travels, what it has brought."""

    def __init__(self, m: DeploymentModel, c: model.Contingent, run: dict[str, float]
                 ) -> None:
        super().__init__(m)
        rng = m.rng
        self.personnel = c.personnel
        self.in_theatre = 0.0
        ready = run["decision"] + float(c.approval.draw(rng, 1)[0]) + float(
            c.readiness.draw(rng, 1)[0])
        km = model.distance_km(c.base, m.place)
        if c.mode == "road":
            self.first, self.trip, self.lift, self.waves = ready + km / run["road"], 1.0, \
                float(c.personnel), 1.0
        else:
            planes = max(1.0, round(run["fleet"] * c.personnel / m.air_total))
            self.lift = planes * run["per_sortie"]
            flight = km * m.params.airlift.route_factor / m.params.airlift.speed_kmh
            self.trip = 2 * flight + run["ground"]
            self.first = ready + run["ground"] / 2 + flight
            self.waves = min(math.ceil(c.personnel / self.lift), m.params.max_waves)

    def step(self) -> None:
        hour = self.model.hour
        if hour < self.first:
            return
        landed = min(math.floor((hour - self.first) / self.trip) + 1, self.waves)
        self.in_theatre = min(landed * self.lift, self.personnel)


class DeploymentModel(mesa.Model):
    """One run: the contingents step an hour at a time until the need is met or the horizon
    passes; `reached` is the hour the need was met (inf: never)."""

    def __init__(self, params: model.Parameters, place: tuple[float, float], need: int,
                 seed: int) -> None:
        super().__init__(seed=seed)
        self.params, self.place, self.need, self.hour = params, place, need, 0
        self.air_total = sum(c.personnel for c in params.contingents if c.mode == "air")
        draw = lambda d: float(d.draw(self.rng, 1)[0])  # noqa: E731
        run = {"decision": draw(params.decision),
               "fleet": max(1.0, math.floor(draw(params.airlift.aircraft))),
               "per_sortie": max(1.0, draw(params.airlift.per_sortie)),
               "ground": draw(params.airlift.ground_hours),
               "road": max(1.0, draw(params.road_km_per_day)) / 24.0}
        for c in params.contingents:
            ContingentAgent(self, c, run)
        self.reached = math.inf

    def step(self) -> None:
        self.agents.do("step")
        if sum(a.in_theatre for a in self.agents) >= self.need:
            self.reached = float(self.hour)
            self.running = False
        self.hour += 1
        if self.hour > self.params.horizon_hours:
            self.running = False


def run_mesa(params: model.Parameters, need: int, runs: int, seed: int) -> np.ndarray:
    out = np.empty(runs)
    for n in range(runs):
        m = DeploymentModel(params, PLACE, need, seed * 1_000_003 + n)
        while m.running:
            m.step()
        out[n] = m.reached
    return out


def _quantiles(values: np.ndarray) -> list[float]:
    return [float(np.percentile(values, q)) for q in (10, 50, 90)]


def _spread(values: np.ndarray, rng: np.random.Generator, draws: int = 200) -> list[float]:
    """The bootstrap standard deviation of each quantile."""
    finite = values[np.isfinite(values)]
    boot = np.array([_quantiles(rng.choice(finite, finite.size)) for _ in range(draws)])
    return [float(x) for x in boot.std(axis=0)]


def run(runs: int = 5000, need: int = 2030, rounds: int = 3, seed: int = 11
        ) -> dict[str, Any]:
    params = service.parameters("CSTO")
    best: dict[str, float] = {"vectorized": math.inf, "mesa": math.inf}
    ours = theirs = np.empty(0)
    for r in range(rounds):
        t = time.perf_counter()
        ours = model.simulate(params, PLACE, runs, seed + r).time_to(need)
        best["vectorized"] = min(best["vectorized"], time.perf_counter() - t)
        t = time.perf_counter()
        theirs = run_mesa(params, need, runs, seed + r)
        best["mesa"] = min(best["mesa"], time.perf_counter() - t)
    q_ours, q_theirs = _quantiles(ours), _quantiles(theirs)
    spread = _spread(theirs, np.random.default_rng(seed))
    agree = [abs(a - b) <= max(2.0, 3 * s) for a, b, s in zip(q_ours, q_theirs, spread,
                                                               strict=True)]
    if not all(agree):
        raise SystemExit(f"the two models disagree: vectorized {q_ours}, Mesa {q_theirs} "
                         f"(bootstrap spread {spread})")
    t = time.perf_counter()
    model.simulate(params, PLACE, 100_000, seed)
    hundred_k = time.perf_counter() - t
    return {"runs": runs, "need": need, "rounds": rounds,
            "seconds": {k: round(v, 4) for k, v in best.items()},
            "ratio": round(best["mesa"] / best["vectorized"], 1),
            "time_to_need": {"vectorized": [round(x, 1) for x in q_ours],
                             "mesa": [round(x, 1) for x in q_theirs],
                             "bootstrap_spread": [round(x, 2) for x in spread]},
            "reached": {"vectorized": float(np.isfinite(ours).mean()),
                        "mesa": float(np.isfinite(theirs).mean())},
            "vectorized_100k_runs_s": round(hundred_k, 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--need", type=int, default=2030)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    result = run(args.runs, args.need, args.rounds)
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
