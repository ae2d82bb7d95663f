"""the register of the bodies' sessions as the public record has them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'session_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=20), nullable=False),
        sa.Column('body', sa.String(length=20), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('city_en', sa.String(length=100), nullable=False),
        sa.Column('city_ru', sa.String(length=100), nullable=False),
        sa.Column('host', sa.String(length=2), nullable=True),
        sa.Column('documents_en', sa.Text(), nullable=False),
        sa.Column('documents_ru', sa.Text(), nullable=False),
        sa.Column('chair', sa.String(length=2), nullable=True),
        sa.Column('chair_sources', sa.Text(), nullable=False),
        sa.Column('chair_confidence', sa.String(length=10), nullable=False),
        sa.Column('chair_note_en', sa.Text(), nullable=False),
        sa.Column('chair_note_ru', sa.Text(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.Column('confidence', sa.String(length=10), nullable=False),
        sa.Column('note_en', sa.Text(), nullable=False),
        sa.Column('note_ru', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['org'], ['organizations.code'],
                                name=op.f('fk_session_records_org_organizations')),
        sa.ForeignKeyConstraint(['host'], ['states.code'],
                                name=op.f('fk_session_records_host_states')),
        sa.ForeignKeyConstraint(['chair'], ['states.code'],
                                name=op.f('fk_session_records_chair_states')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_records')),
        sa.UniqueConstraint('org', 'body', 'date', 'kind', name=op.f('uq_session_records_org')),
    )
    op.create_index(op.f('ix_session_records_org'), 'session_records', ['org'])


def downgrade() -> None:
    op.drop_index(op.f('ix_session_records_org'), table_name='session_records')
    op.drop_table('session_records')
