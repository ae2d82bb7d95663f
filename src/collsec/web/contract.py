"""The API's OpenAPI document, as the API behaves: errors as problem+json (RFC 9457), the
statuses each kind of route can answer, and the two ways to authenticate.

FastAPI declares only 200/201 and its own 422 schema as `application/json`; a client
generated from that would not know a refusal when it sees one. The answers below are
what `core.problems` and `web.limits` send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from collsec.core.problems import MEDIA_TYPE
from collsec.web.access import Requires

PROBLEM = {
    "type": "object",
    "description": "An error (RFC 9457).",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "a domain error's code (the end of `type`)"},
        "params": {"type": "object", "description": "the values a domain error's message "
                   "names, for a client that words it itself", "additionalProperties": {}},
        "errors": {"type": "array", "description": "422 only: each invalid field",
                   "items": {"type": "object", "properties": {
                       "loc": {"type": "array", "items": {}}, "msg": {"type": "string"},
                       "type": {"type": "string"}}}},
    },
}
SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An API token (`collsec users token`, `POST /api/v1/me/tokens`)."},
    "session": {"type": "apiKey", "in": "cookie", "name": "collsec_session",
                "description": "A signed-in browser; a write also sends the session's token "
                               "as `X-CSRF-Token`."},
}
# What every route may answer whatever it does, and what a route with a body adds.
ALWAYS = {
    "400": "a malformed request (e.g. a Content-Length that is not a length)",
    "404": "no such object, or one the caller may not read (the same answer)",
    "414": "the query string or the path is too long",
    "422": "invalid input, named field by field",
}
SIGNED_IN = {"401": "no valid token or session", "403": "the caller's role or standing "
             "does not allow it, a one-time password is still to be changed, or a CSRF check "
             "failed"}
WITH_BODY = {"413": "the body is larger than the route takes"}
# What every write may meet: the object is not in a state that takes it.
CONFLICT = {"409": "the object's state does not allow it (a closed item, a token already "
                   "revoked, a decision not adopted)"}
# Every API write may carry a key (web.idempotency); these are what a key adds.
KEYED = {"409": "the object's state does not allow it; or a request with this "
                "Idempotency-Key was carried out but its answer is not kept (still running, "
                "or lost with its process): it is not carried out again",
         "422": "invalid input, named field by field, or an Idempotency-Key used before "
                "with another request"}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any 1 to 200 visible ASCII characters (a UUID). Sent again with the "
                   "same request, the first answer comes back (`Idempotent-Replayed: "
                   "true`) and nothing is done twice, even if the first answer was lost.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200}}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` describe the API as it behaves."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schemas["Problem"] = PROBLEM
        components["securitySchemes"] = SCHEMES
        public = _public_operations(app.routes)
        for path, operations in doc.get("paths", {}).items():
            for method, op in operations.items():
                _declare(path, method, op, (path, method.upper()) in public)
                for parameter in op.get("parameters", []):
                    _no_nul(parameter.get("schema", {}))
        for name in _taken(doc, schemas):  # what requests carry, not what answers do
            _no_nul(schemas[name])
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


# No text the API takes holds a NUL (web/body.py, web/limits.py): PostgreSQL refuses one.
NO_NUL = r"^[^\x00]*$"


def _taken(doc: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The component schemas a request body uses, however deep."""
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                yield ref.rsplit("/", 1)[1]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found: set[str] = set()
    todo = [r for ops in doc.get("paths", {}).values() for op in ops.values()
            for r in refs(op.get("requestBody", {}))]
    while todo:
        name = todo.pop()
        if name not in found and name in schemas:
            found.add(name)
            todo.extend(refs(schemas[name]))
    return found


def _no_nul(schema: Any) -> None:
    """Say so of every free text in `schema`, however deep (one with a pattern, an enum
    or a format of its own says more already)."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(
            schema):
        schema["pattern"] = NO_NUL
    if schema.get("type") == "object" and "properties" not in schema:  # a mapping: its keys
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
    for key in ("items", "additionalProperties"):
        _no_nul(schema.get(key))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            _no_nul(sub)
    for sub in schema.get("properties", {}).values():
        _no_nul(sub)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _public_operations(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(path, METHOD) of every route whose access declaration is public (`Requires(...,
    public=True)`), recursing into included routers as FastAPI keeps them."""
    found: set[tuple[str, str]] = set()
    for r in routes:
        if hasattr(r, "original_router"):
            found |= _public_operations(r.original_router.routes,
                                        prefix + r.include_context.prefix)
        elif isinstance(r, APIRoute) and any(
                isinstance(d, Requires) and d.public for d in _calls(r.dependant)):
            found |= {(prefix + r.path, m) for m in r.methods}
    return found


def _calls(dependant: Any) -> list[Any]:
    out = []
    for sub in dependant.dependencies:
        out.append(sub.call)
        out.extend(_calls(sub))
    return out


def _declare(path: str, method: str, op: dict[str, Any], public: bool) -> None:
    responses = op.setdefault("responses", {})
    answers = dict(ALWAYS)
    if method in ("post", "put", "patch", "delete"):
        answers.update(WITH_BODY)
        answers.update(CONFLICT)
    if method == "post" and path.startswith("/api/"):
        answers.update(KEYED)
        op.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    answers.update(SIGNED_IN)  # public reads answer 401 for a bad token all the same
    for status, description in answers.items():
        responses[status] = _problem(description)
    # Either credential will do; a public route needs none (an empty requirement).
    op["security"] = [{"bearer": []}, {"session": []}] + ([{}] if public else [])
