"""The broker in this process, on the real database: announcements leave with the commit
and never with a rollback, whatever the engine (SQLite after-commit hook, PostgreSQL
NOTIFY); one that falls behind is cut off; stopping the server ends every stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable, Iterator

import pytest

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.crisis.incidents import service
from collsec.crisis.live import broker as live
from tests.conftest import make_user

TODAY = dt.date(2025, 6, 1)
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}


@pytest.fixture
def people(csto_db: str) -> Iterator[dict[str, tuple[auth.Actor, Clearance]]]:
    out = {}
    for code in ("KZ", "KG"):
        make_user(f"duty-{code.lower()}", f"delegation:{code}", ["duty_officer"])
        with db.read_session() as s:
            actor = auth.actor_for(auth.get_user(s, f"duty-{code.lower()}"), "api")
            out[code] = (actor, auth.clearance(s, actor, TODAY, "CSTO"))
    yield out
    live.shutdown()


def report(who: tuple[auth.Actor, Clearance], title: str, *, fail: bool = False) -> int:
    actor, c = who
    with db.write_session() as s:
        row = service.report_incident(
            s, c, actor, type="border_clash", severity=2, geometry=ALMATY, title=title,
            occurred_at=dt.datetime(2025, 5, 1, 10, tzinfo=dt.UTC), now=clock.now())
        if fail:
            raise RuntimeError("the caller fails after the write")
        return row.id


def deliveries() -> int:
    """Deliveries to Kyrgyzstan's duty officer so far (each is audited before it is queued)."""
    with db.read_session() as s:
        return len([a for a in auth.audit_entries(s, ADMIN, username="duty-kg", kind="read")
                    if "live stream" in a.detail])


ADMIN = Clearance("organ:SEC", "admin", frozenset({"public"}), frozenset({"read_audit"}))


def run(scenario: Callable[[asyncio.AbstractEventLoop], Awaitable[None]]) -> None:
    async def main() -> None:
        await scenario(asyncio.get_running_loop())

    asyncio.run(main())


def test_a_rolled_back_report_announces_nothing(
        people: dict[str, tuple[auth.Actor, Clearance]]) -> None:
    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        sub = await asyncio.to_thread(live.broker().subscribe, *people["KG"], loop)
        with pytest.raises(RuntimeError):
            await asyncio.to_thread(report, people["KZ"], "Rolled back", fail=True)
        kept = await asyncio.to_thread(report, people["KZ"], "Committed")
        item = await asyncio.wait_for(sub.queue.get(), 5)
        assert item is not None
        assert json.loads(item.data)["incident"]["id"] == kept
        await asyncio.sleep(0.3)  # anything else would have arrived by now
        assert sub.queue.empty()

    run(scenario)
    with db.read_session() as s:
        listed = service.list_incidents(s, people["KG"][1], now=dt.datetime.now(dt.UTC))
        assert [r.title for r in listed] == ["Committed"]


def test_nothing_is_announced_in_a_process_nobody_subscribed_in(
        people: dict[str, tuple[auth.Actor, Clearance]]) -> None:
    report(people["KZ"], "Before anyone listens")
    assert live.broker().subscribers == 0

    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        sub = await asyncio.to_thread(live.broker().subscribe, *people["KG"], loop)
        await asyncio.sleep(0.3)
        assert sub.queue.empty()  # the earlier report is not pushed to a later subscriber

    run(scenario)


def test_a_reader_that_falls_behind_is_cut_off(
        people: dict[str, tuple[auth.Actor, Clearance]]) -> None:
    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        sub = await asyncio.to_thread(functools.partial(
            live.broker().subscribe, *people["KG"], loop, backlog=2))
        for n in range(3):
            await asyncio.to_thread(report, people["KZ"], f"Flood {n}")
        deadline = loop.time() + 5
        while loop.time() < deadline and await asyncio.to_thread(deliveries) < 3:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the last hand-over runs on this loop
        # it is told (its stream sends `dropped`), then its stream ends; it reconnects
        assert [await sub.queue.get() for _ in range(sub.queue.qsize())] == [live.BEHIND, None]

    run(scenario)


def test_stopping_ends_every_stream(people: dict[str, tuple[auth.Actor, Clearance]]) -> None:
    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        subs = [await asyncio.to_thread(live.broker().subscribe, *people[c], loop)
                for c in ("KG", "KZ")]
        live.broker().close_all(closing=True)
        assert [await asyncio.wait_for(s.queue.get(), 5) for s in subs] == [None, None]
        late = await asyncio.to_thread(live.broker().subscribe, *people["KG"], loop)
        assert await asyncio.wait_for(late.queue.get(), 5) is None

    run(scenario)


def test_a_long_absence_replays_the_newest_events_in_order(
        people: dict[str, tuple[auth.Actor, Clearance]], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.setattr(live, "REPLAY_LIMIT", 2)
    ids = [report(people["KZ"], f"While away {n}") for n in range(3)]

    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        sub = await asyncio.to_thread(live.broker().subscribe, *people["KG"], loop)
        missed = await asyncio.to_thread(live.broker().replay, sub, (0, 0))
        assert [json.loads(d.data)["incident"]["id"] for d in missed] == ids[1:]
        assert missed[0].position < missed[1].position

    run(scenario)


def test_two_changes_of_one_transaction_are_two_events_a_stream_resumes_between(
        people: dict[str, tuple[auth.Actor, Clearance]]) -> None:
    actor, c = people["KZ"]
    with db.write_session() as s:  # one transaction, one journal entry, two live events
        ids = [service.report_incident(
            s, c, actor, type="border_clash", severity=2, geometry=ALMATY, title=title,
            occurred_at=dt.datetime(2025, 5, 1, 10, tzinfo=dt.UTC), now=clock.now()).id
            for title in ("North", "South")]

    async def scenario(loop: asyncio.AbstractEventLoop) -> None:
        sub = await asyncio.to_thread(live.broker().subscribe, *people["KG"], loop)
        both = await asyncio.to_thread(live.broker().replay, sub, (0, 0))
        assert [json.loads(d.data)["incident"]["id"] for d in both] == ids
        first, second = (d.position for d in both)
        assert first[0] == second[0] and first[1] < second[1]  # same entry, own places
        assert b"id: %d.%d\n" % second in both[1].wire
        rest = await asyncio.to_thread(live.broker().replay, sub, first)  # got the first
        assert [json.loads(d.data)["incident"]["id"] for d in rest] == ids[1:]
        assert await asyncio.to_thread(live.broker().replay, sub, second) == []

    run(scenario)
