"""The TAXII 2.1 server with the real `taxii2-client` against the real server on loopback:
it lists the collections a caller may see, pages through 10,000 objects, adds a bundle and
polls its status; what it added appears in the web search for the right states only; the
wrong media type, version or credentials are TAXII errors and write nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import insert
from taxii2client.v21 import Server, as_pages

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.exchange import stix
from collsec.exchange.tables import StixObjectRow
from tests.browser import running_server
from tests.conftest import create_database, drop_database, pointing_at, prepare
from tests.exchange.test_stix_import import _foreign

PASSWORD = "correct-horse-battery"
MANY = 10_000


@dataclass
class World:
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = create_database(tmp_path_factory.mktemp("taxii"))
    tokens: dict[str, str] = {}
    with pointing_at(url):
        prepare(url, load=True)
        users = [("kz-rel", "delegation:KZ", "releasing_officer"),
                 ("ru-viewer", "delegation:RU", "viewer"),
                 ("am-viewer", "delegation:AM", "viewer"),
                 ("uz-viewer", "delegation:UZ", "viewer")]
        engine = db.engine_for(url)
        with db.write_session(engine) as s:
            for name, principal, role in users:
                auth.add_user(s, *auth.installer(), username=name, principal=principal,
                              roles=[role], now=clock.now(), password=PASSWORD)
        with db.write_session(engine) as s:
            for name, _, _ in users:
                tokens[name] = auth.create_token(s, *auth.installer(), username=name,
                                                 name="taxii", now=clock.now())[1]
        now = clock.now()
        rows = []
        for n in range(MANY):  # members-level indicators a member's tool had shared
            ident = f"indicator--{uuid.uuid5(stix.NAMESPACE, str(n))}"
            obj = {"type": "indicator", "spec_version": "2.1", "id": ident,
                   "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
                   "pattern": f"[ipv4-addr:value = '10.0.{n // 256}.{n % 256}']",
                   "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z"}
            rows.append({"org": "CSTO", "stix_id": ident, "stix_type": "indicator",
                         "version": obj["modified"], "content": json.dumps(obj),
                         "owner": "delegation:KZ", "visibility": "members", "report_id": None,
                         "added_at": now, "added_by": "kz-rel"})
        with db.write_session(engine) as s:
            s.execute(insert(StixObjectRow), rows)
    yield World(url, tokens)
    drop_database(url)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with running_server(world.url, browser=False) as base:
        yield base


def _server(base: str, world: World, user: str) -> Server:
    return Server(f"{base}/taxii2/", user=user, password=world.tokens[user])


def test_collections_follow_the_callers_clearance(server: str, world: World) -> None:
    ru = _server(server, world, "ru-viewer")
    root = ru.default
    assert root is not None
    titles = {c.title for c in root.collections}
    assert {"Members", "Partners", "Observers", "Public"} <= titles
    uz = _server(server, world, "uz-viewer").default
    assert uz is not None
    assert {c.title for c in uz.collections} == {"Public"}  # suspended: public only


def test_a_client_pages_through_ten_thousand_objects(server: str, world: World) -> None:
    root = _server(server, world, "ru-viewer").default
    assert root is not None
    members = next(c for c in root.collections if c.title == "Members")
    seen: list[str] = []
    for envelope in as_pages(members.get_objects, per_request=1000):
        seen += [o["id"] for o in envelope.get("objects", [])]
    assert len(seen) >= MANY and len(set(seen)) == len(seen)
    manifest = members.get_manifest(limit=5)
    assert len(manifest["objects"]) == 5 and manifest["more"] is True


def test_a_client_adds_a_bundle_and_the_right_states_find_it(server: str,
                                                             world: World) -> None:
    root = _server(server, world, "kz-rel").default
    assert root is not None
    target = next(c for c in root.collections if c.title == "Members")
    assert target.can_write
    bundle = _foreign("TLP:AMBER")
    status = target.add_objects(json.dumps(bundle))
    assert status.status == "complete" and status.success_count == 3  # and the marking
    status.refresh()
    assert status.status == "complete"
    sent = {o["id"]: o.get("modified", o.get("created")) for o in bundle["objects"]}
    assert {d["id"]: d["version"] for d in status.successes} == sent  # TAXII 2.1, 4.3.1
    report_name = "Cell in the valley"
    headers = {"Authorization": f"Bearer {world.tokens['ru-viewer']}"}
    found = httpx.get(f"{server}/api/v1/reports", params={"q": "valley"}, headers=headers)
    assert [r["title"] for r in found.json()["reports"]] == [report_name]
    uz = {"Authorization": f"Bearer {world.tokens['uz-viewer']}"}
    assert httpx.get(f"{server}/api/v1/reports", params={"q": "valley"},
                     headers=uz).json()["reports"] == []


def test_wrong_media_types_and_credentials_are_taxii_errors(server: str, world: World) -> None:
    auth_ = (("ru-viewer", world.tokens["ru-viewer"]))
    base = f"{server}/taxii2/"
    wrong = httpx.get(base, auth=auth_, headers={"Accept": "application/json"})
    assert wrong.status_code == 406
    assert wrong.headers["content-type"].startswith("application/taxii+json")
    assert wrong.json()["http_status"] == "406"
    old = httpx.get(base, auth=auth_, headers={"Accept": "application/taxii+json;version=2.0"})
    assert old.status_code == 406
    nobody = httpx.get(base, headers={"Accept": "application/taxii+json;version=2.1"})
    assert nobody.status_code == 401 and "Basic" in nobody.headers["www-authenticate"]
    liar = httpx.get(base, auth=("kz-rel", world.tokens["ru-viewer"]),
                     headers={"Accept": "application/taxii+json;version=2.1"})
    assert liar.status_code == 401
    root = _server(server, world, "kz-rel").default
    assert root is not None
    col = next(c for c in root.collections if c.title == "Members")
    posted = httpx.post(f"{server}/taxii2/collsec/collections/{col.id}/objects/",
                        auth=("kz-rel", world.tokens["kz-rel"]), content=b"{}",
                        headers={"Accept": "application/taxii+json;version=2.1",
                                 "Content-Type": "application/json"})
    assert posted.status_code == 415
    bad = httpx.post(f"{server}/taxii2/collsec/collections/{col.id}/objects/",
                     auth=("kz-rel", world.tokens["kz-rel"]),
                     content=json.dumps({"objects": [{"type": "indicator", "id": "nope"}]}),
                     headers={"Accept": "application/taxii+json;version=2.1",
                              "Content-Type": "application/taxii+json;version=2.1"})
    assert bad.status_code == 422 and "its id must be" in bad.json()["description"]
    viewer = httpx.post(f"{server}/taxii2/collsec/collections/{col.id}/objects/",
                        auth=("ru-viewer", world.tokens["ru-viewer"]), content=b"{}",
                        headers={"Accept": "application/taxii+json;version=2.1",
                                 "Content-Type": "application/taxii+json;version=2.1"})
    assert viewer.status_code == 403
