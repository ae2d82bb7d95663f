"""Settings read from the environment, once, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The organization the platform runs when COLLSEC_ORG names none: the embedded default's
# folder (collsec/data/csto). The only place in code that names it.
DEFAULT_ORG = "CSTO"


@dataclass(frozen=True)
class Settings:
    database_url: str
    organization: str
    host: str
    port: int
    live_heartbeat: float = 15.0  # seconds between heartbeats of a live stream
    live_max_stream: float = 3600.0  # seconds before a live stream ends (clients reconnect)
    # seconds an event may take from its commit to its stream before the stream tells its
    # reader it is delayed (and, when events are on time again, live)
    live_delayed: float = 2.0
    live_backlog: int = 1000  # events queued for a stream before its reader is cut off
    # folders searched, in order, for organization folders (named by the lower-case code)
    # before the embedded package collsec.data
    org_path: tuple[str, ...] = ()
    # cookies marked Secure whatever the scheme the app sees: production behind a proxy
    # that ends TLS turns it on (COLLSEC_SECURE_COOKIES=1)
    secure_cookies: bool = False
    # hours an Idempotency-Key is kept at least (a retry after that is a new request)
    idempotency_hours: float = 24.0
    # a Dask scheduler (tcp://HOST:PORT) that runs the simulation's sweeps; empty: the
    # processes of this machine
    cluster: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_sqlite_url() -> str:
    """The embedded database lives in ./var/ of the working directory."""
    path = Path(os.environ.get("COLLSEC_DATA_DIR", "var")).resolve() / "collsec.db"
    return f"sqlite:///{path}"


def org_path() -> tuple[str, ...]:
    """COLLSEC_ORG_PATH: folders (separated by os.pathsep) holding organization folders."""
    return tuple(p for p in os.environ.get("COLLSEC_ORG_PATH", "").split(os.pathsep) if p)


def database_url() -> str:
    """COLLSEC_DATABASE_URL, or the embedded SQLite database (asked by every unit of work,
    so it reads one variable rather than every setting)."""
    url = os.environ.get("COLLSEC_DATABASE_URL") or default_sqlite_url()
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain URLs should just work.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def load() -> Settings:
    return Settings(
        database_url=database_url(),
        organization=os.environ.get("COLLSEC_ORG", DEFAULT_ORG),
        host=os.environ.get("COLLSEC_HOST", "127.0.0.1"),
        port=int(os.environ.get("COLLSEC_PORT", "8000")),
        live_heartbeat=float(os.environ.get("COLLSEC_LIVE_HEARTBEAT", "15")),
        live_max_stream=float(os.environ.get("COLLSEC_LIVE_MAX_STREAM", "3600")),
        live_delayed=float(os.environ.get("COLLSEC_LIVE_DELAYED", "2")),
        live_backlog=int(os.environ.get("COLLSEC_LIVE_BACKLOG", "1000")),
        org_path=org_path(),
        secure_cookies=os.environ.get("COLLSEC_SECURE_COOKIES", "").strip().lower()
        in ("1", "true", "yes"),
        idempotency_hours=float(os.environ.get("COLLSEC_IDEMPOTENCY_HOURS", "24")),
        cluster=os.environ.get("COLLSEC_CLUSTER", "").strip(),
    )
