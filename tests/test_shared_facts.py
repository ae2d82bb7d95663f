"""The embedded CSTO data against the seeds in ../shared: facts carry over, text does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "src" / "collsec" / "data" / "csto"
WINDOW = 8  # words in a row that would count as pasted text


def _load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8")) or []


def _seed_texts(shared: Path) -> dict[str, str]:
    texts = {}
    for path in sorted((shared / "seeds").glob("*.txt")):
        texts[f"seed-{path.name[:3]}"] = path.read_text(encoding="utf-8")
    return texts


def _words(text: str) -> list[str]:
    return re.findall(r"[\w’']+", text.lower())


def test_every_seed_source_is_a_seed_file(shared: Path) -> None:
    seeds = _seed_texts(shared)
    cited = {s["id"] for s in _load("sources.yaml") if s["id"].startswith("seed-")}
    assert cited, "the data cites no seed at all"
    assert cited <= set(seeds)


def _state_names() -> dict[str, str]:
    return {s["code"]: s["name"]["en"] for s in _load("states.yaml")}


def _cites(fact: dict, seeds: dict[str, str]) -> list[str]:
    return [seeds[s] for s in fact.get("sources", []) if s in seeds]


def test_states_in_seed_backed_memberships_appear_in_that_seed(shared: Path) -> None:
    seeds, names = _seed_texts(shared), _state_names()
    for m in _load("memberships.yaml"):
        for text in _cites(m, seeds):
            assert names[m["state"]] in text, m


def test_seed_backed_chairs_name_the_state_and_year_in_that_seed(shared: Path) -> None:
    """A year's chair, or a chair taken over at a session (which may be named for the
    session's year or for the next, the one it mostly covers)."""
    seeds, names = _seed_texts(shared), _state_names()
    checked = 0
    held = [(c, (c["year"],)) for c in _load("chairs.yaml")]
    held += [(s["chair"], (s["date"].year, s["date"].year + 1))
             for s in _load("sessions.yaml") if s.get("chair")]
    for c, years in held:
        texts = _cites(c, seeds)
        if texts:
            checked += 1
            assert any(names[c["state"]] in t and any(str(y) in t for y in years)
                       for t in texts), c
    assert checked >= 3


def test_seed_backed_office_holders_appear_in_that_seed(shared: Path) -> None:
    seeds = _seed_texts(shared)
    for t in _load("office_holders.yaml"):
        surname = t["holder"]["en"].split(" (")[0].split()[-1]
        texts = _cites(t, seeds)
        if texts:
            assert any(surname in text for text in texts), t


def test_seed_backed_forces_carry_the_seed_founding_year(shared: Path) -> None:
    seeds = _seed_texts(shared)
    for f in _load("forces.yaml"):
        for text in _cites(f, seeds):
            assert f"In {f['founded']}" in text or str(f["founded"]) in text, f


# prose we write; names are facts
FREE_TEXT_KEYS = {"note", "title", "role", "composition", "documents"}


def _free_text(node: object, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in _free_text(v, str(k) if k in
                                                                     FREE_TEXT_KEYS else key)]
    if isinstance(node, list):
        return [t for item in node for t in _free_text(item, key)]
    return [str(node)] if key in FREE_TEXT_KEYS and node is not None else []


def test_no_data_file_or_doc_repeats_a_seed_sentence(shared: Path) -> None:
    """Facts and figures carry over from the seeds; runs of eight words of prose do not."""
    windows: set[tuple[str, ...]] = set()
    for text in _seed_texts(shared).values():
        words = _words(text)
        windows.update(tuple(words[i:i + WINDOW]) for i in range(len(words) - WINDOW + 1))
    repo = DATA.parents[3]
    prose = {p.name: "\n".join(_free_text(yaml.safe_load(p.read_text(encoding="utf-8"))))
             for p in DATA.glob("*.yaml") if p.name != "sources.yaml"}
    for path in [*(repo / "docs").glob("*.md"), repo / "README.md"]:
        if path.exists():
            prose[path.name] = path.read_text(encoding="utf-8")
    assert prose
    for name, text in prose.items():
        words = _words(text)
        for i in range(len(words) - WINDOW + 1):
            if tuple(words[i:i + WINDOW]) in windows:
                pytest.fail(f"{name} repeats seed text: {' '.join(words[i:i + WINDOW])}")
