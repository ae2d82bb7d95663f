"""Keyset cursors: a page ends at the keys of its last row (an id; a date and an id), and
the next page starts after them. Sent to clients as opaque text, so a client passes back
what it was given and never builds one (the order may gain keys later without breaking
them); a cursor of another list, or forged, is refused naming the field."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import and_, or_

from collsec.core.errors import InvalidInput

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
_REFUSED = "cursor: not one this API gave (pass back the `next_cursor` of the page before)"


def cursor(kind: str, *keys: object) -> str:
    """The cursor of a page of `kind` whose last row has these keys."""
    text = "|".join([kind, *(str(k) for k in keys)])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _keys(kind: str, text: str, count: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_REFUSED) from None
    parts = raw.split("|")
    if parts[0] != kind or len(parts) != count + 1:
        raise InvalidInput(_REFUSED)
    return parts[1:]


def _id(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(_REFUSED)
    return int(text)


def below(kind: str, text: str) -> int:
    """The id a cursor of `kind` names: the next page holds the ids below it."""
    return _id(_keys(kind, text, 1)[0])


def after_dated(kind: str, text: str) -> tuple[dt.date, int]:
    """The (date, id) a cursor of `kind` names, for a list newest date first."""
    day, number = _keys(kind, text, 2)
    try:
        return dt.date.fromisoformat(day), _id(number)
    except ValueError:
        raise InvalidInput(_REFUSED) from None


def after_keyed(kind: str, text: str, count: int) -> tuple[str | int, ...]:
    """The keys a cursor of `kind` names, for a list ordered by `count - 1` text columns
    then the id (the contingents: force, state, id)."""
    keys = _keys(kind, text, count)
    return (*keys[:-1], _id(keys[-1]))


def after_numbered(kind: str, text: str) -> tuple[int, int]:
    """The (number, id) a cursor of `kind` names, for a list the highest number first
    (an operation's stages: year, id)."""
    number, last = _keys(kind, text, 2)
    if not number.lstrip("-").isdigit() or abs(int(number)) > MAX_ID:
        raise InvalidInput(_REFUSED)
    return int(number), _id(last)


def after_timed(kind: str, text: str) -> tuple[dt.datetime, int]:
    """The (zoned time, rank) a cursor of `kind` names, for a list oldest first in which
    several rows may share an instant (a mission's timeline)."""
    at, rank = _keys(kind, text, 2)
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise InvalidInput(_REFUSED) from None
    if when.tzinfo is None or not rank.isdigit() or int(rank) > MAX_ID:
        raise InvalidInput(_REFUSED)
    return when, int(rank)


def newest_first(stmt: Any, day: Any, key: Any, *, limit: int | None,
                 after: tuple[dt.date, int] | None, ids_descending: bool = True) -> Any:
    """`stmt` ordered by the date column `day` (newest first), then the id column `key`,
    from the row after `after` (a page's last date and id), `limit` rows at most."""
    if after is not None:
        last_day, last_id = after
        beyond = key < last_id if ids_descending else key > last_id
        stmt = stmt.where(or_(day < last_day, and_(day == last_day, beyond)))
    stmt = stmt.order_by(day.desc(), key.desc() if ids_descending else key)
    return stmt if limit is None else stmt.limit(limit)


def page_of(rows: list[Any], limit: int, kind: str, day: str = "date") -> str | None:
    """The cursor of the page after `rows` (fetched with `limit + 1`), None on the last."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return cursor(kind, getattr(last, day).isoformat(), last.id)
