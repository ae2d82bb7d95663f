"""The migrations build exactly the schema the tables declare, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from collsec import schema
from collsec.core import db


def test_the_migrated_schema_is_the_declared_one(empty_db: str) -> None:
    with db.engine_for(empty_db).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
