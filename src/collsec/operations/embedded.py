"""Loading an organization's embedded operations (operations.yaml, checked by `model`)
into their tables, as part of the registry's default load: the rows the data made before
go and the data's are written again. Stages of the record are loaded closed: what they
report is what the sources published. Stages the Secretariat opened (origin 'user'), and
their national reports, stay; an operation they belong to is updated in place."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core.errors import InvalidInput
from collsec.operations import model
from collsec.operations.tables import OperationRow, PublishedFigureRow, StageRow

RECORD = "default data"  # who closed a stage of the record


def _w(w: model.Wording | None) -> tuple[str, str]:
    return ("", "") if w is None else (w.en, w.ru)


def _figure_row(op_id: int, stage_id: int | None, n: int, f: model.Figure
                ) -> PublishedFigureRow:
    region, note = _w(f.region), _w(f.note)
    return PublishedFigureRow(
        operation_id=op_id, stage_id=stage_id, position=n, indicator=f.indicator,
        value=f.value, qual=f.qual, scope=f.scope, region_en=region[0], region_ru=region[1],
        covers_from=f.covers[0] if f.covers else None,
        covers_until=f.covers[1] if f.covers else None, stated=f.stated,
        preliminary=f.preliminary, sources=" ".join(f.sources), confidence=f.confidence,
        note_en=note[0], note_ru=note[1])


def _closed_on(stage: model.Stage) -> dt.datetime:
    return dt.datetime.combine(stage.closes, dt.time(23, 59), tzinfo=dt.UTC)


def remove_default(session: Session, orgs: list[str]) -> None:
    """The rows earlier loads of `orgs` made: the record's stages and every published
    figure; an operation goes unless a stage the Secretariat opened refers to it."""
    ops = select(OperationRow.id).where(OperationRow.org.in_(orgs))
    session.execute(delete(PublishedFigureRow).where(PublishedFigureRow.operation_id.in_(ops)))
    session.execute(delete(StageRow).where(StageRow.operation_id.in_(ops),
                                           StageRow.origin == "default"))
    kept = select(StageRow.operation_id).where(StageRow.origin != "default")
    session.execute(delete(OperationRow).where(OperationRow.org.in_(orgs),
                                               OperationRow.origin == "default",
                                               OperationRow.id.not_in(kept)))
    session.flush()


def load(session: Session, org: str, items: Iterable[Mapping[str, Any]],
         charter_operations: Mapping[str, Any], states: Iterable[str],
         sources: Iterable[str], *, until: dt.date | None = None) -> int:
    """Write `org`'s operations (checked first: an unknown indicator, state or source, a
    negative figure or a stage before its operation began refuses the load). With `until`,
    stages over on or after it are left out, as a replay begins before them."""
    known = model.Known(model.indicators_from(charter_operations), frozenset(states),
                        frozenset(sources))
    try:
        operations = model.operations_from(items, known)
    except ValueError as exc:
        raise InvalidInput("the operations of {org} do not load: {problem}", org=org,
                           problem=str(exc)) from None
    for op in operations:
        row = session.execute(select(OperationRow).where(
            OperationRow.org == org, OperationRow.code == op.code)).scalar_one_or_none()
        name, purpose, coordinator, basis, note = (_w(op.name), _w(op.purpose),
                                                   _w(op.coordinator), _w(op.basis),
                                                   _w(op.note))
        values = dict(
            name_en=name[0], name_ru=name[1], purpose_en=purpose[0], purpose_ru=purpose[1],
            started=op.started, standing_since=op.standing_since,
            standing_precision=op.standing_precision, coordinator_en=coordinator[0],
            coordinator_ru=coordinator[1], basis_en=basis[0], basis_ru=basis[1],
            sources=" ".join(op.sources), confidence=op.confidence, note_en=note[0],
            note_ru=note[1], origin="default")
        if row is None:
            row = OperationRow(org=org, code=op.code, **values)
            session.add(row)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        session.flush()
        session.add_all(_figure_row(row.id, None, n, f) for n, f in enumerate(op.figures))
        for stage in op.stages:
            if until is not None and stage.closes >= until:
                continue
            s_name, hq, s_note = _w(stage.name), _w(stage.headquarters), _w(stage.note)
            stage_row = StageRow(
                operation_id=row.id, year=stage.year, number=stage.number,
                name_en=s_name[0], name_ru=s_name[1], start=stage.start, end=stage.end,
                precision=stage.precision, closes=stage.closes, headquarters_en=hq[0],
                headquarters_ru=hq[1],
                states=" ".join(stage.states), observer_states=" ".join(stage.observer_states),
                observers_other=json.dumps([{"en": w.en, "ru": w.ru}
                                            for w in stage.observers_other],
                                           ensure_ascii=False),
                sources=" ".join(stage.sources), confidence=stage.confidence,
                note_en=s_note[0], note_ru=s_note[1], closed_at=_closed_on(stage),
                closed_by=RECORD, origin="default")
            session.add(stage_row)
            session.flush()
            session.add_all(_figure_row(row.id, stage_row.id, n, f)
                            for n, f in enumerate(stage.figures))
    session.flush()
    return len(operations)
