"""each held STIX object's row says whether it is the object's newest version, so a TAXII
page asks a column instead of a subquery per row

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stix_objects') as batch_op:
        batch_op.add_column(sa.Column('latest', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    objects = sa.table('stix_objects', sa.column('org', sa.String), sa.column('stix_id', sa.String),
                       sa.column('version', sa.String), sa.column('latest', sa.Boolean))
    other = objects.alias('other')
    newer = sa.exists().where(other.c.org == objects.c.org,
                              other.c.stix_id == objects.c.stix_id,
                              other.c.version > objects.c.version)
    op.execute(objects.update().where(newer).values(latest=False))


def downgrade() -> None:
    with op.batch_alter_table('stix_objects') as batch_op:
        batch_op.drop_column('latest')
