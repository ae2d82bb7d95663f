"""exercise mode: scenarios, their runs and what a run sent, the teams' reactions, the
staff's scores and the lessons; an incident carries the exercise run it was reported in

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 08:42:14.504186
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

# The incidents' two covering indexes as they were; each gains exercise_run before id.
_INDEXES = {
    'ix_incidents_map': ['org', 'lon', 'lat', 'occurred_at', 'type', 'severity', 'status',
                         'visibility', 'owner', 'id'],
    'ix_incidents_window': ['org', 'occurred_at', 'type', 'severity', 'min_lon', 'max_lon',
                            'min_lat', 'max_lat', 'visibility', 'owner', 'id'],
}


def upgrade() -> None:
    op.create_table('exercise_scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_ru', sa.Text(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('timeline', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_exercise_scenarios_exercise_id_exercises')),
    sa.ForeignKeyConstraint(['org'], ['organizations.code'], name=op.f('fk_exercise_scenarios_org_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_scenarios')),
    sa.UniqueConstraint('org', 'code', name='uq_exercise_scenarios_code')
    )
    op.create_table('exercise_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=20), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('director', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=80), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organizations.code'], name=op.f('fk_exercise_runs_org_organizations')),
    sa.ForeignKeyConstraint(['scenario_id'], ['exercise_scenarios.id'], name=op.f('fk_exercise_runs_scenario_id_exercise_scenarios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_runs'))
    )
    with op.batch_alter_table('exercise_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_runs_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('exercise_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['exercise_runs.id'], name=op.f('fk_exercise_lessons_run_id_exercise_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_lessons'))
    )
    with op.batch_alter_table('exercise_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_lessons_run_id'), ['run_id'], unique=False)

    op.create_table('exercise_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('inject', sa.Integer(), nullable=False),
    sa.Column('team', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['exercise_runs.id'], name=op.f('fk_exercise_reactions_run_id_exercise_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_reactions'))
    )
    with op.batch_alter_table('exercise_reactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_reactions_run_id'), ['run_id'], unique=False)

    op.create_table('exercise_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('inject', sa.Integer(), nullable=False),
    sa.Column('expectation', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['exercise_runs.id'], name=op.f('fk_exercise_scores_run_id_exercise_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_scores'))
    )
    with op.batch_alter_table('exercise_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_scores_run_id'), ['run_id'], unique=False)

    op.create_table('exercise_sent_injects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('inject', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['exercise_runs.id'], name=op.f('fk_exercise_sent_injects_run_id_exercise_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_sent_injects')),
    sa.UniqueConstraint('run_id', 'inject', name='uq_exercise_sent_inject')
    )
    with op.batch_alter_table('exercise_sent_injects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_sent_injects_run_id'), ['run_id'], unique=False)

    # Plain ALTERs, not a batch: SQLite adds a nullable column and rebuilds two indexes
    # in place, where a batch would copy a million incidents.
    op.add_column('incidents', sa.Column('exercise_run', sa.Integer(), nullable=True))
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name='incidents')
        op.create_index(name, 'incidents', [*columns[:-1], 'exercise_run', 'id'])



def downgrade() -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name='incidents')
        op.create_index(name, 'incidents', columns)
    op.drop_column('incidents', 'exercise_run')
    with op.batch_alter_table('exercise_sent_injects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_sent_injects_run_id'))

    op.drop_table('exercise_sent_injects')
    with op.batch_alter_table('exercise_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_scores_run_id'))

    op.drop_table('exercise_scores')
    with op.batch_alter_table('exercise_reactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_reactions_run_id'))

    op.drop_table('exercise_reactions')
    with op.batch_alter_table('exercise_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_lessons_run_id'))

    op.drop_table('exercise_lessons')
    with op.batch_alter_table('exercise_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_runs_scenario_id'))

    op.drop_table('exercise_runs')
    op.drop_table('exercise_scenarios')
