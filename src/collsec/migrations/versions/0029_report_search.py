"""full-text search over the reports: FTS5 on SQLite, a tsvector with a GIN index on
PostgreSQL (outside the declared metadata: `collsec.exchange.search`)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

# An external-content index: the text stays in exchange_reports, the triggers keep the
# index in step with every insert, change of title or body, and delete.
SQLITE = [
    "CREATE VIRTUAL TABLE exchange_reports_fts USING fts5(title, body, "
    "content='exchange_reports', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER exchange_reports_fts_ai AFTER INSERT ON exchange_reports BEGIN "
    "INSERT INTO exchange_reports_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "CREATE TRIGGER exchange_reports_fts_ad AFTER DELETE ON exchange_reports BEGIN "
    "INSERT INTO exchange_reports_fts(exchange_reports_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER exchange_reports_fts_au AFTER UPDATE OF title, body ON exchange_reports "
    "BEGIN INSERT INTO exchange_reports_fts(exchange_reports_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO exchange_reports_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "INSERT INTO exchange_reports_fts(exchange_reports_fts) VALUES ('rebuild')",
]
# 'simple': no stemming, so Russian and English words are matched alike (by prefix).
POSTGRESQL = [
    "ALTER TABLE exchange_reports ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, title || ' ' || body)) STORED",
    "CREATE INDEX ix_exchange_reports_search ON exchange_reports USING gin (search)",
]


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER exchange_reports_fts_{name}")
        op.execute("DROP TABLE exchange_reports_fts")
    else:
        op.execute("DROP INDEX ix_exchange_reports_search")
        op.execute("ALTER TABLE exchange_reports DROP COLUMN search")
