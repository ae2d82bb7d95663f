"""STIX 2.1 exports: every bundle passes the OASIS validator with no error, and the stix2
library reads it back; an export holds only what the reader may read."""

from __future__ import annotations

import json
import uuid

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from stix2validator import ValidationOptions, validate_string

from collsec.core.auth import service as auth
from collsec.exchange import export, stix
from tests.exchange.conftest import NOW, officer
from tests.exchange.test_service import _released


def _valid(objects: list[dict[str, object]]) -> dict[str, object]:
    text = "".join(stix.bundle_chunks(objects, export.bundle_id()))
    result = validate_string(text, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    assert result.is_valid and not errors, errors
    bundle = json.loads(text)
    stix2.parse(text, allow_custom=True)  # the reference library reads it
    return bundle


def test_a_report_exports_as_a_valid_bundle_with_its_tlp_marking(tx: Session) -> None:
    row = _released(tx, tlp="AMBER+STRICT")
    a, c = officer(tx, "ru-reader", "delegation:RU", ("viewer",))
    bundle = _valid(export.report_bundle(tx, c, a, row.id, now=NOW))
    by_type = {o["type"]: o for o in bundle["objects"]}  # type: ignore[union-attr]
    report = by_type["report"]
    assert report["name"] == row.title and report["description"].startswith("Two")
    assert report["object_marking_refs"] == [
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]
    marking = by_type["marking-definition"]
    assert marking["name"] == "TLP:AMBER+STRICT"
    extension = next(iter(report["extensions"].values()))
    assert extension["releasability"] == {"scope": "states", "states": ["KZ", "RU"]}
    again = export.report_bundle(tx, c, a, row.id, now=NOW)
    assert [o["id"] for o in again if o["type"] == "report"] == [report["id"]]  # stable ids


def test_an_export_holds_only_what_the_reader_may_read(tx: Session) -> None:
    row = _released(tx)
    a, c = officer(tx, "am-reader", "delegation:AM", ("viewer", "analyst"))
    from collsec.core.errors import NotFound

    with pytest.raises(NotFound):
        export.report_bundle(tx, c, a, row.id, now=NOW)
    objects = export.reports_bundle(tx, c, now=NOW)
    assert not [o for o in objects if o["type"] == "report"]
    _, viewer = officer(tx, "ru-viewer", "delegation:RU", ("viewer",))
    with pytest.raises(auth.NotEntitled):  # a bulk export needs the export action
        export.reports_bundle(tx, viewer, now=NOW)
    _, analyst = officer(tx, "ru-analyst", "delegation:RU", ("analyst",))
    found = [o for o in _valid(export.reports_bundle(tx, analyst, now=NOW))["objects"]
             if o["type"] == "report"]  # type: ignore[union-attr]
    assert [o["name"] for o in found] == [row.title]


def test_the_unified_list_exports_as_terrorist_threat_actors(tx: Session) -> None:
    _, c = officer(tx, "kz-reader", "delegation:KZ", ("viewer",))
    bundle = _valid(export.list_bundle(tx, c, on=NOW.date(), now=NOW))
    actors = {o["name"]: o for o in bundle["objects"]  # type: ignore[union-attr]
              if o["type"] == "threat-actor"}
    isis = actors["Islamic State"]
    assert {"ИГИЛ", "ISIS", "Daesh", "Исламское государство"} <= set(isis["aliases"])
    assert isis["threat_actor_types"] == ["terrorist"]
    ext = next(iter(isis["extensions"].values()))
    assert ext["standing"]["status"] == "listed" and ext["designations"]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=20), st.lists(st.one_of(st.text(max_size=30),
                                                             st.integers()), max_size=4))
def test_our_ids_are_the_uuid5_of_what_they_stand_for(kind: str, parts: list[object]) -> None:
    """The hand-written UUIDv5 is RFC 4122's, as the standard library computes it."""
    name = "|".join([kind, *map(str, parts)])
    assert stix.stix_id(kind, *parts) == f"{kind}--{uuid.uuid5(stix.NAMESPACE, name)}"
