"""Loading the embedded CSTO: idempotent, journaled, every fact sourced."""

from __future__ import annotations

from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.schema import metadata
from collsec.registry import defaults


def _row_counts() -> dict[str, int]:
    with db.read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                for t in metadata.sorted_tables}


def test_loading_twice_changes_nothing(csto_db: str) -> None:
    before = _row_counts()
    with db.write_session() as s:
        result = defaults.load_default(s, actor="test")
    assert not result.changed
    assert _row_counts() == before


def test_the_load_is_one_journal_entry_with_the_data_digest(csto_db: str) -> None:
    with db.read_session() as s:
        rows = journal.entries(s)
    assert len(rows) == 1 and rows[0].command == "registry.load_default"
    assert defaults.digest("CSTO") in rows[0].payload


def test_the_load_fills_every_registry_table(csto_db: str) -> None:
    counts = _row_counts()
    for table in ("sources", "states", "organizations", "memberships", "bodies", "offices",
                  "office_terms", "chairmanships", "forces", "relations", "events"):
        assert counts[table] > 0, table
