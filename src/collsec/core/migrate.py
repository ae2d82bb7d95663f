"""Schema migrations through Alembic, driven from Python so no alembic.ini is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

from collsec.core import db

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported when a migration runs, not with the module: every command-line
# call imports this module, and Alembic (with Mako) was a quarter of a second of it.


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "collsec:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine | None = None) -> None:
    """Bring the schema to the newest revision (creates it on an empty database)."""
    eng = engine or db.engine()
    from alembic import command

    cfg = alembic_config(eng.url.render_as_string(hide_password=False))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_initialized(engine: Engine | None = None) -> bool:
    eng = engine or db.engine()
    return inspect(eng).has_table("alembic_version")
