"""Running totals at each close: what statistics by state, indicator and year seek. They
agree with the summaries they run over whatever the order of the closes, and the
migration's fill writes the same rows as a rebuild."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

import collsec
from collsec.operations import running
from collsec.operations import service as ops
from collsec.operations.tables import RunningGroupRow, RunningTotalRow
from tests.operations.conftest import NOW
from tests.operations.test_service import _sec, _stage, _submit

LATER = NOW + dt.timedelta(days=10)
MIGRATION = (Path(collsec.__file__).parent / "migrations" / "versions"
             / "0036_operation_running_totals.py")


def _rows(s: Session) -> list[tuple[object, ...]]:
    r = RunningTotalRow
    return [tuple(x) for x in s.execute(select(r.stage_id, r.state, r.year, r.indicator,
                                               r.total, r.stages)
                                        .order_by(r.stage_id, r.state, r.year, r.indicator))]


def _closed(s: Session, *when: dt.datetime) -> list[int]:
    actor, c = _sec(s)
    ids = []
    for n, at in enumerate(when):
        stage = _stage(s)
        _submit(s, "KZ", stage, {"heroin_seized": 5 + n, "drugs_seized_total": 40})
        _submit(s, "RU", stage, {"heroin_seized": 7})
        ops.close_stage(s, c, actor, "channel", stage, now=at)
        ids.append(stage)
    return ids


def test_a_close_out_of_order_rebuilds_and_the_statistics_still_agree(tx: Session) -> None:
    _closed(tx, LATER, LATER - dt.timedelta(days=3))  # the second close is dated earlier
    _, c = _sec(tx)
    channel = ops.operation(tx, c, "channel")
    for day in (LATER.date() - dt.timedelta(days=4), LATER.date() - dt.timedelta(days=2),
                LATER.date()):
        for by in running.BY:
            assert ops.statistics_of(tx, c, "channel", by=by, on=day) == \
                ops.statistics(channel, by=by, on=day)
    kz = {r.key: r for r in ops.statistics_of(tx, c, "channel", by="state", on=LATER.date(),
                                              indicator="heroin_seized")}["KZ"]
    assert kz.value == 5 + 6 and kz.stages == 2


def test_the_migrations_fill_writes_what_a_rebuild_writes(tx: Session) -> None:
    _closed(tx, LATER, LATER + dt.timedelta(hours=1))
    op_id = ops.operation(tx, _sec(tx)[1], "channel").id
    kept = _rows(tx)
    assert kept and running.rebuild(tx, op_id) == len(kept) and _rows(tx) == kept
    spec = importlib.util.spec_from_file_location("m0036", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    tx.execute(delete(RunningTotalRow))
    tx.execute(delete(RunningGroupRow))
    tx.execute(text(migration._FILL))
    assert _rows(tx) == kept
