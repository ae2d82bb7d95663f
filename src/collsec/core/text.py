"""Text as every table stores it: no NUL, no text longer than its column, and in a
one-line field (a `String` column: a title, a name, a city) none of the bidirectional
controls that make it read on screen otherwise than it is stored.

Checked for every row the ORM writes (`guard_rows`, a mapper event on the declarative
base), so no service can forget it and no column can outgrow its declaration: SQLite
would keep a longer text where PostgreSQL refuses it, and PostgreSQL refuses a NUL with a
server error. A command's own statements (an incident report on the driver's unit) call
`check` themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text, event, inspect
from sqlalchemy.orm import Mapper

from collsec.core.errors import InvalidInput, Phrase

NUL = "\x00"
# U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates).
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check(value: str, field: str | Phrase, limit: int | None, *, line: bool) -> str:
    """`value` as a field may hold it, or InvalidInput naming the field."""
    if NUL in value:
        raise InvalidInput("{field} holds a NUL character", field=field)
    if line and not BIDI.isdisjoint(value):
        raise InvalidInput("{field} holds a right-to-left override or isolate character, "
                           "which would show it otherwise than it is stored", field=field)
    if limit is not None and len(value) > limit:
        raise InvalidInput("{field} is longer than {limit} characters", field=field,
                           limit=limit)
    return value


def _columns(mapper: Mapper[Any]) -> list[tuple[str, str, int | None, bool]]:
    """(attribute, column, limit, one line) of every text column of a mapped class."""
    found = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        kind = column.type
        if isinstance(kind, String):  # Text included
            single = not isinstance(kind, Text)
            found.append((attr.key, column.name, column.info.get("max", kind.length),
                          column.info.get("line", single)))
    return found


def column(limit: int, *, line: bool = False) -> dict[str, Any]:
    """The `info` of a Text column that is bounded (`limit` characters) and, if `line`, a
    title: `mapped_column(Text, info=text.column(2000, line=True))`."""
    return {"max": limit, "line": line}


TITLE = column(2000, line=True)  # a title in one language


_CACHE: dict[Mapper[Any], list[tuple[str, str, int | None, bool]]] = {}


def _guard(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    columns = _CACHE.get(mapper)
    if columns is None:
        columns = _CACHE[mapper] = _columns(mapper)
    state = inspect(target)
    for key, name, limit, line in columns:
        if state.attrs[key].history.added or not state.has_identity:
            value = getattr(target, key)
            if isinstance(value, str):
                check(value, name, limit, line=line)


def guard_rows(base: type) -> None:
    """Check the text of every row of `base`'s mapped classes as it is inserted or
    updated."""
    event.listen(base, "before_insert", _guard, propagate=True)
    event.listen(base, "before_update", _guard, propagate=True)
