"""A TAXII 2.1 server under /taxii2/: discovery, one API root, the collections the caller
may see, their objects and manifest page by page (`limit`, `next`, `added_after`,
`match[...]`), an object and its versions, a POST of objects with its status resource,
and a delete by the service that added an object. Authentication is an API token, as
Bearer or as HTTP Basic's password (TAXII clients send Basic). Requests and answers use
TAXII's media type; every error is a TAXII error message; the decision point narrows
every answer and the restricted objects in it are audited (`taxii_store`)."""

from __future__ import annotations

import json
import operator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from collsec.core import i18n
from collsec.core.errors import CollsecError, InvalidInput, NotFound
from collsec.core.times import parse_time
from collsec.exchange import stix, taxii_store
from collsec.web.access import Guard, Requires

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
ROOT = "collsec"
router = APIRouter(prefix="/taxii2", include_in_schema=False)
READ = Depends(Requires("read"))
WRITE = Depends(Requires("release_report"))


class NotAcceptable(CollsecError):
    status = 406
    title = "Not acceptable"
    type_slug = "not-acceptable"


class UnsupportedMedia(CollsecError):
    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


def _accepts(request: Request) -> None:
    """The client must take TAXII 2.1 (`application/taxii+json`, version 2.1 or none)."""
    accept = request.headers.get("accept", "")
    for part in accept.split(","):
        media, *params = [p.strip().lower() for p in part.split(";")]
        version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), "2.1")
        if media in ("application/taxii+json", "*/*", "application/*") and version == "2.1":
            return
    raise NotAcceptable("send Accept: {media}", media=TAXII)


def answer(document: Any, status: int = 200, headers: dict[str, str] | None = None
           ) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status, media_type=TAXII,
                    headers=headers)


def error_response(request: Request, exc: CollsecError) -> Response:
    """A TAXII error message for a refusal on a TAXII route."""
    title, detail = i18n.worded(exc, "en")
    headers = {"WWW-Authenticate": 'Basic realm="collsec TAXII"'} if exc.status == 401 \
        else None
    return answer({"title": title, "description": detail, "http_status": str(exc.status),
                   "error_code": exc.type_slug}, exc.status, headers)


def http_error(status: int, text: str) -> Response:
    return answer({"title": text, "http_status": str(status)}, status)


@router.get("/")
def discovery(request: Request, guard: Guard = READ) -> Response:
    _accepts(request)
    base = str(request.base_url).rstrip("/")
    return answer({"title": f"{guard.org} exchange", "description": "STIX 2.1 objects of "
                   f"{guard.org}'s secure information exchange",
                   "default": f"{base}/taxii2/{ROOT}/", "api_roots": [f"{base}/taxii2/{ROOT}/"]})


@router.get(f"/{ROOT}/")
def api_root(request: Request, guard: Guard = READ) -> Response:
    _accepts(request)
    return answer({"title": f"{guard.org} exchange", "versions": [TAXII],
                   "max_content_length": 32 * 1024 * 1024})


def _collection_document(col: taxii_store.Collection) -> dict[str, Any]:
    return {"id": col.id, "title": col.title, "description": col.description,
            "can_read": True, "can_write": col.can_write, "media_types": [STIX]}


@router.get(f"/{ROOT}/collections/")
def collections(request: Request, guard: Guard = READ) -> Response:
    _accepts(request)
    cols = taxii_store.collections(guard.clearance, guard.org)
    return answer({"collections": [_collection_document(c) for c in cols]})


@router.get(f"/{ROOT}/collections/{{collection_id}}/")
def collection(request: Request, collection_id: str, guard: Guard = READ) -> Response:
    _accepts(request)
    return answer(_collection_document(taxii_store.collection(guard.clearance, guard.org,
                                                              collection_id)))


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params

    def listed(name: str) -> list[str]:
        values = [v for item in q.getlist(name) for v in item.split(",") if v.strip()]
        if len(values) > 100:
            raise InvalidInput("{name} names at most 100 values", name=name)
        return [v.strip()[:120] for v in values]

    after = q.get("added_after")
    limit = q.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 100_000:
        raise InvalidInput("limit is a whole number from 1")
    return {"added_after": parse_time(after, "added_after") if after else None,
            "limit": int(limit), "next_token": q.get("next") or None,
            "ids": listed("match[id]"), "types": listed("match[type]"),
            "versions": listed("match[version]"), "spec_versions": listed("match[spec_version]")}


def _page(request: Request, guard: Guard, collection_id: str, **more: Any
          ) -> taxii_store.Page:
    return taxii_store.page.run(guard.ctx, collection_id, **{**_filters(request), **more})


def _dates(p: taxii_store.Page) -> dict[str, str]:
    if p.added_first is None or p.added_last is None:
        return {}
    return {"X-TAXII-Date-Added-First": stix.timestamp(p.added_first),
            "X-TAXII-Date-Added-Last": stix.timestamp(p.added_last)}


_content = operator.itemgetter(taxii_store.CONTENT)  # a row's name costs ten times its place


def _envelope(p: taxii_store.Page) -> Response:
    """An envelope of held objects, their stored JSON spliced in as it is (parsing and
    writing again a page of 1,000 was most of its time; each was written by json.dumps)."""
    more = f', "next": {json.dumps(p.next)}' if p.next else ""
    body = (f'{{"more": {"true" if p.more else "false"}{more}, "objects": ['
            + ",".join(map(_content, p.rows)) + "]}")
    return Response(body, 200, media_type=TAXII, headers=_dates(p))


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/")
def objects(request: Request, collection_id: str, guard: Guard = READ) -> Response:
    _accepts(request)
    p = _page(request, guard, collection_id)
    return _envelope(p)


@router.post(f"/{ROOT}/collections/{{collection_id}}/objects/")
async def add_objects(request: Request, collection_id: str, guard: Guard = WRITE) -> Response:
    _accepts(request)
    media = request.headers.get("content-type", "").replace(" ", "").lower()
    if not media.startswith("application/taxii+json") or (
            "version=" in media and "version=2.1" not in media):
        raise UnsupportedMedia("send Content-Type: {media}", media=TAXII)
    try:
        envelope = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body is not JSON: send an envelope of STIX objects") from None
    document = taxii_store.add_objects.run(guard.ctx, collection_id, envelope=envelope)
    return answer(document, 202)


@router.get(f"/{ROOT}/status/{{status_id}}/")
def status(request: Request, status_id: str, guard: Guard = READ) -> Response:
    _accepts(request)
    return answer(taxii_store.status.run(guard.ctx, status_id))


@router.get(f"/{ROOT}/collections/{{collection_id}}/manifest/")
def manifest(request: Request, collection_id: str, guard: Guard = READ) -> Response:
    _accepts(request)
    p = _page(request, guard, collection_id, what="manifest")
    doc: dict[str, Any] = {"more": p.more, "objects": [
        {"id": r.stix_id, "date_added": stix.timestamp(taxii_store.added(r.added_at)),
         "version": r.version, "media_type": STIX} for r in p.rows]}
    if p.next:
        doc["next"] = p.next
    return answer(doc, headers=_dates(p))


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def one_object(request: Request, collection_id: str, object_id: str, guard: Guard = READ
               ) -> Response:
    _accepts(request)
    p = _page(request, guard, collection_id, ids=[object_id[:120]])
    if not p.rows:
        raise NotFound("unknown object {id}", id=object_id[:120])
    return _envelope(p)


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
def versions(request: Request, collection_id: str, object_id: str, guard: Guard = READ
             ) -> Response:
    _accepts(request)
    p = _page(request, guard, collection_id, ids=[object_id[:120]], versions=["all"],
              what="manifest")
    if not p.rows:
        raise NotFound("unknown object {id}", id=object_id[:120])
    doc: dict[str, Any] = {"more": p.more, "versions": [r.version for r in p.rows]}
    if p.next:
        doc["next"] = p.next
    return answer(doc, headers=_dates(p))


@router.delete(f"/{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def delete(request: Request, collection_id: str, object_id: str, guard: Guard = WRITE,
           match_version: list[str] = Query([], alias="match[version]")) -> Response:
    _accepts(request)
    taxii_store.delete_object.run(guard.ctx, collection_id, object_id[:120],
                                  versions=match_version)
    return answer({}, 200)
