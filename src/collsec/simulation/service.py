"""The simulation as its users ask for it: an organization's parameters (its folder's
simulation.yaml), a run for a place and a need, and the check against history: the
January 2022 deployment to Kazakhstan as its replay records it, hour by hour from the
request, against the model's band of personnel in theatre over the first week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import InvalidInput, NotFound
from collsec.registry.charter import read_yaml
from collsec.simulation import model

DEFAULT_COMPOSITION = "peacekeeping-2022"
VALIDATION = "kazakhstan-2022"  # the replay the model is checked against
IN_THEATRE = ("deployed", "withdrawing")
WEEK = 168


def place_of(text: str, field: str = "place") -> tuple[float, float]:
    """A place as a reader types it: LON,LAT."""
    try:
        lon, lat = (float(x) for x in text.split(","))
    except ValueError:
        raise InvalidInput("{field} is LON,LAT, e.g. 76.93,43.35, not {text}", field=field,
                           text=text[:60]) from None
    return lon, lat


def _raw(org: str) -> dict[str, Any]:
    raw = read_yaml(org, "simulation.yaml")
    if not raw:
        raise NotFound("{org} has no simulation parameters (simulation.yaml)", org=org)
    data: dict[str, Any] = raw
    return data


def composition(org: str, name: str = DEFAULT_COMPOSITION) -> Mapping[str, Any]:
    found = (_raw(org).get("compositions") or {}).get(name)
    if found is None:
        raise NotFound("unknown composition {name}", name=name)
    result: Mapping[str, Any] = found
    return result


# What a parameter set may change (simulation.yaml's sections, and the contingents of the
# composition): the rest of the file is the organization's, not a case's.
SECTIONS = ("decision", "approval", "readiness", "airlift", "road", "bases", "contingents")


def _merged(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `change` laid over it key by key; a distribution (a mapping with a
    `kind`) or any value that is not a mapping replaces what it lands on whole."""
    out = dict(base)
    for key, value in change.items():
        here = out.get(key)
        if (isinstance(value, Mapping) and "kind" not in value and isinstance(here, Mapping)):
            out[key] = _merged(here, value)
        else:
            out[key] = value
    return out


def parameters(org: str, name: str = DEFAULT_COMPOSITION, *, horizon_hours: int = 240,
               overrides: Mapping[str, Any] | None = None) -> model.Parameters:
    """The organization's parameters for a composition; `overrides`, a parameter set of a
    sweep, in the shape of simulation.yaml's sections (`contingents` replaces the
    composition's state → personnel)."""
    raw = _raw(org)
    contingents = dict(composition(org, name)["contingents"])
    if overrides:
        if not isinstance(overrides, Mapping):
            raise InvalidInput("a parameter set is a mapping of sections")
        unknown = sorted(str(k) for k in overrides if k not in SECTIONS)
        if unknown:
            raise InvalidInput("a parameter set changes {sections}, not {unknown}",
                               sections=", ".join(SECTIONS), unknown=", ".join(unknown))
        if not all(isinstance(v, Mapping) for v in overrides.values()):
            raise InvalidInput("a parameter set is a mapping of sections")
        contingents = dict(overrides.get("contingents") or contingents)
        raw = _merged(raw, {k: v for k, v in overrides.items() if k != "contingents"})
    try:
        return model.parameters_from(raw, contingents, horizon_hours=horizon_hours)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("the simulation's parameters do not hold: {problem}",
                           problem=str(exc)) from None


@dataclass(frozen=True)
class Plan:
    """A run checked and its parameters resolved, ready to go anywhere: a pool's process
    or a cluster's worker needs neither the database nor the organization's folder."""

    params: model.Parameters
    place: tuple[float, float]
    need: int
    runs: int
    seed: int
    composition: str

    def execute(self, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        result = model.simulate(self.params, self.place, self.runs, self.seed, progress)
        return {"place": list(self.place), "composition": self.composition,
                "seed": self.seed, "horizon_hours": self.params.horizon_hours,
                **model.summary(result, self.need)}


def plan(org: str, *, place: tuple[float, float], need: int, runs: int = 10_000,
         seed: int = 1, name: str = DEFAULT_COMPOSITION, horizon_hours: int = 240,
         overrides: Mapping[str, Any] | None = None) -> Plan:
    """A run for `need` personnel at `place` (lon, lat), every input checked."""
    lon, lat = place
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("a place is a longitude from -180 to 180 and a latitude from -90 "
                           "to 90, not {lon},{lat}", lon=lon, lat=lat)
    if not 1 <= runs <= model.MAX_RUNS:
        raise InvalidInput("runs is from 1 to {most}", most=model.MAX_RUNS)
    if not 24 <= horizon_hours <= 24 * 60:
        raise InvalidInput("the horizon is from 24 to {most} hours", most=24 * 60)
    params = parameters(org, name, horizon_hours=horizon_hours, overrides=overrides)
    total = sum(c.personnel for c in params.contingents)
    if not 1 <= need <= total:
        raise InvalidInput("the need is from 1 to the {total} personnel of {composition}",
                           total=total, composition=name)
    return Plan(params, (lon, lat), need, runs, seed, name)


def run(org: str, *, place: tuple[float, float], need: int, runs: int = 10_000,
        seed: int = 1, name: str = DEFAULT_COMPOSITION, horizon_hours: int = 240,
        overrides: Mapping[str, Any] | None = None,
        progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """A run for `need` personnel at `place` (lon, lat): the summary of `model.summary`
    with what was asked."""
    return plan(org, place=place, need=need, runs=runs, seed=seed, name=name,
                horizon_hours=horizon_hours, overrides=overrides).execute(progress)


@dataclass(frozen=True)
class Check:
    """A recorded figure against the band at its hour."""

    at: dt.datetime
    hour: float
    recorded: int
    p10: float
    p50: float
    p90: float

    @property
    def inside(self) -> bool:
        return self.p10 <= self.recorded <= self.p90


def recorded(org: str, replay: str = VALIDATION) -> tuple[dt.datetime, list[tuple[dt.datetime,
                                                                                 int]]]:
    """The request's time (simulation.yaml's `validation.request_at`) and the personnel in
    theatre after each deployment report of the replay (each state's latest report counts
    if it is deployed or withdrawing)."""
    spec = _raw(org).get("validation") or {}
    request_at = dt.datetime.fromisoformat(str(spec["request_at"]).replace("Z", "+00:00"))
    data = read_yaml(org, f"replays/{replay}.yaml")
    reports = sorted((dt.datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00")),
                      str(r["state"]), str(r["status"]), int(r["personnel"]))
                     for step in data["steps"] if step.get("do") == "deployment"
                     for r in step.get("reports") or ())
    latest: dict[str, tuple[str, int]] = {}
    out: list[tuple[dt.datetime, int]] = []
    for at, state, status, people in reports:
        latest[state] = (status, people)
        total = sum(p for s, p in latest.values() if s in IN_THEATRE)
        if out and out[-1][0] == at:
            out[-1] = (at, total)
        else:
            out.append((at, total))
    return request_at, out


def validation(org: str, *, runs: int = 20_000, seed: int = 2022) -> list[Check]:
    """Each figure the replay records over the first week after the request, against the
    model's p10-p90 band of personnel in theatre at that hour, with the composition sent."""
    request_at, figures = recorded(org)
    lon, lat = (float(x) for x in _raw(org)["validation"]["place"])
    result = model.simulate(parameters(org), (lon, lat), runs, seed)
    band = result.band()
    out = []
    for at, total in figures:
        hour = (at - request_at).total_seconds() / 3600
        if not 0 <= hour <= WEEK:
            continue
        i = min(int(hour), len(result.hours) - 1)  # the band at the whole hour before
        out.append(Check(at, round(hour, 1), total, float(band[0][i]), float(band[1][i]),
                         float(band[2][i])))
    return out
