"""The exercises' tests share the operations' rolled-back transaction and officers."""

from tests.operations.conftest import tx  # noqa: F401 (the fixture)
