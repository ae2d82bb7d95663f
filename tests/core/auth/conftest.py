"""One CSTO database per test module for the account tests; each test uses its own users."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import drop_database, isolated_database


@pytest.fixture(scope="module")
def _module_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = isolated_database(Path(tmp_path_factory.mktemp("auth")))
    yield url
    drop_database(url)


@pytest.fixture
def auth_db(_module_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The module's CSTO database, named by COLLSEC_DATABASE_URL for this test."""
    monkeypatch.setenv("COLLSEC_DATABASE_URL", _module_db)
    return _module_db
