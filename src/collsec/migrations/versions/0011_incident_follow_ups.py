"""incident follow-ups: an update may revise the severity

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:06:25.987583
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both nullable: set only on an update that changed the severity (older rows did not).
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('severity_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('severity_to', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.drop_column('severity_to')
        batch_op.drop_column('severity_from')
