"""the journal head keeps the registry mark: the hash of the last entry that changed a
state's status, the key of the decision point's cached standings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# An existing journal's mark is its head: every cache keyed by it reads the registry once.
GENESIS = '0' * 64


def upgrade() -> None:
    with op.batch_alter_table('journal_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_mark', sa.String(length=64), nullable=False,
                                      server_default=GENESIS))
    head = sa.table('journal_head', sa.column('hash', sa.String),
                    sa.column('registry_mark', sa.String))
    op.execute(head.update().values(registry_mark=head.c.hash))


def downgrade() -> None:
    with op.batch_alter_table('journal_head', schema=None) as batch_op:
        batch_op.drop_column('registry_mark')
