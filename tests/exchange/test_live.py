"""The live stream of reports over server-sent events, against the real server under
uvicorn: Belarus's service releases a report to Kazakhstan and Russia while readers of
Kazakhstan, Russia and Armenia keep a stream open. Armenia never hears of it; Kazakhstan
reads it; after the narrowing to Russia, Russia hears the narrowing and Kazakhstan the
withdrawal, on the live stream and on a stream that replays from the start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from tests.browser import running_server
from tests.conftest import bearer, create_database, drop_database, pointing_at, prepare
from tests.streams import Reader

STREAM = "/api/v1/report-stream"
PEOPLE = {"by-ana": ("delegation:BY", "reporting_analyst"),
          "by-vera": ("delegation:BY", "verifier"),
          "by-rel": ("delegation:BY", "releasing_officer"),
          "kz": ("delegation:KZ", "viewer"), "ru": ("delegation:RU", "viewer"),
          "am": ("delegation:AM", "viewer"), "sec": ("organ:SEC", "admin")}


@dataclass
class World:
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = create_database(tmp_path_factory.mktemp("report-stream"))
    tokens: dict[str, str] = {}
    with pointing_at(url):
        prepare(url, load=True)
        engine = db.engine_for(url)
        with db.write_session(engine) as s:
            for name, (principal, role) in PEOPLE.items():
                auth.add_user(s, *auth.installer(), username=name, principal=principal,
                              roles=[role], now=clock.now(), password="correct-horse-battery")
        with db.write_session(engine) as s:
            for name in PEOPLE:
                tokens[name] = auth.create_token(s, *auth.installer(), username=name,
                                                 name="live", now=clock.now())[1]
    yield World(url, tokens)
    drop_database(url)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with running_server(world.url, browser=False, COLLSEC_TODAY="2025-06-01",
                        COLLSEC_LIVE_HEARTBEAT="0.5") as base:
        yield base


def call(base: str, world: World, who: str, method: str, path: str,
         body: dict[str, Any] | None = None, expect: int = 200) -> dict[str, Any]:
    r = httpx.request(method, f"{base}/api/v1{path}", json=body if body is not None else {},
                      headers=bearer(world.tokens[who]), timeout=30)
    assert r.status_code == expect, r.text
    return dict(r.json())


def released(base: str, world: World, title: str, states: list[str]) -> int:
    rid = int(call(base, world, "by-ana", "POST", "/reports", {
        "title": title, "body": "Two channels.", "tlp": "AMBER",
        "releasability": {"scope": "states", "states": states}}, expect=201)["id"])
    call(base, world, "by-ana", "POST", f"/reports/{rid}/submit")
    call(base, world, "by-vera", "POST", f"/reports/{rid}/verify")
    call(base, world, "by-rel", "POST", f"/reports/{rid}/release")
    return rid


def kinds(reader: Reader, rid: int) -> list[str]:
    return [e["data"]["kind"] for e in reader.events
            if e["event"] == "report" and e["data"]["report"]["id"] == rid]


def test_a_report_reaches_its_states_only_and_a_narrowing_is_a_withdrawal_to_its_reader(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    streams = {who: readers(server, path=STREAM, headers=bearer(world.tokens[who]))
               for who in ("kz", "ru", "am")}
    assert all(r.status == 200 and r.content_type.startswith("text/event-stream")
               for r in streams.values())
    rid = released(server, world, "Recruiters near Osh", ["KZ", "RU"])
    got = streams["ru"].wait_for(rid, topic="report", kind="released")
    assert got["data"]["report"]["title"] == "Recruiters near Osh"
    assert got["data"]["report"]["originator"] == "delegation:BY"
    streams["kz"].wait_for(rid, topic="report", kind="released")
    call(server, world, "kz", "GET", f"/reports/{rid}")  # Kazakhstan reads it

    changed = call(server, world, "by-rel", "PUT", f"/reports/{rid}/releasability",
                   {"scope": "states", "states": ["RU"], "note": "source at risk"})
    assert changed["withdrawn_from"] == ["delegation:KZ"]
    streams["ru"].wait_for(rid, topic="report", kind="narrowed")
    notice = streams["kz"].wait_for(rid, topic="report", kind="withdrawn")
    assert notice["data"]["withdrawal"]["principal"] == "delegation:KZ"
    assert notice["data"]["withdrawal"]["note"] == "source at risk"
    assert "title" not in notice["data"]["report"]  # the notice, never the report
    # a later report reaches Armenia's stream, so anything about the first would have too
    later = released(server, world, "For Armenia", ["AM"])
    streams["am"].wait_for(later, topic="report", kind="released")
    assert kinds(streams["am"], rid) == []
    assert kinds(streams["kz"], rid) == ["released", "withdrawn"]
    assert kinds(streams["ru"], rid) == ["released", "narrowed"]

    # replayed from the start, the journal tells each what it may know today
    again = {who: readers(server, path=STREAM, headers={**bearer(world.tokens[who]),
                                                         "Last-Event-ID": "0"})
             for who in ("kz", "ru", "am")}
    again["am"].wait_for(later, topic="report")
    again["ru"].wait_for(rid, topic="report", kind="narrowed")
    again["kz"].wait_for(rid, topic="report", kind="withdrawn")
    assert kinds(again["kz"], rid) == ["withdrawn"]  # the release is no longer its to see
    assert kinds(again["am"], rid) == []

    # every delivery of the report itself is audited as a read, none of the notices
    audit = httpx.get(f"{server}/api/v1/audit", headers=bearer(world.tokens["sec"]),
                      params={"object": f"report:{rid}", "kind": "read"}).json()
    streamed = [(a["principal"], a["detail"]) for a in audit["entries"]
                if "live stream" in a["detail"]]
    assert {p for p, _ in streamed} == {"delegation:KZ", "delegation:RU"}
    assert sum(p == "delegation:KZ" for p, _ in streamed) == 1  # the release, live


def test_the_stream_is_not_for_anonymous_readers(server: str) -> None:
    r = httpx.get(f"{server}{STREAM}")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
