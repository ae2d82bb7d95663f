"""The deployment model: arrival times worked out by hand with fixed distributions, the
same seed giving the same batch, and bad parameters refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collsec.simulation import model

HOME = (37.0, 55.0)
THERE = (76.93, 43.35)
KM = model.distance_km(HOME, THERE)


def fixed(v: float) -> model.Distribution:
    return model.Distribution("fixed", value=v)


def _params(*contingents: model.Contingent, per_sortie: float = 50, aircraft: float = 2,
            decision: model.Distribution | None = None) -> model.Parameters:
    return model.Parameters(
        decision or fixed(2), contingents,
        model.Airlift(fixed(aircraft), fixed(per_sortie), speed_kmh=500, ground_hours=fixed(2),
                      route_factor=1.0),
        road_km_per_day=fixed(480), horizon_hours=240)


def _flown(people: int = 100) -> model.Contingent:
    return model.Contingent("RU", people, HOME, "air", readiness=fixed(3), approval=fixed(1))


def test_the_great_circle_is_about_right() -> None:
    assert model.distance_km((37.62, 55.75), (76.93, 43.24)) == pytest.approx(3100, rel=0.02)


def test_one_wave_lands_after_decision_approval_readiness_loading_and_the_flight() -> None:
    r = model.simulate(_params(_flown()), THERE, runs=3, seed=1)
    landed = 2 + 1 + 3 + 1 + KM / 500  # half the ground time is loading
    assert r.complete["RU"] == pytest.approx([landed] * 3)
    assert r.time_to(100)[0] == math.ceil(landed)
    assert r.in_theatre[0, math.ceil(landed) - 1] == 0


def test_a_second_wave_comes_a_round_trip_later() -> None:
    r = model.simulate(_params(_flown(), per_sortie=25), THERE, runs=2, seed=1)
    first = 2 + 1 + 3 + 1 + KM / 500
    trip = 2 * KM / 500 + 2
    assert r.complete["RU"][0] == pytest.approx(first + trip)
    hour = math.ceil(first)
    assert r.in_theatre[0, hour] == 50 and r.in_theatre[0, math.ceil(first + trip)] == 100


def test_a_contingent_on_the_road_arrives_at_the_road_speed() -> None:
    road = model.Contingent("KZ", 300, HOME, "road", readiness=fixed(5), approval=fixed(0))
    r = model.simulate(_params(road), THERE, runs=1, seed=1)
    assert r.complete["KZ"][0] == pytest.approx(2 + 5 + KM / 20)  # 480 km a day


def test_the_same_seed_repeats_a_batch_and_another_does_not() -> None:
    wide = model.Distribution("lognormal", median=10, p90=40)
    p = _params(_flown(), decision=wide)
    a = model.simulate(p, THERE, runs=30_000, seed=5)
    b = model.simulate(p, THERE, runs=30_000, seed=5)
    c = model.simulate(p, THERE, runs=30_000, seed=6)
    assert np.array_equal(a.in_theatre, b.in_theatre)
    assert not np.array_equal(a.in_theatre, c.in_theatre)
    assert np.median(a.decision) == pytest.approx(10, rel=0.05)  # the median as given
    assert np.percentile(a.decision, 90) == pytest.approx(40, rel=0.05)


def test_personnel_in_theatre_never_falls_nor_exceeds_the_contingents() -> None:
    wide = model.Distribution("triangular", low=1, mode=5, high=40)
    p = _params(_flown(500), model.Contingent("KG", 150, (74.85, 42.85), "air", wide, wide),
                per_sortie=30)
    r = model.simulate(p, THERE, runs=500, seed=3)
    assert (np.diff(r.in_theatre, axis=1) >= 0).all() and r.in_theatre.max() <= 650


@pytest.mark.parametrize(("make", "words"), [
    (lambda: model.Distribution("gaussian"), "one of"),
    (lambda: model.Distribution("uniform", low=5, high=1), "low <= high"),
    (lambda: model.Distribution("triangular", low=5, mode=1, high=9), "low <= mode"),
    (lambda: model.Distribution("lognormal", median=10, p90=5), "median < p90"),
    (lambda: model.Distribution("fixed", value=-1), "not below zero"),
    (lambda: model.Distribution("fixed", value=float("nan")), "finite"),
    (lambda: _params(), "at least one contingent"),
    (lambda: _params(model.Contingent("RU", 0, HOME, "air", fixed(1), fixed(1))),
     "at least one person"),
    (lambda: _params(model.Contingent("RU", 5, HOME, "sea", fixed(1), fixed(1))),
     "moves by air or road"),
    (lambda: model.simulate(_params(_flown()), THERE, runs=0, seed=1), "runs is from"),
    (lambda: model.simulate(_params(_flown()), (200.0, 0.0), runs=1, seed=1), "longitude"),
])
def test_impossible_parameters_are_refused(make: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        make()  # type: ignore[operator]
