"""The training scenario the CSTO's folder carries: loaded with the registry, runnable at
once by the staff, checked as the staff's own would be, and never replaced under a run or
over the staff's own scenario of the same code."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core.errors import CollsecError
from collsec.exercises import embedded, runs
from collsec.exercises.run_tables import ScenarioRow
from collsec.registry.charter import read_yaml
from tests.operations.conftest import NOW, officer

CODE = "CA-BORDER-CPX"


def _data() -> list[dict[str, Any]]:
    return [dict(s) for s in read_yaml("CSTO", "exercise_scenarios.yaml")]


def _row(s: Session) -> ScenarioRow:
    return s.execute(select(ScenarioRow).where(ScenarioRow.org == "CSTO",
                                               ScenarioRow.code == CODE)).scalar_one()


def test_the_embedded_scenario_is_loaded_and_runs_at_once(tx: Session) -> None:
    row = _row(tx)
    assert row.written_by == embedded.EMBEDDED_AUTHOR
    assert len(json.loads(row.timeline)["injects"]) == len(_data()[0]["injects"])
    actor, c = officer(tx, "crc-director", "organ:CRC", ("duty_officer",))
    run = runs.start_run(tx, c, actor, CODE, name="Winter drill", now=NOW)
    assert list(run.sent) == [1] and run.scenario.teams == (
        "delegation:KG", "delegation:KZ", "delegation:RU", "delegation:TJ")


def test_a_reload_keeps_a_run_scenario_and_the_staffs_own(tx: Session) -> None:
    actor, c = officer(tx, "crc-director", "organ:CRC", ("duty_officer",))
    name = _row(tx).name_en
    _row(tx).name_en = "an earlier copy"
    tx.flush()
    assert embedded.load_scenarios(tx, "CSTO", _data()) == 1  # no run yet: replaced
    assert _row(tx).name_en == name
    runs.start_run(tx, c, actor, CODE, name="Winter drill", now=NOW)
    _row(tx).name_en = "the copy run"
    tx.flush()
    assert embedded.load_scenarios(tx, "CSTO", _data()) == 0
    assert _row(tx).name_en == "the copy run"
    _row(tx).written_by = "crc-director"  # as if the staff had written it
    tx.flush()
    assert embedded.load_scenarios(tx, "CSTO", _data()) == 0


def test_a_scenario_written_after_a_partial_load_is_left_out(tx: Session) -> None:
    tx.delete(_row(tx))
    tx.flush()
    assert embedded.load_scenarios(tx, "CSTO", _data(), until=dt.date(2022, 1, 1)) == 0


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d.pop("written"), "`written`"),
    (lambda d: d["injects"][1].__setitem__("team", "delegation:XX"),
     f"scenario {CODE}, inject 2"),
    (lambda d: d["injects"][1]["incident"].__setitem__("type", "alien_landing"),
     f"scenario {CODE}, inject 2"),
    (lambda d: d.__setitem__("colour", "red"), "unknown field"),
])
def test_a_bad_embedded_scenario_stops_the_load(tx: Session, change: Any, says: str) -> None:
    data = _data()
    change(data[0])
    with pytest.raises(CollsecError, match=says):
        embedded.load_scenarios(tx, "CSTO", data)
