"""Mapping domain errors to problem+json (RFC 9457) answers, once, for the whole app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from collsec.core.errors import CollsecError

MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, slug: str, instance: str,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": f"https://collsec.invalid/problems/{slug}", "title": title,
            "status": status, "detail": detail, "instance": instance, **extra}
    sent = dict(headers or {})
    if status == 401:  # RFC 9110: a 401 names the scheme that would do
        sent.setdefault("WWW-Authenticate", 'Bearer realm="collsec"')
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=sent)


def install(app: FastAPI) -> None:
    @app.exception_handler(CollsecError)
    async def _domain(request: Request, exc: CollsecError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.type_slug, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, "Invalid input", detail, "invalid-input", request.url.path,
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem(request, exc)


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # The framework's own headers go with it: `Allow` on a 405 above all.
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed(request)
    return problem(exc.status_code, str(exc.detail), str(exc.detail),
                   f"http-{exc.status_code}", request.url.path, headers=headers)


def allowed(request: Request) -> str:
    """Every method some route of the app takes at this path. Starlette's own `Allow`
    names only the first route whose path matched, though another (a POST beside a GET)
    may take the same path."""
    path = request.url.path
    return ", ".join(sorted({m for pattern, methods in _patterns(request.app.router.routes)
                             if pattern.match(path) for m in methods}))


def _patterns(routes: list[Any], prefix: str = "") -> list[tuple[Any, set[str]]]:
    """(path regex, methods) of every route, into included routers as FastAPI keeps them."""
    found: list[tuple[Any, set[str]]] = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _patterns(route.original_router.routes,
                               prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            found.append((compile_path(prefix + route.path)[0], set(route.methods)))
    return found
