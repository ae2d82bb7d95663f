"""Fixtures: real databases (a SQLite file, or a fresh PostgreSQL database when
COLLSEC_DATABASE_URL points at a cluster), built through the services, never mocked."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from collsec import startup
from collsec.core import db, migrate
from tests.streams import readers  # noqa: F401  (the fixture of the live streams' tests)

startup.wire()  # as every entry point does (collsec.startup)

# The command line speaks the locale's language (core.i18n.environment_language): the
# tests expect English unless they ask for another, whatever the machine's locale.
for _name in ("COLLSEC_LANG", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

# The URL CI hands us names a cluster; each test database is created inside it.
BASE_URL = os.environ.get("COLLSEC_DATABASE_URL", "")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def on_postgresql() -> bool:
    return BASE_URL.startswith("postgresql")


def _pg_url(name: str) -> str:
    url = make_url(BASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.set(database=name).render_as_string(hide_password=False)


def create_database(tmp_dir: Path) -> str:
    """A new, empty database; its URL."""
    if on_postgresql():
        name = f"collsec_t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return _pg_url(name)
    return f"sqlite:///{tmp_dir / 'collsec.db'}"


def drop_database(url: str) -> None:
    db.engine_for(url).dispose()
    if url.startswith("postgresql"):
        name = make_url(url).database
        admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def pointing_at(url: str) -> Iterator[None]:
    """COLLSEC_DATABASE_URL names `url` inside the block; the caller's value comes back after
    it (module fixtures set up their own database while other tests use theirs)."""
    saved = os.environ.get("COLLSEC_DATABASE_URL")
    os.environ["COLLSEC_DATABASE_URL"] = url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLLSEC_DATABASE_URL", None)
        else:
            os.environ["COLLSEC_DATABASE_URL"] = saved


def _prepare_slowly(url: str, *, load: bool) -> None:
    """Migrate `url` and, with `load`, load the embedded CSTO and create the operator, as
    `collsec db setup` does."""
    migrate.upgrade(db.engine_for(url))
    if load:
        from collsec.accounts.operator import ensure_operator
        from collsec.registry import defaults

        with db.write_session(db.engine_for(url)) as s:
            defaults.load_default(s, actor="test", org="CSTO")
        with db.write_session(db.engine_for(url)) as s:
            ensure_operator(s, "CSTO", dt.datetime.now(dt.UTC))
    db.engine_for(url).dispose()


# Prepared once per test process, then copied: a migrated database (load=False) and one
# with the CSTO loaded (load=True). Copying is what makes a fresh database per test cheap
# (a migration and a load cost about a second; a copy a few milliseconds on SQLite and a
# file copy on PostgreSQL).
_TEMPLATES: dict[bool, str] = {}


def _template(load: bool) -> str:
    if load not in _TEMPLATES:
        url = create_database(Path(tempfile.mkdtemp(prefix="collsec-template-")))
        _prepare_slowly(url, load=load)
        _TEMPLATES[load] = url
    return _TEMPLATES[load]


def _copy_database(template: str, url: str) -> None:
    """Make `url` (a database create_database just made, still unused) a copy of `template`."""
    if url.startswith("postgresql"):
        db.engine_for(url).dispose()
        name, source = make_url(url).database, make_url(template).database
        admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        admin.dispose()
        return
    target = url.removeprefix("sqlite:///")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(template.removeprefix("sqlite:///"))
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def prepare(url: str, *, load: bool) -> None:
    """Point COLLSEC_DATABASE_URL at `url` (a database create_database just made) and make
    it a migrated database, with `load` the embedded CSTO loaded and the operator account
    `collsec db setup` creates (two journal entries): a copy of this process's template."""
    os.environ["COLLSEC_DATABASE_URL"] = url
    _copy_database(_template(load), url)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for url in _TEMPLATES.values():
        drop_database(url)
    _TEMPLATES.clear()


def isolated_database(tmp_dir: Path, *, load: bool = True) -> str:
    """A new, migrated (and loaded) database; the caller's COLLSEC_DATABASE_URL is kept."""
    url = create_database(tmp_dir)
    with pointing_at(url):
        prepare(url, load=load)
    return url


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database with no data; COLLSEC_DATABASE_URL points at it."""
    url = create_database(tmp_path)
    monkeypatch.setenv("COLLSEC_DATABASE_URL", url)
    prepare(url, load=False)
    yield url
    drop_database(url)


@pytest.fixture
def csto_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database with the embedded CSTO loaded; free to change."""
    url = create_database(tmp_path)
    monkeypatch.setenv("COLLSEC_DATABASE_URL", url)
    prepare(url, load=True)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def csto_readonly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One CSTO database shared by tests that only read; use with `use_db`."""
    url = isolated_database(tmp_path_factory.mktemp("readonly"))
    yield url
    drop_database(url)


@pytest.fixture
def use_db(csto_readonly: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLLSEC_DATABASE_URL", csto_readonly)
    return csto_readonly


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the repo: skipped when absent, a failure when COLLSEC_REQUIRE_SHARED=1."""
    if not SHARED.is_dir():
        if os.environ.get("COLLSEC_REQUIRE_SHARED") == "1":
            pytest.fail(f"{SHARED} is required (COLLSEC_REQUIRE_SHARED=1) but missing")
        pytest.skip("../shared is not beside the repository")
    return SHARED


def make_user(username: str, principal: str, roles: list[str],
              password: str = "correct-horse-battery") -> str:
    """A user of the database COLLSEC_DATABASE_URL names; returns a fresh API token."""
    from collsec.core import clock
    from collsec.core.auth import service as auth

    with db.write_session() as s:
        auth.add_user(s, *auth.installer(), username=username, principal=principal, roles=roles,
                      now=clock.now(), password=password)
    with db.write_session() as s:
        _, token = auth.create_token(s, *auth.installer(), username=username, name="test",
                                     now=clock.now())
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def selects(run: Callable[[], object]) -> list[str]:
    """The SELECT statements `run()` sends to the database (for tests that a page or a
    check costs what it should, not one query per row)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen
