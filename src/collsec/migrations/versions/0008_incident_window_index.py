"""the situation picture's covering index on incidents

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 14:10:00.000000

ix_incidents_window (org, occurred_at, type, severity, box, visibility, owner, id)
replaces ix_incidents_occurred_at: every incident query names the organization, so
the new index serves each range the old one served, and the counts per state of a
window come from the index alone (docs/performance.md).
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ['org', 'occurred_at', 'type', 'severity', 'min_lon', 'max_lon', 'min_lat',
           'max_lat', 'visibility', 'owner', 'id']


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_window', COLUMNS, unique=False)
        batch_op.drop_index('ix_incidents_occurred_at')


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_occurred_at', ['occurred_at'], unique=False)
        batch_op.drop_index('ix_incidents_window')
