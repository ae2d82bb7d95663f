"""a database's own secrets, made when it is created: the key that seals TAXII pages

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 20:20:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'server_secrets',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secrets')),
    )
    # Random per database, never in the repository: every process of one deployment reads
    # the same key, so any of them takes a page token another gave.
    op.bulk_insert(table, [{"name": "taxii_cursor", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table('server_secrets')
