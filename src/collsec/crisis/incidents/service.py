"""Incident use cases: report, list, read and update, each through the access-decision point.

An incident is a marked object like a document: `members` when every member
delegation may read it, `restricted` when the reporting centre released it to
named principals only (the reporter, its owner, always reads its own). Lists are
narrowed in SQL by `auth.narrow`; a single read is audited, and so is a refusal.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Dialect,
    Executable,
    Float,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from collsec.core import commands, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, may
from collsec.core.commands import command, query
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, OneOf
from collsec.core.text import check as check_text
from collsec.core.times import parse_time, stored, utc
from collsec.crisis import geo, model
from collsec.crisis.incidents.tables import Incident, IncidentRow, IncidentUpdateRow
from collsec.registry.charter import read_yaml

OBJECT = "incident"
MAX_TITLE = 300
MAX_DESCRIPTION = 20000
MAX_NOTE = 2000
MAX_OWNER = 60  # a reporting principal's key (delegation:KZ, organ:CRC)


@lru_cache(maxsize=8)
def taxonomy(org: str) -> model.Taxonomy:
    """The organization's incident taxonomy (`data/<org>/crisis.yaml`)."""
    data = read_yaml(org, "crisis.yaml")
    if not isinstance(data, dict) or not data:
        raise NotFound("{org} defines no crisis taxonomy", org=org)
    return model.load_taxonomy(data)


# A report's texts, each refused in words of its own: (not text, missing, too long).
_TEXT_REFUSALS = {
    "title": ("the title must be text, got {got}", "an incident needs a title",
              "the title is longer than {limit} characters"),
    "description": ("the description must be text, got {got}",
                    "an incident needs a description",
                    "the description is longer than {limit} characters"),
    "note": ("the note must be text, got {got}", "an incident needs a note",
             "the note is longer than {limit} characters"),
}


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    """A report's text as `core.text` takes it (a report is written by the driver's own
    statement, which the ORM's check of every row does not see): no NUL, and in the title
    no bidirectional control."""
    not_text, missing, too_long = _TEXT_REFUSALS[field]
    if not isinstance(value, str):
        raise InvalidInput(not_text, got=type(value).__name__)
    text = check_text(value, f"the {field}", None, line=field == "title").strip()
    if required and not text:
        raise InvalidInput(missing)
    if len(text) > limit:
        raise InvalidInput(too_long, limit=limit)
    return text


_INCIDENTS = cast(Table, IncidentRow.__table__)
VALUES = tuple(c.name for c in _INCIDENTS.c if c.name != "id")  # what check_report fills
# A report's row as the driver's own statement (report_incident runs on a driver unit).
_INSERT_INCIDENT = {
    "sqlite": f"INSERT INTO incidents ({', '.join(VALUES)}) "
              f"VALUES ({', '.join('?' for _ in VALUES)})",
    "postgresql": f"INSERT INTO incidents ({', '.join(VALUES)}) "
                  f"VALUES ({', '.join('%s' for _ in VALUES)}) RETURNING id"}


@lru_cache(maxsize=4)
def sqlite_processors(dialect: Dialect) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each incident column's own bind processor on SQLite: rows written with the driver's
    statements store what SQLAlchemy would (times as text), so they read back alike."""
    return tuple((c.name, c.type.dialect_impl(dialect).bind_processor(dialect))
                 for c in _INCIDENTS.c if c.name != "id")


def insert_incident(session: Session | commands.DriverUnit, values: dict[str, Any]) -> int:
    """Store one checked report's row; its new id."""
    cursor, dialect = commands.driver_of(session)
    if dialect == "postgresql":
        cursor.execute(_INSERT_INCIDENT[dialect], tuple(values[k] for k in VALUES))
        return int(cursor.fetchone()[0])
    processors = sqlite_processors(_SQLITE)
    cursor.execute(_INSERT_INCIDENT[dialect],
                   tuple(values[k] if p is None else p(values[k]) for k, p in processors))
    return int(cursor.lastrowid)


_SQLITE = sqlite_dialect.dialect()


def parse_occurred_at(text: str) -> dt.datetime:
    """When an incident occurred, as the API and imports send it: an ISO time with its
    zone (a date alone says too little, a time without a zone is nobody's clock)."""
    when = parse_time(text, "occurred_at")
    if when is None or len(text.strip()) == 10:
        raise InvalidInput("occurred_at needs a time with its zone, e.g. 2025-05-01T10:30:00Z")
    return when


@dataclass(frozen=True)
class CheckedReport:
    """A report that passed every rule of `check_report`: the incident row to store (all
    columns but its id) and the principals it is released to, as given. Whether those
    principals exist is the registry's to say (`auth.release_keys`)."""

    values: dict[str, Any]
    released_to: list[str]
    geometry: dict[str, Any]  # the place as GeoJSON, as journaled

    def journaled(self, incident_id: int) -> dict[str, Any]:
        """The journal record of the report once stored as `incident_id`."""
        v = self.values
        out = {"id": incident_id, "type": v["type"], "severity": v["severity"],
               "occurred_at": v["occurred_at"].isoformat(), "owner": v["owner"],
               "visibility": v["visibility"], "released_to": sorted(self.released_to),
               "geometry": self.geometry, "title": v["title"]}
        if v["exercise_run"] is not None:
            out["exercise_run"] = v["exercise_run"]
        return out


def exercise_prefix(run: int) -> str:
    """What begins the title of an incident reported during exercise run `run`, so every
    message and export that carries the title says it is an exercise."""
    return f"EXERCISE {run}: "


def check_report(tax: model.Taxonomy, org: str, *, owner: str, reported_by: str, type: object,
                 severity: object, occurred_at: object, geometry: object, title: object,
                 description: object = "", released_to: object = None,
                 exercise: int | None = None, now: dt.datetime) -> CheckedReport:
    """The rules of one incident report, without the database: a known type, a severity on
    the scale (none: the type's hint), a valid place, a zoned time not in the future (a
    datetime, or ISO text as `parse_occurred_at` takes it), a title and description within
    their lengths, recipients as a list of principals. Shared by a single report and an
    import, so both refuse the same reports with the same words. `exercise`: the run the
    reporter plays in, which the row carries and its title begins with."""
    if not isinstance(type, str):
        raise InvalidInput("the type must be text, got {got}", got=_kind_of(type))
    kind = model.check_type(type, tax)
    level = model.check_severity(kind.severity_hint if severity is None else severity, tax).level
    place = geo.validate_geometry(geometry)
    if isinstance(occurred_at, str):
        occurred_at = parse_occurred_at(occurred_at)
    if not isinstance(occurred_at, dt.datetime):
        raise InvalidInput("occurred_at must be a time, got {got}", got=_kind_of(occurred_at))
    when = utc(occurred_at, "occurred_at")
    if when > now:
        raise InvalidInput("occurred_at {time} is in the future", time=when.isoformat())
    if tax.earliest is not None and when < tax.earliest:
        raise InvalidInput("occurred_at {time} is before {earliest}, the earliest a report of "
                           "{org} may give", time=when.isoformat(),
                           earliest=tax.earliest.date().isoformat(), org=org.upper())
    if released_to is None:
        recipients: list[str] = []
    elif isinstance(released_to, list | tuple) and all(isinstance(p, str) for p in released_to):
        recipients = list(released_to)
    else:
        raise InvalidInput("released_to must be a list of principals such as delegation:RU")
    shape = place.as_geojson()
    values = {
        "org": org.upper(), "type": kind.code, "severity": level,
        "status": next(iter(tax.incident_transitions)),
        "occurred_at": when, "reported_at": now, "reported_by": reported_by, "owner": owner,
        "visibility": "restricted" if recipients else "members",
        "geometry": json.dumps(shape, separators=(",", ":")),
        "min_lon": place.bbox[0], "min_lat": place.bbox[1], "max_lon": place.bbox[2],
        "max_lat": place.bbox[3], "lon": place.point[0], "lat": place.point[1],
        "title": ("" if exercise is None else exercise_prefix(exercise))
                 + _text(title, "title", MAX_TITLE, required=True),
        "description": _text(description, "description", MAX_DESCRIPTION),
        "exercise_run": exercise}
    return CheckedReport(values, recipients, shape)


def _kind_of(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


@command("crisis.report_incident", action="report_incident", driver=True, exercise=True)
def report_incident(session: Session | commands.DriverUnit, c: Clearance, actor: auth.Actor,
                    *, type: str, severity: int | None, occurred_at: dt.datetime, geometry: object,
                    title: str, description: str = "", released_to: list[str] | None = None,
                    now: dt.datetime, org: str | None = None) -> Incident:
    """Record an incident as its reporting centre marked it; one journal entry. The
    incident returned is a plain record holding whom it is released to, so an interface
    can answer with it inside the transaction. It reads nothing through the session, so
    it runs on a driver unit."""
    org = auth.org_of(c, org)
    auth.require_for(c, "report_incident")  # a delegation's centre or the crisis centre
    checked = check_report(taxonomy(org), org, owner=str(c.principal), reported_by=actor.name,
                           type=type, severity=severity, occurred_at=occurred_at,
                           geometry=geometry, title=title, description=description,
                           released_to=released_to, exercise=c.exercise, now=now)
    # The driver's INSERT, on a driver unit when an interface runs it: SQLAlchemy's session
    # and execution cost more than the row's write (docs/performance.md).
    new_id = insert_incident(session, checked.values)
    keys = auth.release(session, OBJECT, new_id, checked.released_to, org)
    row = Incident(id=new_id, **checked.values, released_to=tuple(keys))
    journal.record(session, actor=actor, command="crisis.report_incident",
                   payload=checked.journaled(row.id), at=now)
    commands.announce(session, OBJECT, row.id, "reported")  # leaves with the commit only
    return row


def parse_bbox(text: str) -> geo.BBox:
    """`minlon,minlat,maxlon,maxlat` as the API takes it."""
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox is minlon,minlat,maxlon,maxlat (four numbers)")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput("bbox '{bbox}' holds something that is not a number",
                           bbox=text[:80]) from None
    box = geo.validate_geometry({"type": "MultiPoint",
                                 "coordinates": [values[:2], values[2:]]}).positions
    min_lon, min_lat, max_lon, max_lat = box[0][0], box[0][1], box[1][0], box[1][1]
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidInput("bbox: the minimum must not exceed the maximum "
                           "(split a box crossing the antimeridian in two)")
    return (min_lon, min_lat, max_lon, max_lat)


def _filters(org: str, *, bbox: geo.BBox | None, since: dt.datetime | None,
             until: dt.datetime | None, types: list[str] | None, state: str | None,
             severity_min: int | None, owner: str | None = None,
             points_in: geo.BBox | None = None) -> dict[str, Any]:
    """Check the filters of an incident query; their values keyed by the names `_window`
    binds (a filter not given is absent). `bbox` keeps the incidents whose box overlaps
    it, `points_in` those whose representative point lies in it (the map's markers)."""
    tax = taxonomy(org)
    values: dict[str, Any] = {"org": org.upper()}
    if bbox is not None:
        values.update(min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3])
    if points_in is not None:
        values.update(west=points_in[0], south=points_in[1], east=points_in[2],
                      north=points_in[3])
    if owner:
        values["owner"] = check_text(owner, "owner", MAX_OWNER, line=True)
    if since is not None:
        values["since"] = utc(since, "since")
    if until is not None:
        values["until"] = utc(until, "until")
    if types:
        values["types"] = sorted({model.check_type(t, tax).code for t in types})
    if state:
        if state not in tax.incident_transitions:
            raise InvalidInput("unknown incident status '{status}'; statuses: {statuses}",
                               status=state, statuses=", ".join(tax.incident_transitions))
        values["state"] = state
    if severity_min is not None:
        values["severity_min"] = model.check_severity(severity_min, tax).level
    return values


@lru_cache(maxsize=512)
def _window(c: Clearance, given: frozenset[str]) -> Select[Any]:
    """The incidents `c` may read among those the `given` filters keep, with the values left
    as bound parameters: built once per reader and set of filters, since building it anew
    cost more than a small window's query (docs/performance.md). The narrowing is the
    decision point's, so a list and a summary over the same filters cover the same rows."""
    stmt = select(IncidentRow).where(IncidentRow.org == bindparam("org"))
    if "min_lon" in given:  # the boxes overlap
        stmt = stmt.where(IncidentRow.min_lon <= bindparam("max_lon"),
                          IncidentRow.max_lon >= bindparam("min_lon"),
                          IncidentRow.min_lat <= bindparam("max_lat"),
                          IncidentRow.max_lat >= bindparam("min_lat"))
    if "west" in given:  # the point lies in the box
        stmt = stmt.where(IncidentRow.lon.between(bindparam("west"), bindparam("east")),
                          IncidentRow.lat.between(bindparam("south"), bindparam("north")))
    if "owner" in given:
        stmt = stmt.where(IncidentRow.owner == bindparam("owner"))
    if "since" in given:
        stmt = stmt.where(IncidentRow.occurred_at >= bindparam("since"))
    if "until" in given:
        stmt = stmt.where(IncidentRow.occurred_at <= bindparam("until"))
    if "after_at" in given:  # a page after the one that ended there, newest first
        stmt = stmt.where(or_(IncidentRow.occurred_at < bindparam("after_at"),
                              and_(IncidentRow.occurred_at == bindparam("after_at"),
                                   IncidentRow.id > bindparam("after_id"))))
    if "types" in given:
        stmt = stmt.where(IncidentRow.type.in_(bindparam("types", expanding=True)))
    if "state" in given:
        stmt = stmt.where(IncidentRow.status == bindparam("state"))
    if "severity_min" in given:
        stmt = stmt.where(IncidentRow.severity >= bindparam("severity_min"))
    return auth.narrow(stmt, IncidentRow, OBJECT, c)


MAX_PAGE = 1000  # incidents in one page of a list


@dataclass(frozen=True)
class Cursor:
    """Where a page of incidents ended (newest first: time, then id); the next page starts
    after it. Sent to clients as opaque text (`str`, `parse`)."""

    occurred_at: dt.datetime  # UTC
    id: int

    def __str__(self) -> str:
        text = f"{self.occurred_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            when, _, number = raw.partition("|")
            found = cls(utc(dt.datetime.fromisoformat(when), "cursor"), int(number))
        except (ValueError, UnicodeDecodeError, CollsecError):
            raise InvalidInput("cursor: not one this API gave (pass back the `next_cursor` "
                               "of the page before)") from None
        if not 1 <= found.id < 2 ** 31:  # an incident id is a 32-bit integer
            raise InvalidInput("cursor: not one this API gave")
        return found


def cursor_after(row: Any) -> Cursor:
    return Cursor(stored(row.occurred_at), int(row.id))


@query()
def list_incidents(session: Session, c: Clearance, *, bbox: geo.BBox | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None,
                   types: list[str] | None = None, state: str | None = None,
                   severity_min: int | None = None, org: str | None = None,
                   now: dt.datetime) -> list[IncidentRow]:
    """Incidents `c` may read, newest first. `bbox` keeps those whose box overlaps it;
    `since` and `until` bound the time of occurrence (both inclusive); `now` stamps the
    audit of the restricted rows returned."""
    return page_incidents(session, c, bbox=bbox, since=since, until=until, types=types,
                          state=state, severity_min=severity_min, org=org, limit=None,
                          now=now).incidents


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[IncidentRow]
    next: Cursor | None  # where the following page starts; None: this is the last


@query()
def page_incidents(session: Session, c: Clearance, *, bbox: geo.BBox | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None,
                   types: list[str] | None = None, state: str | None = None,
                   severity_min: int | None = None, owner: str | None = None,
                   org: str | None = None, limit: int | None = 100,
                   after: Cursor | None = None, now: dt.datetime) -> IncidentPage:
    """`list_incidents` a page at a time: at most `limit` (None: all), after the cursor of
    the page before. Keyset paging, so pages neither skip nor repeat an incident when
    reports arrive meanwhile; only the rows returned are audited. `owner` keeps one
    reporting centre's."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    values = _filters(org, bbox=bbox, since=since, until=until, types=types, state=state,
                      severity_min=severity_min, owner=owner)
    if after is not None:
        values.update(after_at=after.occurred_at, after_id=after.id)
    stmt = _window(c, frozenset(values)).order_by(IncidentRow.occurred_at.desc(),
                                                  IncidentRow.id)
    if limit is not None:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput("limit must be between 1 and {most}", most=MAX_PAGE)
        stmt = stmt.limit(limit + 1)  # one more: is there a next page?
    rows = list(session.execute(stmt, values).scalars())
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    auth.audit_returned(session, c, OBJECT, rows, at=now)
    return IncidentPage(rows, cursor_after(rows[-1]) if more else None)


@dataclass(frozen=True)
class Situation:
    """The situation picture of a window: how many incidents each reporting centre has in
    it, and the newest of them (at most `limit`)."""

    total: int
    per_state: dict[str, int]  # reporting principal (owner) -> incidents in the window
    incidents: list[Row[Any]]  # plain rows with the columns of IncidentRow, for as_dict
    limit: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.incidents)


MAX_SITUATION_LIMIT = 1000


@lru_cache(maxsize=512)
def _situation_statements(c: Clearance, given: frozenset[str]) -> tuple[Executable, Executable]:
    """The window's counts per reporting principal, and its newest rows (bound: `newest`)."""
    window = _window(c, given)
    counts = window.with_only_columns(IncidentRow.owner, func.count().label("n")).group_by(
        IncidentRow.owner).order_by(IncidentRow.owner)
    newest = window.with_only_columns(*IncidentRow.__table__.columns).order_by(
        IncidentRow.occurred_at.desc(), IncidentRow.id).limit(bindparam("newest"))
    return counts, newest


@query()
def situation(session: Session, c: Clearance, *, bbox: geo.BBox | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None,
              types: list[str] | None = None, state: str | None = None,
              severity_min: int | None = None, limit: int = 100,
              org: str | None = None, now: dt.datetime) -> Situation:
    """Counts per reporting state and the newest incidents `c` may read in a window.

    Narrowed by the decision point exactly like `list_incidents`: a restricted incident
    counts only for readers it is released to (and its reporter). A read-only picture, so
    it runs as Core statements on the session's connection and returns plain rows: loading
    100 tracked objects cost more than the query itself (docs/performance.md)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    if not 1 <= limit <= MAX_SITUATION_LIMIT:
        raise InvalidInput("limit must lie between 1 and {most}", most=MAX_SITUATION_LIMIT)
    values = _filters(org, bbox=bbox, since=since, until=until, types=types, state=state,
                      severity_min=severity_min)
    counts, newest = _situation_statements(c, frozenset(values))
    conn = session.connection()
    per_state: dict[str, int] = {owner: n for owner, n in conn.execute(counts, values)}
    if not per_state:
        return Situation(0, {}, [], limit)
    rows = list(conn.execute(newest, {**values, "newest": limit}))
    auth.audit_returned(session, c, OBJECT, rows, "situation", at=now)
    return Situation(sum(per_state.values()), per_state, rows, limit)


@dataclass(frozen=True)
class Cluster:
    """The incidents of one grid cell, drawn as one marker: how many, the mean of their
    points (where the marker goes, inside the cell, which a click zooms to) and the
    highest severity among them (its colour)."""

    count: int
    lon: float
    lat: float
    severity: int


@dataclass(frozen=True)
class MapView:
    """What the map draws of a view: a cell holding at most `SPREAD` incidents shows them
    one by one (in `incidents`, in full), a fuller one as a cluster."""

    zoom: int
    cell: float  # the grid's cell side in degrees
    total: int  # incidents in the view
    clusters: list[Cluster]
    incidents: list[Row[Any]]  # plain rows with the columns of IncidentRow, newest first


class _floor(FunctionElement[int]):
    """The integer part of a non-negative number: CAST on SQLite, whose FLOOR is a build
    option; FLOOR elsewhere (PostgreSQL's CAST rounds)."""

    type = BigInteger()
    inherit_cache = True


@compiles(_floor)
def _floor_sql(element: _floor, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(_floor, "sqlite")
def _floor_sqlite(element: _floor, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


_ROWS = 2 ** 22  # more than the grid's rows at the deepest zoom (180° / geo.cell_size(20))
SPREAD = 2  # a cell's lowest and highest id name its incidents when it has two at most


@lru_cache(maxsize=512)
def _map_statements(c: Clearance, given: frozenset[str]) -> tuple[Executable, Executable]:
    """The view's cells (bound: `cell`, the side in degrees), and the rows of given ids."""
    window = _window(c, given)
    size = bindparam("cell", type_=Float())
    # geo.cell_of in SQL, as one number: grouping by one key rather than two took SQLite's
    # sort of a million keys from 0.7 s to 0.3 s
    key = (_floor((IncidentRow.lon + 180.0) / size) * _ROWS
           + _floor((IncidentRow.lat + 90.0) / size))
    cells = window.with_only_columns(
        func.count().label("n"), func.avg(IncidentRow.lon), func.avg(IncidentRow.lat),
        func.max(IncidentRow.severity), func.min(IncidentRow.id),
        func.max(IncidentRow.id)).group_by(key)
    rows = window.with_only_columns(*IncidentRow.__table__.columns).where(
        IncidentRow.id.in_(bindparam("ids", expanding=True))).order_by(
        IncidentRow.occurred_at.desc(), IncidentRow.id)
    return cells, rows


@contextmanager
def _hashing(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, group the cells by hashing, without JIT, planned for the box at
    hand, for one statement. The planner cannot know how few cells a million points fall
    into (it guesses one per point), so it sorts them all to disk and compiles the plan:
    1.2 s instead of 0.35 s at a million incidents; and a connection that has run the
    statement a few times would reuse one generic plan for a town and a continent alike
    (p99 0.63 s instead of 0.42 s; docs/performance.md)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("SET LOCAL enable_sort = off; SET LOCAL jit = off; "
                         "SET LOCAL plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        conn.exec_driver_sql("RESET enable_sort; RESET jit; RESET plan_cache_mode")


@query()
def map_view(session: Session, c: Clearance, *, bbox: geo.BBox, zoom: int,
             since: dt.datetime | None = None, until: dt.datetime | None = None,
             types: list[str] | None = None, state: str | None = None,
             severity_min: int | None = None, owner: str | None = None,
             org: str | None = None, now: dt.datetime) -> MapView:
    """The incidents `c` may read whose point lies in `bbox`, clustered on the grid of
    `zoom` by the database: the answer grows with the cells on screen, never with the
    incidents behind them, so the map at a million incidents costs what it costs at a
    thousand plus one aggregate query.

    Narrowed by the decision point like every list. The incidents shown one by one are
    audited as a list is; a cluster tells only how many incidents the reader may read
    there, as the summary's counts per state do, and is not."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    size = geo.check_map_view(bbox, zoom)
    values = _filters(org, bbox=None, since=since, until=until, types=types, state=state,
                      severity_min=severity_min, owner=owner, points_in=bbox)
    cells, rows = _map_statements(c, frozenset(values))
    conn = session.connection()
    clusters: list[Cluster] = []
    ids: set[int] = set()
    total = 0
    with _hashing(conn):
        found = conn.execute(cells, {**values, "cell": size}).all()
    for n, lon, lat, severity, low, high in found:
        total += n
        if n <= SPREAD:
            ids.update((low, high))
        else:
            clusters.append(Cluster(n, lon, lat, severity))
    shown = list(conn.execute(rows, {**values, "ids": sorted(ids)})) if ids else []
    auth.audit_returned(session, c, OBJECT, shown, "map", at=now)
    clusters.sort(key=lambda k: (-k.count, k.lon, k.lat))
    return MapView(zoom, size, total, clusters, shown)


@dataclass(frozen=True)
class IncidentRead:
    """A read's result: the incident, or the refusal to raise once the audit is committed."""

    row: IncidentRow | None
    released_to: list[str]
    updates: list[IncidentUpdateRow]
    refusal: CollsecError | None = None

    def unwrap(self) -> IncidentRow:
        if self.refusal is not None or self.row is None:
            raise self.refusal or NotFound("no incident")
        return self.row


def _get(session: Session, incident_id: int, org: str) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None or row.org != org.upper():
        # the decision point's own words for a refused read (`auth.read_marked`): missing
        # and refused answer alike, in every language and with the same params
        raise NotFound("unknown {kind} {id}", kind=OBJECT, id=incident_id)
    return row


@query(writes=True)  # a refusal's audit row commits before it is raised
def get_incident(session: Session, c: Clearance, actor: auth.Actor, incident_id: int,
                 now: dt.datetime, org: str | None = None) -> IncidentRead:
    """One incident with its updates; the read is audited, and so is a refusal (returned,
    not raised, so the audit row commits with it)."""
    org = auth.org_of(c, org)
    row = _get(session, incident_id, org)
    mark, refusal = auth.read_marked(session, c, actor, OBJECT, row, now)
    if refusal is not None:
        return IncidentRead(None, [], [], refusal)
    return IncidentRead(row, sorted(mark.released_to), updates_of(session, row.id))


def _updatable(session: Session, c: Clearance, incident_id: int, org: str) -> IncidentRow:
    """The incident `c` may update: its reporting centre's or the CRC's, in good standing.
    One it may not read is answered as unknown, so an update never discloses it exists."""
    auth.require(c, "update_incident")
    row = _get(session, incident_id, org)
    if not may(c, "read", auth.marking(session, OBJECT, row)).allowed:
        raise NotFound("unknown {kind} {id}", kind=OBJECT, id=incident_id)
    auth.require_for(c, "update_incident", originator=row.owner)
    return row


@command("crisis.update_incident", exercise=True)
def update_incident(session: Session, c: Clearance, actor: auth.Actor, incident_id: int, *,
                    note: str, severity: int | None = None, status: str | None = None,
                    now: dt.datetime, org: str | None = None) -> IncidentRow:
    """Add what was learned since the report, with a revised severity and/or a status move.

    Only the reporting centre or the CRC may; the status moves by the workflow of the
    organization's crisis.yaml (never back; a closed incident is final, even for a note);
    the severity stays on its scale, and the incident carries the new one from then on.
    An update that says nothing and changes nothing is refused."""
    org = auth.org_of(c, org)
    return _update(session, c, actor, incident_id, note=note, severity=severity,
                   status=status, now=now, org=org, command="crisis.update_incident")


@command("crisis.advance_incident", exercise=True)
def advance(session: Session, c: Clearance, actor: auth.Actor, incident_id: int,
            new_status: str, note: str, now: dt.datetime, org: str | None = None) -> IncidentRow:
    """Move an incident along its workflow: `update_incident` with a new status, journaled
    as `crisis.advance_incident` as it always was (older journals and replays name it)."""
    org = auth.org_of(c, org)
    return _update(session, c, actor, incident_id, note=note, severity=None,
                   status=new_status, now=now, org=org, command="crisis.advance_incident")


def _update(session: Session, c: Clearance, actor: auth.Actor, incident_id: int, *,
            note: str, severity: int | None, status: str | None, now: dt.datetime, org: str,
            command: str) -> IncidentRow:
    row = _updatable(session, c, incident_id, org)
    tax = taxonomy(org)
    text = _text(note, "note", MAX_NOTE)
    before, was = row.status, row.severity
    if status in tax.by_request:  # the charter data's rule: escalation is a member's act
        raise Conflict("incident {id} becomes {status} only when a member's request for "
                       "consultations or assistance cites it", id=row.id, status=status)
    if status is not None:
        after = model.advance_incident(before, status, tax.incident_transitions)
    elif not tax.incident_transitions.get(before):
        # A final status takes no follow-up either; the model words the refusal.
        after = model.advance_incident(before, before, tax.incident_transitions)
    else:
        after = before
    level = was if severity is None else model.check_severity(severity, tax).level
    changed = level != was
    if not (text or status is not None or changed):
        raise InvalidInput("an update needs a note, a new status or a new severity (incident "
                           "{id} is {status}, severity {severity})", id=row.id, status=before,
                           severity=was)
    row.status, row.severity = after, level
    session.add(IncidentUpdateRow(
        incident_id=row.id, at=now, by=actor.name, status_from=before, status_to=after,
        severity_from=was if changed else None, severity_to=level if changed else None,
        note=text))
    payload: dict[str, Any] = {"id": row.id, "from": before, "to": after, "note": text}
    if changed:
        payload.update(severity_from=was, severity_to=level)
    journal.record(session, actor=actor, command=command, payload=payload, at=now)
    commands.announce(session, OBJECT, row.id, "updated")
    return row


def escalate_by_request(session: Session, actor: auth.Actor, row: IncidentRow, why: str,
                        now: dt.datetime, org: str) -> None:
    """A member's request cites the incident: it moves to the status the charter data
    reserves to requests (`by_request` in crisis.yaml), as a step of that request's command,
    with an update row and a live event like any other update. An incident still in its
    first status has not been assessed and cannot be cited."""
    tax = taxonomy(org)
    target = sorted(s for s in tax.incident_transitions if s in tax.by_request)
    if not target:
        raise Conflict("{org}'s incident workflow has no status a request reaches", org=org)
    if row.status == target[0]:
        return
    if row.status not in tax.citable:
        raise Conflict("incident {id} has not been assessed yet (it is {status}); a request "
                       "cites incidents that are {citable}", id=row.id, status=row.status,
                       citable=OneOf(sorted(tax.citable)))
    before = row.status
    row.status = model.advance_incident(before, target[0], tax.incident_transitions)
    session.add(IncidentUpdateRow(incident_id=row.id, at=now, by=actor.name, status_from=before,
                                  status_to=row.status, note=why))
    journal.record(session, actor=actor, command="crisis.escalate_incident", payload={
        "id": row.id, "from": before, "to": row.status, "note": why}, at=now)
    commands.announce(session, OBJECT, row.id, "updated")


@query()
def updates_of(session: Session, incident_id: int) -> list[IncidentUpdateRow]:
    """An incident's updates, oldest first (the caller has decided it may be read)."""
    return list(session.execute(select(IncidentUpdateRow).where(
        IncidentUpdateRow.incident_id == incident_id).order_by(IncidentUpdateRow.id)).scalars())


@query()
def released_to(session: Session, row: IncidentRow | Incident) -> list[str] | None:
    """Whom a restricted incident is released to (None for one all members read)."""
    if row.visibility != "restricted":
        return None
    return sorted(auth.marking(session, OBJECT, row).released_to)


def as_dict(row: IncidentRow | Incident | Row[Any], released_to: list[str] | None = None,
            updates: list[IncidentUpdateRow] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "organization": row.org, "type": row.type, "severity": row.severity,
        "status": row.status, "occurred_at": stored(row.occurred_at).isoformat(),
        "reported_at": stored(row.reported_at).isoformat(), "reported_by": row.reported_by,
        "owner": row.owner, "visibility": row.visibility,
        "geometry": json.loads(row.geometry),
        "bbox": [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
        "point": [row.lon, row.lat], "title": row.title, "description": row.description,
        "released_to": released_to}
    if updates is not None:
        out["updates"] = [{"at": stored(u.at).isoformat(), "by": u.by, "from": u.status_from,
                           "to": u.status_to, "severity_from": u.severity_from,
                           "severity_to": u.severity_to, "note": u.note} for u in updates]
    return out
