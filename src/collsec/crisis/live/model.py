"""Live incident updates, pure: the announcement of a change, who may receive it, and
how it is written as a server-sent event.

An announcement names the journal entry of the change (`seq`), so its number is the
event id a reconnecting client sends back as `Last-Event-ID`: the journal is
hash-chained and gap-free in commit order, which makes it the event log too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from collsec.core.auth.model import Clearance, Marking, may_read

# The journal command of a change, and the kind of event it is announced as.
KINDS = {"crisis.report_incident": "reported", "crisis.advance_incident": "updated",
         "crisis.update_incident": "updated"}
RETRY_MS = 3000  # how long a browser waits before reconnecting a dropped stream

K = TypeVar("K")


@dataclass(frozen=True)
class Announcement:
    """One committed change of an incident, as it travels between server processes."""

    seq: int  # the journal entry's sequence number: the event id
    incident_id: int
    kind: str  # reported | updated
    at: float  # Unix time the server announced it (its commit, or just before it)

    def payload(self) -> str:
        return json.dumps({"seq": self.seq, "incident": self.incident_id, "kind": self.kind,
                           "at": self.at}, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> Announcement:
        """Read a payload back; anything else is a ValueError."""
        try:
            data = json.loads(text)
            out = cls(int(data["seq"]), int(data["incident"]), str(data["kind"]),
                      float(data["at"]))
        except (TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"not an incident announcement: {text[:80]!r}") from exc
        if out.kind not in KINDS.values():
            raise ValueError(f"unknown announcement kind {out.kind!r}")
        return out


def audience(mark: Marking, clearances: Mapping[K, Clearance]) -> list[K]:
    """The subscribers that may read an object marked `mark`: the same rule as a single
    read (`may_read`) and as `narrow` in SQL, so a stream never shows what a list hides."""
    return [key for key, c in clearances.items() if may_read(c, mark).allowed]


def last_event_id(text: str | None) -> int | None:
    """The `Last-Event-ID` a reconnecting client sent, when it is one of ours."""
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def retry() -> str:
    return f"retry: {RETRY_MS}\n\n"


def event(seq: int, name: str, data: str, *, note: str = "") -> str:
    """One event; `data` is one line of JSON (json.dumps escapes every newline). A `note`
    rides along as a comment line, which EventSource ignores."""
    head = f": {note}\n" if note else ""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"{head}id: {seq}\nevent: {name}\n{lines}\n"


def comment(text: str) -> str:
    """A line every client ignores: heartbeats, and the announcement time for measurements."""
    return "".join(f": {line}\n" for line in text.split("\n")) + "\n"
