"""the unified list of organizations recognized as terrorist: entries, names, steps

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'list_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=80), nullable=False),
        sa.Column('name_en', sa.Text(), nullable=False),
        sa.Column('name_ru', sa.Text(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('confidence', sa.String(length=10), nullable=False),
        sa.Column('note_en', sa.Text(), nullable=False),
        sa.Column('note_ru', sa.Text(), nullable=False),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_list_entries_org_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entries')),
    )
    op.create_table(
        'list_names',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['list_entries.id'],
                                name=op.f('fk_list_names_entry_id_list_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_names')),
    )
    op.create_index(op.f('ix_list_names_entry_id'), 'list_names', ['entry_id'])
    op.create_table(
        'list_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=2), nullable=True),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('precision', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('authority_en', sa.Text(), nullable=False),
        sa.Column('authority_ru', sa.Text(), nullable=False),
        sa.Column('basis_en', sa.Text(), nullable=False),
        sa.Column('basis_ru', sa.Text(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('confidence', sa.String(length=10), nullable=False),
        sa.Column('note_en', sa.Text(), nullable=False),
        sa.Column('note_ru', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['list_entries.id'],
                                name=op.f('fk_list_steps_entry_id_list_entries')),
        sa.ForeignKeyConstraint(['state'], ['states.code'],
                                name=op.f('fk_list_steps_state_states')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_steps')),
    )
    op.create_index(op.f('ix_list_steps_entry_id'), 'list_steps', ['entry_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_list_steps_entry_id'), table_name='list_steps')
    op.drop_table('list_steps')
    op.drop_index(op.f('ix_list_names_entry_id'), table_name='list_names')
    op.drop_table('list_names')
    op.drop_table('list_entries')
