"""Fixtures of the web tests: pages read the shared CSTO database on a pinned day."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collsec.web.app import create_app

# Pinned so "today" answers the same on any day the suite runs (see collsec.core.clock).
TODAY = "2025-06-01"


@pytest.fixture(scope="session")
def today() -> str:
    return TODAY


@pytest.fixture
def client(use_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A fresh client per test on the read-only CSTO database (tests/conftest.py).

    Pages only read, so they share one database; a new client per test keeps a
    language cookie from leaking into the next test.
    """
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c
