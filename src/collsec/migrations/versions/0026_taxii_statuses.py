"""TAXII status resources

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'taxii_statuses',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('owner', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_taxii_statuses_org_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_statuses')),
    )


def downgrade() -> None:
    op.drop_table('taxii_statuses')
