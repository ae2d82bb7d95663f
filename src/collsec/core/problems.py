"""Mapping domain errors to problem+json (RFC 9457) answers, once, for the whole app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from collsec.core import i18n
from collsec.core.errors import CollsecError

MEDIA_TYPE = "application/problem+json"


def language(request: Request) -> str:
    """The language of a problem: `?lang=` (a page's form asking for JSON), else the
    request's Accept-Language."""
    param = (request.query_params.get("lang") or "").lower()
    if param in i18n.LANGUAGES:
        return param
    return i18n.accept_language(request.headers.get("accept-language"))


def domain_problem(request: Request, exc: CollsecError, lang: str | None = None
                   ) -> JSONResponse:
    """A domain error as problem+json in the caller's language: `detail` worded for the
    reader, and beside it the error's `code` and `params` for a client that words it
    itself."""
    lang = lang or language(request)
    title, detail = i18n.worded(exc, lang)
    return problem(exc.status, title, detail, exc.type_slug, request.url.path,
                   headers={"Content-Language": lang}, code=exc.type_slug,
                   params={k: i18n.plain(v) for k, v in exc.params.items()})


# pydantic's error types, as templates of our own (its `ctx` fills them)
VALIDATION = {
    "missing": "required",
    "extra_forbidden": "not a field this request takes",
    "string_too_long": "at most {max_length} characters",
    "string_too_short": "at least {min_length} characters",
    "too_long": "at most {max_length} items",
    "too_short": "at least {min_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be text",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "json_invalid": "the body is not valid JSON",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "string_pattern_mismatch": "does not have the expected form",
    "string_nul": "holds a NUL character",
    "value_error": "{error}",
}


def _validation_message(error: Mapping[str, Any], lang: str) -> str:
    """One validation error in `lang`: our template for its type, else pydantic's text."""
    template = VALIDATION.get(str(error.get("type", "")))
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if template is None or (template == "{error}" and "error" not in ctx):
        return str(error.get("msg", ""))
    try:
        return i18n.translations(lang).gettext(template).format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", ""))


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
        return domain_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = language(request)
        errors = [{"loc": list(e.get("loc", ())), "msg": _validation_message(e, lang),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, i18n.translations(lang).gettext("Invalid input"), detail,
                       "invalid-input", request.url.path, errors=errors,
                       headers={"Content-Language": lang})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem(request, exc)


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # The framework's own headers go with it: `Allow` on a 405 above all.
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed(request)
    lang = language(request)
    headers["Content-Language"] = lang
    text = i18n.translations(lang).gettext(str(exc.detail))
    return problem(exc.status_code, text, text, f"http-{exc.status_code}", request.url.path,
                   headers=headers)


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
