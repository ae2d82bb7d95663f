"""What a TAXII page serves of an object's versions: the newest unless asked otherwise,
and again the newest left after a version is deleted; who may delete what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.errors import NotFound
from collsec.exchange import stix_store, taxii_store
from tests.exchange.conftest import NOW, ORG, officer

RELEASER = ("releasing_officer",)
AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"  # members level
IDENT = "indicator--6b9b3c9e-1f4e-4c39-9a43-0d7cbe4b2f11"


def _indicator(version: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": IDENT, "created": "2025-01-01T"
            "00:00:00.000Z", "modified": version, "pattern_type": "stix",
            "pattern": "[ipv4-addr:value = '10.9.9.9']", "valid_from": "2025-01-01T00:00:00Z",
            "object_marking_refs": [AMBER]}


def _bring(s: Session, *versions: str, state: str = "KZ") -> None:
    a, c = officer(s, f"{state.lower()}-rel", f"delegation:{state}", RELEASER)
    stix_store.import_bundle(s, c, a, bundle={"type": "bundle", "id": "bundle--1",
                                              "objects": [_indicator(v) for v in versions]},
                             now=NOW)


def _versions(s: Session, state: str = "RU", **asked: Any) -> list[str]:
    _, c = officer(s, f"{state.lower()}-viewer", f"delegation:{state}", ("viewer",))
    members = taxii_store.collection(c, ORG, taxii_store.collections(c, ORG)[0].id)
    assert members.key == "members"
    page = taxii_store.page(s, c, members.id, added_after=None, limit=100, next_token=None,
                            ids=[IDENT], types=[], spec_versions=[], now=NOW,
                            what="manifest", **{"versions": [], **asked})
    return [r.version for r in page.rows]


V1, V2, V3 = "2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"


def test_a_page_serves_the_newest_version_unless_asked_for_others(tx: Session) -> None:
    _bring(tx, V1)
    _bring(tx, V2, V3)  # a later bundle with two later versions
    assert _versions(tx) == [V3]
    assert sorted(_versions(tx, versions=["all"])) == [V1, V2, V3]
    assert _versions(tx, versions=["first"]) == [V1]
    assert sorted(_versions(tx, versions=["first", "last"])) == [V1, V3]
    assert _versions(tx, versions=[V2]) == [V2]


def _delete(s: Session, state: str, versions: list[str]) -> int:
    a, c = officer(s, f"{state.lower()}-rel", f"delegation:{state}", RELEASER)
    members = next(col for col in taxii_store.collections(c, ORG) if col.key == "members")
    return taxii_store.delete_object(s, c, a, members.id, IDENT, versions=versions, now=NOW)


def test_deleting_the_newest_version_serves_the_one_before(tx: Session) -> None:
    _bring(tx, V1, V2, V3)
    assert _delete(tx, "KZ", [V3]) == 1
    assert _versions(tx) == [V2]
    assert _delete(tx, "KZ", []) == 2  # no version named: all of them
    assert _versions(tx, versions=["all"]) == []
    with pytest.raises(NotFound):
        _delete(tx, "KZ", [])


def test_only_the_service_that_added_an_object_deletes_it(tx: Session) -> None:
    _bring(tx, V1)
    with pytest.raises(auth.NotEntitled):
        _delete(tx, "RU", [])
    assert _versions(tx) == [V1]


def _list_collection(s: Session, principal: str) -> tuple[Any, taxii_store.Collection | None]:
    _, c = officer(s, "reader", principal, ("viewer",))
    return c, next((col for col in taxii_store.collections(c, ORG)
                    if col.key == taxii_store.LIST), None)


def _list_page(s: Session, c: Any, col: taxii_store.Collection, **asked: Any
               ) -> taxii_store.Page:
    given = {"added_after": None, "limit": 100, "next_token": None, "ids": [], "types": [],
             "versions": [], "spec_versions": [], **asked}
    return taxii_store.page(s, c, col.id, now=NOW, **given)


def test_the_unified_list_is_a_collection_of_its_readers_paged_like_any_other(
        tx: Session) -> None:
    c, col = _list_collection(tx, "delegation:KZ")
    assert col is not None and not col.can_write
    whole = _list_page(tx, c, col, limit=1000)
    objects = [json.loads(r.content) for r in whole.rows]
    actors = [o for o in objects if o["type"] == "threat-actor"]
    assert {o["type"] for o in objects} == {"identity", "extension-definition",
                                            "threat-actor"}
    state = next(o for o in actors if "ИГИЛ" in o["aliases"] or "Daesh" in o["aliases"])
    # a new version with each step: the latest step up to today, not the publisher's date
    steps = next(iter(state["extensions"].values()))["designations"]
    assert state["modified"] > state["created"] and steps
    assert [r.added_at for r in whole.rows] == sorted(r.added_at for r in whole.rows)
    paged, token = [], None
    while True:
        p = _list_page(tx, c, col, limit=3, next_token=token)
        paged += [r.stix_id for r in p.rows]
        if not p.more:
            break
        token = p.next
    assert paged == [r.stix_id for r in whole.rows]
    assert [r.stix_id for r in _list_page(tx, c, col, ids=[state["id"]]).rows] == [state["id"]]
    assert len(_list_page(tx, c, col, types=["threat-actor"]).rows) == len(actors)
    assert _list_page(tx, c, col, ids=[state["id"]], versions=["2001-01-01T00:00:00.000Z"]
                      ).rows == []
    assert len(_list_page(tx, c, col, ids=[state["id"]], versions=[state["modified"]]
                          ).rows) == 1
    later = _list_page(tx, c, col, added_after=whole.rows[-1].added_at)
    assert later.rows == []
    a, cr = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    with pytest.raises(auth.NotEntitled):
        taxii_store.add_objects(tx, cr, a, col.id, envelope={"objects": []}, now=NOW)


def test_the_list_is_no_collection_below_the_members_level(tx: Session) -> None:
    c, col = _list_collection(tx, "external:OSCE")
    assert col is None
    assert taxii_store.LIST not in {x.key for x in taxii_store.collections(c, ORG)}


def test_a_page_run_alone_reads_on_a_connection_and_audits_its_restricted_rows(
        csto_db: str) -> None:
    """`page.run`, as the TAXII routes call it: a held collection and the unified list, each
    read on a connection, and the read of the members-level list audited once it ends."""
    from sqlalchemy import select

    from collsec.core import db
    from collsec.core.auth.tables import AuditRow
    from collsec.core.context import Context
    from collsec.registry import service as registry

    with db.read_session() as s:
        actor, c = officer(s, "kz-reader", "delegation:KZ", ("viewer",))
        held = next(col for col in taxii_store.collections(c, ORG) if col.key == "members")
        listed = next(col for col in taxii_store.collections(c, ORG)
                      if col.key == taxii_store.LIST)
    ctx = Context(ORG, registry.charter_for(ORG), actor, c, NOW, NOW.date())
    asked: dict[str, Any] = {"added_after": None, "next_token": None, "ids": [], "types": [],
                             "versions": [], "spec_versions": []}
    assert taxii_store.page.run(ctx, held.id, limit=10, **asked).rows == []
    first = taxii_store.page.run(ctx, listed.id, limit=2, **asked)
    assert len(first.rows) == 2 and first.more and first.next
    rest = taxii_store.page.run(ctx, listed.id, limit=1000, **{**asked, "next_token": first.next})
    whole = taxii_store.page.run(ctx, listed.id, limit=1000, **asked)
    assert [r.stix_id for r in first.rows + rest.rows] == [r.stix_id for r in whole.rows]
    with db.read_session() as s:
        audited = list(s.execute(select(AuditRow.principal).where(
            AuditRow.username == "kz-reader", AuditRow.kind == "read")).scalars())
    assert audited and set(audited) == {"delegation:KZ"}
