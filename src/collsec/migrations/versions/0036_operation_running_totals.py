"""running totals of each operation's released stages, per state and indicator, over
every state, and per year, so statistics by state, indicator or year seek rather than
scan; filled from the released summaries already there

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

# Each stage's summary per group (per state; '' over every state; '' and the stage's
# year), then the running sum and count in the order of the closes: what
# operations/running.py keeps at a close.
_FILL = """
INSERT INTO operation_running_totals
    (operation_id, state, year, indicator, closed_at, stage_id, total, stages)
SELECT operation_id, state, year, indicator, closed_at, stage_id,
       SUM(v) OVER (PARTITION BY operation_id, state, year, indicator
                    ORDER BY closed_at, stage_id ROWS UNBOUNDED PRECEDING),
       COUNT(*) OVER (PARTITION BY operation_id, state, year, indicator
                      ORDER BY closed_at, stage_id ROWS UNBOUNDED PRECEDING)
FROM (
    SELECT r.operation_id, r.state, 0 AS year, r.indicator, s.closed_at, r.stage_id,
           SUM(r.value) AS v
    FROM operation_stage_results r JOIN operation_stages s ON s.id = r.stage_id
    WHERE s.closed_at IS NOT NULL
    GROUP BY r.operation_id, r.state, r.indicator, s.closed_at, r.stage_id
    UNION ALL
    SELECT r.operation_id, '', 0, r.indicator, s.closed_at, r.stage_id, SUM(r.value)
    FROM operation_stage_results r JOIN operation_stages s ON s.id = r.stage_id
    WHERE s.closed_at IS NOT NULL
    GROUP BY r.operation_id, r.indicator, s.closed_at, r.stage_id
    UNION ALL
    SELECT r.operation_id, '', s.year, r.indicator, s.closed_at, r.stage_id, SUM(r.value)
    FROM operation_stage_results r JOIN operation_stages s ON s.id = r.stage_id
    WHERE s.closed_at IS NOT NULL
    GROUP BY r.operation_id, s.year, r.indicator, s.closed_at, r.stage_id
) per_stage
"""


def upgrade() -> None:
    op.create_table('operation_running_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('stages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_running_totals_operation_id_operations')),
    sa.ForeignKeyConstraint(['stage_id'], ['operation_stages.id'], name=op.f('fk_operation_running_totals_stage_id_operation_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_running_totals'))
    )
    op.create_index('ix_operation_running_totals_seek', 'operation_running_totals',
                    ['operation_id', 'state', 'year', 'indicator', 'closed_at', 'stage_id'],
                    unique=False)
    op.create_table('operation_running_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_running_groups_operation_id_operations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_running_groups')),
    sa.UniqueConstraint('operation_id', 'state', 'year', 'indicator',
                        name='uq_operation_running_groups')
    )
    op.execute(_FILL)
    op.execute("INSERT INTO operation_running_groups (operation_id, state, year, indicator) "
               "SELECT DISTINCT operation_id, state, year, indicator "
               "FROM operation_running_totals")


def downgrade() -> None:
    op.drop_table('operation_running_groups')
    op.drop_index('ix_operation_running_totals_seek', table_name='operation_running_totals')
    op.drop_table('operation_running_totals')
