"""PostgreSQL: a function that says whether an object is released to a principal, which a
page of narrowed rows asks row by row (`auth.narrow(page=True)`): as an EXISTS the planner
either hashes every release of the principal first or, charging the probe to every row it
might scan, gives up the newest-first index for a sort of every match

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

# PL/pgSQL, so that it is not inlined back into the EXISTS it replaces; STABLE, so it reads
# the snapshot of the statement that calls it.
FUNCTION = """
CREATE OR REPLACE FUNCTION collsec_released(kind text, oid integer, who text)
RETURNS boolean LANGUAGE plpgsql STABLE COST 5 AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM releases
                 WHERE object_type = kind AND object_id = oid AND principal = who);
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS collsec_released(text, integer, text)")
