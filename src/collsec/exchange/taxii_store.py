"""What the TAXII server reads and writes, narrowed by the decision point: the collections a
caller may see (one per marking level it reads, and one of what is released to it or
its own), a collection's objects and manifest page by page, an object's versions, a POST
of objects (an import), its status, and a delete by the service that added it.

A page's `next` is the key of its last row (time added, row id), sealed with an HMAC so a
client can only pass back what it was given (no paging state on the server)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Integer,
    String,
    bindparam,
    delete,
    func,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from collsec.core import commands, db, journal
from collsec.core.auth import model as access
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.auth.tables import ReleaseRow
from collsec.core.commands import command
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.exchange import export, listing, stix, stix_store
from collsec.exchange.tables import ServerSecretRow, StixObjectRow, TaxiiStatusRow

OBJECT = stix_store.OBJECT
LEVELS = ("members", "partners", "observers", "public")  # a collection each
LIST = "unified-list"  # the unified list's collection (rendered, not held)
MAX_PAGE = 1000


@dataclass(frozen=True)
class Collection:
    id: str
    key: str  # a marking level, or "restricted"
    title: str
    description: str
    can_write: bool


def collections(c: Clearance, org: str) -> list[Collection]:
    """The collections the caller may read: one per marking level its clearance reads, the
    unified list for a reader of the list, and one of the restricted objects released to
    it or its own."""
    writes = auth.allows(c, "release_report", originator=c.principal).allowed \
        if c.principal else False
    out = [Collection(stix.stix_id("collection", org, level).split("--", 1)[1], level,
                      f"{level.capitalize()}",
                      f"Objects marked for {level}-level readers of {org}", writes)
           for level in LEVELS if level in c.levels]
    if access.may_read(c, listing.MEMBERS).allowed:
        out.append(Collection(stix.stix_id("collection", org, LIST).split("--", 1)[1], LIST,
                              "Unified list", f"The unified list of {org}: a threat actor "
                              "for each organization, with its standing today", False))
    if c.principal is not None and c.in_good_standing:
        out.append(Collection(stix.stix_id("collection", org, "restricted", c.principal)
                              .split("--", 1)[1], "restricted", f"Released to {c.principal}",
                              f"Restricted objects released to {c.principal} or its own",
                              writes))
    return out


def collection(c: Clearance, org: str, collection_id: str) -> Collection:
    for col in collections(c, org):
        if col.id == collection_id:
            return col
    raise NotFound("unknown collection {id}", id=collection_id[:60])


_SECRET = ServerSecretRow.__table__.c
_CURSOR_KEY = select(_SECRET.value).where(_SECRET.name == "taxii_cursor")


def _key(unit: Session | Connection) -> bytes:
    """The key page tokens are sealed with: COLLSEC_CURSOR_KEY if set, else the one this
    database was created with (so every process of a deployment shares it)."""
    given = os.environ.get("COLLSEC_CURSOR_KEY", "")
    if given:
        return given.encode()
    value = db.connection_of(unit).execute(_CURSOR_KEY).scalar()
    if value is None:
        raise RuntimeError("the database has no TAXII cursor key: run its migrations")
    return str(value).encode()


def seal(key: bytes, added: dt.datetime, row_id: int) -> str:
    text = f"{stix.timestamp(added)}|{row_id}"
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:24]
    return base64.urlsafe_b64encode(f"{text}|{mac}".encode()).decode().rstrip("=")


def _parsed(stamp: str) -> dt.datetime:
    """A STIX timestamp as `stix.timestamp` writes it, back to a time."""
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def unseal(key: bytes, token: str) -> tuple[dt.datetime, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at, row_id, mac = text.split("|")
        expected = hmac.new(key, f"{at}|{row_id}".encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(mac, expected):
            raise ValueError
        return _parsed(at), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("next: not a value this server gave") from None


# What a page reads of each object: a few of the table's columns, as plain rows (building a
# thousand ORM objects, and parsing columns nobody sends, was most of a page's time). The
# time added comes as the driver gives it (SQLite: text), turned into a time by `added`
# only where it is sent: parsing it for each of a thousand rows was half a page's time.
_T = StixObjectRow.__table__.c
_ADDED = type_coerce(_T.added_at, String).label("added_at")
FIELDS = {
    "objects": (_T.id, _ADDED, _T.content),
    "manifest": (_T.id, _ADDED, _T.stix_id, _T.version),
}
CONTENT = 2  # the place of `content` in an objects row (and in a `ListRow`)


def added(value: dt.datetime | str) -> dt.datetime:
    """A row's time added, as a time in UTC (SQLite's driver gives the stored text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Page:
    rows: list[Any]  # rows of FIELDS[what]; their `added_at` read through `added`
    more: bool
    next: str | None

    @property
    def added_first(self) -> dt.datetime | None:
        return added(self.rows[0].added_at) if self.rows else None

    @property
    def added_last(self) -> dt.datetime | None:
        return added(self.rows[-1].added_at) if self.rows else None


def _filtered(c: Clearance, org: str, col: Collection, *,
              ids: list[str], types: list[str], versions: list[str],
              columns: tuple[Any, ...] = (StixObjectRow,)) -> Any:
    # Over the table's columns, not the mapped class's: building the statement of a page
    # through the ORM's attributes cost as much as running it.
    stmt = select(*columns).where(_T.org == org, _T.visibility == col.key)
    stmt = auth.narrow(stmt, StixObjectRow, OBJECT, c)
    if ids:
        stmt = stmt.where(_T.stix_id.in_(ids))
    if types:
        stmt = stmt.where(_T.stix_type.in_(types))
    wanted = versions or ["last"]
    if "all" not in wanted:
        other = StixObjectRow.__table__.alias()
        picks: list[Any] = []
        for v in wanted:
            if v == "last":
                picks.append(_T.latest)
            elif v == "first":
                picks.append(_T.version == select(func.min(other.c.version)).where(
                    other.c.org == org, other.c.stix_id == _T.stix_id).scalar_subquery())
            else:
                picks.append(_T.version == v)
        stmt = stmt.where(or_(*picks))
    return stmt


# A page's statement for each shape of request (collection, filters, kind of reader), its
# values bound when it runs: building it again for each page, and SQLAlchemy's key for its
# compiled form, cost a tenth of a page of 1,000.
_PAGED: dict[tuple[Any, ...], Any] = {}


def _paged(c: Clearance, org: str, col: Collection, what: str, keyed: bool, after: bool, *,
           ids: list[str], types: list[str], versions: list[str]) -> Any:
    stmt = _filtered(c, org, col, ids=ids, types=types, versions=versions,
                     columns=FIELDS[what])
    if after:
        stmt = stmt.where(_T.added_at > bindparam("after", type_=_T.added_at.type))
    size = bindparam("size", type_=Integer())
    if not keyed:
        return stmt.order_by(_T.added_at, _T.id).limit(size)
    # The rest of the last row's instant, then what came later: two ranges of the (org,
    # added_at, id) index merged in order. As one `added_at > t OR (added_at = t AND id >
    # n)` the index gives only `added_at >= t`, and a POST's thousand objects share their
    # instant: each page read every row of the pages before it again.
    at = bindparam("at", type_=_T.added_at.type)
    same = stmt.where(_T.added_at == at, _T.id > bindparam("row_id", type_=Integer()))
    both = union_all(same, stmt.where(_T.added_at > at)).subquery()
    return select(both).order_by(both.c.added_at, both.c.id).limit(size)


@commands.query(plain=True)
def page(session: Session | Connection, c: Clearance, collection_id: str, *,
         added_after: dt.datetime | None, limit: int, next_token: str | None,
         ids: list[str], types: list[str], versions: list[str], spec_versions: list[str],
         now: dt.datetime, what: str = "objects", org: str | None = None) -> Page:
    """A page of the collection's objects the caller may read, oldest added first, as rows
    of `FIELDS[what]`; the restricted ones are audited (every row of a collection has its
    marking level). Its statements run on the unit's connection (a plain read, run alone:
    a thousand rows through an ORM session cost more than the query)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    col = collection(c, org, collection_id)
    if spec_versions and "2.1" not in spec_versions:
        return Page([], False, None)
    key = _key(session)
    if col.key == LIST:
        return _list_page(session, c, key, added_after=added_after, limit=limit,
                          next_token=next_token, ids=ids, types=types, versions=versions,
                          now=now)
    size = min(limit, MAX_PAGE) + 1  # one more than a page: is there a next one?
    given: dict[str, Any] = {"size": size, "after": added_after}
    if next_token:
        given["at"], given["row_id"] = unseal(key, next_token)
    shape = (org, col.key, what, bool(next_token), added_after is not None, tuple(versions),
             auth.narrowing_key(c))
    kept = not ids and not types  # a statement of named ids or types is not kept
    paged = _PAGED.get(shape) if kept else None
    if paged is None:
        paged = _paged(c, org, col, what, bool(next_token), added_after is not None,
                       ids=ids, types=types, versions=versions)
        if kept and len(_PAGED) < 4096:
            _PAGED[shape] = paged
    rows = list(db.connection_of(session).execute(paged, given).all())
    more = len(rows) > min(limit, MAX_PAGE)
    rows = rows[:min(limit, MAX_PAGE)]
    if col.key != "public":
        auth.audit_ids(session, c, OBJECT, [r[0] for r in rows], "taxii", at=now)
    return Page(rows, more, seal(key, added(rows[-1].added_at), rows[-1].id) if more else None)


class ListRow(NamedTuple):
    """An object of the unified list's collection, as a page's row (`FIELDS`' names)."""

    id: int  # its place in the list's bundle
    added_at: dt.datetime
    content: str
    stix_id: str
    version: str


def _list_page(unit: Session | Connection, c: Clearance, key: bytes, *,
               added_after: dt.datetime | None, limit: int, next_token: str | None,
               ids: list[str], types: list[str], versions: list[str], now: dt.datetime) -> Page:
    """A page of the unified list as its export gives it today (the publisher's identity,
    collsec's extension, a threat actor per entry; the read audited as the list's), each
    object added when its version was made: the list is charter data, changed by its own
    steps, so it is rendered on each request rather than held."""
    if isinstance(unit, Session):
        objects = export.list_bundle(unit, c, on=now.date(), now=now)
    else:  # the list's entries are read through the ORM: a session on the read's connection
        with Session(unit) as session:
            objects = export.list_bundle(session, c, on=now.date(), now=now)
            session.flush()  # what it added goes in the read, as a read session's commit would
            for write in session.info.pop(db.AFTER_READ, []):
                db.owe(unit, write)
    rows = sorted((ListRow(n, _parsed(o["modified"]), json.dumps(o, ensure_ascii=False),
                           o["id"], o["modified"]) for n, o in enumerate(objects)),
                  key=lambda r: (r.added_at, r.id))
    any_version = not versions or bool({"last", "first", "all"} & set(versions))  # one each
    picked = [r for r in rows
              if (added_after is None or r.added_at > added_after)
              and (not ids or r.stix_id in ids)
              and (not types or r.stix_id.split("--", 1)[0] in types)
              and (any_version or r.version in versions)]
    if next_token:
        at, row_id = unseal(key, next_token)
        picked = [r for r in picked if (r.added_at, r.id) > (at, row_id)]
    size = min(limit, MAX_PAGE)
    more = len(picked) > size
    picked = picked[:size]
    return Page(picked, more, seal(key, picked[-1].added_at, picked[-1].id) if more else None)


def status_document(status_id: str, done: stix_store.Imported, objects: list[Any],
                    at: dt.datetime) -> dict[str, Any]:
    """Every object of the POST succeeded (the import is all or nothing): each with what
    became of it; a marking definition is taken as the marking of the objects citing it."""
    # TAXII 2.1 (4.3.1): a status detail names the object's id and version
    versions = {str(o.get("id")): str(o.get("modified") or o.get("created") or "")
                for o in objects if isinstance(o, dict)}
    ok = [{"id": i, "version": versions.get(i, ""), "message": r} for i, r in done.results]
    ok += [{"id": str(o.get("id")), "version": versions[str(o.get("id"))],
            "message": "marking definition"} for o in objects
           if isinstance(o, dict) and o.get("type") == "marking-definition"]
    total = len(objects)
    return {"id": status_id, "status": "complete", "request_timestamp": stix.timestamp(at),
            "total_count": total, "success_count": len(ok), "successes": ok,
            "failure_count": 0, "failures": [], "pending_count": 0, "pendings": []}


@command("exchange.taxii_add", action="release_report")
def add_objects(session: Session, c: Clearance, actor: auth.Actor, collection_id: str, *,
                envelope: Any, now: dt.datetime, org: str | None = None) -> dict[str, Any]:
    """A POST of an envelope of objects: imported as one bundle (all or nothing); the
    status resource says what became of each."""
    org = auth.org_of(c, org)
    col = collection(c, org, collection_id)
    if not col.can_write:
        raise auth.NotEntitled("collection {id} takes no objects from {principal}",
                               id=col.id, principal=c.principal)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InvalidInput("an envelope holds its objects in a list (objects)")
    objects = envelope["objects"]
    done = stix_store.import_bundle(session, c, actor, bundle={
        "type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}, now=now)
    status_id = str(uuid.uuid4())
    document = status_document(status_id, done, objects, now)
    assert c.principal is not None
    session.add(TaxiiStatusRow(id=status_id, org=org, owner=c.principal, created_at=now,
                               content=json.dumps(document)))
    return document


@commands.query()
def status(session: Session, c: Clearance, status_id: str, org: str | None = None
           ) -> dict[str, Any]:
    org = auth.org_of(c, org)
    row = session.get(TaxiiStatusRow, status_id[:40])
    if row is None or row.org != org or row.owner != c.principal:
        raise NotFound("unknown status {id}", id=status_id[:40])
    document: dict[str, Any] = json.loads(row.content)
    return document


@command("exchange.taxii_delete", action="release_report")
def delete_object(session: Session, c: Clearance, actor: auth.Actor, collection_id: str,
                  object_id: str, *, versions: list[str], now: dt.datetime,
                  org: str | None = None) -> int:
    """Delete the versions of an object its caller's service added (not a report of
    ours: that is withdrawn by narrowing its releasability)."""
    org = auth.org_of(c, org)
    col = collection(c, org, collection_id)
    stmt = _filtered(c, org, col, ids=[object_id], types=[],
                     versions=versions or ["all"])
    rows = list(session.execute(stmt).scalars())
    if not rows:
        raise NotFound("unknown object {id}", id=object_id[:120])
    if any(r.owner != c.principal for r in rows):
        raise auth.NotEntitled("only the service that added {id} may delete it",
                               id=object_id[:120])
    if any(r.report_id is not None and r.stix_id == stix.stix_id("report", org, r.report_id)
           for r in rows):
        raise Conflict("{id} is a report of ours: narrow its releasability instead",
                       id=object_id[:120])
    if any(r.derived for r in rows):
        raise Conflict("{id} stands for a subject of our reports: it goes with them",
                       id=object_id[:120])
    ids = [r.id for r in rows]
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == OBJECT,
                                             ReleaseRow.object_id.in_(ids)))
    session.execute(delete(StixObjectRow).where(StixObjectRow.id.in_(ids)))
    stix_store.keep_latest(session, org, [object_id])
    journal.record(session, actor=actor, command="exchange.taxii_delete", payload={
        "id": object_id, "versions": sorted({r.version for r in rows})})
    return len(ids)
