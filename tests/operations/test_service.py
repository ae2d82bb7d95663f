"""National reports on an operation's stage, on the embedded CSTO data: the Secretariat
opens and closes a stage, each national coordinator reports and corrects only its own
state's figures, the close releases the summary, and statistics count what was released
by the day asked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.tables import AuditRow
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.operations import service as ops
from collsec.operations.tables import NationalFigureRow, NationalReportRow
from collsec.registry.charter import load_charter
from tests.operations.conftest import NOW, officer

CHARTER = load_charter("CSTO")
LATER = NOW + dt.timedelta(days=30)


def _sec(s: Session) -> tuple[auth.Actor, auth.Clearance]:
    return officer(s, "sec-ops", "organ:SEC", ("editor",))


def _coordinator(s: Session, state: str) -> tuple[auth.Actor, auth.Clearance]:
    return officer(s, f"{state.lower()}-coordinator", f"delegation:{state}",
                   ("national_coordinator",))


def _stage(s: Session, states: tuple[str, ...] = ("KZ", "RU", "KG")) -> int:
    actor, c = _sec(s)
    row = ops.open_stage(s, c, actor, "channel", start=dt.date(2026, 3, 1),
                         end=dt.date(2026, 3, 7), states=list(states),
                         name_en="Channel - Test Barrier", now=NOW)
    return row.id


def test_the_stages_come_a_page_at_a_time_the_newest_first(tx: Session) -> None:
    _, c = _coordinator(tx, "KZ")
    everything = ops.operation(tx, c, "channel").stages
    newest = _stage(tx)
    seen: list[int] = []
    page = ops.stage_page(tx, c, "channel", limit=7)
    assert page.stages[0].id == newest
    while True:
        seen += [st.id for st in page.stages]
        if page.next_cursor is None:
            break
        page = ops.stage_page(tx, c, "channel", cursor=page.next_cursor, limit=7)
    assert seen == [newest, *sorted((st.id for st in everything),
                                    key=lambda i: next((x.year, i) for x in everything
                                                       if x.id == i), reverse=True)]
    assert ops.operation(tx, c, "channel", stages=False).open_count == 1
    with pytest.raises(InvalidInput, match="cursor"):
        ops.stage_page(tx, c, "channel", cursor="bm90LWEtY3Vyc29y")
    with pytest.raises(InvalidInput, match="limit"):
        ops.stage_page(tx, c, "channel", limit=0)


def _submit(s: Session, state: str, stage: int, figures: dict[str, object],
            as_state: str | None = None, at: dt.datetime = NOW) -> ops.ReportVersion:
    actor, c = _coordinator(s, as_state or state)
    return ops.submit_report(s, c, actor, "channel", stage, state=state, figures=figures,
                             charter=CHARTER, now=at)


def test_the_four_operations_are_loaded_with_their_record_closed(tx: Session) -> None:
    _, c = _coordinator(tx, "KZ")
    found = {o.code: o for o in ops.operations(tx, c)}
    assert set(found) == {"channel", "proxi", "illegal", "mercenary"}
    assert found["channel"].stages == () and found["channel"].open_count == 0
    channel = ops.operation(tx, c, "channel")
    assert channel.name_ru == "«Канал»" and channel.started == 2003
    assert channel.stage_count == len(channel.stages) == found["channel"].stage_count
    assert channel.stages and all(st.closed and st.origin == "default"
                                  for st in channel.stages)
    first = channel.stages[0]
    assert first.year == 2003 and first.results()["drugs_seized_total"] == (4000.0, ">", False)
    assert ops.totals(channel, on=dt.date(2003, 11, 9)) == {}  # the first stage ends on 10th
    by_then = ops.totals(channel, on=dt.date(2003, 12, 31))
    assert by_then["drugs_seized_total"].value == 4000 and by_then["drugs_seized_total"].qual == ">"


def test_a_coordinator_reports_and_corrects_its_own_state_and_the_history_is_kept(
        tx: Session) -> None:
    stage = _stage(tx)
    first = _submit(tx, "KZ", stage, {"heroin_seized": 12.5, "criminal_cases_opened": 40})
    second = _submit(tx, "KZ", stage, {"heroin_seized": 13.0, "criminal_cases_opened": 41},
                     at=NOW + dt.timedelta(hours=2))
    assert (first.version, second.version) == (1, 2)
    actor, c = _sec(tx)
    seen = ops.reports(tx, c, "channel", stage, now=NOW)
    assert [(r.state, r.version, r.current) for r in seen] == [("KZ", 2, True), ("KZ", 1, False)]
    assert seen[1].figures == {"heroin_seized": 12.5, "criminal_cases_opened": 40.0}
    current = tx.execute(select(func.sum(NationalFigureRow.value)).where(
        NationalFigureRow.stage_id == stage, NationalFigureRow.current)).scalar()
    assert current == 54.0


def test_kazakhstans_coordinator_cannot_report_for_russia(tx: Session) -> None:
    stage = _stage(tx)
    with pytest.raises(auth.NotEntitled, match="delegation:RU"):
        _submit(tx, "RU", stage, {"heroin_seized": 1}, as_state="KZ")
    assert tx.execute(select(func.count()).select_from(NationalReportRow)
                      .where(NationalReportRow.stage_id == stage)).scalar() == 0


@pytest.mark.parametrize(("figures", "words"), [
    ({"heroin_seized": -1}, "cannot be negative"),
    ({"no_such_indicator": 1}, "unknown indicator"),
    ({"web_resources_blocked": 3}, "does not report"),
    ({"heroin_seized": "lots"}, "is a number"),
    ({}, "at least one figure"),
])
def test_a_bad_figure_is_refused_and_nothing_is_written(tx: Session, figures: dict[str, object],
                                                        words: str) -> None:
    stage = _stage(tx)
    with pytest.raises(InvalidInput, match=words):
        _submit(tx, "KZ", stage, figures)
    assert tx.execute(select(func.count()).select_from(NationalReportRow)
                      .where(NationalReportRow.stage_id == stage)).scalar() == 0


def test_a_state_not_taking_part_cannot_report(tx: Session) -> None:
    stage = _stage(tx, ("KZ", "RU"))
    with pytest.raises(InvalidInput, match="does not take part"):
        _submit(tx, "KG", stage, {"heroin_seized": 1})


@pytest.mark.parametrize(("start", "end", "words"), [
    (dt.date(2026, 3, 7), dt.date(2026, 3, 1), "ends"),
    (dt.date(2002, 3, 1), dt.date(2002, 3, 7), "began in 2003"),
    (dt.date(2026, 12, 28), dt.date(2027, 1, 5), "within one year"),
])
def test_a_stage_outside_its_operations_dates_is_refused(tx: Session, start: dt.date,
                                                         end: dt.date, words: str) -> None:
    actor, c = _sec(tx)
    with pytest.raises(InvalidInput, match=words):
        ops.open_stage(tx, c, actor, "channel", start=start, end=end, states=["KZ"], now=NOW)


def test_only_the_secretariat_opens_and_closes_a_stage(tx: Session) -> None:
    actor, c = officer(tx, "crc-editor", "organ:CRC", ("editor",))
    with pytest.raises(auth.NotEntitled, match="secretariat"):
        ops.open_stage(tx, c, actor, "channel", start=dt.date(2026, 3, 1),
                       end=dt.date(2026, 3, 7), states=["KZ"], now=NOW)
    stage = _stage(tx)
    kz, kc = _coordinator(tx, "KZ")
    with pytest.raises(auth.NotEntitled):
        ops.close_stage(tx, kc, kz, "channel", stage, now=NOW)


def test_before_the_close_each_state_reads_its_own_report_and_the_read_is_audited(
        tx: Session) -> None:
    stage = _stage(tx)
    _submit(tx, "KZ", stage, {"heroin_seized": 5})
    _submit(tx, "RU", stage, {"heroin_seized": 7})
    _, ru = _coordinator(tx, "RU")
    before = tx.execute(select(func.count()).select_from(AuditRow)).scalar()
    assert [r.state for r in ops.reports(tx, ru, "channel", stage, now=NOW)] == ["RU"]
    assert tx.execute(select(func.count()).select_from(AuditRow)).scalar() == before + 1
    _, public = officer(tx, "reader", "external:press", ("viewer",))
    assert ops.reports(tx, public, "channel", stage, now=NOW) == []
    _, sec = _sec(tx)
    assert [r.state for r in ops.reports(tx, sec, "channel", stage, now=NOW)] == ["KZ", "RU"]


def test_the_close_releases_the_summary_and_refuses_further_changes(tx: Session) -> None:
    stage = _stage(tx)
    _submit(tx, "KZ", stage, {"heroin_seized": 5, "persons_detained": 3})
    _submit(tx, "RU", stage, {"heroin_seized": 7})
    _submit(tx, "RU", stage, {"heroin_seized": 8}, at=NOW + dt.timedelta(hours=1))
    actor, c = _sec(tx)
    ops.close_stage(tx, c, actor, "channel", stage, now=LATER)
    with pytest.raises(Conflict, match="closed"):
        _submit(tx, "KZ", stage, {"heroin_seized": 6}, at=LATER)
    with pytest.raises(Conflict, match="already closed"):
        ops.close_stage(tx, c, actor, "channel", stage, now=LATER)
    _, public = officer(tx, "reader", "external:press", ("viewer",))
    assert {r.state for r in ops.reports(tx, public, "channel", stage, now=LATER)} == {"KZ", "RU"}
    channel = ops.operation(tx, public, "channel")
    ours = next(st for st in channel.stages if st.id == stage)
    assert ours.results() == {"heroin_seized": (13.0, "=", False),
                              "persons_detained": (3.0, "=", False)}
    before = ops.totals(channel, on=LATER.date() - dt.timedelta(days=1))
    after = ops.totals(channel, on=LATER.date())
    assert after["heroin_seized"].value == before.get(
        "heroin_seized", ops.Total("", 0, "=", 0, False)).value + 13
    by_state = {(r.key, r.indicator): r.value for r in ops.statistics(
        channel, by="state", on=LATER.date(), indicator="heroin_seized")}
    assert by_state[("KZ", "heroin_seized")] >= 5 and by_state[("RU", "heroin_seized")] >= 8
    by_stage = {r.key: r.value for r in ops.statistics(channel, by="stage", on=LATER.date(),
                                                       indicator="heroin_seized")}
    assert by_stage[str(stage)] == 13


def test_statistics_by_year_add_the_records_stages(tx: Session) -> None:
    _, c = _coordinator(tx, "KZ")
    channel = ops.operation(tx, c, "channel")
    rows = ops.statistics(channel, by="year", on=dt.date(2026, 1, 1),
                          indicator="drugs_seized_total")
    per_year = {r.key: r for r in rows}
    assert per_year["2003"].value == 4000 and per_year["2003"].qual == ">"
    total = ops.totals(channel, on=dt.date(2026, 1, 1))["drugs_seized_total"]
    assert sum(r.value for r in rows) == total.value
    with pytest.raises(InvalidInput, match="by is one of"):
        ops.statistics(channel, by="month", on=dt.date(2026, 1, 1))


def test_an_unknown_operation_or_stage_is_not_found(tx: Session) -> None:
    _, c = _sec(tx)
    with pytest.raises(NotFound):
        ops.operation(tx, c, "no-such")
    with pytest.raises(NotFound):
        ops.reports(tx, c, "channel", 10**9, now=NOW)
    with pytest.raises(NotFound, match="unknown operation"):
        ops.statistics_of(tx, c, "no-such", by="state", on=dt.date(2026, 1, 1))


def test_statistics_of_a_day_before_anything_are_empty_not_unknown(tx: Session) -> None:
    # the statements find the operation themselves: nothing answered asks whether it exists
    _, c = _sec(tx)
    for by in ops.BY:
        assert ops.statistics_of(tx, c, "Channel", by=by, on=dt.date(1990, 1, 1)) == []


@pytest.mark.parametrize("by", ops.BY)
def test_statistics_added_up_in_sql_are_those_of_the_loaded_operation(tx: Session,
                                                                      by: str) -> None:
    stage = _stage(tx)
    _submit(tx, "KZ", stage, {"heroin_seized": 5, "drugs_seized_total": 40})
    _submit(tx, "RU", stage, {"heroin_seized": 7})
    actor, c = _sec(tx)
    ops.close_stage(tx, c, actor, "channel", stage, now=LATER)
    channel = ops.operation(tx, c, "channel")
    for day in (LATER.date() - dt.timedelta(days=1), LATER.date(), dt.date(2012, 1, 1)):
        for indicator in (None, "heroin_seized"):
            assert ops.statistics_of(tx, c, "channel", by=by, on=day, indicator=indicator) == \
                ops.statistics(channel, by=by, on=day, indicator=indicator)
    assert ops.totals_of(tx, c, "channel", on=LATER.date()) == ops.totals(channel,
                                                                         on=LATER.date())
