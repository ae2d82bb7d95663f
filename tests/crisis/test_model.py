"""The Crisis Response Centre's pure rules, against the CSTO's crisis taxonomy as data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import Conflict, InvalidInput, UnknownStatus
from collsec.crisis import model
from collsec.crisis.forces.model import (
    Contingent,
    DeploymentReport,
    MissionTimeline,
    TimelineEvent,
    mission_totals,
    report_deployment_status,
)
from collsec.crisis.model import advance_incident

DATA_DIR = Path(model.__file__).parents[1] / "data" / "csto"
DATA: dict[str, Any] = yaml.safe_load((DATA_DIR / "crisis.yaml").read_text(encoding="utf-8"))
TAXONOMY = model.load_taxonomy(DATA)
UTC = dt.UTC


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2022, 1, day, hour, tzinfo=UTC)


def kz_mission() -> dict[str, Contingent]:
    return {s: Contingent(s, n) for s, n in {"AM": 100, "KG": 150, "TJ": 200}.items()}


def reports_for(c: Contingent,
                *steps: tuple[str, dt.datetime, int]) -> tuple[DeploymentReport, ...]:
    history: tuple[DeploymentReport, ...] = ()
    for status, when, personnel in steps:
        history = report_deployment_status(c, history, DeploymentReport(c.state, status, when,
                                                                        personnel))
    return history


# --- taxonomy ---------------------------------------------------------------

def test_every_source_the_taxonomy_cites_exists() -> None:
    known = {s["id"] for s in yaml.safe_load((DATA_DIR / "sources.yaml").read_text("utf-8"))}
    for t in TAXONOMY.types.values():
        assert t.sources and set(t.sources) <= known, t.code


def test_the_data_names_the_same_workflows_as_the_code() -> None:
    assert dict(TAXONOMY.incident_transitions) == dict(model.INCIDENT_TRANSITIONS)
    assert tuple(TAXONOMY.deployment_labels) == model.DEPLOYMENT_STATES


def test_a_known_incident_type_is_found_with_its_names() -> None:
    t = model.check_type("terrorist_attack", TAXONOMY)
    assert t.name_en == "Terrorist attack" and t.name_ru
    assert t.severity_hint in TAXONOMY.severities


def test_an_unknown_incident_type_is_refused_with_the_list() -> None:
    with pytest.raises(model.UnknownIncidentType,
                       match="unknown incident type 'alien'.*mass_unrest"):
        model.check_type("alien", TAXONOMY)


def test_severity_must_be_on_the_scale() -> None:
    assert model.check_severity(4, TAXONOMY).name_en == "Critical"
    for bad in (0, 5, True, "3"):
        with pytest.raises(InvalidInput, match="not on the scale"):
            model.check_severity(bad, TAXONOMY)


def test_a_taxonomy_whose_hint_is_off_the_scale_is_refused() -> None:
    broken = {**DATA, "incident_types": [{"code": "x", "name": {"en": "X", "ru": "Х"},
                                          "severity_hint": 9}]}
    with pytest.raises(InvalidInput, match="severity hint 9"):
        model.load_taxonomy(broken)


def test_a_taxonomy_without_russian_names_or_with_repeated_codes_is_refused() -> None:
    one = {"code": "x", "name": {"en": "X"}, "severity_hint": 1}
    with pytest.raises(InvalidInput, match="en and ru"):
        model.load_taxonomy({**DATA, "incident_types": [one]})
    two = {**one, "name": {"en": "X", "ru": "Х"}}
    with pytest.raises(InvalidInput, match="repeated"):
        model.load_taxonomy({**DATA, "incident_types": [two, two]})


def test_deployment_states_out_of_order_in_the_data_are_refused() -> None:
    states = list(reversed(DATA["deployment_states"]))
    with pytest.raises(InvalidInput, match="in order"):
        model.load_taxonomy({**DATA, "deployment_states": states})


# --- incident workflow ------------------------------------------------------

@pytest.mark.parametrize("current,new", [("reported", "assessed"), ("assessed", "escalated"),
                                         ("escalated", "closed"), ("reported", "closed"),
                                         ("assessed", "closed")])
def test_an_incident_moves_forward_along_the_workflow(current: str, new: str) -> None:
    assert advance_incident(current, new) == new


@pytest.mark.parametrize("current,new", [("assessed", "reported"), ("escalated", "assessed"),
                                         ("escalated", "reported"), ("reported", "escalated")])
def test_an_incident_never_goes_back_or_skips_assessment(current: str, new: str) -> None:
    with pytest.raises(Conflict, match=f"cannot go from {current} to {new}"):
        advance_incident(current, new)


def test_a_closed_incident_is_final() -> None:
    for new in ("reported", "assessed", "escalated", "closed"):
        with pytest.raises(Conflict, match="final"):
            advance_incident("closed", new)


def test_an_incident_cannot_move_to_its_own_status() -> None:
    with pytest.raises(Conflict, match="already assessed"):
        advance_incident("assessed", "assessed")


def test_an_unknown_incident_status_is_refused() -> None:
    with pytest.raises(UnknownStatus, match="'resolved'"):
        advance_incident("reported", "resolved")


# --- deployment state machine -----------------------------------------------

def test_a_contingent_goes_through_every_state_in_order() -> None:
    tj = Contingent("TJ", 200)
    history = reports_for(tj, ("alerted", at(6, 8), 200), ("en_route", at(6, 20), 200),
                          ("deployed", at(7), 200), ("withdrawing", at(13), 200),
                          ("returned", at(14), 0))
    assert [r.status for r in history] == list(model.DEPLOYMENT_STATES)


def test_a_contingent_may_skip_forward_and_report_the_same_state_again() -> None:
    ru = Contingent("RU", 1600)
    history = reports_for(ru, ("alerted", at(6, 1), 1000), ("deployed", at(6, 9), 800),
                          ("deployed", at(8), 1600), ("returned", at(19), 0))
    assert [r.personnel for r in history] == [1000, 800, 1600, 0]


def test_a_contingent_never_goes_back() -> None:
    am = Contingent("AM", 100)
    history = reports_for(am, ("alerted", at(6), 100), ("deployed", at(7), 100))
    with pytest.raises(Conflict, match="cannot go back from deployed to en_route"):
        report_deployment_status(am, history, DeploymentReport("AM", "en_route", at(8), 100))


def test_nothing_is_taken_after_a_contingent_returned() -> None:
    am = Contingent("AM", 100)
    history = reports_for(am, ("returned", at(14), 0))
    with pytest.raises(Conflict, match="has returned"):
        report_deployment_status(am, history, DeploymentReport("AM", "returned", at(15), 0))


def test_report_times_must_not_decrease() -> None:
    kg = Contingent("KG", 150)
    history = reports_for(kg, ("alerted", at(6, 12), 150))
    same = report_deployment_status(kg, history, DeploymentReport("KG", "en_route", at(6, 12), 150))
    assert len(same) == 2
    with pytest.raises(Conflict, match="before the last report"):
        report_deployment_status(kg, history, DeploymentReport("KG", "en_route", at(6, 11), 150))


def test_personnel_may_not_exceed_the_committed_strength() -> None:
    with pytest.raises(Conflict, match="151 personnel, more than the 150"):
        reports_for(Contingent("KG", 150), ("deployed", at(7), 151))


@pytest.mark.parametrize("bad", [-1, True, 1.5, "100"])
def test_personnel_must_be_a_non_negative_whole_number(bad: Any) -> None:
    with pytest.raises(InvalidInput, match="non-negative whole number"):
        reports_for(Contingent("KG", 150), ("deployed", at(7), bad))


def test_a_negative_committed_strength_is_refused() -> None:
    with pytest.raises(InvalidInput, match="committed strength of BY"):
        Contingent("BY", -5)


def test_an_unknown_state_a_naive_time_or_another_states_report_is_refused() -> None:
    kg = Contingent("KG", 150)
    with pytest.raises(UnknownStatus, match="'landed'"):
        report_deployment_status(kg, (), DeploymentReport("KG", "landed", at(7), 10))
    with pytest.raises(InvalidInput, match="time zone"):
        report_deployment_status(kg, (), DeploymentReport("KG", "alerted",
                                                          dt.datetime(2022, 1, 6), 10))
    with pytest.raises(InvalidInput, match="contingent of KG"):
        report_deployment_status(kg, (), DeploymentReport("TJ", "alerted", at(6), 10))


def test_a_refused_report_leaves_the_history_as_it_was() -> None:
    kg = Contingent("KG", 150)
    history = reports_for(kg, ("deployed", at(7), 150))
    with pytest.raises(Conflict):
        report_deployment_status(kg, history, DeploymentReport("KG", "alerted", at(8), 150))
    assert [r.status for r in history] == ["deployed"]


# --- totals -----------------------------------------------------------------

def test_totals_count_personnel_in_theatre_as_of_a_time() -> None:
    c = kz_mission()
    reports = [*reports_for(c["AM"], ("alerted", at(6, 6), 100), ("deployed", at(7), 100),
                            ("withdrawing", at(13), 100), ("returned", at(14), 0)),
               *reports_for(c["KG"], ("en_route", at(7), 150), ("deployed", at(8), 150)),
               *reports_for(c["TJ"], ("deployed", at(7), 200))]
    early = mission_totals(reports, at(6, 23))
    assert early.by_state == {"AM": 0} and early.total == 0
    peak = mission_totals(reports, at(10))
    assert peak.by_state == {"AM": 100, "KG": 150, "TJ": 200} and peak.total == 450
    assert mission_totals(reports, at(13)).by_state["AM"] == 100  # withdrawing: still there
    assert mission_totals(reports, at(15)).by_state == {"AM": 0, "KG": 150, "TJ": 200}


def test_totals_before_any_report_are_empty() -> None:
    assert mission_totals([], at(1)).total == 0


# --- timeline ---------------------------------------------------------------

def test_the_timeline_orders_events_by_time_and_lifecycle() -> None:
    c = kz_mission()
    timeline = MissionTimeline().add_reports(reports_for(c["AM"], ("deployed", at(7), 100)))
    timeline = timeline.add(
        TimelineEvent(at(13), "withdrawal", "CSC"),
        TimelineEvent(at(6, 0), "decision", "CSC", note="send the peacekeeping forces"),
        TimelineEvent(at(6, 0), "request_resource", "KZ"),
        TimelineEvent(at(5), "request_resource", "KZ", note="appeal"),
    )
    assert [e.kind for e in timeline.events] == [
        "request_resource", "request_resource", "decision", "deployment_status", "withdrawal"]
    assert timeline.events[0].note == "appeal"
    assert [e.kind for e in timeline.between(at(6, 0), at(13))] == [
        "request_resource", "decision", "deployment_status"]


def test_an_unknown_timeline_event_or_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown timeline event"):
        TimelineEvent(at(6), "invasion", "KZ")
    with pytest.raises(InvalidInput, match="time zone"):
        TimelineEvent(dt.datetime(2022, 1, 6), "decision", "CSC")


# --- properties -------------------------------------------------------------

steps = st.lists(st.tuples(st.sampled_from(model.DEPLOYMENT_STATES), st.integers(0, 72),
                           st.integers(0, 300)), min_size=1, max_size=8)
START = dt.datetime(2022, 1, 5, tzinfo=UTC)


@given(steps)
def test_a_sequence_is_accepted_iff_it_never_goes_back_and_time_never_decreases(
        seq: list[tuple[str, int, int]]) -> None:
    c = Contingent("RU", 300)
    ranks = [model.DEPLOYMENT_STATES.index(s) for s, _, _ in seq]
    hours = [h for _, h, _ in seq]
    expected = all(ranks[i] <= ranks[i + 1] and hours[i] <= hours[i + 1]
                   and seq[i][0] != "returned" for i in range(len(seq) - 1))
    try:
        reports_for(c, *((s, START + dt.timedelta(hours=h), p) for s, h, p in seq))
    except Conflict:
        accepted = False
    else:
        accepted = True
    assert accepted == expected


@given(st.dictionaries(st.sampled_from(("AM", "BY", "KG", "RU", "TJ")),
                       st.tuples(st.integers(0, 500), steps), min_size=1),
       st.integers(-5, 80))
def test_totals_are_never_negative_nor_above_committed_strength(
        plans: dict[str, tuple[int, list[tuple[str, int, int]]]], hour: int) -> None:
    reports: list[DeploymentReport] = []
    committed = {}
    for state, (strength, seq) in plans.items():
        c = Contingent(state, strength)
        committed[state] = strength
        history: tuple[DeploymentReport, ...] = ()
        for status, h, p in seq:
            try:
                history = report_deployment_status(
                    c, history, DeploymentReport(state, status, START + dt.timedelta(hours=h), p))
            except (Conflict, InvalidInput):
                continue  # refused reports are not written
        reports.extend(history)
    totals = mission_totals(reports, START + dt.timedelta(hours=hour))
    for state, n in totals.by_state.items():
        assert 0 <= n <= committed[state]
    assert 0 <= totals.total <= sum(committed.values())
    assert totals.total == sum(totals.by_state.values())
