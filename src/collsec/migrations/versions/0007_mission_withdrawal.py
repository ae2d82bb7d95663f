"""mission withdrawal ordered at and its note

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:46:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('missions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawal_ordered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('missions', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_note')
        batch_op.drop_column('withdrawal_ordered_at')
