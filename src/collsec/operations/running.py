"""Running totals of an operation's released stages, per state and indicator, over every
state, and per year: written at each close, so statistics by state, indicator or year on
any day seek each group's last row before the day's end instead of adding up every
summary (at a million national figures, the difference between a scan of 600,000 rows
and a few hundred index seeks)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from collsec.core import db
from collsec.core.times import stored
from collsec.operations.tables import (
    OperationRow,
    RunningGroupRow,
    RunningTotalRow,
    StageResultRow,
    StageRow,
)

ALL = ""  # the state of a group over every state
ANY_YEAR = 0  # the year of a group over every year

Group = tuple[str, int, str]  # state, year, indicator
# An operation's id by its organization and code, inside the statement that reads its
# totals: a page asks one statement fewer (the lookup was a third of a cheap page's cost).
OPERATION_ID = select(OperationRow.id).where(OperationRow.org == bindparam("org"),
                                             OperationRow.code == bindparam("code"))
OPERATION: Any = OPERATION_ID.scalar_subquery()


def _groups(state: str, year: int, indicator: str) -> tuple[Group, ...]:
    """The groups a state's figure of a stage of `year` counts in."""
    return ((state, ANY_YEAR, indicator), (ALL, ANY_YEAR, indicator), (ALL, year, indicator))


def add_close(session: Session, op_id: int, stage_id: int, year: int,
              closed_at: dt.datetime, sums: list[tuple[str, str, float]]) -> None:
    """The close of stage `stage_id` at `closed_at` with its summary (state, indicator,
    value): each group's running total gains it. A close that comes before one already
    counted (a clock set back) rebuilds the operation's totals from its summaries."""
    # two closes of one operation add up one after the other (PostgreSQL; SQLite has one
    # writer at a time anyway)
    session.execute(select(OperationRow.id).where(OperationRow.id == op_id).with_for_update())
    r = RunningTotalRow
    later = session.execute(select(r.id).where(r.operation_id == op_id, or_(
        r.closed_at > closed_at, and_(r.closed_at == closed_at, r.stage_id > stage_id)))
        .limit(1)).first()
    if later is not None:
        session.flush()
        rebuild(session, op_id)
        return
    added: dict[Group, float] = {}
    for state, indicator, value in sums:
        for key in _groups(state, year, indicator):
            added[key] = added.get(key, 0.0) + float(value)
    last = _latest(session, op_id)
    for (state, group_year, indicator), value in sorted(added.items()):
        total, stages = last.get((state, group_year, indicator), (0.0, 0))
        session.add(RunningTotalRow(operation_id=op_id, state=state, year=group_year,
                                    indicator=indicator, closed_at=closed_at,
                                    stage_id=stage_id, total=total + value,
                                    stages=stages + 1))
        if (state, group_year, indicator) not in last:
            session.add(RunningGroupRow(operation_id=op_id, state=state, year=group_year,
                                        indicator=indicator))
    session.flush()


def _latest(session: Session, op_id: int) -> dict[Group, tuple[float, int]]:
    """Each group's last running total and stage count, in one statement."""
    g, r, last = RunningGroupRow, RunningTotalRow, aliased(RunningTotalRow)
    latest = (select(last.id)
              .where(last.operation_id == g.operation_id, last.state == g.state,
                     last.year == g.year, last.indicator == g.indicator)
              .order_by(last.closed_at.desc(), last.stage_id.desc()).limit(1)
              .correlate(g).scalar_subquery())
    return {(str(st), int(y), str(i)): (float(t), int(n)) for st, y, i, t, n in session.execute(
        select(g.state, g.year, g.indicator, r.total, r.stages).select_from(g)
        .join(r, r.id == latest).where(g.operation_id == op_id))}


def rebuild(session: Session, op_id: int) -> int:
    """An operation's running totals written again from its released summaries, in the
    order of the closes; returns the rows written."""
    session.execute(delete(RunningTotalRow).where(RunningTotalRow.operation_id == op_id))
    session.execute(delete(RunningGroupRow).where(RunningGroupRow.operation_id == op_id))
    res = StageResultRow
    rows = session.execute(
        select(StageRow.closed_at, res.stage_id, StageRow.year, res.state, res.indicator,
               res.value)
        .join(StageRow, StageRow.id == res.stage_id)
        .where(res.operation_id == op_id, StageRow.closed_at.is_not(None))
        .order_by(StageRow.closed_at, res.stage_id))
    running: dict[Group, tuple[float, int]] = {}
    out: list[dict[str, Any]] = []
    stage: tuple[int, dict[Group, float], dt.datetime] | None = None

    def flush_stage() -> None:
        if stage is None:
            return
        sid, added, at = stage
        for key, value in sorted(added.items()):
            total, count = running.get(key, (0.0, 0))
            running[key] = (total + value, count + 1)
            out.append({"operation_id": op_id, "state": key[0], "year": key[1],
                        "indicator": key[2], "closed_at": at, "stage_id": sid,
                        "total": total + value, "stages": count + 1})

    for closed_at, stage_id, year, state, indicator, value in rows:
        if stage is None or stage[0] != stage_id:
            flush_stage()
            stage = (stage_id, {}, stored(closed_at))
        for key in _groups(state, year, indicator):
            stage[1][key] = stage[1].get(key, 0.0) + float(value)
    flush_stage()
    for at in range(0, len(out), 20_000):
        session.execute(insert(RunningTotalRow), out[at:at + 20_000])
    if running:
        session.execute(insert(RunningGroupRow), [
            {"operation_id": op_id, "state": s, "year": y, "indicator": i}
            for s, y, i in sorted(running)])
    session.flush()
    return len(out)


BY = ("state", "indicator", "year")  # the groupings running totals answer


@functools.cache
def _statement(by: str, one: bool) -> Any:
    """Built once per shape (an aliased table costs more to build than the seek to run)."""
    g, r, last = RunningGroupRow, RunningTotalRow, aliased(RunningTotalRow)
    latest = (select(last.id)
              .where(last.operation_id == g.operation_id, last.state == g.state,
                     last.year == g.year, last.indicator == g.indicator,
                     last.closed_at < bindparam("end"))
              .order_by(last.closed_at.desc(), last.stage_id.desc()).limit(1)
              .correlate(g).scalar_subquery())
    key: Any = {"state": r.state, "indicator": literal(""), "year": r.year}[by]
    which = {"state": (g.state != ALL, g.year == ANY_YEAR),
             "indicator": (g.state == ALL, g.year == ANY_YEAR),
             "year": (g.state == ALL, g.year != ANY_YEAR)}[by]
    stmt = (select(key, r.indicator, r.total, r.stages).select_from(g)
            .join(r, r.id == latest)
            .where(g.operation_id == OPERATION, *which))
    return stmt.where(g.indicator == bindparam("ind")) if one else stmt


def totals(session: Session | Connection, org: str, code: str, end: dt.datetime, *, by: str,
           indicator: str | None = None) -> list[tuple[str, str, float, int]]:
    """Each group's total before `end` (key, indicator, total, stages counted) `by` state,
    by year, or by indicator over every state (key '') of the operation `code` of `org`.
    On the session's connection, not through the ORM: these are columns, not objects, and
    the ORM's execution was half of a page's cost."""
    return [(str(k), str(i), float(v), int(n)) for k, i, v, n in db.connection_of(
        session).execute(_statement(by, indicator is not None),
        {"org": org, "code": code, "end": end, "ind": indicator}).all()]
