"""The ASGI application: JSON API, HTML pages and problem+json errors in one app."""

from __future__ import annotations

from importlib import resources

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from collsec import __version__, startup
from collsec.accounts import admin_views
from collsec.accounts import api as accounts_api
from collsec.accounts import views as accounts_views
from collsec.core import idempotency, problems
from collsec.core.auth import service as auth
from collsec.core.errors import CollsecError
from collsec.crisis.escalation import api as escalation_api
from collsec.crisis.escalation import views as escalation_views
from collsec.crisis.forces import api as forces_api
from collsec.crisis.forces import views as forces_views
from collsec.crisis.incidents import api as crisis_api
from collsec.crisis.incidents import situation_views as crisis_views
from collsec.crisis.incidents import views as incident_views
from collsec.crisis.live import api as live_api
from collsec.decisions import agreement_api, agreement_views, secretariat_views
from collsec.decisions import api as decisions_api
from collsec.decisions import views as decisions_views
from collsec.documents import api as documents_api
from collsec.exchange import api as exchange_api
from collsec.exchange import list_api, list_views, taxii
from collsec.exchange import views as exchange_views
from collsec.exercises import api as exercises_api
from collsec.exercises import run_api as exercise_run_api
from collsec.exercises import run_views as exercise_run_views
from collsec.exercises import views as exercises_views
from collsec.operations import api as operations_api
from collsec.operations import views as operations_views
from collsec.registry import api as registry_api
from collsec.registry import views as registry_views
from collsec.simulation import api as simulation_api
from collsec.simulation import views as simulation_views
from collsec.web import contract
from collsec.web.idempotency import Idempotency
from collsec.web.limits import Limits

API_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>collsec API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/static/swagger/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi="/api/openapi.json"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


def create_app() -> FastAPI:
    startup.wire()
    app = FastAPI(
        title="collsec",
        version=__version__,
        description="Registry, charter engine and crisis response of a collective security "
        "organization. Every registry query takes `as_of` (ISO date, default today). "
        "Errors are problem+json (RFC 9457).",
        docs_url=None,  # served below from the installed swagger-ui-bundle, not a CDN
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    problems.install(app)
    contract.install(app)  # the OpenAPI document says what the API answers
    app.add_middleware(Idempotency)  # inside Limits: a keyed POST is bounded first
    app.add_middleware(Limits)  # sizes and security headers, before anything reads a body

    @app.exception_handler(idempotency.Replay)
    async def _replay(request: Request, exc: idempotency.Replay) -> Response:
        first = exc.answer
        return Response(first.body, first.status, media_type=first.content_type,
                        headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(CollsecError)
    async def _domain_error(request: Request, exc: CollsecError) -> Response:
        if request.url.path.startswith("/taxii2/"):
            return taxii.error_response(request, exc)
        if request.url.path.startswith("/api/"):
            return problems.domain_problem(request, exc)
        if isinstance(exc, auth.PasswordChangeRequired) and request.method == "GET":
            return RedirectResponse("/account/password", status_code=303)
        return registry_views.error_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Machines get problem+json (TAXII clients a TAXII error); people get a page.
        if request.url.path.startswith("/taxii2/"):
            return taxii.http_error(exc.status_code, str(exc.detail))
        if request.url.path.startswith("/api/"):
            return problems.http_problem(request, exc)
        return registry_views.http_error_page(request, exc.status_code, str(exc.detail))
    app.include_router(registry_api.router)
    app.include_router(documents_api.router)
    app.include_router(exchange_api.router)
    app.include_router(list_api.router)
    app.include_router(operations_api.router)
    app.include_router(operations_views.router)
    app.include_router(exercises_api.router)
    app.include_router(exercise_run_api.router)
    app.include_router(exercises_views.router)
    app.include_router(exercise_run_views.router)
    app.include_router(simulation_api.router)
    app.include_router(simulation_views.router)
    app.include_router(taxii.router)
    app.include_router(accounts_api.router)
    app.include_router(decisions_api.router)
    app.include_router(agreement_api.router)
    app.include_router(live_api.router)  # before /incidents/{incident_id} would take "stream"
    app.include_router(crisis_api.router)
    app.include_router(forces_api.router)
    app.include_router(escalation_api.router)
    static = resources.files("collsec.web") / "static"
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI started by a script file of ours: the pages allow no inline script.
        return HTMLResponse(API_DOCS)

    app.include_router(registry_views.router)
    app.include_router(accounts_views.router)
    app.include_router(admin_views.router)
    app.include_router(secretariat_views.router)  # before /sessions/{id} takes "new"
    app.include_router(decisions_views.router)
    app.include_router(agreement_views.router)
    app.include_router(forces_views.router)
    app.include_router(escalation_views.router)
    app.include_router(incident_views.router)
    app.include_router(exchange_views.router)
    app.include_router(list_views.router)
    app.include_router(crisis_views.router)
    return app
