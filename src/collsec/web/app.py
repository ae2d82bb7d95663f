"""The ASGI application: JSON API, HTML pages and problem+json errors in one app."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from collsec import __version__
from collsec.core import problems
from collsec.registry import api as registry_api


def create_app() -> FastAPI:
    app = FastAPI(
        title="collsec",
        version=__version__,
        description="Registry, charter engine and crisis response of a collective security "
        "organization. Every registry query takes `as_of` (ISO date, default today). "
        "Errors are problem+json (RFC 9457).",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    problems.install(app)
    app.include_router(registry_api.router)
    static = resources.files("collsec.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    try:
        from collsec.registry import views as registry_views
    except ImportError:  # pages arrive in their own module
        registry_views = None  # type: ignore[assignment]
    if registry_views is not None:
        app.include_router(registry_views.router)
    return app
