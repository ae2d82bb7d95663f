"""A server-sent events reader for the tests of live streams (incidents, reports): one
open stream read line by line in its own thread, as a browser would."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

# -- a stream reader ----------------------------------------------------------------------

@dataclass
class Reader:
    """One open stream, read line by line in its own thread, as a browser would."""

    base: str
    path: str = "/api/v1/incidents/stream"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    status: int = 0
    content_type: str = ""
    subscribed: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Reader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.subscribed.wait(10) or self.ended.is_set(), "the stream did not open"
        return self

    def _run(self) -> None:
        try:
            with httpx.Client(base_url=self.base, cookies=self.cookies,
                              timeout=httpx.Timeout(10, read=30)) as client, \
                    client.stream("GET", self.path, headers=self.headers) as r:
                self.status, self.content_type = r.status_code, r.headers["content-type"]
                block: dict[str, str] = {}
                for line in r.iter_lines():
                    self.lines.append(line)
                    if line.startswith("retry:"):
                        self.subscribed.set()  # the server subscribes before this line
                    elif line == "" and "event" in block:
                        self.events.append({**block, "data": json.loads(block["data"]),
                                            "arrived": time.monotonic()})
                        block = {}
                    elif line and not line.startswith(":"):
                        name, _, value = line.partition(": ")
                        block[name] = value
                    if self.stop.is_set():
                        return
        finally:
            self.ended.set()

    def incidents(self, topic: str = "incident") -> list[int]:
        """The ids of the objects (incidents, or reports) the stream brought, in order."""
        return [e["data"][topic]["id"] for e in self.events if e["event"] == topic]

    def signals(self, topic: str = "incident") -> list[tuple[str, dict[str, Any]]]:
        """What the stream said of itself (`delayed`, `live`, `dropped`): events without id."""
        return [(e["event"], e["data"]) for e in self.events if e["event"] != topic]

    def wait_for(self, incident_id: int, timeout: float = 5.0, *, topic: str = "incident",
                 kind: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if e["event"] == topic and e["data"][topic]["id"] == incident_id and (
                        kind is None or e["data"]["kind"] == kind):
                    return e
            time.sleep(0.01)
        raise AssertionError(f"{topic} {incident_id} did not arrive; got "
                             f"{self.incidents(topic)}")

    def close(self) -> None:
        self.stop.set()  # the next heartbeat line ends the reading thread


@pytest.fixture
def readers() -> Iterator[Callable[..., Reader]]:
    opened: list[Reader] = []

    def open_reader(base: str, **kwargs: Any) -> Reader:
        reader = Reader(base, **kwargs).start()
        opened.append(reader)
        return reader

    yield open_reader
    for r in opened:
        r.close()
    for r in opened:
        r.ended.wait(5)
