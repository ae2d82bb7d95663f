"""The objects a released report's subjects stand for are in the TAXII collections beside
it, each in every collection one of its reports is in and in no other: a TAXII client
resolves what a report refers to, and learns nothing its reports do not tell it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from collsec.core.errors import Conflict
from collsec.crisis.incidents import service as incidents
from collsec.exchange import model, subjects, taxii_store
from collsec.exchange import service as exchange
from tests.exchange.conftest import NOW, ORG, officer

POINT = {"type": "Point", "coordinates": [71.45, 51.17]}
PERSON = {"kind": "person", "name": "A. Recruiter"}
ANALYST, VERIFIER, RELEASER = ("reporting_analyst",), ("verifier",), ("releasing_officer",)


def _released(s: Session, about: list[dict[str, Any]], *, state: str = "KZ",
              tlp: str = "AMBER", scope: str = "members", states: tuple[str, ...] = ()
              ) -> int:
    low = state.lower()
    a, c = officer(s, f"{low}-ana", f"delegation:{state}", ANALYST)
    row = exchange.write_report(s, c, a, title=f"About {len(about)} subjects", tlp=tlp,
                                scope=scope, states=states, about=about, now=NOW)
    exchange.submit_report(s, c, a, report_id=row.id, now=NOW)
    v, cv = officer(s, f"{low}-vera", f"delegation:{state}", VERIFIER)
    exchange.verify_report(s, cv, v, report_id=row.id, now=NOW)
    r, cr = officer(s, f"{low}-rel", f"delegation:{state}", RELEASER)
    exchange.release_report(s, cr, r, report_id=row.id, now=NOW)
    return row.id


def _narrow(s: Session, report_id: int, scope: str, states: tuple[str, ...] = (),
            state: str = "KZ") -> None:
    r, cr = officer(s, f"{state.lower()}-rel", f"delegation:{state}", RELEASER)
    exchange.change_release(s, cr, r, report_id=report_id, scope=scope, states=states,
                            now=NOW)


def _collections(s: Session, state: str, *, with_list: bool = False
                 ) -> dict[str, list[dict[str, Any]]]:
    """What a viewer of `state` pages out of each collection it sees, by its marking level
    (the unified list's too, `with_list`)."""
    _, c = officer(s, f"{state.lower()}-viewer", f"delegation:{state}", ("viewer",))
    out = {}
    for col in taxii_store.collections(c, ORG):
        if col.key == taxii_store.LIST and not with_list:
            continue
        page = taxii_store.page(s, c, col.id, added_after=None, limit=1000, next_token=None,
                                ids=[], types=[], versions=[], spec_versions=[], now=NOW)
        out[col.key] = [json.loads(r.content) for r in page.rows]
    return out


def _ids(objects: list[dict[str, Any]], kind: str) -> list[str]:
    return [o["id"] for o in objects if o["type"] == kind]


def test_a_report_and_what_it_refers_to_are_in_the_same_collection(tx: Session) -> None:
    duty, cduty = officer(tx, "ru.duty", "delegation:RU", ("duty_officer",))
    incident = incidents.report_incident(
        tx, cduty, duty, type="border_clash", severity=2, occurred_at=NOW, geometry=POINT,
        title="Seen by every member", now=NOW)
    _released(tx, [PERSON, {"kind": "place", "name": "Astana", "geometry": POINT},
                   {"kind": "incident", "ref": str(incident.id)},
                   {"kind": "organization", "ref": "islamic-state"}])
    members = _collections(tx, "BY")["members"]
    (report,) = [o for o in members if o["type"] == "report"]
    held = {o["id"]: o for o in members}
    refs = [r for r in report["object_refs"] if not r.startswith(("threat-actor--",
                                                                  "identity--"))]
    assert {held[r]["type"] for r in refs} == {"location", "incident"}
    (person,) = [o for o in members if o.get("identity_class") == "individual"]
    assert person["id"] in report["object_refs"]
    assert all(held[r]["object_marking_refs"] == report["object_marking_refs"]
               for r in [*refs, person["id"]])
    # a list entry's threat actor is in the unified list's collection, not a report's
    seen = _collections(tx, "BY", with_list=True)
    assert _ids(members, "threat-actor") == []
    named = next(r for r in report["object_refs"] if r.startswith("threat-actor--"))
    assert named in _ids(seen[taxii_store.LIST], "threat-actor")
    assert all(_ids(v, "identity") == [] for k, v in seen.items()
               if k not in ("members", taxii_store.LIST))


def test_a_shared_subject_is_in_each_collection_its_reports_reach_and_leaves_with_them(
        tx: Session) -> None:
    first = _released(tx, [PERSON])
    second = _released(tx, [PERSON], state="RU", tlp="CLEAR", scope="public")
    seen = _collections(tx, "AM")
    person = {k: [o for o in v if o["type"] == "identity" and o.get("identity_class")
                  == "individual"] for k, v in seen.items()}
    assert [len(person["members"]), len(person["public"])] == [1, 1]
    assert person["members"][0]["id"] == person["public"][0]["id"]
    r = exchange.rules(ORG)  # each copy under the label of the reports at its level
    assert person["public"][0]["object_marking_refs"] == [r.label("CLEAR").stix_id]
    assert person["members"][0]["object_marking_refs"] == [r.label("AMBER").stix_id]
    _narrow(tx, second, "originator", state="RU")
    after = _collections(tx, "AM")
    assert _ids(after["public"], "identity") == []
    assert len(_ids(after["members"], "identity")) == 1
    _narrow(tx, first, "states", ("KZ", "RU"))
    assert all(_ids(v, "identity") == [] for v in _collections(tx, "AM").values())
    ru = _collections(tx, "RU")
    assert len(_ids(ru["restricted"], "identity")) == 1  # RU reads both reports now


def test_a_restricted_subject_reaches_only_the_readers_of_one_of_its_reports(
        tx: Session) -> None:
    _released(tx, [PERSON], scope="states", states=("KZ", "RU"))
    _released(tx, [PERSON], state="BY", tlp="RED", scope="states", states=("BY", "AM"))
    for state in ("KZ", "RU", "BY", "AM"):
        restricted = _collections(tx, state)["restricted"]
        assert len(_ids(restricted, "identity")) == 1, state
        assert len(_ids(restricted, "report")) == 1, state
    assert _ids(_collections(tx, "KG")["restricted"], "identity") == []
    person = next(o for o in _collections(tx, "KZ")["restricted"] if o["type"] == "identity")
    red = exchange.rules(ORG).label("RED").stix_id
    assert person["object_marking_refs"] == [red]  # the strictest label of its reports


def test_nobody_deletes_the_object_of_a_subject(tx: Session) -> None:
    _released(tx, [PERSON])
    a, c = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    members = next(col for col in taxii_store.collections(c, ORG) if col.key == "members")
    person = next(o for o in _collections(tx, "KZ")["members"] if o["type"] == "identity")
    with pytest.raises(Conflict, match="stands for a subject of our reports"):
        taxii_store.delete_object(tx, c, a, members.id, person["id"], versions=[], now=NOW)


def test_holdings_take_the_strictest_label_and_every_reader_of_a_restricted_report() -> None:
    namings = [subjects.Naming(3, "restricted", "delegation:BY", frozenset({"delegation:AM"}),
                               "AMBER+STRICT"),
               subjects.Naming(1, "restricted", "delegation:KZ", frozenset({"delegation:RU"}),
                               "RED"),
               subjects.Naming(2, "members", "delegation:KZ", frozenset(), "GREEN"),
               subjects.Naming(4, "members", "delegation:UZ", frozenset(), "AMBER")]
    held = subjects.holdings(namings, model.TLP_LABELS)
    assert held["members"] == subjects.Holding("members", "AMBER", "delegation:KZ",
                                               frozenset())
    assert held["restricted"] == subjects.Holding(
        "restricted", "RED", "delegation:KZ",
        frozenset({"delegation:RU", "delegation:BY", "delegation:AM"}))
    assert subjects.holdings([], model.TLP_LABELS) == {}
