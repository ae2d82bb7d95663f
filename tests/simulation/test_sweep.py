"""A sweep over places and parameter sets: the same answers in one process, in a pool of
two and on a Dask cluster, in the order asked, each case as a single run of it would give;
a bad case refused by its number before anything runs."""

from __future__ import annotations

import distributed
import pytest

from collsec.core.errors import InvalidInput, Unavailable
from collsec.simulation import service, sweep

CASES = [sweep.Case((76.93, 43.35), 1000), sweep.Case((69.28, 41.31), 500),
         sweep.Case((74.59, 42.87), 2030)]
SLOW_DECISION = {"decision": {"time": {"kind": "fixed", "value": 96}}}


def test_a_sweep_repeats_exactly_with_any_number_of_workers() -> None:
    one = sweep.sweep("CSTO", CASES, runs=2000, seed=3, workers=1)
    two = sweep.sweep("CSTO", CASES, runs=2000, seed=3, workers=2)
    assert one == two and [r["place"] for r in one] == [list(c.place) for c in CASES]
    alone = service.run("CSTO", place=CASES[1].place, need=500, runs=2000,
                        seed=3 * 100_003 + 1)
    assert one[1] == alone


def test_a_parameter_set_changes_its_case_only() -> None:
    place = (76.93, 43.35)
    cases = [sweep.Case(place, 1000), sweep.Case(place, 1000, parameters=SLOW_DECISION)]
    usual, slow = sweep.sweep("CSTO", cases, runs=2000, seed=5, workers=1)
    assert slow["decision"] == {"p10": 96.0, "p50": 96.0, "p90": 96.0}
    assert usual["decision"]["p50"] < 96 < slow["time_to_need"]["p10"]


def test_a_parameter_set_merges_into_the_organizations_parameters() -> None:
    base = service.parameters("CSTO")
    changed = service.parameters("CSTO", overrides={
        "airlift": {"aircraft": 10}, "readiness": {"by_state": {"BY": 48}},
        "contingents": {"RU": 3000, "KZ": 500}})
    assert changed.airlift.aircraft.value == 10
    assert changed.airlift.per_sortie == base.airlift.per_sortie  # the rest is kept
    assert [(c.state, c.personnel) for c in changed.contingents] == [("RU", 3000),
                                                                      ("KZ", 500)]
    ru = next(c for c in changed.contingents if c.state == "RU")
    assert ru.readiness == next(c for c in base.contingents if c.state == "RU").readiness


@pytest.mark.parametrize(("overrides", "says"), [
    ({"horizon": {"hours": 10}}, "changes decision"),
    ({"airlift": 5}, "mapping of sections"),
    ({"decision": {"time": {"kind": "lognormal", "median": 10, "p90": 5}}}, "median < p90"),
    ({"contingents": {"XX": 100}}, "no base for XX"),
])
def test_a_bad_parameter_set_is_refused(overrides: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        service.parameters("CSTO", overrides=overrides)


def test_a_bad_case_is_refused_by_its_number_before_any_process_starts() -> None:
    with pytest.raises(InvalidInput, match="case 2: the need"):
        sweep.sweep("CSTO", [CASES[0], sweep.Case((76.93, 43.35), 10**6)], runs=10)
    with pytest.raises(InvalidInput, match="from 1 to"):
        sweep.sweep("CSTO", [], runs=10)


def test_a_sweep_file_gives_its_cases_with_defaults() -> None:
    cases = sweep.cases_from({"need": 700, "cases": [
        {"name": "Almaty", "place": [76.93, 43.35]},
        {"name": "Almaty, slow", "place": [76.93, 43.35], "need": 900,
         "parameters": SLOW_DECISION}]})
    assert cases == [sweep.Case((76.93, 43.35), 700, name="Almaty"),
                     sweep.Case((76.93, 43.35), 900, parameters=SLOW_DECISION,
                                name="Almaty, slow")]


@pytest.mark.parametrize(("raw", "says"), [
    ([], "under `cases`"),
    ({"cases": [], "runs": 3}, "has no runs"),
    ({"cases": [{"place": [1, 2]}]}, "case 1: a case's need"),
    ({"need": 5, "cases": [{"place": [1, 2]}, {"place": "1,2"}]}, "case 2: a case's place"),
    ({"need": 5, "cases": [{"place": [1, 2], "colour": "red"}]}, "has no colour"),
])
def test_a_bad_sweep_file_is_refused(raw: object, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        sweep.cases_from(raw)


def test_a_cluster_is_a_dask_scheduler_address() -> None:
    with pytest.raises(InvalidInput, match="Dask scheduler"):
        sweep.sweep("CSTO", CASES, runs=10, cluster="ray://127.0.0.1:10001")


def test_a_cluster_that_does_not_answer_is_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1)
    with pytest.raises(Unavailable, match="does not answer"):
        sweep.sweep("CSTO", CASES[:1], runs=10, cluster="tcp://127.0.0.1:9")


def test_a_sweep_on_a_local_dask_cluster_gives_the_pools_answers() -> None:
    cases = [*CASES, sweep.Case((76.93, 43.35), 1000, parameters=SLOW_DECISION)]
    heard: list[int] = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = sweep.sweep("CSTO", cases, runs=2000, seed=3, cluster=cluster.scheduler_address,
                             progress=heard.append)
    assert remote == sweep.sweep("CSTO", cases, runs=2000, seed=3, workers=1)
    assert heard == [1] * len(cases)
