"""Live incident updates over server-sent events, against the real server under uvicorn.

Duty officers of Kazakhstan, Kyrgyzstan and Russia, each with a stream open through a
real HTTP client: what one reports reaches the others within a second; an incident
released to Kyrgyzstan alone never reaches Russia, not even its id; a refused report
announces nothing; every delivery is audited; a reconnecting client gets what it missed;
a revoked token ends its stream. On PostgreSQL, two server processes share the work.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.crisis.live import broker as live
from tests.browser import running_server
from tests.conftest import (
    bearer,
    create_database,
    drop_database,
    on_postgresql,
    pointing_at,
    prepare,
)
from tests.streams import Reader

TODAY = "2025-06-01"
PASSWORD = "correct-horse-battery"
STREAM = "/api/v1/incidents/stream"
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
OSH = {"type": "Point", "coordinates": [72.8, 40.5]}
SERVER_ENV = {"COLLSEC_TODAY": TODAY, "COLLSEC_LIVE_HEARTBEAT": "0.5"}


# -- a database with duty officers, and the server --------------------------------------

@dataclass
class World:
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = create_database(tmp_path_factory.mktemp("live"))
    tokens: dict[str, str] = {}
    with pointing_at(url):
        prepare(url, load=True)
        engine = db.engine_for(url)
        users = [(f"duty-{c.lower()}", f"delegation:{c}", "duty_officer")
                 for c in ("KZ", "KG", "RU")] + [("admin-sec", "organ:SEC", "admin")]
        with db.write_session(engine) as s:
            for name, principal, role in users:
                auth.add_user(s, *auth.installer(), username=name, principal=principal,
                              roles=[role], now=clock.now(), password=PASSWORD)
        with db.write_session(engine) as s:
            for name, _, _ in users:
                tokens[name] = auth.create_token(s, *auth.installer(), username=name, name="live",
                                                 now=clock.now())[1]
    yield World(url, tokens)
    drop_database(url)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with running_server(world.url, browser=False, **SERVER_ENV) as base:
        yield base


def report(base: str, token: str, *, expect: int = 201, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "border_clash", "severity": 3,
                            "occurred_at": "2025-05-01T10:30:00+05:00", "geometry": ALMATY,
                            "title": "Shots at the border post", "released_to": []}
    body.update(overrides)
    r = httpx.post(f"{base}/api/v1/incidents", json=body, headers=bearer(token), timeout=30)
    assert r.status_code == expect, r.text
    return dict(r.json())


def sign_in(base: str, username: str) -> dict[str, str]:
    """A browser's session cookie, through the sign-in form (double-submit CSRF)."""
    csrf = "live-test-csrf-" + "x" * 32
    r = httpx.post(f"{base}/login", cookies={"collsec_csrf": csrf}, data={
        "username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"})
    assert r.status_code in (302, 303), r.text
    return {"collsec_session": r.cookies["collsec_session"]}


# -- the acceptance ----------------------------------------------------------------------

def test_a_report_reaches_another_delegation_within_a_second(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    ru = readers(server, cookies=sign_in(server, "duty-ru"))  # a browser's EventSource
    assert (kg.status, ru.status) == (200, 200)
    assert kg.content_type.startswith("text/event-stream")
    assert kg.lines[0] == "retry: 3000"

    sent = time.monotonic()
    created = report(server, world.tokens["duty-kz"], title="Report across delegations")
    for reader in (kg, ru):
        e = reader.wait_for(created["id"], timeout=1.0)
        assert e["arrived"] - sent < 1.0
        assert e["event"] == "incident" and re.fullmatch(r"\d+\.\d+", e["id"])
        assert e["data"]["kind"] == "reported"
    listed = httpx.get(f"{server}/api/v1/incidents", headers=bearer(world.tokens["duty-kg"])
                       ).json()["incidents"]
    assert kg.wait_for(created["id"])["data"]["incident"] == next(
        i for i in listed if i["id"] == created["id"])  # the same shape as the list


def test_a_restricted_incident_reaches_kyrgyzstan_and_never_russia(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    ru = readers(server, headers=bearer(world.tokens["duty-ru"]))
    secret = report(server, world.tokens["duty-kz"], geometry=OSH,
                    title="For Bishkek only: crossing near Osh",
                    released_to=["delegation:KG"])
    got = kg.wait_for(secret["id"])
    assert got["data"]["incident"]["released_to"] == ["delegation:KG"]
    assert got["data"]["incident"]["visibility"] == "restricted"

    later = report(server, world.tokens["duty-kz"], title="Members may know this")
    ru.wait_for(later["id"])  # Russia's stream went past the restricted incident
    kg.wait_for(later["id"])
    assert secret["id"] not in ru.incidents()
    assert not any("For Bishkek only" in line or f'"id":{secret["id"]},' in line
                   for line in ru.lines)
    assert ru.incidents().index(later["id"]) == len(ru.incidents()) - 1
    assert place(kg.events[-2]) < place(kg.events[-1])  # ids grow with the journal


def place(e: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(n) for n in e["id"].split("."))


def test_a_reconnecting_stream_gets_what_it_missed_and_nothing_twice(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    seen = report(server, world.tokens["duty-kz"], title="Seen before the drop")
    last = kg.wait_for(seen["id"])["id"]
    kg.close()
    missed = [report(server, world.tokens["duty-kz"], title=f"Missed {n}")["id"]
              for n in range(2)]
    back = readers(server, headers={**bearer(world.tokens["duty-kg"]), "Last-Event-ID": last})
    for incident in missed:
        back.wait_for(incident)
    assert seen["id"] not in back.incidents()
    assert back.incidents()[:2] == missed  # replayed in journal order, before anything live
    assert place(back.events[0]) > tuple(int(n) for n in last.split("."))


def test_a_refused_report_announces_nothing(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    report(server, world.tokens["duty-kz"], expect=422,
           geometry={"type": "Point", "coordinates": [76.0, 95.0]})
    report(server, world.tokens["duty-kz"], expect=404, released_to=["delegation:XX"])
    report(server, world.tokens["admin-sec"], expect=403)  # no crisis centre
    good = report(server, world.tokens["duty-kz"], title="After three refusals")
    kg.wait_for(good["id"])
    assert kg.incidents() == [good["id"]]


def test_every_delivery_is_audited(server: str, world: World,
                                   readers: Callable[..., Reader]) -> None:
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    ru = readers(server, headers=bearer(world.tokens["duty-ru"]))
    secret = report(server, world.tokens["duty-kz"], released_to=["delegation:KG"],
                    title="Audited delivery")
    kg.wait_for(secret["id"])
    flag = report(server, world.tokens["duty-kz"], title="Everyone's delivery")
    ru.wait_for(flag["id"])
    kg.wait_for(flag["id"])

    def audited(incident_id: int) -> set[tuple[str, str, str]]:
        entries = httpx.get(f"{server}/api/v1/audit", headers=bearer(world.tokens["admin-sec"]),
                            params={"object": f"incident:{incident_id}", "kind": "read"}
                            ).json()["entries"]
        return {(a["username"], a["principal"], a["detail"]) for a in entries
                if "live stream" in a["detail"]}

    assert audited(secret["id"]) == {("duty-kg", "delegation:KG",
                                      "marked restricted; live stream")}
    assert {u for u, _, _ in audited(flag["id"])} >= {"duty-kg", "duty-ru"}


def test_a_status_change_is_announced_as_an_update(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    created = report(server, world.tokens["duty-kz"], title="To be assessed")
    ru = readers(server, headers=bearer(world.tokens["duty-ru"]))
    r = httpx.post(f"{server}/api/v1/incidents/{created['id']}/status",
                   headers=bearer(world.tokens["duty-kz"]), json={"status": "assessed"})
    assert r.status_code == 200, r.text
    e = ru.wait_for(created["id"])
    assert (e["data"]["kind"], e["data"]["incident"]["status"]) == ("updated", "assessed")


def test_a_follow_up_reaches_its_readers_with_the_new_severity_and_no_one_else(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    secret = report(server, world.tokens["duty-kz"], title="Follow-up for Bishkek",
                    geometry=OSH, released_to=["delegation:KG"])
    kg = readers(server, headers=bearer(world.tokens["duty-kg"]))
    ru = readers(server, headers=bearer(world.tokens["duty-ru"]))
    r = httpx.post(f"{server}/api/v1/incidents/{secret['id']}/updates",
                   headers=bearer(world.tokens["duty-kz"]),
                   json={"note": "the crowd has moved to the square", "severity": 4})
    assert r.status_code == 200, r.text
    e = kg.wait_for(secret["id"])
    assert (e["data"]["kind"], e["data"]["incident"]["severity"]) == ("updated", 4)
    later = report(server, world.tokens["duty-kz"], title="After the follow-up")
    ru.wait_for(later["id"])  # Russia's stream went past the follow-up
    assert secret["id"] not in ru.incidents()
    assert not any("Follow-up for Bishkek" in line for line in ru.lines)


def test_a_reconnecting_client_gets_what_it_missed_and_only_what_it_may_read(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    kz = readers(server, headers=bearer(world.tokens["duty-kz"]))
    first = report(server, world.tokens["duty-kz"], title="Missed one")
    hidden = report(server, world.tokens["duty-kz"], released_to=["delegation:KG"],
                    title="Missed, and not Russia's")
    last = report(server, world.tokens["duty-kz"], title="Missed two")
    # a bare entry number, as ids of earlier releases read: the entry before the first
    since = place(kz.wait_for(first["id"]))[0] - 1
    kz.wait_for(last["id"])

    ru = readers(server, headers={**bearer(world.tokens["duty-ru"]),
                                  "Last-Event-ID": str(since)})
    ru.wait_for(last["id"])
    assert ru.incidents()[:2] == [first["id"], last["id"]]
    assert hidden["id"] not in ru.incidents()
    kg = readers(server, headers={**bearer(world.tokens["duty-kg"]),
                                  "Last-Event-ID": str(since)})
    kg.wait_for(last["id"])
    assert kg.incidents()[:3] == [first["id"], hidden["id"], last["id"]]


def test_a_revoked_token_ends_its_stream(server: str, world: World,
                                         readers: Callable[..., Reader]) -> None:
    made = httpx.post(f"{server}/api/v1/me/tokens", headers=bearer(world.tokens["duty-ru"]),
                      json={"name": "short-lived"}).json()
    reader = readers(server, headers=bearer(made["token"]))
    time.sleep(1.2)  # heartbeats pass while the token holds
    assert not reader.ended.is_set()
    assert any(line == ": heartbeat" for line in reader.lines)
    gone = httpx.delete(f"{server}/api/v1/me/tokens/{made['id']}",
                        headers=bearer(world.tokens["duty-ru"]))
    assert gone.status_code == 200, gone.text
    assert reader.ended.wait(5), "the stream outlived its token"
    assert any(line.startswith(": stream ended") for line in reader.lines)


def test_the_stream_is_not_for_anonymous_readers(server: str) -> None:
    r = httpx.get(f"{server}{STREAM}")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


# -- a stream that tells its reader it is late, or too slow ----------------------------

def test_a_late_stream_says_delayed_and_a_slow_reader_is_told_and_dropped(
        world: World, readers: Callable[..., Reader]) -> None:
    # every event counts as late (no lag is 0 s), and two queued events are too many
    with running_server(world.url, browser=False, COLLSEC_LIVE_DELAYED="0",
                        COLLSEC_LIVE_BACKLOG="2", **SERVER_ENV) as strict:
        kg = readers(strict, headers=bearer(world.tokens["duty-kg"]))
        first = report(strict, world.tokens["duty-kz"], title="Late but here")
        got = kg.wait_for(first["id"])
        (name, data), = kg.signals()
        assert name == "delayed" and isinstance(data["lag_ms"], int) and data["lag_ms"] >= 0
        assert kg.events.index(got) == 1 and "id" not in kg.events[0]  # said before the event
        # one command announces three incidents: one round, more than the reader may queue
        r = httpx.post(f"{strict}/api/v1/incidents/import", headers=bearer(
            world.tokens["duty-kz"]), json={"reports": [
                {"type": "border_clash", "severity": 2, "occurred_at": "2025-05-02T10:30:00Z",
                 "geometry": OSH, "title": f"Flood {n}", "released_to": []}
                for n in range(3)]}, timeout=30)
        assert r.status_code == 201, r.text
        assert kg.ended.wait(5), "the slow reader's stream was not ended"
        assert kg.signals()[-1] == ("dropped", {"reason": "behind", "after": got["id"]})
        assert kg.incidents() == [first["id"]]  # nothing of the round it could not hold
        back = readers(strict, headers={**bearer(world.tokens["duty-kg"]),
                                        "Last-Event-ID": got["id"]})
        for incident in r.json()["ids"]:  # reconnected, it misses nothing
            back.wait_for(incident)
        assert back.incidents() == r.json()["ids"]


# -- several server processes ------------------------------------------------------------

def test_a_report_through_one_process_reaches_a_subscriber_of_another(
        server: str, world: World, readers: Callable[..., Reader]) -> None:
    # PostgreSQL notifies every process at commit; on SQLite the other process finds the
    # change when it next reads the journal, within POLL_SECONDS.
    limit = 1.0 if on_postgresql() else 1.0 + live.POLL_SECONDS
    with running_server(world.url, browser=False, **SERVER_ENV) as second:
        kg = readers(second, headers=bearer(world.tokens["duty-kg"]))
        ru = readers(second, headers=bearer(world.tokens["duty-ru"]))
        secret = report(server, world.tokens["duty-kz"], released_to=["delegation:KG"],
                        title="Across processes, for Kyrgyzstan")
        sent = time.monotonic()
        public = report(server, world.tokens["duty-kz"], title="Across processes")
        assert kg.wait_for(public["id"], timeout=limit)["arrived"] - sent < limit
        ru.wait_for(public["id"], timeout=limit)
        kg.wait_for(secret["id"])
        assert secret["id"] not in ru.incidents()
