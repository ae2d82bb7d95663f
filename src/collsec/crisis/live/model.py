"""Live updates, pure: the announcement of a change, who may receive it, and how it is
written as a server-sent event.

An announcement names the journal entry of the change (`seq`) and its place among
that entry's events (`index`: one command may change several objects, as an
escalation does); `seq.index` is the event id a reconnecting client sends back as
`Last-Event-ID`. The journal is hash-chained and gap-free in commit order, which
makes it the event log too.

Each kind of object that streams is a topic with the kinds of event it has: incidents
here, and every feature package that announces registers its own (`register`), so one
broker and one wire format serve every stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from collsec.core.auth.model import Clearance, Marking, may_read

TOPIC = "incident"  # the incidents' live events (`collsec.core.commands`)
EVENT_KINDS = ("reported", "updated")
# topic -> the kinds of event it has; a topic not named here is not streamed
KINDS: dict[str, tuple[str, ...]] = {TOPIC: EVENT_KINDS}
# Entries journaled before the entries listed their live events (migration 0012): the
# command of such an entry, and the kind of event it is replayed as.
OLD_KINDS = {"crisis.report_incident": "reported", "crisis.advance_incident": "updated",
             "crisis.update_incident": "updated"}
RETRY_MS = 3000  # how long a browser waits before reconnecting a dropped stream

K = TypeVar("K")
Position = tuple[int, int]  # (journal seq, index among its events): the order of events


def register(topic: str, kinds: tuple[str, ...]) -> None:
    """Stream the events of `topic` (a feature package's objects), of these kinds."""
    KINDS[topic] = kinds


@dataclass(frozen=True)
class Announcement:
    """One committed change of an object, as it travels between server processes."""

    seq: int  # the journal entry's sequence number
    index: int  # its place among the entry's live events (all topics counted)
    object_id: int
    kind: str  # reported | updated, or a kind of the topic's (`KINDS`)
    at: float  # Unix time the server announced it (its commit, or just before it)
    topic: str = TOPIC

    @classmethod
    def parse(cls, text: str) -> Announcement | None:
        """Read a NOTIFY payload of the unit of work (`LiveEvent.payload`); None for an
        event of a topic nobody streams, a ValueError for anything that is not an event."""
        try:
            data = json.loads(text)
            topic = data["topic"]
            if topic not in KINDS:
                return None
            out = cls(int(data["seq"]), int(data.get("index", 0)), int(data["id"]),
                      str(data["kind"]), float(data["at"]), str(topic))
        except (TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"not an announcement: {text[:80]!r}") from exc
        if out.kind not in KINDS[out.topic]:
            raise ValueError(f"unknown announcement kind {out.kind!r}")
        return out

    @property
    def position(self) -> Position:
        return (self.seq, self.index)


def from_entry(seq: int, command: str, payload: str, at: float) -> list[Announcement]:
    """The streamed events a journal entry lists (`live` in its payload), or for an entry
    older than that list, the incident event its command stood for."""
    data = json.loads(payload)
    if isinstance(data, dict) and "live" in data:
        return [Announcement(seq, n, int(e["id"]), str(e["kind"]), at, str(e["topic"]))
                for n, e in enumerate(data["live"]) if e.get("topic") in KINDS]
    kind = OLD_KINDS.get(command)
    return [Announcement(seq, 0, int(data["id"]), kind, at)] if kind else []


def audience(mark: Marking, clearances: Mapping[K, Clearance]) -> list[K]:
    """The subscribers that may read an object marked `mark`: the same rule as a single
    read (`may_read`) and as `narrow` in SQL, so a stream never shows what a list hides."""
    return [key for key, c in clearances.items() if may_read(c, mark).allowed]


def told_of_withdrawal(mark: Marking, notices: Mapping[str, str],
                       clearances: Mapping[K, Clearance]) -> list[tuple[K, str]]:
    """The subscribers an object was withdrawn from who are told so instead: their principal
    is named in `notices` (it had read the object) and may read it no more."""
    return [(key, notices[c.principal]) for key, c in clearances.items()
            if c.principal is not None and c.principal in notices
            and not may_read(c, mark).allowed]


def last_event_id(text: str | None) -> Position | None:
    """The `Last-Event-ID` a reconnecting client sent, when it is one of ours: `seq.index`,
    or a bare `seq` (the ids of earlier releases, which named the entry's first event)."""
    if text is None:
        return None
    seq, dot, index = text.strip().partition(".")
    if not (seq.isascii() and seq.isdigit()) or (dot and not (index.isascii()
                                                               and index.isdigit())):
        return None
    return (int(seq), int(index) if dot else 0)


def event_id(position: Position) -> str:
    return f"{position[0]}.{position[1]}"


def retry() -> str:
    return f"retry: {RETRY_MS}\n\n"


def event(position: Position, name: str, data: str, *, note: str = "") -> str:
    """One event; `data` is one line of JSON (json.dumps escapes every newline). A `note`
    rides along as a comment line, which EventSource ignores."""
    head = f": {note}\n" if note else ""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"{head}id: {event_id(position)}\nevent: {name}\n{lines}\n"


def timeliness(lag: float, limit: float) -> str:
    """`delayed` when events reach a stream more than `limit` seconds after their commit,
    else `live`: what the page's indicator shows."""
    return "delayed" if lag > limit else "live"


def signal(name: str, data: Mapping[str, object]) -> str:
    """An event about the stream itself (`delayed`, `live`, `dropped`): no id, so a client's
    Last-Event-ID stays the last object event it received."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def comment(text: str) -> str:
    """A line every client ignores: heartbeats, and the announcement time for measurements."""
    return "".join(f": {line}\n" for line in text.split("\n")) + "\n"
