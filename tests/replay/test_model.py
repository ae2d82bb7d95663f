"""Reading scenario files: valid ones become frozen steps, malformed ones name the step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from collsec.replay import model, runner
from collsec.replay.model import ScenarioError

D = dt.date


def scenario(*steps: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"title": "A test", "sources": ["seed-000"],
            "base": {"load_default": "CSTO", "until": "2030-01-01"}, "steps": list(steps),
            **top}


def parse(data: dict[str, Any]) -> model.Scenario:
    return model.parse_scenario(data, runner.command_specs(), runner.check_specs())


CONVENE = {"on": "2030-03-01", "do": "convene", "id": "s1", "body": "CSC"}
ITEM = {"on": "2030-03-01", "do": "add_item", "session": "s1", "id": "i1", "title_en": "Draft"}


def test_a_valid_scenario_becomes_dated_steps_with_their_arguments() -> None:
    sc = parse(scenario(CONVENE, ITEM,
                        {"on": "2030-03-01", "do": "position", "item": "i1",
                         "positions": {"kz": "support", "RU": "object"},
                         "expect": {"adopted": False, "members": {"include": ["KZ"]}}},
                        {"on": "2030-03-02", "do": "close_item", "item": "i1", "as": "organ:SEC",
                         "sources": ["seed-001"], "confidence": "medium"},
                        checks=[{"members": {"as_of": "2030-03-02", "equals": ["KZ", "RU"]}}]))
    assert sc.base == model.Base("CSTO", D(2030, 1, 1))
    assert [s.on for s in sc.steps] == [D(2030, 3, 1)] * 3 + [D(2030, 3, 2)]
    position = sc.steps[2]
    assert position.args["positions"] == {"KZ": "support", "RU": "object"}
    assert position.expect == {"adopted": False}
    assert position.expect_checks[0].args["as_of"] == D(2030, 3, 1)  # the step's own day
    assert sc.steps[3].principal is not None and sc.steps[3].principal.key == "organ:SEC"
    assert sc.all_sources() == ["seed-000", "seed-001"]
    assert sc.checks[0].args == {"as_of": D(2030, 3, 2), "equals": ("KZ", "RU")}


@pytest.mark.parametrize("step,message", [
    ({"on": "2030-03-01", "do": "vote", "item": "x"}, "step 1: unknown command 'vote'"),
    ({"do": "convene", "body": "CSC"}, "step 1 (convene): missing 'on'"),
    ({"on": "2030-02-30", "do": "convene", "body": "CSC"},
     "step 1 (convene): on: '2030-02-30' is not a date"),
    ({"on": "2030-03-01", "body": "CSC"}, "step 1: missing 'do'"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "as": "president:RU"},
     "step 1 (convene): as: unknown principal"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "as": "delegation:Kazakhstan"},
     "step 1 (convene): as: 'delegation:Kazakhstan' names no state"),
    ({"on": "2030-03-01", "do": "convene", "bdy": "CSC"},
     "step 1 (convene): unknown argument 'bdy'"),
    ({"on": "2030-03-01", "do": "convene"},
     "step 1 (convene): missing required argument 'body'"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "host": "Kyrgyzstan"},
     "step 1 (convene): host: 'Kyrgyzstan' is not a state code"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "kind": "informal"},
     "step 1 (convene): kind: 'informal' is not one of regular, extraordinary"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "expect": {"adopted": True}},
     "step 1 (convene): expect: adopted: convene gives no decision outcome"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "expect": {"passes": True}},
     "step 1 (convene): expect: unknown expectation 'passes'"),
    ({"on": "2030-03-01", "do": "convene", "body": "CSC", "confidence": "sure"},
     "step 1 (convene): confidence: 'sure' is not one of high, medium, low"),
    ({"on": "2030-03-01", "do": "close_item", "item": "nothing"},
     "step 1 (close_item): item: 'nothing' is not named by an earlier step"),
    ({"on": "2029-12-31", "do": "convene", "body": "CSC"},
     "step 1 (convene): on 2029-12-31 is before base.until 2030-01-01"),
    ("convene CSC", "step 1: expected a mapping"),
])
def test_a_malformed_step_is_refused_naming_the_step_and_field(step: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        parse(scenario(step))
    assert message in exc.value.detail


def test_refs_must_name_an_object_of_the_right_kind_made_earlier() -> None:
    with pytest.raises(ScenarioError, match=r"step 2 \(close_item\): item: 's1' names a "
                                            "session, not a item"):
        parse(scenario(CONVENE, {"on": "2030-03-01", "do": "close_item", "item": "s1"}))
    with pytest.raises(ScenarioError, match="'s1' is already used by an earlier step"):
        parse(scenario(CONVENE, CONVENE))


def test_steps_run_in_date_order() -> None:
    with pytest.raises(ScenarioError, match=r"step 2 \(convene\): on 2030-02-01 comes before "
                                            "step 1's 2030-03-01"):
        parse(scenario(CONVENE, {**CONVENE, "id": "s2", "on": "2030-02-01"}))


def test_a_position_names_one_state_or_a_map_of_states() -> None:
    both = {"on": "2030-03-01", "do": "position", "item": "i1", "state": "KZ",
            "position": "support", "positions": {"RU": "support"}}
    with pytest.raises(ScenarioError, match="give exactly one of: state \\+ position or "
                                            "positions"):
        parse(scenario(CONVENE, ITEM, both))
    with pytest.raises(ScenarioError, match="'agree' is not one of support"):
        parse(scenario(CONVENE, ITEM, {"on": "2030-03-01", "do": "position", "item": "i1",
                                       "positions": {"RU": "agree"}}))


@pytest.mark.parametrize("top,message", [
    ({"base": {"until": "2030-01-01"}}, "base: say which embedded organization"),
    ({"base": {"load_default": "CSTO", "until": "soon"}}, "base: until: 'soon' is not a date"),
    ({"base": {"load_default": "CSTO", "empty": True}}, "base: unknown key 'empty'"),
    ({"sources": []}, "name at least one source"),
    ({"stpes": []}, "scenario: unknown key 'stpes'"),
    ({"format": 2}, "format 2 is not known"),
    ({"checks": [{"members": {"as_of": "2030-01-01"}}]},
     "check 1 (members): give exactly one of: equals or include or exclude"),
    ({"checks": [{"weather": {}}]}, "check 1: unknown check 'weather'"),
    ({"checks": [{"status": {"state": "UZ", "as_of": "2013-01-01"}}]},
     "check 1 (status): missing required argument 'is'"),
])
def test_malformed_scenario_parts_are_named(top: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        parse(scenario(**top))
    assert message in exc.value.detail


def test_the_title_is_required() -> None:
    data = scenario()
    del data["title"]
    with pytest.raises(ScenarioError, match="missing 'title'"):
        parse(data)


def test_yaml_dates_stay_text_so_a_bad_one_is_reported_with_its_step() -> None:
    text = """
title: t
sources: [seed-000]
base: {load_default: CSTO}
steps:
  - {on: 2030-03-01, do: convene, id: s1, body: CSC}
  - on: 2030-13-01
    do: convene
    body: CSC
"""
    with pytest.raises(ScenarioError, match=r"t: step 2 \(convene\): on: '2030-13-01' is not "
                                            "a date"):
        runner.parse_text(text, "t")


def test_yaml_on_is_a_key_and_only_true_false_are_booleans() -> None:
    text = """
title: on
sources: [seed-000]
base: {load_default: CSTO}
steps:
  - {on: 2030-03-01, do: seat, session: s1, state: "NO"}
"""
    with pytest.raises(ScenarioError, match="'s1' is not named"):
        runner.parse_text(text)
    sc = runner.parse_text(text.replace("seat, session: s1, state: \"NO\"",
                                        "convene, body: CSC, city_en: yes"))
    assert sc.title == "on" and sc.steps[0].args["city_en"] == "yes"


def test_broken_yaml_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="not valid YAML"):
        runner.parse_text("title: [unclosed", "broken.yaml")


def test_missing_sources_are_named_where_cited() -> None:
    sc = parse(scenario({**CONVENE, "sources": ["nowhere"]}))
    assert model.missing_sources(sc, ["seed-000"]) == \
        "step 1 (convene): sources: unknown source id 'nowhere'"
    assert model.missing_sources(sc, ["seed-000", "nowhere"]) is None


def test_every_shipped_replay_parses() -> None:
    shipped = runner.shipped("CSTO")
    assert {p.name for p in shipped} >= {"uzbekistan-suspension-2012.yaml",
                                         "bishkek-csc-2019.yaml"}
    for path in shipped:
        sc = runner.read_scenario(path)
        assert sc.sources and sc.steps and sc.checks, path.name


def test_a_new_command_needs_only_a_spec_and_a_handler() -> None:
    spec = model.CommandSpec("ring_bell", (model.Arg("times", "int", required=True),))
    commands = {**runner.command_specs(), "ring_bell": spec}
    sc = model.parse_scenario(scenario({"on": "2030-01-02", "do": "ring_bell", "times": 3}),
                              commands, runner.check_specs())
    assert sc.steps[0].args == {"times": 3}
