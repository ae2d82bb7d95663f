"""The embedded parameters (simulation.yaml): every part names known sources and holds as a
model's parameters; the composition sent in January 2022 adds up to the 2,030 on record."""

from __future__ import annotations

from typing import Any

from collsec.registry.charter import read_yaml
from collsec.simulation import service

RAW: dict[str, Any] = read_yaml("CSTO", "simulation.yaml")
KNOWN = {s["id"] for s in read_yaml("CSTO", "sources.yaml")}


def _cited(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [*node.get("sources", []), *(s for v in node.values() for s in _cited(v))]
    if isinstance(node, list):
        return [s for v in node for s in _cited(v)]
    return []


def test_every_source_the_parameters_cite_is_in_the_source_list() -> None:
    cited = _cited(RAW)
    assert cited and sorted(set(cited) - KNOWN) == []
    for part in ("decision", "approval", "readiness", "airlift", "road", "validation"):
        assert RAW[part]["sources"] and RAW[part]["confidence"] in ("high", "medium", "low")


def test_the_2022_composition_is_the_recorded_total_and_loads_as_parameters() -> None:
    params = service.parameters("CSTO")
    assert sum(c.personnel for c in params.contingents) == 2030
    assert {c.state for c in params.contingents} == {"RU", "BY", "AM", "TJ", "KG"}
