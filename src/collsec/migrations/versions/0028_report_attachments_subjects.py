"""a report's attachments (bytes, sniffed type, hash) and its subjects

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchange_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('added_by', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['exchange_reports.id'],
                                name=op.f('fk_exchange_attachments_report_id_exchange_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_attachments')),
        sa.UniqueConstraint('report_id', 'sha256', name='uq_exchange_attachments'),
    )
    op.create_index(op.f('ix_exchange_attachments_report_id'), 'exchange_attachments',
                    ['report_id'])
    op.create_table(
        'exchange_report_subjects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('geometry', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['exchange_reports.id'],
                                name=op.f('fk_exchange_report_subjects_report_id_exchange_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_report_subjects')),
    )
    op.create_index(op.f('ix_exchange_report_subjects_report_id'), 'exchange_report_subjects',
                    ['report_id'])
    op.create_index('ix_exchange_report_subjects_ref', 'exchange_report_subjects',
                    ['kind', 'ref'])


def downgrade() -> None:
    op.drop_table('exchange_report_subjects')
    op.drop_table('exchange_attachments')
