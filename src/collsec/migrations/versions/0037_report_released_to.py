"""PostgreSQL: each report carries the principals it is released to (`released_to`, kept
from `releases` by a trigger), so a narrowed page of reports checks a release as an
expression of the row; the planner costs it like any other and keeps the newest-first
scan the unrestricted search uses (the function of 0032 still cost 10-25 µs a call)

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

# `releases` stays what a release is; the array is its copy on the report, written in the
# same statement's transaction by the trigger, so no writer can forget it.
_UP = [
    "ALTER TABLE exchange_reports ADD COLUMN released_to text[] NOT NULL DEFAULT '{}'",
    """UPDATE exchange_reports AS r SET released_to = s.principals
       FROM (SELECT object_id, array_agg(principal ORDER BY principal) AS principals
             FROM releases WHERE object_type = 'report' GROUP BY object_id) AS s
       WHERE s.object_id = r.id""",
    """CREATE OR REPLACE FUNCTION collsec_report_released_to() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.object_type = 'report' THEN
           UPDATE exchange_reports SET released_to = array_remove(released_to, OLD.principal)
           WHERE id = OLD.object_id;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.object_type = 'report' THEN
           UPDATE exchange_reports SET released_to = array_append(released_to, NEW.principal)
           WHERE id = NEW.object_id AND NOT (NEW.principal = ANY(released_to));
         END IF;
         RETURN NULL;
       END $$""",
    # WHEN, so the releases of other objects (an incident's) call no function at all
    """CREATE TRIGGER releases_report_added AFTER INSERT ON releases FOR EACH ROW
       WHEN (NEW.object_type = 'report') EXECUTE FUNCTION collsec_report_released_to()""",
    """CREATE TRIGGER releases_report_removed AFTER DELETE ON releases FOR EACH ROW
       WHEN (OLD.object_type = 'report') EXECUTE FUNCTION collsec_report_released_to()""",
    """CREATE TRIGGER releases_report_changed AFTER UPDATE ON releases FOR EACH ROW
       WHEN (OLD.object_type = 'report' OR NEW.object_type = 'report')
       EXECUTE FUNCTION collsec_report_released_to()""",
]
_DOWN = [
    "DROP TRIGGER IF EXISTS releases_report_added ON releases",
    "DROP TRIGGER IF EXISTS releases_report_removed ON releases",
    "DROP TRIGGER IF EXISTS releases_report_changed ON releases",
    "DROP FUNCTION IF EXISTS collsec_report_released_to()",
    "ALTER TABLE exchange_reports DROP COLUMN IF EXISTS released_to",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _DOWN:
            op.execute(statement)
