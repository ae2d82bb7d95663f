"""a position recorded by the Secretariat on a delegation's written instruction

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('positions') as batch_op:
        batch_op.add_column(sa.Column('by_proxy', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('instruction', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('positions') as batch_op:
        batch_op.drop_column('instruction')
        batch_op.drop_column('by_proxy')
