"""contingents name their sources, confidence, origin and assignment date

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contingents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sources', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('origin', sa.String(length=10), nullable=False,
                                      server_default='user'))
        batch_op.add_column(sa.Column('confidence', sa.String(length=10), nullable=False,
                                      server_default='high'))
        batch_op.add_column(sa.Column('note_en', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('note_ru', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('contingents', schema=None) as batch_op:
        batch_op.drop_column('note_ru')
        batch_op.drop_column('note_en')
        batch_op.drop_column('confidence')
        batch_op.drop_column('origin')
        batch_op.drop_column('sources')
        batch_op.drop_column('since')
