"""What every browser test shares: Debian's Chromium, the real server in its own process,
and a route handler that lets only loopback requests through (the machines are offline)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def require_chromium() -> None:
    """Skip where there is no browser, unless the run says a browser is required."""
    if CHROMIUM.exists():
        return
    if os.environ.get("COLLSEC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"COLLSEC_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(database_url: str, *, browser: bool = True, **env: str) -> Iterator[str]:
    """The real app under uvicorn in its own process, on a free loopback port
    (`browser=False` for tests that talk HTTP only and need no Chromium)."""
    if browser:
        require_chromium()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "collsec.web.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "COLLSEC_DATABASE_URL": database_url, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"server exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{base}/static/collsec.css", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def only_loopback(blocked: list[str]) -> Any:
    """A Playwright route handler: loopback requests pass, others abort and are noted."""

    def handle(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handle


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def wait_until(page: Any, expression: str, timeout: float) -> None:
    """Poll `expression` in the page until it is truthy, or fail after `timeout` ms.
    Playwright's wait_for_function evaluates a string with eval inside the page, which the
    pages' Content-Security-Policy (no unsafe-eval) rightly refuses; `evaluate` runs it
    through the browser's debugging protocol instead, as a script the page did not make."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        if page.evaluate(expression):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} ms: {expression}")
        page.wait_for_timeout(50)
