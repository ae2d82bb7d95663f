"""The servers a benchmark drives on loopback, each in its own process, until it is told to
stop: collsec under uvicorn, or any other (medallion). Benchmarks do not import tests, so
this is their own twin of tests/browser.py's `running_server`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def collsec_command(port: int) -> list[str]:
    """collsec's app under uvicorn on a loopback port, as `collsec serve` runs it."""
    return [sys.executable, "-m", "uvicorn", "--factory", "collsec.web.app:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]


@contextmanager
def running(argv: Sequence[str], env: dict[str, str], ready: Callable[[], bool], *,
            log: Path | None = None, within: float = 60) -> Iterator[None]:
    """`argv` in its own process (its output to `log`, else inherited) until `ready()` says
    it answers; stopped on leaving, killed if it will not stop."""
    out = open(log, "wb") if log is not None else None  # noqa: SIM115 (closed below)
    try:
        proc = subprocess.Popen(list(argv), env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT if out is not None else None)
        try:
            deadline = time.monotonic() + within
            while True:
                if proc.poll() is not None:
                    said = log.read_text(errors="replace")[-3000:] if log is not None else ""
                    raise RuntimeError(f"{argv[2]} exited with {proc.returncode}:\n{said}")
                try:
                    if ready():
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[2]} did not answer within {within:.0f} s")
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        if out is not None:
            out.close()


@contextmanager
def collsec(url: str, *, log: Path | None = None) -> Iterator[str]:
    """collsec on a free loopback port over the database at `url`: its base URL, once its
    static files answer."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(collsec_command(port), {"COLLSEC_DATABASE_URL": url},
                 lambda: httpx.get(f"{base}/static/collsec.css", timeout=2).status_code == 200,
                 log=log):
        yield base
