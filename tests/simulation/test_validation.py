"""The model against January 2022: with its parameters set from sources before 2022, the
p10-p90 band of personnel in theatre over the first week contains every figure the
Kazakhstan replay records, and docs/simulation.md shows the same numbers."""

from __future__ import annotations

from pathlib import Path

from collsec.simulation import report, service

DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulation.md"


def test_the_band_contains_every_figure_the_replay_records_in_the_first_week() -> None:
    checks = service.validation("CSTO", runs=report.RUNS, seed=report.SEED)
    assert len(checks) >= 5
    assert [c for c in checks if not c.inside] == []
    assert checks[-1].recorded == 2030 and 90 <= checks[-1].hour <= 100  # complete, 9 Jan


def test_the_recorded_figures_are_the_replays() -> None:
    request_at, figures = service.recorded("CSTO")
    assert request_at.isoformat() == "2022-01-05T19:00:00+00:00"
    totals = [total for _, total in figures]
    assert totals == sorted(totals[:totals.index(2030) + 1]) + totals[totals.index(2030) + 1:]
    assert totals[-1] == 0  # all home by 19 January


def test_the_docs_show_the_check_as_the_model_gives_it() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert report.table("CSTO") in text
    assert (DOCS.parent / "simulation-2022.svg").read_text(encoding="utf-8").strip() == \
        report.chart("CSTO").strip()
