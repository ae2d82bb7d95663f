"""`collsec exercise-runs`, `exercise-run ID` and `exercise-scenario-add FILE` at the
command line: what the API answers, read as the user `--as` names (the `operator`
account, the Secretariat's, is exercise staff); bad input is one `error:` line and exit 2,
and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from collsec.cli import app
from tests import builders
from tests.conftest import make_user
from tests.exercises.test_runs import scenario

DRILL = Path(__file__).parent / "data" / "hotline-drill.yaml"
RUNNER = CliRunner(env={"COLUMNS": "200"})  # a table's titles whole, unwrapped


def _json(args: list[str]) -> Any:
    r = RUNNER.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _refused(args: list[str]) -> str:
    before = builders.journal_size()
    r = RUNNER.invoke(app, args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.output and builders.journal_size() == before
    return lines[0]


def test_a_scenario_file_is_added_and_listed(csto_db: str) -> None:
    r = RUNNER.invoke(app, ["exercise-scenario-add", str(DRILL)])
    assert r.exit_code == 0, r.output
    assert "HOTLINE-DRILL" in r.stdout and "delegation:KG, delegation:KZ" in r.stdout
    run_id = builders.exercise_run(scenario(), name="CPX spring")
    listed = _json(["exercise-runs"])["runs"]
    assert [(x["id"], x["name"], x["status"]) for x in listed] == [
        (run_id, "CPX spring", "running")]
    table = RUNNER.invoke(app, ["exercise-runs", "--lang", "ru"])
    assert f"{run_id} · CPX spring" in table.stdout and "идёт" in table.stdout, table.stdout


def test_a_scenario_as_json_from_standard_input(csto_db: str) -> None:
    drill = yaml.safe_load(DRILL.read_text(encoding="utf-8"))
    r = RUNNER.invoke(app, ["exercise-scenario-add", "-", "--exercise", "INT-2022",
                            "--json"], input=json.dumps(drill))
    assert r.exit_code == 0, r.output
    added = json.loads(r.stdout)
    assert added["code"] == "HOTLINE-DRILL" and added["exercise"] == "INT-2022"
    assert [i["team"] for i in added["injects"]] == ["delegation:KZ", "delegation:KG"]


def test_one_run_and_its_debrief_as_the_api_gives_them(csto_db: str) -> None:
    run_id = builders.exercise_run(scenario())
    found = _json(["exercise-run", str(run_id)])
    assert [(i["number"], bool(i["sent_at"])) for i in found["injects"]] == [
        (1, True), (2, False), (3, False)]
    debrief = _json(["exercise-run", str(run_id), "--debrief"])
    assert [t["team"] for t in debrief["by_team"]] == ["delegation:KZ", "delegation:TJ"]
    assert debrief["tally"]["possible"] == 2 and debrief["lessons"] == []
    shown = RUNNER.invoke(app, ["exercise-run", str(run_id)])
    assert "Reports of armed groups gathering" in shown.stdout
    assert "due at minute 30" in shown.stdout and "0 of 2 points" in shown.stdout
    # a team reads the injects sent to it only
    make_user("kz-duty", "delegation:KZ", ["duty_officer"])
    assert _json(["--as", "kz-duty", "exercise-run", str(run_id)])["injects"] == []


@pytest.mark.parametrize("args,words", [
    (["exercise-run", "424242"], "unknown exercise run 424242"),
    (["exercise-run", "0"], "ID must be at least 1"),
    (["exercise-scenario-add", "/no/such/file.yaml"], "cannot read /no/such/file.yaml"),
    (["exercise-scenario-add", str(DRILL), "--exercise", "NO-SUCH"], "unknown exercise"),
])
def test_bad_input_is_one_error_line(csto_db: str, args: list[str], words: str) -> None:
    assert words in _refused(args)


def test_a_bad_scenario_file_is_refused_and_adds_nothing(csto_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: [unclosed\n", encoding="utf-8")
    assert "neither YAML nor JSON" in _refused(["exercise-scenario-add", str(broken)])
    wrong = tmp_path / "wrong.yaml"
    drill = yaml.safe_load(DRILL.read_text(encoding="utf-8"))
    drill["injects"][1]["minutes"] = -5
    wrong.write_text(yaml.safe_dump(drill, allow_unicode=True), encoding="utf-8")
    assert "inject 2" in _refused(["exercise-scenario-add", str(wrong)])
    # a team's duty officer is no exercise staff
    make_user("kz-duty", "delegation:KZ", ["duty_officer"])
    _refused(["--as", "kz-duty", "exercise-scenario-add", str(DRILL)])
    assert _json(["exercise-runs"]) == {"runs": []}
