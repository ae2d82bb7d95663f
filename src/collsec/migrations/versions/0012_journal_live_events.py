"""journal entries mark the live events their payload lists

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Before 0012 an incident's change was its own entry, named by one of these commands.
_ANNOUNCED = ('crisis.report_incident', 'crisis.advance_incident', 'crisis.update_incident')


def upgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('ix_journal_live', ['live'], unique=False)
    journal = sa.table('journal', sa.column('command', sa.String), sa.column('live', sa.Boolean))
    op.execute(journal.update().where(journal.c.command.in_(_ANNOUNCED)).values(live=True))


def downgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_live')
        batch_op.drop_column('live')
