"""Full-text search over the reports, the database's own: FTS5 on SQLite, a tsvector with
a GIN index on PostgreSQL (migration 0029; neither is in the declared metadata, so
`outside_metadata` tells Alembic's comparison to leave them be).

A search is the words of the query, each matched as the start of a word in the title or
the body, all of them required. Only letters and digits reach the engine: no query
syntax of either engine can be typed in. On SQLite the index drives the search newest
first, so the first page of a common word costs as little as a rare one's.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Select, Table, func, literal_column

from collsec.exchange.tables import ReportRow

MAX_WORDS = 12
_WORD = re.compile(r"[^\W_]+")
FTS = Table("exchange_reports_fts", MetaData(), Column("rowid", Integer))


def words(text: str) -> list[str]:
    """The query's words, lower-cased, once each, at most `MAX_WORDS`."""
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))[:MAX_WORDS]


def matching(stmt: Select[Any], dialect: str, text: str) -> tuple[Select[Any], Any]:
    """`stmt` over ReportRow narrowed to the reports holding every word, and the column to
    order by, newest first; no words, nothing found."""
    found = words(text)
    if not found:
        return stmt.where(ReportRow.id.is_(None)), ReportRow.id
    if dialect == "sqlite":
        query = " ".join(f'"{w}"*' for w in found)
        stmt = stmt.join(FTS, FTS.c.rowid == ReportRow.id).where(
            literal_column("exchange_reports_fts").op("MATCH")(query))
        return stmt, FTS.c.rowid
    query = " & ".join(f"{w}:*" for w in found)
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), query)
    return stmt.where(literal_column("exchange_reports.search").op("@@")(tsquery)), ReportRow.id


def outside_metadata(obj: Any, name: str | None, kind: str, reflected: bool,
                     compare_to: Any) -> bool:
    """Alembic's `include_object`: leave out the search index the migrations made, and
    the reports' copy of their releases on PostgreSQL (`core/auth/released.py`)."""
    if kind == "table" and name is not None and name.startswith("exchange_reports_fts"):
        return False
    if kind == "column" and name in ("search", "released_to") \
            and obj.table.name == "exchange_reports":
        return False
    return not (kind == "index" and name == "ix_exchange_reports_search")
