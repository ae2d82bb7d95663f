"""the exchange's reports, their history and their withdrawals

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchange_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('tlp', sa.String(length=20), nullable=False),
        sa.Column('scope', sa.String(length=30), nullable=False),
        sa.Column('states', sa.String(length=200), nullable=False),
        sa.Column('classification', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('owner', sa.String(length=60), nullable=False),
        sa.Column('visibility', sa.String(length=20), nullable=False),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_exchange_reports_org_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_reports')),
    )
    op.create_index('ix_exchange_reports_list', 'exchange_reports',
                    ['org', 'visibility', 'owner', 'id'])
    op.create_table(
        'exchange_report_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('scope', sa.String(length=30), nullable=False),
        sa.Column('states', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['exchange_reports.id'],
                                name=op.f('fk_exchange_report_events_report_id_exchange_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_report_events')),
    )
    op.create_index(op.f('ix_exchange_report_events_report_id'), 'exchange_report_events',
                    ['report_id'])
    op.create_table(
        'exchange_withdrawals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('principal', sa.String(length=60), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.String(length=80), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['exchange_reports.id'],
                                name=op.f('fk_exchange_withdrawals_report_id_exchange_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_withdrawals')),
    )
    op.create_index(op.f('ix_exchange_withdrawals_report_id'), 'exchange_withdrawals',
                    ['report_id'])
    op.create_index(op.f('ix_exchange_withdrawals_principal'), 'exchange_withdrawals',
                    ['principal'])


def downgrade() -> None:
    op.drop_index(op.f('ix_exchange_withdrawals_principal'), table_name='exchange_withdrawals')
    op.drop_index(op.f('ix_exchange_withdrawals_report_id'), table_name='exchange_withdrawals')
    op.drop_table('exchange_withdrawals')
    op.drop_index(op.f('ix_exchange_report_events_report_id'),
                  table_name='exchange_report_events')
    op.drop_table('exchange_report_events')
    op.drop_index('ix_exchange_reports_list', table_name='exchange_reports')
    op.drop_table('exchange_reports')
