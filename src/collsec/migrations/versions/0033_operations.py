"""the standing operations: operations, their stages, the figures sources published for
them, and national reports with their figures (each correction a version)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 06:04:33.946525
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_ru', sa.Text(), nullable=False),
    sa.Column('purpose_en', sa.Text(), nullable=False),
    sa.Column('purpose_ru', sa.Text(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=True),
    sa.Column('standing_since', sa.Date(), nullable=True),
    sa.Column('standing_precision', sa.String(length=10), nullable=False),
    sa.Column('coordinator_en', sa.Text(), nullable=False),
    sa.Column('coordinator_ru', sa.Text(), nullable=False),
    sa.Column('basis_en', sa.Text(), nullable=False),
    sa.Column('basis_ru', sa.Text(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organizations.code'], name=op.f('fk_operations_org_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operations')),
    sa.UniqueConstraint('org', 'code', name='uq_operations_code')
    )
    op.create_table('operation_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_ru', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('precision', sa.String(length=10), nullable=False),
    sa.Column('closes', sa.Date(), nullable=True),
    sa.Column('headquarters_en', sa.Text(), nullable=False),
    sa.Column('headquarters_ru', sa.Text(), nullable=False),
    sa.Column('states', sa.Text(), nullable=False),
    sa.Column('observer_states', sa.Text(), nullable=False),
    sa.Column('observers_other', sa.Text(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('opened_by', sa.String(length=200), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_stages_operation_id_operations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_stages'))
    )
    with op.batch_alter_table('operation_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_stages_operation_id'), ['operation_id'], unique=False)

    op.create_table('national_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_national_reports_stage_id_operation_stages')),
    sa.ForeignKeyConstraint(['state'], ['states.code'], name=op.f('fk_national_reports_state_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_reports')),
    sa.UniqueConstraint('stage_id', 'state', 'version', name='uq_national_reports_version')
    )
    op.create_table('operation_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('qual', sa.String(length=1), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('region_en', sa.Text(), nullable=False),
    sa.Column('region_ru', sa.Text(), nullable=False),
    sa.Column('covers_from', sa.Integer(), nullable=True),
    sa.Column('covers_until', sa.Integer(), nullable=True),
    sa.Column('stated', sa.Date(), nullable=True),
    sa.Column('preliminary', sa.Boolean(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_figures_operation_id_operations')),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_operation_figures_stage_id_operation_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_figures'))
    )
    with op.batch_alter_table('operation_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_figures_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_figures_stage_id'), ['stage_id'], unique=False)

    op.create_table('national_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('current', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_national_figures_operation_id_operations')),
    sa.ForeignKeyConstraint(['report_id'], ['national_reports.id'], name=op.f('fk_national_figures_report_id_national_reports')),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_national_figures_stage_id_operation_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_figures'))
    )
    with op.batch_alter_table('national_figures', schema=None) as batch_op:
        batch_op.create_index('ix_national_figures_report', ['report_id'], unique=False)
        batch_op.create_index('ix_national_figures_stage', ['stage_id', 'current'], unique=False)
        batch_op.create_index('ix_national_figures_stats', ['operation_id', 'current', 'indicator', 'year'], unique=False)


    op.create_table('operation_stage_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_stage_results_operation_id_operations')),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_operation_stage_results_stage_id_operation_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_stage_results'))
    )
    with op.batch_alter_table('operation_stage_results', schema=None) as batch_op:
        batch_op.create_index('ix_operation_stage_results_op', ['operation_id', 'indicator'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_stage_results_stage_id'), ['stage_id'], unique=False)
    op.create_table('operation_stage_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_stage_totals_operation_id_operations')),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_operation_stage_totals_stage_id_operation_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_stage_totals'))
    )
    with op.batch_alter_table('operation_stage_totals', schema=None) as batch_op:
        batch_op.create_index('ix_operation_stage_totals_op', ['operation_id', 'indicator', 'closed_at', 'year', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_stage_totals_stage_id'), ['stage_id'], unique=False)


def downgrade() -> None:
    op.drop_table('operation_stage_totals')
    op.drop_table('operation_stage_results')
    with op.batch_alter_table('national_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_national_figures_stats')
        batch_op.drop_index('ix_national_figures_stage')
        batch_op.drop_index('ix_national_figures_report')

    op.drop_table('national_figures')
    with op.batch_alter_table('operation_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_figures_stage_id'))
        batch_op.drop_index(batch_op.f('ix_operation_figures_operation_id'))

    op.drop_table('operation_figures')
    op.drop_table('national_reports')
    with op.batch_alter_table('operation_stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_stages_operation_id'))

    op.drop_table('operation_stages')
    op.drop_table('operations')
