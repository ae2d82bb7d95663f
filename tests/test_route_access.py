"""Every route declares its access, and the declaration holds when the route is called.

The walker reads the routes the application registers (JSON API and HTML pages
alike; FastAPI keeps included routers as `_IncludedRouter` objects whose
`original_router.routes` hold the routes) and finds, in each route's dependency
tree, the `collsec.web.access.Requires` declaration. A route without one fails
`test_every_route_declares_its_access`; the self-test below shows that a new
undeclared route is caught. Each declared route is then called anonymously, by a
delegation whose role lacks the route's action, and by an administrator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount

from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.core.auth.tables import UserRow
from collsec.documents.tables import DocumentRow
from collsec.web.access import PRE_CSRF_COOKIE, Requires
from collsec.web.app import create_app
from tests.conftest import (
    bearer,
    create_database,
    drop_database,
    make_user,
    prepare,
)

TODAY = "2025-06-01"

# Paths served without an access declaration, each with its reason. Nothing else is.
EXEMPT = {
    "/static": "static files (CSS, icons) of the pages: a mount, no data",
    "/static/swagger": "the installed swagger-ui bundle: a mount, no data",
    "/api/docs": "the API explorer's HTML shell; it loads the OpenAPI document only",
    "/api/openapi.json": "the API's description; it holds no data of the registry",
}


# -- the walker ------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One route as the application serves it: full path, methods, the route object, and
    the dependencies the routers it was included through add to it."""

    path: str
    methods: frozenset[str]
    route: BaseRoute
    included_dependencies: tuple[Any, ...] = field(default=())

    @property
    def is_api_route(self) -> bool:
        return isinstance(self.route, APIRoute)


def walk(routes: list[BaseRoute], prefix: str = "",
         dependencies: tuple[Any, ...] = ()) -> Iterator[Entry]:
    """Every route of an application, recursing into included routers."""
    for r in routes:
        if hasattr(r, "original_router"):
            ctx = r.include_context  # type: ignore[attr-defined]
            yield from walk(r.original_router.routes, prefix + ctx.prefix,  # type: ignore
                            dependencies + tuple(ctx.dependencies))
        elif isinstance(r, Mount):
            yield Entry(prefix + r.path, frozenset(), r, dependencies)
        else:
            methods = getattr(r, "methods", None) or set()
            # As the OpenAPI document names it: `{incident_id}`, not `{incident_id:int}`.
            path = getattr(r, "path_format", None) or getattr(r, "path", "")
            yield Entry(prefix + path, frozenset(methods), r, dependencies)


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in getattr(dependant, "dependencies", []):
        yield sub.call
        yield from _calls(sub)


def declarations(entry: Entry) -> list[Requires]:
    """The `Requires` instances in the route's dependency tree (and its routers')."""
    calls = [d.dependency for d in entry.included_dependencies]
    if isinstance(entry.route, APIRoute):
        calls += list(_calls(entry.route.dependant))
    return [c for c in calls if isinstance(c, Requires)]


def undeclared(app: FastAPI, exempt: dict[str, str]) -> list[str]:
    return sorted(f"{'/'.join(sorted(e.methods)) or 'MOUNT'} {e.path}" for e in walk(app.routes)
                  if e.path not in exempt and not declarations(e))


APP = create_app()
ENTRIES = [e for e in walk(APP.routes) if e.path not in EXEMPT]
CALLS = [(e, m) for e in ENTRIES if e.is_api_route for m in sorted(e.methods - {"HEAD"})]


def test_every_request_body_refuses_unknown_fields() -> None:
    """Each body model is a `web.body.Body` (extra fields forbidden), so a misspelt field
    is a 422 naming it rather than a default silently taken."""
    from collsec.web.body import Body

    bodies = {e.path: p.field_info.annotation for e in ENTRIES
              if isinstance(e.route, APIRoute) and e.path.startswith("/api/")
              for p in e.route.dependant.body_params}
    assert len(bodies) > 15
    assert [path for path, model in bodies.items()
            if not (isinstance(model, type) and issubclass(model, Body))] == []


def test_every_route_declares_its_access() -> None:
    assert undeclared(APP, EXEMPT) == [], (
        "routes without Depends(Requires(...)); declare who may call them")


def test_every_exemption_names_a_route_that_exists() -> None:
    assert set(EXEMPT) <= {e.path for e in walk(APP.routes)}


def test_the_walker_sees_every_path_of_the_openapi_document() -> None:
    walked = {e.path for e in ENTRIES if e.is_api_route}
    documented = set(APP.openapi()["paths"])
    assert documented and documented <= walked
    assert {"/", "/states/{code}"} <= walked  # HTML pages, outside the OpenAPI document


def test_each_route_has_exactly_one_access_declaration() -> None:
    """One declaration per route, so the one this test reads is the one that is enforced."""
    several = [e.path for e in ENTRIES if len(declarations(e)) > 1]
    assert several == []


# -- self-test of the walker -------------------------------------------------------------

def test_the_walker_flags_a_route_added_without_a_declaration() -> None:
    app = FastAPI()

    @app.get("/declared")
    def declared(_: object = Depends(Requires("read", public=True))) -> dict[str, str]:
        return {}

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    inner = APIRouter(prefix="/inner")

    @inner.post("/forgotten-too")
    def forgotten_too() -> dict[str, str]:
        return {}

    guarded = APIRouter(prefix="/guarded", dependencies=[Depends(Requires("read_audit"))])

    @guarded.get("/by-its-router")
    def by_router() -> dict[str, str]:
        return {}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner, prefix="/nested")
    app.include_router(outer)
    app.include_router(guarded)
    app.include_router(APIRouter(), dependencies=[Depends(Requires("publish"))])

    flagged = undeclared(app, {"/openapi.json": "", "/docs": "", "/docs/oauth2-redirect": "",
                               "/redoc": ""})
    assert flagged == ["GET /forgotten", "POST /outer/nested/inner/forgotten-too"]
    by_path = {e.path: e for e in walk(app.routes)}
    assert [r.action for r in declarations(by_path["/guarded/by-its-router"])] == ["read_audit"]
    assert declarations(by_path["/declared"])[0].public


# -- a database with users of several principals -----------------------------------------

@dataclass
class World:
    url: str
    tokens: dict[str, str]
    members_doc: int
    spare_token: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        url = create_database(Path(tmp_path_factory.mktemp("routes")))
        mp.setenv("COLLSEC_DATABASE_URL", url)  # before `prepare` sets it, so it is restored
        prepare(url, load=True)
        mp.setenv("COLLSEC_TODAY", TODAY)
        tokens = {
            "admin": make_user("admin-sec", "organ:SEC", ["admin"]),
            "editor": make_user("editor-sec", "organ:SEC", ["editor"]),
            "kz": make_user("viewer-kz", "delegation:KZ", ["viewer"]),
            "kz-no-role": make_user("nobody-kz", "delegation:KZ", ["viewer"]),
            "by": make_user("viewer-by", "delegation:BY", ["viewer"]),
            "rep-kz": make_user("rep-kz", "delegation:KZ", ["representative"]),
            "duty-kz": make_user("duty-kz", "delegation:KZ", ["duty_officer"]),
            "ana-kz": make_user("ana-kz", "delegation:KZ", ["reporting_analyst"]),
            "vera-kz": make_user("vera-kz", "delegation:KZ", ["verifier"]),
            "rel-kz": make_user("rel-kz", "delegation:KZ", ["releasing_officer"]),
            "coord-kz": make_user("coord-kz", "delegation:KZ", ["national_coordinator"]),
        }
        with db.write_session() as s:
            # A signed-in delegation whose clearance grants no action, not even `read`.
            auth.get_user(s, "nobody-kz").roles = ""
            spare, _ = auth.create_token(s, *auth.installer(), username="admin-sec", name="spare",
                                         now=clock.now())
            members_doc = s.execute(select(DocumentRow.id).where(
                DocumentRow.visibility == "members").order_by(DocumentRow.id)).scalars().first()
        assert members_doc is not None
        yield World(url, tokens, members_doc, spare.id)
    drop_database(url)


@pytest.fixture
def client(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_DATABASE_URL", world.url)
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    monkeypatch.setenv("COLLSEC_LIVE_MAX_STREAM", "0")  # a live stream ends at once here
    with TestClient(create_app(), follow_redirects=False) as c:
        c.cookies.set(PRE_CSRF_COOKIE, CSRF)
        yield c


# -- sample requests ------------------------------------------------------------------------

CSRF = "route-walk-csrf-" + "x" * 32
SAMPLES = {"org": "CSTO", "code": "KZ", "year": "2020", "source_id": "seed-000",
           "state": "KZ"}
PATH_SAMPLES = {"/bodies/{code}": "CSC", "/lang/{code}": "ru"}  # where `code` means another
FIELD_SAMPLES: dict[str, Any] = {
    "state": "CN", "status": "observer", "valid_from": "2030-01-01", "valid_to": None,
    "kind": "statement", "date": "2020-01-01", "title_en": "Route walk",
    "visibility": "members", "name": "route walk", "expires": "",
    "username": "nobody-at-all", "password": "not-the-password", "current": "not-it-at-all",
    "new": "route-walk-new-1", "again": "route-walk-new-2", "csrf_token": CSRF, "next": "/",
}
# Routes where a delegation speaks for its own state: the sample names the caller's state,
# since naming another is refused by the service (403) whatever the route declares.
OWN_STATE_ROUTES = {"/api/v1/consultations", "/api/v1/assistance-requests"}
MARKED_OBJECT_PARAMS = {"doc_id", "document_id"}  # the sample names a members-only document


def _path_value(name: str, template: str, world: World) -> str:
    if name in MARKED_OBJECT_PARAMS:
        return str(world.members_doc)
    if name == "token_id":
        return str(world.spare_token)
    for fragment, value in PATH_SAMPLES.items():
        if fragment.replace("{code}", "{" + name + "}") in template:
            return value
    return SAMPLES.get(name, "1")


def _url(entry: Entry, world: World) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: _path_value(m.group(1), entry.path, world),
                  entry.path)


def _sample(annotation: Any, name: str) -> Any:
    if name in FIELD_SAMPLES:
        return FIELD_SAMPLES[name]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {n: _sample(f.annotation, n) for n, f in annotation.model_fields.items()
                if f.is_required() or n in FIELD_SAMPLES}
    if annotation is int:
        return 1
    if annotation is bool:
        return False
    return "x"


def _request_kwargs(entry: Entry) -> dict[str, Any]:
    assert isinstance(entry.route, APIRoute)
    params = entry.route.dependant.body_params
    if not params:
        return {}
    forms = [p for p in params if type(p.field_info).__name__ == "Form"]
    if forms:
        return {"data": {p.alias: _sample(p.field_info.annotation, p.alias) for p in forms}}
    if len(params) == 1:
        p = params[0]
        body = _sample(p.field_info.annotation, p.alias)
        if entry.path in OWN_STATE_ROUTES:
            body = {**body, "state": "KZ"}
        return {"json": body}
    return {"json": {p.alias: _sample(p.field_info.annotation, p.alias) for p in params}}


def _call(client: TestClient, method: str, entry: Entry, world: World,
          token: str | None = None) -> Any:
    return client.request(method, _url(entry, world), headers=bearer(token) if token else {},
                          **_request_kwargs(entry))


def _is_api(entry: Entry) -> bool:
    return entry.path.startswith("/api/")


def _to_login(r: Any) -> bool:
    return r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")


def _lacking(action: str) -> str:
    """A delegation whose clearance lacks `action` (every role may read; `nobody-kz` has
    no role at all)."""
    return "kz-no-role" if action in auth.policy().actions_for(["viewer"]) else "kz"


# -- calling every route ------------------------------------------------------------------

# Who is allowed each action, first match: the admin, then a delegation's officers.
CALLERS = (("admin", "admin"), ("duty-kz", "duty_officer"), ("rep-kz", "representative"),
           ("ana-kz", "reporting_analyst"), ("vera-kz", "verifier"),
           ("rel-kz", "releasing_officer"), ("coord-kz", "national_coordinator"))

@pytest.mark.parametrize("entry,method", CALLS,
                         ids=[f"{m} {e.path}" for e, m in CALLS])
def test_each_route_enforces_its_declaration(client: TestClient, world: World,
                                             entry: Entry, method: str) -> None:
    (req,) = declarations(entry)
    open_to_all = req.public and req.action == "read"
    marked_object = bool(set(re.findall(r"{(\w+)", entry.path)) & MARKED_OBJECT_PARAMS)

    anonymous = _call(client, method, entry, world)
    assert anonymous.status_code < 500, anonymous.text
    if not open_to_all:
        assert anonymous.status_code == 401 or (not _is_api(entry) and _to_login(anonymous)), (
            f"anonymous {method} {entry.path} answered {anonymous.status_code}")
        if _is_api(entry):
            assert anonymous.headers["content-type"].startswith("application/problem+json")

        lacking = _call(client, method, entry, world, world.tokens[_lacking(req.action)])
        assert lacking.status_code == 403, (
            f"{_lacking(req.action)} lacks {req.action} but {method} {entry.path} answered "
            f"{lacking.status_code}")
    elif marked_object:
        # Open route, members-only object: the object's marking refuses the anonymous reader,
        # as if it did not exist.
        assert anonymous.status_code == 404
        seen = _call(client, method, entry, world, world.tokens["kz"])
        assert seen.status_code == 200
    elif method == "GET":
        ok = {404, 422} | ({400} if not _is_api(entry) else set())
        assert 200 <= anonymous.status_code < 400 or anonymous.status_code in ok, (
            f"public {method} {entry.path} answered {anonymous.status_code}")

    # An admin may do everything but speak for a delegation or its crisis centre, or act
    # for a member's service in the exchange; a delegation's officers do that.
    caller = next((name for name, role in CALLERS
                   if req.action in auth.policy().actions_for([role])), "rep-kz")
    allowed = _call(client, method, entry, world, world.tokens[caller])
    assert allowed.status_code < 500, allowed.text
    if method == "GET" or _is_api(entry):
        # (An HTML form post may still refuse a stale form with 403, which is no access rule.)
        assert allowed.status_code not in (401, 403), (
            f"{caller} {method} {entry.path} answered {allowed.status_code}: "
            f"{allowed.text[:300]}")


def test_routes_were_called_at_all() -> None:
    methods = {m for _, m in CALLS}
    assert {"GET", "POST", "DELETE"} <= methods
    assert len(CALLS) >= 15


# -- restricted material across delegations ----------------------------------------------

def _html_document_page_exists() -> bool:
    return any(re.fullmatch(r"/documents/{\w+}", e.path) and "GET" in e.methods
               for e in ENTRIES)


def test_a_document_released_to_kazakhstan_is_refused_to_belarus(client: TestClient,
                                                                 world: World) -> None:
    created = client.post("/api/v1/documents", headers=bearer(world.tokens["editor"]), json={
        "kind": "report", "date": "2025-05-01", "title_en": "For Kazakhstan only",
        "visibility": "restricted", "released_to": ["delegation:KZ"]})
    assert created.status_code == 201, created.text
    doc = created.json()["id"]
    assert created.json()["owner"] == "organ:SEC"

    by, kz = bearer(world.tokens["by"]), bearer(world.tokens["kz"])
    refused = client.get(f"/api/v1/documents/{doc}", headers=by)
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"unknown document {doc}"
    assert client.get(f"/api/v1/documents/{doc}").status_code == 404
    assert client.get(f"/api/v1/documents/{doc}", headers=kz).status_code == 200
    assert client.get(f"/api/v1/documents/{doc}",
                      headers=bearer(world.tokens["editor"])).status_code == 200

    def listed(headers: dict[str, str]) -> set[int]:
        r = client.get("/api/v1/documents", headers=headers)
        assert r.status_code == 200
        return {d["id"] for d in r.json()["documents"]}

    assert doc not in listed(by)
    assert doc in listed(kz)
    assert doc not in listed({})
    assert world.members_doc in listed(by)  # Belarus is a member: only the release differs

    if _html_document_page_exists():
        page = client.get(f"/documents/{doc}", headers=by)
        assert page.status_code == 404
        assert "For Kazakhstan only" not in page.text
        assert client.get(f"/documents/{doc}", headers=kz).status_code == 200
    if any(e.path == "/documents" and "GET" in e.methods for e in ENTRIES):
        assert "For Kazakhstan only" not in client.get("/documents", headers=by).text
        assert "For Kazakhstan only" in client.get("/documents", headers=kz).text


def test_the_refused_read_was_not_audited_and_the_allowed_one_was(client: TestClient,
                                                                   world: World) -> None:
    created = client.post("/api/v1/documents", headers=bearer(world.tokens["editor"]), json={
        "kind": "report", "date": "2025-05-02", "title_en": "Audited release",
        "visibility": "restricted", "released_to": ["delegation:KZ"]})
    doc = created.json()["id"]
    client.get(f"/api/v1/documents/{doc}", headers=bearer(world.tokens["by"]))
    client.get(f"/api/v1/documents/{doc}", headers=bearer(world.tokens["kz"]))
    audit = client.get("/api/v1/audit", params={"object": f"document:{doc}", "kind": "read"},
                       headers=bearer(world.tokens["admin"])).json()["entries"]
    assert [(a["username"], a["principal"]) for a in audit] == [("viewer-kz", "delegation:KZ")]


def test_the_user_without_roles_really_has_none(world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLSEC_DATABASE_URL", world.url)
    with db.read_session() as s:
        row = s.execute(select(UserRow).where(UserRow.username == "nobody-kz")).scalar_one()
        assert auth.actor_for(row, "api").roles == frozenset()


# -- no route answers 5xx to odd but well-formed input ----------------------------------
# SQLite ignores VARCHAR lengths and has 64-bit integers while PostgreSQL refuses both:
# input is bounded before it reaches the database, so neither answers 500.

@pytest.mark.parametrize("method,path", [("GET", "/api/v1/documents/99999999999"),
                                         ("DELETE", "/api/v1/me/tokens/99999999999")])
def test_an_id_out_of_range_is_not_found_not_a_server_error(
        client: TestClient, world: World, method: str, path: str) -> None:
    r = client.request(method, path, headers=bearer(world.tokens["admin"]))
    assert r.status_code in (404, 422), r.status_code


@pytest.mark.parametrize("path,body", [
    ("/api/v1/me/tokens", {"name": "n" * 150}),
    ("/api/v1/documents", {"kind": "report", "date": "2025-01-01", "title_en": "t",
                           "body": "b" * 40}),
    ("/api/v1/documents", {"kind": "report", "date": "2025-01-01", "title_en": "t",
                           "number": "n" * 80}),
])
def test_an_overlong_field_is_refused_not_a_server_error(
        client: TestClient, world: World, path: str, body: dict[str, Any]) -> None:
    r = client.post(path, headers=bearer(world.tokens["admin"]), json=body)
    assert r.status_code < 500, r.status_code
