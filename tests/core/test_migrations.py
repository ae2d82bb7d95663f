"""The migrations build exactly the schema the tables declare, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from collsec import schema
from collsec.core import db
from collsec.exchange import search


def test_the_migrated_schema_is_the_declared_one(empty_db: str) -> None:
    with db.engine_for(empty_db).connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_object": search.outside_metadata})
        assert compare_metadata(context, schema.metadata) == []
