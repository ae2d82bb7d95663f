"""JSON API of the deployment simulation: a run for a place and a need, and the model's
check against January 2022. Signed-in readers: a run is seconds of the server's time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from collsec.core import settings
from collsec.core.errors import InvalidInput
from collsec.simulation import service, sweep
from collsec.web.access import Guard, Requires
from collsec.web.body import Body

router = APIRouter(prefix="/api/v1", tags=["simulation"])
SIGNED_IN = Depends(Requires("read"))
MAX_API_RUNS = 100_000
# A sweep through the API runs while its caller waits: its cases times its runs stay
# within what one run may have (seconds of the server's time); larger sweeps are the
# command line's, or a cluster's.
MAX_SWEEP_RUNS = MAX_API_RUNS


class Quantiles(BaseModel):
    p10: float | None
    p50: float | None
    p90: float | None


class BandPoint(BaseModel):
    hour: int
    p10: float
    p50: float
    p90: float


class Simulation(BaseModel):
    place: list[float]
    composition: str
    seed: int
    horizon_hours: int
    runs: int
    need: int
    time_to_need: Quantiles = Field(description="hours from the request until `need` are "
                                                "in place (null: not within the horizon)")
    reached: float = Field(description="the share of runs that reached the need")
    by_state: dict[str, Quantiles] = Field(description="hours until each state's whole "
                                                       "contingent is in place")
    decision: Quantiles
    band: list[BandPoint] = Field(description="personnel in theatre by hour")


class CheckOut(BaseModel):
    at: str
    hour: float
    recorded: int
    p10: float
    p50: float
    p90: float
    inside: bool


class Validation(BaseModel):
    replay: str
    checks: list[CheckOut]


@router.get("/simulation", response_model=Simulation)
def simulate(guard: Guard = SIGNED_IN,
             place: str = Query(max_length=60, description="LON,LAT, e.g. 76.93,43.35"),
             need: int = Query(ge=1, le=1_000_000),
             runs: int = Query(10_000, ge=1, le=MAX_API_RUNS),
             seed: int = Query(1, ge=0, le=2**31 - 1),
             composition: str = Query(service.DEFAULT_COMPOSITION, max_length=60)
             ) -> dict[str, Any]:
    """How long until `need` personnel are in place at `place`, in hours from the request:
    p10, p50 and p90 overall and per state, and the band of personnel in theatre."""
    return service.run(guard.org, place=service.place_of(place), need=need, runs=runs, seed=seed,
                       name=composition)


@router.get("/simulation/validation", response_model=Validation)
def validation(guard: Guard = SIGNED_IN) -> dict[str, Any]:
    """The model's band against each figure the January 2022 replay records."""
    return {"replay": service.VALIDATION, "checks": [
        {"at": c.at.isoformat(), "hour": c.hour, "recorded": c.recorded,
         "p10": round(c.p10, 1), "p50": round(c.p50, 1), "p90": round(c.p90, 1),
         "inside": c.inside} for c in service.validation(guard.org)]}


class CaseIn(Body):
    name: str = Field("", max_length=120)
    place: list[float] = Field(min_length=2, max_length=2, description="[lon, lat]")
    need: int | None = Field(None, ge=1, le=1_000_000,
                             description="default: the sweep's `need`")
    composition: str | None = Field(None, max_length=60)
    parameters: dict[str, Any] | None = Field(
        None, description="a parameter set: simulation.yaml's sections (decision, approval, "
                          "readiness, airlift, road, bases) and contingents, laid over the "
                          "organization's parameters (docs/simulation.md)")


class SweepIn(Body):
    need: int | None = Field(None, ge=1, le=1_000_000, description="each case's default")
    composition: str | None = Field(None, max_length=60, description="each case's default")
    cases: list[CaseIn] = Field(min_length=1, max_length=sweep.MAX_CASES)


class SweepCase(Simulation):
    name: str
    parameters: dict[str, Any]


class Sweep(BaseModel):
    cases: list[SweepCase]


@router.post("/simulation/sweeps", response_model=Sweep)
def simulate_sweep(data: SweepIn, guard: Guard = SIGNED_IN,
                   runs: int = Query(2_000, ge=1, le=MAX_API_RUNS,
                                     description="Monte Carlo runs of each case"),
                   seed: int = Query(1, ge=0, le=2**31 - 1)) -> dict[str, Any]:
    """Many places and parameter sets at once, each case a run of its own (on the Dask
    cluster COLLSEC_CLUSTER names, else in this process), in the order given; the cases
    times the runs at most 100,000."""
    cases = sweep.cases_from(data.model_dump(exclude_none=True))
    if len(cases) * runs > MAX_SWEEP_RUNS:
        raise InvalidInput("a sweep through the API runs at most {most} runs in all (cases "
                           "times runs); use the command line for more", most=MAX_SWEEP_RUNS)
    results = sweep.sweep(guard.org, cases, runs=runs, seed=seed, workers=1,
                          cluster=settings.load().cluster or None)
    return {"cases": [{"name": c.name, "parameters": dict(c.parameters or {}), **r}
                      for c, r in zip(cases, results, strict=True)]}
