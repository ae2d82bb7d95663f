"""The standing operations as their users work them: the Secretariat opens a stage,
national coordinators submit and correct their own state's report on it, the Secretariat
closes it and so releases its summary; anyone reads the operations, their stages and the
statistics of what was released.

What counts for a stage, indicator by indicator: the released summary of its national
reports where it has one (a stage opened here and closed), else the first figure a source
published for all the states taking part (a stage of the embedded record). Statistics
count what had been released by the day asked, never a report still open.

A stage's national reports before its close are read by the Secretariat and by the
reporting state's own principals only, narrowed in the query and audited as read.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from collsec.core import db, journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.core.times import stored
from collsec.operations import model, running
from collsec.operations.tables import (
    NationalFigureRow,
    NationalReportRow,
    OperationRow,
    PublishedFigureRow,
    StageResultRow,
    StageRow,
    StageTotalRow,
)
from collsec.registry import service as registry
from collsec.registry.charter import Charter

REPORT = "national_report"  # the audit's object type of an unreleased national report
BY = ("stage", "year", "state", "indicator")
MAX_NOTE = 2000
MAX_VALUE = 1e12  # above any count or mass an operation reports


# -- what a reader gets --------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    indicator: str
    value: float
    qual: str = "="
    scope: str = model.ALL
    sources: tuple[str, ...] = ()
    confidence: str = ""
    preliminary: bool = False
    stated: dt.date | None = None
    note_en: str = ""
    note_ru: str = ""
    region_en: str = ""
    region_ru: str = ""
    covers: tuple[int, int] | None = None


@dataclass(frozen=True)
class Stage:
    id: int
    year: int
    number: int | None
    name_en: str
    name_ru: str
    start: dt.date | None
    end: dt.date | None
    precision: str
    headquarters_en: str
    headquarters_ru: str
    states: tuple[str, ...]
    observer_states: tuple[str, ...]
    observers_other: tuple[dict[str, str], ...]
    sources: tuple[str, ...]
    confidence: str
    note_en: str
    note_ru: str
    closed_at: dt.datetime | None
    origin: str
    closes: dt.date | None = None  # over by then, as its dates tell (stored at the load)
    published: tuple[Figure, ...] = ()
    released: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # state→ind→v

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def results(self) -> dict[str, tuple[float, str, bool]]:
        """What counts for this stage per indicator: value, qualifier, preliminary."""
        if self.released:
            sums: dict[str, float] = {}
            for figures in self.released.values():
                for ind, value in figures.items():
                    sums[ind] = sums.get(ind, 0.0) + value
            return {ind: (v, "=", False) for ind, v in sums.items()}
        out: dict[str, tuple[float, str, bool]] = {}
        for f in self.published:
            if f.scope == model.ALL and f.indicator not in out:
                out[f.indicator] = (f.value, f.qual, f.preliminary)
        return out


@dataclass(frozen=True)
class Operation:
    id: int
    code: str
    name_en: str
    name_ru: str
    purpose_en: str
    purpose_ru: str
    started: int | None
    standing_since: dt.date | None
    coordinator_en: str
    coordinator_ru: str
    basis_en: str
    basis_ru: str
    sources: tuple[str, ...]
    confidence: str
    note_en: str
    note_ru: str
    stages: tuple[Stage, ...] = ()  # empty when loaded without them (`stage_page` pages)
    figures: tuple[Figure, ...] = ()  # published for the operation, over years
    stage_count: int = 0
    open_count: int = 0  # stages still taking national reports


@dataclass(frozen=True)
class StagePage:
    """Stages of an operation, the newest first, and the cursor of the older ones."""

    stages: tuple[Stage, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class Total:
    indicator: str
    value: float
    qual: str  # "=" exact, ">" a lower bound was among them, "~" an estimate was
    stages: int
    preliminary: bool


class Row(NamedTuple):
    """A line of statistics: the key it is grouped by, an indicator, its total. A named
    tuple: a page by state makes a few hundred, and a frozen dataclass cost five times as
    much to make."""

    key: str
    indicator: str
    value: float
    qual: str
    stages: int


@dataclass(frozen=True)
class ReportVersion:
    id: int
    stage_id: int
    state: str
    version: int
    current: bool
    submitted_at: dt.datetime
    submitted_by: str
    note: str
    figures: Mapping[str, float]


# -- reading -------------------------------------------------------------------------------

def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _figure(r: PublishedFigureRow) -> Figure:
    covers = None
    if r.covers_from is not None:
        covers = (r.covers_from, r.covers_until if r.covers_until is not None else r.covers_from)
    return Figure(r.indicator, r.value, r.qual, r.scope, _split(r.sources), r.confidence,
                  r.preliminary, r.stated, r.note_en, r.note_ru, r.region_en, r.region_ru,
                  covers)


def _stage(r: StageRow, published: tuple[Figure, ...],
           released: Mapping[str, Mapping[str, float]]) -> Stage:
    return Stage(r.id, r.year, r.number, r.name_en, r.name_ru, r.start, r.end, r.precision,
                 r.headquarters_en, r.headquarters_ru, _split(r.states),
                 _split(r.observer_states), tuple(json.loads(r.observers_other or "[]")),
                 _split(r.sources), r.confidence, r.note_en, r.note_ru,
                 stored(r.closed_at) if r.closed_at is not None else None, r.origin,
                 r.closes, published, released)


def _operation_row(session: Session, org: str, code: str) -> OperationRow:
    row = session.execute(select(OperationRow).where(
        OperationRow.org == org, OperationRow.code == code.lower())).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown operation {operation}", operation=code)
    return row


def _stages(session: Session, rows: list[StageRow], on: dt.datetime | None, *,
            summaries: bool = True) -> list[Stage]:
    """The stages of these rows with their published figures and, if released by `on`
    (None: by now, i.e. every closed stage), their summaries."""
    ids = [r.id for r in rows]
    figures: dict[int, list[Figure]] = {}
    released: dict[int, dict[str, dict[str, float]]] = {}
    for chunk in (ids[n:n + 900] for n in range(0, len(ids), 900)):  # bound the IN lists
        for f in session.execute(select(PublishedFigureRow).where(
                PublishedFigureRow.stage_id.in_(chunk)).order_by(PublishedFigureRow.position)
                ).scalars():
            figures.setdefault(int(f.stage_id or 0), []).append(_figure(f))
        if summaries:
            for res in session.execute(select(StageResultRow).where(
                    StageResultRow.stage_id.in_(chunk))).scalars():
                released.setdefault(res.stage_id, {}).setdefault(res.state, {})[
                    res.indicator] = res.value
    return [_stage(r, tuple(figures.get(r.id, ())), released.get(r.id, {})
                   if r.closed_at is not None and (on is None or stored(r.closed_at) <= on)
                   else {}) for r in rows]


def _load(session: Session, rows: list[OperationRow], on: dt.datetime | None, *,
          record_only: bool = False, summaries: bool = True,
          stages: bool = True) -> list[Operation]:
    """The operations with their stage counts and, with `stages`, their stages (only the
    embedded record's, with `record_only`); each stage's summary only if released by
    `on` (None: by now, i.e. every closed stage)."""
    ids = [r.id for r in rows]
    of: dict[int, list[Stage]] = {}
    if stages:
        stages_of = select(StageRow).where(StageRow.operation_id.in_(ids))
        if record_only:
            stages_of = stages_of.where(StageRow.origin == "default")
        stage_rows = list(session.execute(
            stages_of.order_by(StageRow.year, StageRow.number, StageRow.start, StageRow.id))
            .scalars())
        for row, st in zip(stage_rows, _stages(session, stage_rows, on,
                                               summaries=summaries and not record_only),
                           strict=True):
            of.setdefault(row.operation_id, []).append(st)
    figures: dict[int, list[Figure]] = {}
    for f in session.execute(select(PublishedFigureRow).where(
            PublishedFigureRow.operation_id.in_(ids), PublishedFigureRow.stage_id.is_(None))
            .order_by(PublishedFigureRow.position)).scalars():
        figures.setdefault(f.operation_id, []).append(_figure(f))
    counts = {op: (int(n), int(o or 0)) for op, n, o in session.execute(
        select(StageRow.operation_id, func.count(),
               func.sum(case((StageRow.closed_at.is_(None), 1), else_=0)))
        .where(StageRow.operation_id.in_(ids)).group_by(StageRow.operation_id))}
    return [Operation(r.id, r.code, r.name_en, r.name_ru, r.purpose_en, r.purpose_ru,
                      r.started, r.standing_since, r.coordinator_en, r.coordinator_ru,
                      r.basis_en, r.basis_ru, _split(r.sources), r.confidence, r.note_en,
                      r.note_ru, tuple(of.get(r.id, ())), tuple(figures.get(r.id, ())),
                      *counts.get(r.id, (0, 0)))
            for r in rows]


@query()
def operations(session: Session, c: Clearance, *, org: str | None = None
               ) -> list[Operation]:
    """Every operation of the organization with its stage counts (its totals are
    `totals_of`'s, its stages `stage_page`'s)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    rows = list(session.execute(select(OperationRow).where(OperationRow.org == org)
                                .order_by(OperationRow.started.is_(None),
                                          OperationRow.started, OperationRow.code)).scalars())
    return _load(session, rows, None, stages=False)


@query()
def operation(session: Session, c: Clearance, code: str, *, summaries: bool = True,
              stages: bool = True, org: str | None = None) -> Operation:
    """One operation with its stages (without `stages`, its counts only: a page takes
    them from `stage_page`); without `summaries`, its stages' released summaries are left
    out."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    return _load(session, [_operation_row(session, org, code)], None,
                 summaries=summaries, stages=stages)[0]


STAGE_PAGE = 20  # stages on an operation's page
MAX_STAGE_PAGE = 1000


@query()
def stage_page(session: Session, c: Clearance, code: str, *, cursor: str | None = None,
               limit: int = STAGE_PAGE, org: str | None = None) -> StagePage:
    """An operation's stages the newest first (by year, then the order they were
    entered), `limit` of them after `cursor` (the `next_cursor` of the page before)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    if not 1 <= limit <= MAX_STAGE_PAGE:
        raise InvalidInput("limit is from 1 to {most}", most=MAX_STAGE_PAGE)
    op = _operation_row(session, org, code)
    stmt = select(StageRow).where(StageRow.operation_id == op.id)
    if cursor is not None:
        year, last = paging.after_numbered("stages", cursor)
        stmt = stmt.where(or_(StageRow.year < year,
                              and_(StageRow.year == year, StageRow.id < last)))
    rows = list(session.execute(stmt.order_by(StageRow.year.desc(), StageRow.id.desc())
                                .limit(limit + 1)).scalars())
    following = (paging.cursor("stages", rows[limit - 1].year, rows[limit - 1].id)
                 if len(rows) > limit else None)
    return StagePage(tuple(_stages(session, rows[:limit], None)), following)


@query()
def stage(session: Session, c: Clearance, code: str, stage_id: int, *,
          org: str | None = None) -> Stage:
    """One stage of an operation, with its figures and released summary."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    return _stages(session, [_stage_row(session, org, code, stage_id)], None)[0]


@query()
def stage_names(session: Session, c: Clearance, code: str, *, org: str | None = None
                ) -> dict[str, Stage]:
    """Every stage of an operation by its id as text, without figures: what statistics by
    stage name their lines with."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    op = _operation_row(session, org, code)
    return {str(r.id): _stage(r, (), {}) for r in session.execute(
        select(StageRow).where(StageRow.operation_id == op.id)).scalars()}


def _over_by(stage: Stage, on: dt.date) -> bool:
    """Counted by `on`: a stage of the record once its dates are over, a stage opened here
    once its summary was released."""
    if stage.origin == "default":
        return stage.closes is not None and stage.closes <= on
    return stage.closed_at is not None and stage.closed_at.date() <= on


def _qual(quals: set[str]) -> str:
    return "~" if "~" in quals else ">" if ">" in quals else "="


def totals(op: Operation, *, on: dt.date) -> dict[str, Total]:
    """Each indicator's total since the operation began, over the stages counted by `on`."""
    sums: dict[str, list[tuple[float, str, bool]]] = {}
    for stage in op.stages:
        if _over_by(stage, on):
            for ind, result in stage.results().items():
                sums.setdefault(ind, []).append(result)
    return {ind: Total(ind, sum(v for v, _, _ in got), _qual({q for _, q, _ in got}),
                       len(got), any(p for _, _, p in got))
            for ind, got in sorted(sums.items())}


def statistics(op: Operation, *, by: str, on: dt.date, indicator: str | None = None
               ) -> list[Row]:
    """Totals grouped `by` stage, year, state or indicator, over the stages counted by
    `on`. By state, a released summary gives each state's own figures and a stage of the
    record the figures a source published for one state."""
    if by not in BY:
        raise InvalidInput("by is one of {allowed}", allowed=", ".join(BY))
    groups: dict[tuple[str, str], list[tuple[float, str]]] = {}

    def add(key: str, ind: str, value: float, qual: str) -> None:
        if indicator is None or ind == indicator:
            groups.setdefault((key, ind), []).append((value, qual))

    for stage in op.stages:
        if not _over_by(stage, on):
            continue
        if by == "state":
            if stage.released:
                for state, figures in stage.released.items():
                    for ind, value in figures.items():
                        add(state, ind, value, "=")
            else:
                seen: set[tuple[str, str]] = set()
                for f in stage.published:
                    if f.scope not in (model.ALL, "region") and (f.scope, f.indicator) not in seen:
                        seen.add((f.scope, f.indicator))
                        add(f.scope, f.indicator, f.value, f.qual)
            continue
        key = {"stage": str(stage.id), "year": str(stage.year), "indicator": ""}[by]
        for ind, (value, qual, _) in stage.results().items():
            add(key, ind, value, qual)
    return [Row(key, ind, sum(v for v, _ in got), _qual({q for _, q in got}), len(got))
            for (key, ind), got in sorted(groups.items())]


# The statistics' statements are built once per shape and take their values as bound
# parameters: building them (an aliased table, a correlated subquery) cost more than
# running them, a page's fixed cost at any size.
_END: Any = bindparam("end")
_ON: Any = bindparam("on")
_IND: Any = bindparam("ind")


@functools.cache
def _released_statement(by: str, one: bool) -> Any:
    r: Any = StageTotalRow
    key: Any = {"stage": r.stage_id}[by]
    stmt = (select(key, r.indicator, func.sum(r.value), func.count(distinct(r.stage_id)))
            .where(r.operation_id == running.OPERATION, r.closed_at < _END)
            .group_by(key, r.indicator))
    return stmt.where(r.indicator == _IND) if one else stmt


# A page's statements run on a connection, not through the ORM: they answer columns, not
# objects, and the ORM's execution was half of a cheap page's cost; run alone, the query
# has no session at all (`query(plain=True)`). Each statement finds the operation by its
# organization and code itself (running.OPERATION). Their rows are fetched at once
# (`.all()`): a page by stage is thousands of lines, and a fetch per line was a tenth of it.
Asked = dict[str, Any]


def _released(session: Session | Connection, asked: Asked, *, by: str, on: dt.date
              ) -> list[tuple[str, str, float, int]]:
    """The released summaries' totals grouped `by`, in SQL: a stage opened here counts once
    the Secretariat closed it, by the end of `on` (UTC). By state, indicator or year, each
    group's running total at the day's end; by stage, from the stages' totals."""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    if by in running.BY:
        return running.totals(session, asked["org"], asked["code"], end, by=by,
                              indicator=asked["ind"])
    return [(str(k), str(i), float(v), int(n)) for k, i, v, n in db.connection_of(
        session).execute(_released_statement(by, asked["ind"] is not None),
                         {**asked, "end": end}).all()]


_QUAL = case((PublishedFigureRow.qual == "~", 2), (PublishedFigureRow.qual == ">", 1),
             else_=0)


@functools.cache
def _recorded_statement(by: str, one: bool) -> Any:
    figure, stage = PublishedFigureRow, StageRow
    other = aliased(PublishedFigureRow)

    def scoped(f: Any) -> Any:  # two comparisons, not NOT IN: no list to expand per call
        return (and_(f.scope != model.ALL, f.scope != "region") if by == "state"
                else f.scope == model.ALL)

    first = (select(func.min(other.position))
             .where(other.stage_id == figure.stage_id, other.indicator == figure.indicator,
                    scoped(other), *((other.scope == figure.scope,) if by == "state" else ()))
             .correlate(figure).scalar_subquery())
    key: Any = {"year": stage.year, "stage": stage.id, "state": figure.scope,
                "indicator": literal("")}[by]
    stmt = (select(key, figure.indicator, func.sum(figure.value),
                   func.count(distinct(figure.stage_id)), func.max(_QUAL))
            .join(stage, stage.id == figure.stage_id)
            .where(figure.operation_id == running.OPERATION, stage.origin == "default",
                   stage.closes <= _ON, scoped(figure), figure.position == first)
            .group_by(key, figure.indicator))
    return stmt.where(figure.indicator == _IND) if one else stmt


def _recorded(session: Session | Connection, asked: Asked, *, by: str, on: dt.date
              ) -> list[tuple[str, str, float, int, str]]:
    """The record's stages over by `on`, grouped `by`, in SQL: each stage's first figure of
    an indicator published for all the states taking part (by state: for each state)."""
    quals = {0: "=", 1: ">", 2: "~"}
    return [(str(k), str(i), float(v), int(n), quals[int(q)])
            for k, i, v, n, q in db.connection_of(session).execute(
                _recorded_statement(by, asked["ind"] is not None), {**asked, "on": on}).all()]


@query(plain=True)
def statistics_of(session: Session | Connection, c: Clearance, code: str, *, by: str, on: dt.date,
                  indicator: str | None = None, org: str | None = None) -> list[Row]:
    """`statistics` of one operation added up in SQL: the released summaries and the
    stages of the record, each in one statement."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    if by not in BY:
        raise InvalidInput("by is one of {allowed}", allowed=", ".join(BY))
    asked: Asked = {"org": org, "code": code.lower(), "ind": indicator}
    groups: dict[tuple[str, str], tuple[float, str, int]] = {
        (key, ind): (value, qual, stages) for key, ind, value, stages, qual
        in _recorded(session, asked, by=by, on=on)}
    for key, ind, value, stages in _released(session, asked, by=by, on=on):
        old = groups.get((key, ind), (0.0, "=", 0))
        groups[(key, ind)] = (old[0] + value, old[1], old[2] + stages)
    # nothing at all: an operation with nothing by that day, or none of that code
    if not groups and db.connection_of(session).execute(
            running.OPERATION_ID, {"org": org, "code": asked["code"]}).scalar() is None:
        raise NotFound("unknown operation {operation}", operation=code)
    return [Row(key, ind, v, q, n) for (key, ind), (v, q, n) in sorted(groups.items())]


@query()
def totals_of(session: Session, c: Clearance, code: str, *, on: dt.date,
              org: str | None = None) -> dict[str, Total]:
    """`totals` of one operation, added up as `statistics_of` does."""
    rows = statistics_of(session, c, code, by="indicator", on=on, org=org)
    record = _load(session, [_operation_row(session, auth.org_of(c, org), code)], None,
                   record_only=True)[0]
    early = totals(record, on=on)
    return {r.indicator: Total(r.indicator, r.value, r.qual, r.stages,
                               early[r.indicator].preliminary if r.indicator in early
                               else False) for r in rows}


def _readable(c: Clearance) -> Any:
    """National reports a clearance reads before their stage's close: the Secretariat's
    all, a state's principals their state's own."""
    if "secretariat" in c.parts:
        return True
    if c.principal and c.principal.startswith("delegation:") and c.in_good_standing:
        return NationalReportRow.state == c.principal.split(":", 1)[1]
    return False


@query()
def reports(session: Session, c: Clearance, code: str, stage_id: int, *, now: dt.datetime,
            org: str | None = None) -> list[ReportVersion]:
    """A stage's national reports, every version (the newest first per state): all of them
    once the stage is closed, else only those the caller may read (audited)."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    stage = _stage_row(session, org, code, stage_id)
    stmt = select(NationalReportRow).where(NationalReportRow.stage_id == stage.id)
    if stage.closed_at is None:
        stmt = stmt.where(_readable(c))
    rows = list(session.execute(stmt.order_by(NationalReportRow.state,
                                              NationalReportRow.version.desc())).scalars())
    figures: dict[int, dict[str, float]] = {}
    if rows:
        for f in session.execute(select(NationalFigureRow).where(
                NationalFigureRow.report_id.in_([r.id for r in rows]))
                .order_by(NationalFigureRow.id)).scalars():
            figures.setdefault(f.report_id, {})[f.indicator] = f.value
    if stage.closed_at is None:
        auth.audit_ids(session, c, REPORT, [r.id for r in rows], "list", at=now)
    return [ReportVersion(r.id, r.stage_id, r.state, r.version, r.current,
                          stored(r.submitted_at), r.submitted_by, r.note, figures.get(r.id, {}))
            for r in rows]


# -- acting --------------------------------------------------------------------------------

def _stage_row(session: Session, org: str, code: str, stage_id: int) -> StageRow:
    op = _operation_row(session, org, code)
    row = session.get(StageRow, stage_id)
    if row is None or row.operation_id != op.id:
        raise NotFound("operation {operation} has no stage {stage}", operation=op.code,
                       stage=stage_id)
    return row


def indicators(charter: Charter) -> Mapping[str, model.Indicator]:
    """The indicators national reports give figures for (the charter's
    `operations.indicators`)."""
    return model.indicators_from(charter.raw.get("operations") or {})


def _text(value: str | None, name: str, limit: int = 300) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput("{name} is longer than {limit} characters", name=name, limit=limit)
    return text


@command("operations.open_stage", action="manage_operations")
def open_stage(session: Session, c: Clearance, actor: auth.Actor, code: str, *,
               start: dt.date, end: dt.date, states: list[str], name_en: str = "",
               name_ru: str = "", headquarters_en: str = "", headquarters_ru: str = "",
               now: dt.datetime, org: str | None = None) -> StageRow:
    """A new stage of an operation, to take national reports from the states taking part
    (manage_operations: the Secretariat). Its dates lie within one year, not before the
    operation began, and it ends on or after it starts."""
    org = auth.org_of(c, org)
    auth.require_for(c, "manage_operations")
    op = _operation_row(session, org, code)
    if end < start:
        raise InvalidInput("the stage ends ({end}) before it starts ({start})", end=end,
                           start=start)
    if start.year != end.year:
        raise InvalidInput("a stage lies within one year: {start} to {end}", start=start,
                           end=end)
    if op.started is not None and start.year < op.started:
        raise InvalidInput("operation {operation} began in {year}; a stage cannot start on "
                           "{start}", operation=op.code, year=op.started, start=start)
    codes = sorted({registry.get_state(session, s).code for s in states})
    if not codes:
        raise InvalidInput("name the states taking part in the stage")
    number = session.execute(select(func.count()).select_from(StageRow).where(
        StageRow.operation_id == op.id, StageRow.year == start.year)).scalar_one() + 1
    row = StageRow(operation_id=op.id, year=start.year, number=number,
                   name_en=_text(name_en, "name_en"), name_ru=_text(name_ru, "name_ru"),
                   start=start, end=end, precision="day", closes=end,
                   headquarters_en=_text(headquarters_en, "headquarters_en"),
                   headquarters_ru=_text(headquarters_ru, "headquarters_ru"),
                   states=" ".join(codes), sources="", confidence="high",
                   opened_by=actor.name, origin="user")
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="operations.open_stage", payload={
        "operation": op.code, "stage": row.id, "start": start, "end": end, "states": codes},
        at=now)
    return row


@command("operations.submit_report")
def submit_report(session: Session, c: Clearance, actor: auth.Actor, code: str,
                  stage_id: int, *, state: str, figures: Mapping[str, Any], note: str = "",
                  charter: Charter, now: dt.datetime, org: str | None = None
                  ) -> ReportVersion:
    """A state's report on a stage by its national coordinator (report_operation, for its
    own state only), or its correction: a new version, the earlier ones kept. Refused once
    the Secretariat has closed the stage, for a state not taking part, for an indicator
    the operation does not report or a figure below zero."""
    org = auth.org_of(c, org)
    st = registry.get_state(session, state).code
    auth.require_for(c, "report_operation", state=st)
    stage = _stage_row(session, org, code, stage_id)
    op = session.get(OperationRow, stage.operation_id)
    assert op is not None
    if stage.closed_at is not None:
        raise Conflict("stage {stage} of {operation} is closed: its reports no longer change",
                       stage=stage.id, operation=op.code)
    if st not in _split(stage.states):
        raise InvalidInput("{state} does not take part in stage {stage} of {operation}",
                           state=st, stage=stage.id, operation=op.code)
    if not figures:
        raise InvalidInput("a report gives at least one figure")
    checked = check_figures(indicators(charter), op.code, figures)
    previous = session.execute(select(func.max(NationalReportRow.version)).where(
        NationalReportRow.stage_id == stage.id, NationalReportRow.state == st)).scalar()
    version = (previous or 0) + 1
    session.execute(update(NationalReportRow).where(
        NationalReportRow.stage_id == stage.id, NationalReportRow.state == st,
        NationalReportRow.current).values(current=False))
    session.execute(update(NationalFigureRow).where(
        NationalFigureRow.stage_id == stage.id, NationalFigureRow.state == st,
        NationalFigureRow.current).values(current=False))
    row = NationalReportRow(stage_id=stage.id, state=st, version=version, current=True,
                            submitted_at=now, submitted_by=actor.name,
                            note=_text(note, "note", MAX_NOTE))
    session.add(row)
    session.flush()
    session.add_all(NationalFigureRow(report_id=row.id, operation_id=op.id, stage_id=stage.id,
                                      year=stage.year, state=st, indicator=ind, value=value,
                                      current=True) for ind, value in checked.items())
    journal.record(session, actor=actor, command="operations.submit_report", payload={
        "operation": op.code, "stage": stage.id, "state": st, "version": version,
        "figures": checked}, at=now)
    return ReportVersion(row.id, stage.id, st, version, True, now, actor.name, row.note,
                         checked)


def check_figures(known: Mapping[str, model.Indicator], operation: str,
                  figures: Mapping[str, Any]) -> dict[str, float]:
    """A report's figures, each of an indicator the operation reports (the charter's
    `operations.indicators`), a number from 0 up to `MAX_VALUE`."""
    out = {}
    for ind, value in figures.items():
        spec = known.get(str(ind))
        if spec is None:
            raise InvalidInput("unknown indicator {indicator}", indicator=ind)
        if operation not in spec.operations:
            raise InvalidInput("operation {operation} does not report {indicator}",
                               operation=operation, indicator=ind)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InvalidInput("the value of {indicator} is a number", indicator=ind)
        if value < 0:
            raise InvalidInput("the value of {indicator} cannot be negative", indicator=ind)
        if value > MAX_VALUE:
            raise InvalidInput("the value of {indicator} is too large", indicator=ind)
        out[str(ind)] = float(value)
    return out


@command("operations.close_stage", action="manage_operations")
def close_stage(session: Session, c: Clearance, actor: auth.Actor, code: str, stage_id: int,
                *, now: dt.datetime, org: str | None = None) -> StageRow:
    """The Secretariat closes a stage: its reports no longer change, and the summary of
    their current versions is released to every reader."""
    org = auth.org_of(c, org)
    auth.require_for(c, "manage_operations")
    stage = _stage_row(session, org, code, stage_id)
    if stage.closed_at is not None:
        raise Conflict("stage {stage} is already closed", stage=stage.id)
    sums = session.execute(
        select(NationalFigureRow.state, NationalFigureRow.indicator,
               func.sum(NationalFigureRow.value))
        .where(NationalFigureRow.stage_id == stage.id, NationalFigureRow.current)
        .group_by(NationalFigureRow.state, NationalFigureRow.indicator)).all()
    session.add_all(StageResultRow(stage_id=stage.id, operation_id=stage.operation_id,
                                   year=stage.year, state=state, indicator=ind,
                                   value=float(value)) for state, ind, value in sums)
    added: dict[str, float] = {}
    for _state, ind, value in sums:
        added[ind] = added.get(ind, 0.0) + float(value)
    session.add_all(StageTotalRow(stage_id=stage.id, operation_id=stage.operation_id,
                                  year=stage.year, closed_at=now, indicator=ind, value=v)
                    for ind, v in added.items())
    stage.closed_at = now
    stage.closed_by = actor.name
    running.add_close(session, stage.operation_id, stage.id, stage.year, now,
                      [(state, ind, float(value)) for state, ind, value in sums])
    op = session.get(OperationRow, stage.operation_id)
    assert op is not None
    journal.record(session, actor=actor, command="operations.close_stage", payload={
        "operation": op.code, "stage": stage.id, "states": sorted({s for s, _, _ in sums}),
        "figures": len(sums)}, at=now)
    return stage

