"""Every feature package's tables, imported so the metadata (and Alembic) sees them all.

Adding a feature package with tables means adding its `tables` module here.
"""

from __future__ import annotations

from collsec.core import idempotency, journal  # noqa: F401
from collsec.core.auth import tables as auth_tables  # noqa: F401
from collsec.core.db import Base
from collsec.crisis.escalation import tables as escalation_tables  # noqa: F401
from collsec.crisis.forces import tables as forces_tables  # noqa: F401
from collsec.crisis.incidents import tables as incident_tables  # noqa: F401
from collsec.decisions import tables as decisions_tables  # noqa: F401
from collsec.documents import tables as documents_tables  # noqa: F401
from collsec.exchange import tables as exchange_tables  # noqa: F401
from collsec.exercises import run_tables as exercise_run_tables  # noqa: F401
from collsec.exercises import tables as exercises_tables  # noqa: F401
from collsec.operations import tables as operations_tables  # noqa: F401
from collsec.registry import tables as registry_tables  # noqa: F401

metadata = Base.metadata
