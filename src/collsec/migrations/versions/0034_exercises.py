"""the exercises of the collective forces: each exercise, the states taking part, and the
decisions that changed its status

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 06:29:25.992822
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('series', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_ru', sa.Text(), nullable=False),
    sa.Column('kind_en', sa.Text(), nullable=False),
    sa.Column('kind_ru', sa.Text(), nullable=False),
    sa.Column('forces', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=2), nullable=True),
    sa.Column('range_en', sa.Text(), nullable=False),
    sa.Column('range_ru', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('precision', sa.String(length=10), nullable=False),
    sa.Column('part_of', sa.String(length=40), nullable=True),
    sa.Column('observer_states', sa.Text(), nullable=False),
    sa.Column('personnel', sa.Float(), nullable=True),
    sa.Column('personnel_qual', sa.String(length=1), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['host'], ['states.code'], name=op.f('fk_exercises_host_states')),
    sa.ForeignKeyConstraint(['org'], ['organizations.code'], name=op.f('fk_exercises_org_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercises')),
    sa.UniqueConstraint('org', 'code', name='uq_exercises_code')
    )
    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.create_index('ix_exercises_series', ['org', 'series', 'year'], unique=False)

    op.create_table('exercise_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('precision', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_en', sa.Text(), nullable=False),
    sa.Column('decided_by_ru', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('reason_ru', sa.Text(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_exercise_decisions_exercise_id_exercises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_decisions'))
    )
    with op.batch_alter_table('exercise_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_decisions_exercise_id'), ['exercise_id'], unique=False)

    op.create_table('exercise_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('personnel', sa.Float(), nullable=True),
    sa.Column('qual', sa.String(length=1), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.Column('note_ru', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_exercise_participants_exercise_id_exercises')),
    sa.ForeignKeyConstraint(['state'], ['states.code'], name=op.f('fk_exercise_participants_state_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise_participants')),
    sa.UniqueConstraint('exercise_id', 'state', name='uq_exercise_participants_state')
    )
    with op.batch_alter_table('exercise_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_participants_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index('ix_exercise_participants_state', ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exercise_participants', schema=None) as batch_op:
        batch_op.drop_index('ix_exercise_participants_state')
        batch_op.drop_index(batch_op.f('ix_exercise_participants_exercise_id'))

    op.drop_table('exercise_participants')
    with op.batch_alter_table('exercise_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exercise_decisions_exercise_id'))

    op.drop_table('exercise_decisions')
    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.drop_index('ix_exercises_series')

    op.drop_table('exercises')
