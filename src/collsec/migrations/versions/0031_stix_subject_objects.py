"""the objects our reports' subjects stand for are held beside them: a row says it is one
of those (`derived`), and an object may be held once per marking level (a person named
by a members' report and by a public one is in both collections)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stix_objects') as batch_op:
        batch_op.add_column(sa.Column('derived', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_constraint('uq_stix_objects_version', type_='unique')
        batch_op.create_unique_constraint('uq_stix_objects_version',
                                          ['org', 'stix_id', 'version', 'visibility'])


def downgrade() -> None:
    # an object held at several levels cannot go back to one row a version: the derived
    # objects go (the next release or change of releasability makes them again)
    op.execute("DELETE FROM releases WHERE object_type = 'stix' AND object_id IN "
               "(SELECT id FROM stix_objects WHERE derived)")
    op.execute("DELETE FROM stix_objects WHERE derived")
    with op.batch_alter_table('stix_objects') as batch_op:
        batch_op.drop_constraint('uq_stix_objects_version', type_='unique')
        batch_op.create_unique_constraint('uq_stix_objects_version',
                                          ['org', 'stix_id', 'version'])
        batch_op.drop_column('derived')
