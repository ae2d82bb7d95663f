"""Parsing of ISO 8601 dates as users type them; the one place a date string becomes a date."""

from __future__ import annotations

import datetime as dt

from collsec.core.errors import InvalidDate


def parse_date(text: str | None, *, field: str = "date") -> dt.date | None:
    """Turn 'YYYY-MM-DD' into a date; None stays None; anything else is InvalidDate."""
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDate(
            "{field}: '{text}' is not a valid date; use YYYY-MM-DD, e.g. 2024-01-31",
            field=field, text=text) from None
