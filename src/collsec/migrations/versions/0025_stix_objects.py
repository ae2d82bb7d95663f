"""the STIX objects the exchange holds and serves over TAXII

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stix_objects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('stix_id', sa.String(length=120), nullable=False),
        sa.Column('stix_type', sa.String(length=60), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=60), nullable=False),
        sa.Column('visibility', sa.String(length=20), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('added_by', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_stix_objects_org_organizations')),
        sa.ForeignKeyConstraint(['report_id'], ['exchange_reports.id'],
                                name=op.f('fk_stix_objects_report_id_exchange_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stix_objects')),
        sa.UniqueConstraint('org', 'stix_id', 'version', name='uq_stix_objects_version'),
    )
    op.create_index(op.f('ix_stix_objects_stix_id'), 'stix_objects', ['stix_id'])
    op.create_index('ix_stix_objects_added', 'stix_objects', ['org', 'added_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_stix_objects_added', table_name='stix_objects')
    op.drop_index(op.f('ix_stix_objects_stix_id'), table_name='stix_objects')
    op.drop_table('stix_objects')
