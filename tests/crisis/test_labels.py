"""Names of the crisis codes in English and Russian, read from `crisis.yaml`: deployment
states, timeline event kinds, incident types and severities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from collsec.core.errors import InvalidInput
from collsec.crisis import model

DATA: dict[str, Any] = yaml.safe_load(
    (Path(model.__file__).parents[1] / "data" / "csto" / "crisis.yaml").read_text("utf-8"))
TAXONOMY = model.load_taxonomy(DATA)


def test_every_event_kind_and_deployment_state_has_both_names() -> None:
    assert set(TAXONOMY.event_labels) == set(model.EVENT_KINDS)
    for kind in model.EVENT_KINDS:
        en, ru = TAXONOMY.event_label(kind, "en"), TAXONOMY.event_label(kind, "ru")
        assert en and ru and en != kind and ru != en
    for status in model.DEPLOYMENT_STATES:
        assert TAXONOMY.deployment_label(status, "ru") != TAXONOMY.deployment_label(status, "en")


def test_labels_follow_the_data_in_either_language() -> None:
    named = {e["code"]: e["name"] for e in DATA["timeline_events"]}
    assert TAXONOMY.event_label("withdrawal", "ru") == named["withdrawal"]["ru"]
    assert TAXONOMY.event_label("withdrawal", "en") == named["withdrawal"]["en"]
    types = {t["code"]: t["name"] for t in DATA["incident_types"]}
    assert TAXONOMY.type_label("border_clash", "ru") == types["border_clash"]["ru"]
    levels = {s["level"]: s["name"] for s in DATA["severities"]}
    assert TAXONOMY.severity_label(4, "en") == levels[4]["en"]


def test_an_unnamed_code_shows_as_itself() -> None:
    assert TAXONOMY.event_label("no_such_kind", "ru") == "no_such_kind"
    assert TAXONOMY.severity_label(99, "en") == "99"
    assert model.load_taxonomy({**DATA, "timeline_events": []}).event_label("commit", "ru") \
        == "commit"


@pytest.mark.parametrize("events", [
    [{"code": "decision", "name": {"en": "Decision", "ru": "Решение"}}],  # incomplete
    [*DATA["timeline_events"], {"code": "parade", "name": {"en": "Parade", "ru": "Парад"}}],
    [{**e, "name": {"en": e["name"]["en"]}} for e in DATA["timeline_events"]],  # no ru
])
def test_timeline_event_names_that_contradict_the_kinds_are_refused(
        events: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidInput):
        model.load_taxonomy({**DATA, "timeline_events": events})
