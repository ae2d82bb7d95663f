"""the situation map's covering index (organization, point, then every column the map's
filters, narrowing and clusters read) replaces the bare (lon, lat) index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 07:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = ['org', 'lon', 'lat', 'occurred_at', 'type', 'severity', 'status', 'visibility',
           'owner', 'id']


def upgrade() -> None:
    op.drop_index('ix_incidents_lon_lat', table_name='incidents')
    op.create_index('ix_incidents_map', 'incidents', COLUMNS)


def downgrade() -> None:
    op.drop_index('ix_incidents_map', table_name='incidents')
    op.create_index('ix_incidents_lon_lat', 'incidents', ['lon', 'lat'])
