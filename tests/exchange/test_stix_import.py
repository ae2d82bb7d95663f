"""Taking a STIX 2.1 bundle: a round trip of our own export loses nothing, markings map to
releasability, versions deduplicate, and a malformed bundle or an unknown marking is
refused whole with nothing written."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
import stix2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core.errors import InvalidInput
from collsec.exchange import export, stix, stix_store
from collsec.exchange import service as exchange
from collsec.exchange.tables import ReportRow, StixObjectRow
from tests.exchange.conftest import NOW, officer
from tests.exchange.test_service import _listed, _released

RELEASER = ("releasing_officer",)


def _importer(s: Session, state: str = "KZ") -> tuple[object, object]:
    return officer(s, f"{state.lower()}-rel", f"delegation:{state}", RELEASER)


def _foreign(label: str = "TLP:AMBER") -> dict[str, object]:
    """A bundle as another tool (the stix2 library) writes it: a report with a TLP 1.0
    marking and a threat actor it refers to."""
    marking = {"TLP:AMBER": stix2.TLP_AMBER, "TLP:GREEN": stix2.TLP_GREEN,
               "TLP:RED": stix2.TLP_RED, "TLP:WHITE": stix2.TLP_WHITE}[label]
    actor = stix2.ThreatActor(name="Fergana cell", threat_actor_types=["terrorist"],
                              object_marking_refs=[marking])
    report = stix2.Report(name="Cell in the valley", published="2025-05-30T00:00:00Z",
                          object_refs=[actor.id], description="Seen twice.",
                          object_marking_refs=[marking])
    return json.loads(stix2.Bundle(actor, report, marking).serialize())


def test_a_foreign_bundle_becomes_released_reports_with_their_markings_reach(
        tx: Session) -> None:
    a, c = _importer(tx)
    done = stix_store.import_bundle(tx, c, a, bundle=_foreign("TLP:GREEN"), now=NOW)
    assert (done.added, done.updated, done.skipped) == (2, 0, 0)
    (rid,) = done.reports
    row = tx.get(ReportRow, rid)
    assert row is not None and (row.status, row.tlp, row.scope) == ("released", "GREEN",
                                                                  "observers")
    assert rid in _listed(tx, "BY") and rid not in _listed(tx, "UZ")
    again = stix_store.import_bundle(tx, c, a, bundle=_foreign("TLP:GREEN"), now=NOW)
    assert again.added == 2  # new ids: another bundle of the same story


def test_the_same_version_is_skipped_and_a_later_one_updates(tx: Session) -> None:
    a, c = _importer(tx)
    bundle = _foreign("TLP:AMBER")
    first = stix_store.import_bundle(tx, c, a, bundle=bundle, now=NOW)
    same = stix_store.import_bundle(tx, c, a, bundle=copy.deepcopy(bundle), now=NOW)
    assert (same.added, same.skipped) == (0, 2)
    later = copy.deepcopy(bundle)
    for obj in later["objects"]:  # type: ignore[union-attr]
        if obj["type"] == "report":
            obj["modified"], obj["name"] = "2030-01-01T00:00:00.000Z", "Cell, revised"
    updated = stix_store.import_bundle(tx, c, a, bundle=later, now=NOW)
    assert (updated.updated, updated.skipped) == (1, 1)
    assert updated.reports == first.reports  # the same report, a new version
    row = tx.get(ReportRow, first.reports[0])
    assert row is not None and row.title == "Cell, revised"


def test_our_own_export_comes_back_whole(tx: Session) -> None:
    row = _released(tx, scope="states", states=("KZ", "RU"), tlp="AMBER")
    a, c = officer(tx, "ru-reader", "delegation:RU", ("viewer",))
    objects = export.report_bundle(tx, c, a, row.id, now=NOW)
    ours = json.loads("".join(stix.bundle_chunks(objects, export.bundle_id())))
    ra, rc = _importer(tx, "RU")
    done = stix_store.import_bundle(tx, rc, ra, bundle=ours, now=NOW)
    assert done.skipped == 1  # the report itself: held already in that version
    sent = next(o for o in ours["objects"] if o["type"] == "report")
    held = tx.execute(select(StixObjectRow.content).where(
        StixObjectRow.stix_id == sent["id"])).scalars().first()
    assert held is not None and json.loads(held) == sent  # nothing lost


@pytest.mark.parametrize("bundle,words", [
    ({"type": "report"}, "not a STIX bundle"),
    ({"type": "bundle", "objects": {}}, "a list"),
    ({"type": "bundle", "objects": [{"type": "report", "id": "report--nope",
                                     "spec_version": "2.1"}]}, "its id must be"),
    ({"type": "bundle", "objects": [{"type": "indicator", "spec_version": "2.0",
                                     "id": f"indicator--{uuid.uuid4()}"}]}, "only STIX 2.1"),
    ({"type": "bundle", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": "yesterday"}]}, "not a STIX timestamp"),
    ({"type": "bundle", "objects": [{
        "type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
        "object_marking_refs": [f"marking-definition--{uuid.uuid4()}"]}]}, "unknown marking"),
])
def test_a_malformed_bundle_is_refused_whole(tx: Session, bundle: dict[str, object],
                                             words: str) -> None:
    a, c = _importer(tx)
    good = _foreign()["objects"]
    if isinstance(bundle.get("objects"), list):
        bundle = {**bundle, "objects": [*good, *bundle["objects"]]}  # type: ignore[list-item]
    before = tx.scalar(select(func.count()).select_from(StixObjectRow))
    with pytest.raises(InvalidInput, match=words):
        stix_store.import_bundle(tx, c, a, bundle=bundle, now=NOW)
    assert tx.scalar(select(func.count()).select_from(StixObjectRow)) == before


def test_only_a_releasing_officer_of_a_member_in_good_standing_imports(tx: Session) -> None:
    from collsec.core.auth import service as auth

    a, c = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    with pytest.raises(auth.NotEntitled):
        stix_store.import_bundle(tx, c, a, bundle=_foreign(), now=NOW)
    a, c = _importer(tx, "UZ")
    with pytest.raises(auth.NotEntitled):
        stix_store.import_bundle(tx, c, a, bundle=_foreign(), now=NOW)


def test_a_released_report_is_held_as_stix_with_its_reach(tx: Session) -> None:
    row = _released(tx, scope="states", states=("KZ", "RU"))
    held = tx.execute(select(StixObjectRow).where(StixObjectRow.report_id == row.id)
                      ).scalar_one()
    assert held.visibility == "restricted"
    r, cr = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)
    tx.refresh(held)
    assert held.visibility == "members"


@pytest.mark.parametrize("between", [0, stix_store.PROGRESS_STEP + 5])
def test_two_versions_of_a_report_in_one_bundle_are_one_report(tx: Session,
                                                               between: int) -> None:
    """Next to each other (the first one's row not yet written) or with a written batch
    of other objects between them."""
    a, c = _importer(tx)
    bundle = _foreign("TLP:GREEN")
    objects: list[dict[str, object]] = list(bundle["objects"])  # type: ignore[call-overload]
    report = next(o for o in objects if o["type"] == "report")
    later = {**report, "modified": "2030-01-01T00:00:00.000Z", "name": "Cell, second look"}
    filler = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
               "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
               "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix",
               "valid_from": "2025-01-01T00:00:00.000Z"}
              for _ in range(between)]
    bundle["objects"] = [*objects, *filler, later]
    done = stix_store.import_bundle(tx, c, a, bundle=bundle, now=NOW)
    (rid,) = done.reports
    row = tx.get(ReportRow, rid)
    assert row is not None and row.title == "Cell, second look"
