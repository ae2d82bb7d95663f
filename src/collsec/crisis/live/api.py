"""The live situation picture: incidents as server-sent events, narrowed per subscriber
(`stream` serves every other topic's stream the same way: reports, in `exchange.api`).

`GET /api/v1/incidents/stream` sends `retry: 3000`, then one `event: incident` per
reported or updated incident the caller may read (`id:` is `seq.index`, the journal
entry and the event's place in it, so a client reconnecting with `Last-Event-ID` gets
what it missed), and a comment every heartbeat. At each heartbeat the caller's
session or token is checked again and its clearance recomputed; the stream ends when
either no longer holds. No database session stays open while the stream waits.

The stream also speaks of itself, in events without an id: `delayed` when events reach
it more than COLLSEC_LIVE_DELAYED seconds after their commit (or wait that long in the
broker), `live` when they are on time again, and `dropped` just before the server ends a
stream whose reader fell too far behind (the client reconnects with Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from collsec.core import settings
from collsec.core.errors import CollsecError
from collsec.crisis.live import broker as live
from collsec.crisis.live import model as fanout
from collsec.web.access import Guard, Requires

router = APIRouter(prefix="/api/v1", tags=["crisis"], lifespan=live.lifespan)
READ = Requires("read")


@router.get("/incidents/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "server-sent events"}})
async def incident_stream(request: Request, guard: Guard = Depends(READ),
                          last_event_id: str | None = Header(None, max_length=40)
                          ) -> StreamingResponse:
    """Incidents the caller may read as they are reported or updated (server-sent events)."""
    return stream(request, guard, last_event_id, fanout.TOPIC)


def stream(request: Request, guard: Guard, last_event_id: str | None, topic: str
           ) -> StreamingResponse:
    """The server-sent events of one topic (incidents, reports, ...) for this caller."""
    return StreamingResponse(
        _events(request, guard, fanout.last_event_id(last_event_id), topic),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}}


async def _events(request: Request, guard: Guard, after: fanout.Position | None,
                  topic: str) -> AsyncIterator[str | bytes]:
    conf = settings.load()
    loop = asyncio.get_running_loop()
    broker = live.broker()
    sub = await asyncio.to_thread(broker.subscribe, guard.actor, guard.clearance, loop,
                                backlog=conf.live_backlog, topic=topic)
    try:
        yield fanout.retry()
        sent: fanout.Position = (0, -1)
        shown = "live"  # what the reader was last told about the stream's timeliness
        if after is not None:
            for missed in await asyncio.to_thread(broker.replay, sub, after):
                sent = missed.position
                yield missed.wire
        deadline = loop.time() + conf.live_max_stream
        beat = loop.time() + conf.live_heartbeat
        while loop.time() < deadline:  # then the client reconnects, with Last-Event-ID
            wait = max(0.0, min(beat, deadline) - loop.time())
            try:
                items = [await asyncio.wait_for(sub.queue.get(), wait)]
            except TimeoutError:
                items = []
            while not sub.queue.empty():  # what came meanwhile goes out in one write
                items.append(sub.queue.get_nowait())
            # a replayed event may come again live: each goes out once
            out = [d for d in items if d is not None and d is not live.BEHIND
                   and d.position > sent]
            if out:
                state = fanout.timeliness(time.time() - out[0].at, conf.live_delayed)
                if state != shown:
                    shown = state
                    yield fanout.signal(state, {"lag_ms": round((time.time() - out[0].at)
                                                                * 1000)})
                sent = out[-1].position
                yield b"".join(d.wire for d in out)
            if live.BEHIND in items:  # told, then cut off: the client reconnects and replays
                yield fanout.signal("dropped", {"reason": "behind", "after": fanout.event_id(
                    sent) if sent[1] >= 0 else None})
                return
            if None in items:
                return  # the server stops
            if loop.time() >= beat:
                try:  # is the session or token still good, and what may it read today?
                    fresh = await asyncio.to_thread(READ, request)
                except CollsecError as exc:
                    yield fanout.comment(f"stream ended: {exc.detail}")
                    return
                sub.clearance = fresh.clearance
                beat = loop.time() + conf.live_heartbeat
                lag = broker.lag()  # events may be waiting in the broker, not in this queue
                state = fanout.timeliness(lag, conf.live_delayed)
                if state != shown:
                    shown = state
                    yield fanout.signal(state, {"lag_ms": round(lag * 1000)})
                yield fanout.comment("heartbeat")
    finally:
        broker.unsubscribe(sub)
