"""Times as the platform takes them in: zoned, kept in UTC, and a date meaning its whole
UTC day. Pure: no clock is read here (see core/clock.py)."""

from __future__ import annotations

import datetime as dt

from collsec.core.errors import InvalidInput

# The times the platform takes: a day's margin inside Python's calendar at each end, so a
# time zone's shift or a window of a day or a week never leaves it.
EARLIEST = dt.datetime(1, 1, 8, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 24, tzinfo=dt.UTC)


def stored(value: dt.datetime) -> dt.datetime:
    """A time as the database gives it back, with its zone: SQLite returns it naive, and
    every time collsec stores is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def utc(value: dt.datetime, field: str = "time") -> dt.datetime:
    """A zoned time in UTC; a naive one is refused (whose clock would it be?), and so is
    one outside EARLIEST..LATEST."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("{field} {value} must carry a time zone "
                           "(for example 2025-05-01T10:30:00+05:00 or ...Z)",
                           field=field, value=value.isoformat())
    try:
        moment = value.astimezone(dt.UTC)
    except OverflowError:
        moment = EARLIEST - dt.timedelta(1) if value.year < 5000 else LATEST + dt.timedelta(1)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInput("{field} {value} is outside the times this platform "
                           "takes ({earliest} to {latest})", field=field,
                           value=value.isoformat(), earliest=EARLIEST.date(),
                           latest=LATEST.date())
    return moment


def parse_time(text: str | None, field: str, *, end_of_day: bool = False,
               naive_is_utc: bool = False) -> dt.datetime | None:
    """An ISO time with its zone, or a date (taken as the whole UTC day). `naive_is_utc`
    takes a time without a zone as UTC: a browser's `datetime-local` value, on a form that
    says so; the API refuses such a time."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            clock = dt.time.max.replace(microsecond=0) if end_of_day else dt.time.min
            return dt.datetime.combine(day, clock, tzinfo=dt.UTC)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("{field} '{value}' is not an ISO date or time "
                           "(2025-05-01 or 2025-05-01T10:30:00+05:00)",
                           field=field, value=value[:40]) from None
    if naive_is_utc and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return utc(parsed, field)
