"""Importing many incident reports as one command: a centre catching up after an outage, or
a member state's tool handing over its history.

Every report obeys the rules of a single report (`service.check_report`) and the import
is all or nothing: the first report that breaks one refuses the whole batch, named by its
index in the list (from 0), and nothing is written. The import is one transaction and one
journal entry, `crisis.import_incidents`, whose payload lists every report as a
`crisis.report_incident` step with its id and fields (the record a single report writes)
and every incident's live event under `live`.

The rows go in as one bulk statement, so the ids are chosen before they are inserted: on
PostgreSQL reserved from the table's sequence in one query, then written with COPY; on
SQLite the next ids after the highest one, which is safe because a write transaction holds
the database's write lock from its BEGIN IMMEDIATE, then written with one executemany.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from collsec.core import commands, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis.incidents import service
from collsec.crisis.incidents.service import OBJECT, CheckedReport
from collsec.crisis.incidents.tables import IncidentRow

MAX_IMPORT = 10_000  # reports in one import; a larger history is sent in several
FIELDS = ("type", "severity", "occurred_at", "geometry", "title", "description",
          "released_to")
REQUIRED = ("type", "occurred_at", "geometry", "title")

_INCIDENTS = cast(Table, IncidentRow.__table__)
_VALUES = service.VALUES
_COLUMNS = ", ".join(("id", *_VALUES))
_HIGHEST = select(func.coalesce(func.max(_INCIDENTS.c.id), 0))
_RESERVE = text("SELECT nextval(pg_get_serial_sequence('incidents', 'id')) "
                "FROM generate_series(1, CAST(:n AS integer))")
_COPY = f"COPY incidents ({_COLUMNS}) FROM STDIN"
_EXECUTEMANY = (f"INSERT INTO incidents ({', '.join(_VALUES)}, id) "  # SQLite's own parameters
                f"VALUES ({', '.join('?' for _ in range(len(_VALUES) + 1))})")


def report_index(exc: BaseException) -> int | None:
    """The index of the report an import refused with `exc`, if a report was to blame."""
    found = getattr(exc, "report_index", None)
    return found if isinstance(found, int) else None


def _refused(index: int, exc: CollsecError) -> CollsecError:
    """The same refusal (same kind, same status), naming the report it is about."""
    named = exc.within("report {index}", index=index)
    named.report_index = index  # type: ignore[attr-defined]
    return named


def _fields(report: object) -> dict[str, Any]:
    if not isinstance(report, Mapping):
        raise InvalidInput("a report is an object with type, severity, occurred_at, geometry, "
                           "title, description and released_to, not {got}",
                           got=type(report).__name__)
    unknown = sorted(str(k) for k in report if k not in FIELDS)
    if unknown:
        raise InvalidInput("unknown field(s) {unknown}; a report has {fields}",
                           unknown=", ".join(unknown), fields=", ".join(FIELDS))
    missing = [f for f in REQUIRED if report.get(f) is None]
    if missing:
        raise InvalidInput("a report needs {missing}", missing=", ".join(missing))
    # severity may be left out (or null): the type's usual severity, as for one report
    return {"severity": None, **{f: report[f] for f in FIELDS if f in report}}


def _reserve_ids(session: Session, n: int) -> list[int]:
    """`n` new incident ids, taken before the rows are written."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return sorted(conn.execute(_RESERVE, {"n": n}).scalars())
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so nobody else can
    # take these ids before the rows are in; they are the ones SQLite would have chosen.
    highest = int(conn.execute(_HIGHEST).scalar_one())
    return list(range(highest + 1, highest + 1 + n))


def _insert(session: Session, ids: Sequence[int], checked: Sequence[CheckedReport]) -> None:
    """The incident rows in one statement on the session's connection, in its transaction.
    Rows go to the driver as tuples: SQLAlchemy's handling of 5,000 parameter dicts cost
    about as much as SQLite's insert itself (docs/performance.md)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection  # psycopg 3, in this very transaction
        assert raw is not None
        with raw.cursor() as cur, cur.copy(_COPY) as copy:
            for incident_id, one in zip(ids, checked, strict=True):
                values = one.values
                copy.write_row((incident_id, *(values[k] for k in _VALUES)))
        return
    # SQLite stores what the columns' own bind processors make of a value (times as text),
    # so rows written here read back exactly like rows written through SQLAlchemy.
    processors = service.sqlite_processors(conn.dialect)
    rows = [(*(values[k] if p is None else p(values[k]) for k, p in processors), incident_id)
            for incident_id, values in zip(ids, (one.values for one in checked), strict=True)]
    conn.exec_driver_sql(_EXECUTEMANY, rows)


@command("crisis.import_incidents", action="report_incident", exercise=True)
def import_incidents(session: Session, c: Clearance, actor: auth.Actor,
                     reports: Sequence[Mapping[str, Any]], *, now: dt.datetime,
                     org: str | None = None) -> list[int]:
    """Record many incidents for the caller's crisis centre in one command; their ids in
    the order of `reports`. The same access rule and the same checks as `report_incident`
    for each report; one refused report refuses them all."""
    org = auth.org_of(c, org)
    auth.require_for(c, "report_incident")  # a delegation's centre or the crisis centre
    if isinstance(reports, str | bytes | Mapping) or not isinstance(reports, Sequence):
        raise InvalidInput("an import takes a list of reports")
    if not reports:
        raise InvalidInput("an import needs at least one report")
    if len(reports) > MAX_IMPORT:
        raise InvalidInput("an import takes at most {most:,} reports, not {count:,}; send "
                           "them in several imports", most=MAX_IMPORT, count=len(reports))
    tax, owner = service.taxonomy(org), str(c.principal)
    known: dict[str, str] = {}  # principals checked once for the whole batch
    checked: list[CheckedReport] = []
    recipients: list[list[str]] = []
    for index, report in enumerate(reports):
        try:
            one = service.check_report(tax, org, owner=owner, reported_by=actor.name,
                                       now=now, exercise=c.exercise, **_fields(report))
            recipients.append(auth.release_keys(session, one.released_to, org, known))
        except CollsecError as exc:
            raise _refused(index, exc) from None
        checked.append(one)
    ids = _reserve_ids(session, len(checked))
    _insert(session, ids, checked)
    auth.release_many(session, OBJECT, [(i, keys) for i, keys in zip(ids, recipients,
                                                                     strict=True) if keys],
                      org, known)
    for incident_id, one in zip(ids, checked, strict=True):
        journal.record(session, actor=actor, command="crisis.report_incident",
                       payload=one.journaled(incident_id), at=now)
    # Recorded last, so it names the entry and the reports become its steps.
    journal.record(session, actor=actor, command="crisis.import_incidents",
                   payload={"reports": len(ids), "ids": ids}, at=now)
    commands.announce_many(session, OBJECT, ids, "reported")
    return ids
