"""The clock, read only at the edges (services and interfaces) and passed inward."""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """Today's date; COLLSEC_TODAY pins it (demos, reproducible tests)."""
    pinned = os.environ.get("COLLSEC_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
