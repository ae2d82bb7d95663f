"""MISP reads our STIX 2.1 exports. MISP's own converter, misp-stix (pinned in
`requirements/misp.txt`; `make misp` installs it into `.venv-misp`, because it pins
pycountry<25 and collsec pins 26), runs in a subprocess on bundles collsec exported and
reports what it made of them. The unified list, exported at the command line, becomes one
event whose producer is the CSTO, with each threat actor a galaxy cluster that carries the
actor's aliases as synonyms. A released report becomes an event titled with the report,
carrying the TLP tag of its label (all five labels, each to its own tag), with the threat
actor it refers to as a cluster. In every case the converter records no error and no
warning, so nothing it understands is dropped. (It does drop collsec's property extension,
`confidence` and `lang` without a word: docs/research/taxii-misp.md §2.3.)

The tests skip when `.venv-misp` is missing and fail instead under `COLLSEC_REQUIRE_MISP=1`
(CI). Each subprocess costs about a second (the imports), so each test's bundles go through
one."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from collsec.cli import app
from collsec.core import db
from collsec.exchange import export, stix
from tests.conftest import pointing_at
from tests.exchange.conftest import NOW, officer
from tests.exchange.test_service import _released

ROOT = Path(__file__).resolve().parents[2]
MISP_PYTHON = ROOT / ".venv-misp" / "bin" / "python"
ACTOR_GALAXY = "stix-2.1-threat-actor"
CSTO_PRODUCER = 'misp-galaxy:producer="Collective Security Treaty Organization"'
# What misp-stix 2026.10.12 makes of each TLP 2.0 marking definition (observed, then pinned).
TLP_TAGS = {"CLEAR": "tlp:clear", "GREEN": "tlp:green", "AMBER": "tlp:amber",
            "AMBER+STRICT": "tlp:amber+strict", "RED": "tlp:red"}

# Run by .venv-misp's interpreter: one JSON line per bundle file named on the command line.
CONVERT = """
import json, sys
from misp_stix_converter import ExternalSTIX2toMISPParser
from misp_stix_converter.tools import load_stix2_file
for path in sys.argv[1:]:
    p = ExternalSTIX2toMISPParser()
    p.load_stix_bundle(load_stix2_file(path))
    p.parse_stix_bundle(single_event=True)
    e = json.loads(p.misp_event.to_json())
    print(json.dumps({
        "info": e.get("info"), "uuid": e.get("uuid"),
        "tags": [t["name"] for t in e.get("Tag", [])],
        "galaxies": [{"type": g["type"],
                      "clusters": [{"value": c["value"], "description": c.get("description"),
                                    "synonyms": c.get("meta", {}).get("synonyms", [])}
                                   for c in g["GalaxyCluster"]]}
                     for g in e.get("Galaxy", [])],
        "errors": p.errors, "warnings": p.warnings}, ensure_ascii=False, default=str))
"""


def misp_python() -> Path:
    """.venv-misp's interpreter: skipped when it is missing, unless the run requires it."""
    if MISP_PYTHON.exists():
        return MISP_PYTHON
    if os.environ.get("COLLSEC_REQUIRE_MISP") == "1":
        pytest.fail(f"COLLSEC_REQUIRE_MISP=1 but {MISP_PYTHON} is missing (make misp)")
    pytest.skip(f"{MISP_PYTHON} is missing (make misp)")


def convert(*bundles: Path) -> list[dict[str, Any]]:
    """What misp-stix made of each bundle file, in one subprocess."""
    done = subprocess.run([str(misp_python()), "-c", CONVERT, *map(str, bundles)],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=bundles[0].parent)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(events) == len(bundles), done.stdout
    return events


def clusters(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The event's threat-actor clusters by value."""
    found = [c for g in event["galaxies"] if g["type"] == ACTOR_GALAXY for c in g["clusters"]]
    out = {c["value"]: c for c in found}
    assert len(out) == len(found), "two clusters with one value"
    return out


def same_actors(objects: list[dict[str, Any]], event: dict[str, Any]) -> None:
    """The event's clusters are the bundle's threat actors: one per actor, its name the
    value, its aliases the synonyms and its description (where it has one) the cluster's
    (misp-stix writes the name where it has none)."""
    bundled = {o["name"]: o for o in objects if o["type"] == "threat-actor"}
    made = clusters(event)
    assert {v: sorted(c["synonyms"]) for v, c in made.items()} == {
        n: sorted(o.get("aliases", [])) for n, o in bundled.items()}
    assert {n: made[n]["description"] for n, o in bundled.items() if "description" in o} == {
        n: o["description"] for n, o in bundled.items() if "description" in o}


def producers(event: dict[str, Any]) -> list[str]:
    return [t for t in event["tags"] if t.startswith("misp-galaxy:producer=")]


def test_the_unified_list_becomes_threat_actor_clusters_with_their_aliases(
        csto_db: str, tmp_path: Path) -> None:
    misp_python()  # skip before exporting when there is no converter
    path = tmp_path / "list.json"
    r = CliRunner().invoke(app, ["exchange", "export", "--list", "-o", str(path)],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, (r.stdout, r.stderr)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    listed = [o for o in bundle["objects"] if o["type"] == "threat-actor"]
    assert any(o["aliases"] for o in listed) and any("description" in o for o in listed)
    [event] = convert(path)
    assert event["errors"] == {} and event["warnings"] == {}
    assert producers(event) == [CSTO_PRODUCER]
    assert {g["type"] for g in event["galaxies"]} == {ACTOR_GALAXY}
    same_actors(bundle["objects"], event)


@pytest.fixture(scope="module")
def converted_reports(csto_readonly: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]:
    """For each TLP label, a released report exported as a bundle, with a threat actor of
    the unified list added to it and to its `object_refs` (the export names no actor
    itself), and what misp-stix made of it: label -> (bundle's objects, event)."""
    misp_python()
    folder = tmp_path_factory.mktemp("misp")
    bundles: dict[str, list[dict[str, Any]]] = {}
    with pointing_at(csto_readonly):
        eng = db.engine().execution_options(collsec_write=True)
        with Session(eng, expire_on_commit=False) as s:
            s.begin()
            try:
                a, c = officer(s, "ru-reader", "delegation:RU", ("viewer",))
                listed = export.list_bundle(s, c, on=NOW.date(), now=NOW)
                actor = next(o for o in listed if o["type"] == "threat-actor" and o["aliases"])
                for label in TLP_TAGS:
                    row = _released(s, tlp=label, title=f"Recruiters in the valley, {label}")
                    objects = export.report_bundle(s, c, a, row.id, now=NOW)
                    report = next(o for o in objects if o["type"] == "report")
                    assert report["name"] == row.title
                    report["object_refs"].append(actor["id"])
                    bundles[label] = [*objects, actor]
            finally:
                s.rollback()
    paths = []
    for n, objects in enumerate(bundles.values()):
        paths.append(folder / f"report-{n}.json")
        paths[-1].write_text("".join(stix.bundle_chunks(objects, export.bundle_id())),
                             encoding="utf-8")
    events = convert(*paths)
    return {label: (objects, event)
           for (label, objects), event in zip(bundles.items(), events, strict=True)}


@pytest.mark.parametrize("label", list(TLP_TAGS))
def test_a_released_report_becomes_an_event_with_its_tlp_tag_and_actor(
        converted_reports: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]],
        label: str) -> None:
    objects, event = converted_reports[label]
    by_id = {o["id"]: o for o in objects}
    [report] = [o for o in objects if o["type"] == "report"]
    assert event["errors"] == {} and event["warnings"] == {}
    assert event["info"] == report["name"] == f"Recruiters in the valley, {label}"
    assert event["uuid"] == report["id"].removeprefix("report--")  # importing it again finds it
    assert [t for t in event["tags"] if t.startswith("tlp:")] == [TLP_TAGS[label]]
    author = by_id[report["created_by_ref"]]["name"]
    assert producers(event) == [f'misp-galaxy:producer="{author}"']
    [actor] = [o for o in objects if o["type"] == "threat-actor"]
    assert actor["aliases"] and actor["id"] in report["object_refs"]
    same_actors(objects, event)
