"""whether a contingent's strength and readiness were reported, or are unknown / default

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contingents') as batch_op:
        batch_op.add_column(sa.Column('personnel_reported', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('readiness_reported', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('contingents') as batch_op:
        batch_op.drop_column('readiness_reported')
        batch_op.drop_column('personnel_reported')
