"""a member's course (state events) and the members a session's record says stayed away

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('session_records') as batch_op:
        batch_op.add_column(sa.Column('absent', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'state_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=2), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('precision', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('actor', sa.String(length=20), nullable=False),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('title_ru', sa.Text(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.Column('confidence', sa.String(length=10), nullable=False),
        sa.Column('note_en', sa.Text(), nullable=False),
        sa.Column('note_ru', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_state_events_org_organizations')),
        sa.ForeignKeyConstraint(['state'], ['states.code'],
                                name=op.f('fk_state_events_state_states')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_state_events')),
    )
    op.create_index(op.f('ix_state_events_state'), 'state_events', ['state'])


def downgrade() -> None:
    op.drop_index(op.f('ix_state_events_state'), table_name='state_events')
    op.drop_table('state_events')
    with op.batch_alter_table('session_records') as batch_op:
        batch_op.drop_column('absent')
