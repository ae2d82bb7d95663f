"""The live stream of reports: the feed that tells the broker how to read a changed report.

A report is announced when it is released or imported, when an import brings a later
version of it, and when its releasability is widened or narrowed (`model.LIVE_KINDS`).
Each subscriber gets the report's summary (the list's own answer) when it may read the
report as the broker decides every delivery; on a narrowing, a principal the report was
taken from gets the withdrawal instead (`exchange_withdrawals` names only principals that
had read it), and everyone else gets nothing, so the stream shows what a read would.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core.auth.model import Marking
from collsec.core.auth.tables import ReleaseRow
from collsec.crisis.live import broker
from collsec.exchange import model, service
from collsec.exchange.tables import ReportRow, WithdrawalRow

EVENT = "report"  # the name of the server-sent event


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def load(session: Session, wanted: set[tuple[int, str]]
         ) -> dict[tuple[int, str], broker.Found]:
    """(report, kind) -> its marking, its event, and on a narrowing the notice of each
    principal it was withdrawn from (the newest withdrawal of each)."""
    if not wanted:
        return {}
    ids = sorted({i for i, _ in wanted})
    rows = {r.id: r for r in session.scalars(select(ReportRow).where(ReportRow.id.in_(ids)))}
    released: dict[int, set[str]] = {}
    for object_id, principal in session.execute(
            select(ReleaseRow.object_id, ReleaseRow.principal).where(
                ReleaseRow.object_type == service.OBJECT, ReleaseRow.object_id.in_(ids))):
        released.setdefault(int(object_id), set()).add(principal)
    narrowed = sorted({i for i, kind in wanted if kind == "narrowed"})
    taken: dict[int, dict[str, str]] = {}
    if narrowed:
        for w in session.scalars(select(WithdrawalRow).where(
                WithdrawalRow.report_id.in_(narrowed)).order_by(WithdrawalRow.id)):
            taken.setdefault(w.report_id, {})[w.principal] = _dumps(
                {"kind": "withdrawn", "report": {"id": w.report_id},
                 "withdrawal": {**service.withdrawal(w), "principal": w.principal}})
    out: dict[tuple[int, str], broker.Found] = {}
    for report_id, kind in wanted:
        row = rows.get(report_id)
        if row is None:
            continue
        mark = Marking(row.visibility, row.owner, frozenset(released.get(report_id, ())))
        out[(report_id, kind)] = broker.Found(
            mark, _dumps({"kind": kind, "report": service.summary(row)}),
            taken.get(report_id, {}) if kind == "narrowed" else {})
    return out


FEED = broker.Feed(model.LIVE_TOPIC, EVENT, service.OBJECT, load)  # registered by `startup`
