"""The bulk import benchmark at a tiny scale: it runs on either database, its sides store
the same rows, and a raw side that stored something else is caught. No timing is asserted."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from benchmarks import bulk_import
from collsec.core import db, journal
from collsec.crisis.incidents.tables import IncidentRow


def test_the_import_benchmark_writes_and_compares_both_sides(csto_db: str) -> None:
    figures = bulk_import.run(csto_db, reports=40, rounds=2)
    assert figures.imported.rows == figures.raw.rows == figures.raw_real.rows == 80
    assert figures.rows_compared == 40 and figures.releases > 0
    assert figures.ratio > 0 and figures.ratio_to_real > 0 and figures.entry_bytes > 0
    engine = db.engine_for(csto_db)
    with db.read_session(engine) as s:  # two imports and two raw batches into incidents
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == 160
        imports = [e for e in journal.entries(s, limit=10)
                   if e.command == "crisis.import_incidents"]
        assert len(imports) == 2
        assert journal.verify(s).ok
        assert s.scalar(text(f"SELECT count(*) FROM {bulk_import.RAW_INCIDENTS}")) == 80


def test_the_comparison_catches_a_raw_side_that_stored_something_else(csto_db: str) -> None:
    bulk_import.run(csto_db, reports=10, rounds=1)
    engine = db.engine_for(csto_db)
    with db.read_session(engine) as s:
        imported = list(s.execute(select(IncidentRow.id).order_by(IncidentRow.id)
                                  .limit(10)).scalars())
    assert bulk_import.compare(engine, imported, list(range(1, 11))) == 10
    with db.write_session(engine) as s:
        s.execute(text(f"UPDATE {bulk_import.RAW_INCIDENTS} SET severity = severity + 1 "
                       "WHERE id = 4"))
    with pytest.raises(AssertionError, match="stored different rows"):
        bulk_import.compare(engine, imported, list(range(1, 11)))
