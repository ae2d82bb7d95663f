"""The incident benchmarks at a tiny scale: they run, produce their figures, and compare
like with like (the raw SQL answers what the service answers). No timing is asserted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks import databases, incidents, journal_verify, situation_map, synthetic
from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.auth.tables import ReleaseRow
from collsec.crisis.incidents import service
from collsec.crisis.incidents.tables import IncidentRow


def test_synthetic_reports_repeat_with_their_seed_and_spread_as_described() -> None:
    first, again = list(synthetic.reports(500, seed=7)), list(synthetic.reports(500, seed=7))
    assert first == again and first != list(synthetic.reports(500, seed=8))
    restricted = sum(1 for r in first if r.released_to)
    assert 25 <= restricted <= 80  # about one in ten
    assert {r.owner for r in first} >= {f"delegation:{m}" for m in synthetic.MEMBERS}
    assert all(r.owner not in r.released_to and r.occurred_at < synthetic.NOW for r in first)


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 201)]
    assert incidents.percentile(samples, 50) == 100.0
    assert incidents.percentile(samples, 99) == 198.0
    assert incidents.percentile([3.0], 99) == 3.0


def test_the_situation_benchmark_compares_equal_answers(csto_db: str) -> None:
    engine = db.engine_for(csto_db)
    assert databases.bulk_load(engine, synthetic.reports(2000, seed=11)) == 2000
    with db.read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == 2000
        assert (s.scalar(select(func.count()).select_from(ReleaseRow)) or 0) > 100
    figures = incidents.run_situation(csto_db, queries=12, days=365, warmup=2)
    assert len(figures.service.samples_ms) == len(figures.raw.samples_ms) == 12
    assert figures.answers_compared == 14 and figures.mean_counted > 0
    assert figures.service.p99 >= figures.service.p50 > 0 and figures.raw.p50 > 0
    assert figures.ratio_p50 > 0 and figures.incidents == 2000


def test_the_raw_query_counts_what_the_service_counts_for_each_reader(csto_db: str) -> None:
    """Done here by hand as well, so a benchmark that stopped comparing would be caught;
    readers differ, so a restricted incident must move the counts."""
    engine = db.engine_for(csto_db)
    databases.bulk_load(engine, synthetic.reports(1500, seed=12))
    totals = {}
    whole = synthetic.Window((20.0, 35.0, 180.0, 82.0), synthetic.YEAR_START, synthetic.NOW,
                             tuple(sorted(service.taxonomy("CSTO").types)), None)
    with db.read_session(engine) as s:
        conn = s.connection().connection.driver_connection
        for principal in ("delegation:KZ", "delegation:BY", "organ:CRC"):
            a = auth.Actor(None, "x", Principal.parse(principal), frozenset({"viewer"}), "api")
            c = auth.clearance(s, a, synthetic.NOW.date(), "CSTO")
            picture = service.situation(s, c, bbox=whole.bbox, since=whole.since,
                                        until=whole.until, types=list(whole.types), limit=50,
                                        now=whole.until)
            counts, rows = incidents.raw_situation(conn, engine.dialect.name, whole, c, 50)
            assert picture.per_state == counts
            assert [r.id for r in picture.incidents] == [row[0] for row in rows]
            totals[principal] = picture.total
    assert totals["delegation:KZ"] != totals["delegation:BY"]
    assert max(totals.values()) < 1500  # some restricted incidents are hidden from each


def test_the_ingest_benchmark_writes_journaled_and_raw_rows(csto_db: str) -> None:
    engine = db.engine_for(csto_db)
    figures = incidents.run_ingest(csto_db, reports=24, batch=6, rounds=2)
    assert figures.journaled.rows == figures.raw.rows == 24
    assert figures.ratio > 0 and figures.batched_ratio > 0
    assert figures.through_engine.rows == figures.in_write_session.rows == 24
    assert figures.share(figures.in_write_session) > 0
    with db.read_session(engine) as s:  # six sides, each wrote every report's incident
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == 6 * 24
        reported = [e for e in journal.entries(s, limit=500)
                    if e.command == "crisis.report_incident"]
        # one entry per report, and one per batch of six (a transaction is one entry; its
        # other reports are the entry's steps)
        assert len(reported) == 24 + 24 // 6
        assert sorted(len(json.loads(e.payload).get("steps", [])) for e in reported) == \
            [0] * 24 + [5] * 4
        assert journal.verify(s).ok


def test_the_journal_verify_benchmark_agrees_with_its_baseline(tmp_path: Path) -> None:
    """On its own SQLite file whatever database the tests use: the benchmark is SQLite's."""
    path = tmp_path / "journal.db"
    journal_verify.build(path, 300)
    head = list(journal_verify.rows(300))[-1][6]  # the hash of entry 300
    engine = db.engine_for(f"sqlite:///{path}")
    with db.read_session(engine) as s:  # what it built is a journal that verifies
        assert journal.verify(s) == journal.Verdict(True, 300,
                                                    checkpoint=journal.Checkpoint(300, head))
    engine.dispose()
    figures = journal_verify.run(path, rounds=1, chunk=40)
    runs = figures.verify + figures.baseline + figures.resume + figures.cli
    assert {r.checkpoint for r in runs} == {f"300:{head}"}
    assert [r.entries for r in figures.verify + figures.baseline + figures.cli] == [300] * 3
    assert [(r.after, r.entries) for r in figures.resume] == [(270, 30)]
    assert all(r.peak_rss_mb > 0 and r.seconds > 0 for r in runs)
    assert figures.ratio > 0 and figures.entries == 300


def test_both_sides_of_the_journal_benchmark_refuse_a_broken_chain(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal_verify.build(path, 50)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE journal SET actor = 'intruder' WHERE seq = 31")
    conn.commit()
    conn.close()
    with pytest.raises(AssertionError, match="entry 31"):
        journal_verify._baseline(path)
    with pytest.raises(AssertionError, match="entry 31"):
        journal_verify._verify(path, None, 7)
    db.engine_for(f"sqlite:///{path}").dispose()


def test_the_map_benchmark_compares_equal_answers_and_loads_the_page(csto_db: str) -> None:
    databases.bulk_load(db.engine_for(csto_db), synthetic.reports(3000, seed=13))
    chosen = situation_map.views(12)
    assert chosen[0] == situation_map.FIRST_VIEW and len({z for z, _ in chosen}) > 3
    figures = situation_map.run(csto_db, views_n=12, loads=2)
    assert len(figures.service.samples_ms) == len(figures.raw.samples_ms) == 12
    assert figures.incidents == 3000 and figures.page.p50 > 0
    assert set(figures.page_requests_ms) == {"page", "list", "map"}
    assert figures.as_dict()["ratio_p50"] > 0


def test_the_raw_map_sees_what_the_service_sees_for_each_reader(csto_db: str) -> None:
    """By hand as well: a benchmark that stopped comparing would be caught; the readers
    differ, so restricted incidents must move the totals."""
    engine = db.engine_for(csto_db)
    databases.bulk_load(engine, synthetic.reports(1500, seed=14))
    totals = {}
    with db.read_session(engine) as s:
        conn = s.connection().connection.driver_connection
        for principal in ("delegation:KZ", "delegation:AM"):
            actor = auth.Actor(None, "bench", Principal.parse(principal),
                               frozenset({"duty_officer"}), "api")
            c = auth.clearance(s, actor, synthetic.NOW.date(), "CSTO")
            for zoom, box in situation_map.views(6):
                raw = situation_map.raw_map(conn, engine.dialect.name, zoom, box, c)
                seen = service.map_view(s, c, bbox=box, zoom=zoom, now=synthetic.NOW)
                assert raw == situation_map._answer(seen)
            totals[principal] = situation_map.raw_map(
                conn, engine.dialect.name, *situation_map.FIRST_VIEW, c)[0]
    assert totals["delegation:KZ"] != totals["delegation:AM"]


def test_the_stix_export_benchmark_writes_the_same_bundle_both_ways() -> None:
    from benchmarks import stix_export

    ours, theirs = stix_export.Counting(), stix_export.Counting()
    assert stix_export.ours(50, ours) == stix_export.theirs(50, theirs) == 50
    assert ours.chars > 0 and theirs.chars > 0
    result = stix_export.run(50, [10])
    assert result["objects"] == 50 and result["ratio"] > 0
    assert set(result["peak_bytes"]["10"]) == {"ours", "stix2"}


def test_the_stix_import_benchmark_imports_and_inserts_the_same_objects(csto_db: str) -> None:
    from sqlalchemy import func, select

    from benchmarks import stix_import
    from collsec.exchange.tables import StixObjectRow

    engine = db.engine_for(csto_db)
    result = stix_import.run(engine, 20, rounds=1)
    assert result["objects"] == 20 and result["ratio"] > 0
    with db.read_session(engine) as s:  # the imported rows stay, the raw ones are removed
        assert s.scalar(select(func.count()).select_from(StixObjectRow)) == 20


def test_the_taxii_benchmark_pages_and_posts_the_same_ids_on_both_servers(
        csto_db: str, tmp_path: Path) -> None:
    """Both servers in their own processes, pages of 20 and envelopes of 10; medallion
    holds the first 40 of collsec's 50. A side that paged other ids stops the run."""
    pytest.importorskip("medallion")
    from benchmarks import taxii_medallion

    result = taxii_medallion.run(csto_db, objects=50, medallion_max=40, rounds=2, posts_n=2,
                                 page=20, envelope=10, workdir=tmp_path)
    assert result["objects"] == {"collsec": 50, "medallion": 40}
    assert result["compared"] == {"pages": 4, "posts": 4, "ids_paged": {"collsec": 50,
                                                                        "medallion": 40},
                                  "ids_posted": 20, "same_order": True}
    assert result["get"]["ratio"] > 0 and result["post"]["ratio"] > 0
    assert result["get"]["collsec_same_objects"]["objects"] == 40
    rows = result["conformance"]["rows"]
    assert rows["envelope_keys_first_page"] == {"collsec": ["more", "next", "objects"],
                                                "medallion": ["more", "next", "objects"]}
    assert rows["next_with_other_filter"]["medallion"]["status"] == 400  # its paging state
    held = taxii_medallion.held(3)
    passes = {"collsec": [{"ids": [o["id"] for o in held]}],
              "medallion": [{"ids": [held[0]["id"]]}]}
    with pytest.raises(AssertionError, match="medallion paged 1 ids"):
        taxii_medallion.compare(held, held[:2], passes, {}, [])


def test_the_search_benchmark_narrows_as_the_service_does(tmp_path: Path) -> None:
    """A few hundred synthetic reports on the database kind under test; the run stops if
    the narrowed page differs from the service's or from the decision point's reading."""
    import os

    from benchmarks import report_search

    base = os.environ.get("COLLSEC_DATABASE_URL", "")
    url = (databases.pg_url(base, "collsec_test_report_search") if base.startswith("postgres")
           else f"sqlite:///{tmp_path / 'search.db'}")
    try:
        assert report_search.build(url, 300, log=False) is not None
        assert report_search.build(url, 300, log=False) is None  # reused: still current
        result = report_search.run(url, count=8, warmup=2)
    finally:
        databases.drop(url)
    assert result["queries"] == 8
    assert result["narrowed_over_unrestricted_p50"] > 0
    assert {"p50_ms", "p99_ms"} <= set(result["service"])
    words = report_search.queries(4)
    vocabulary = set(report_search.vocabulary())
    assert len(words[3].split()) == 2 and set(" ".join(words).split()) <= vocabulary


def test_the_simulation_benchmark_runs_both_models_and_they_agree() -> None:
    from benchmarks import simulation_mesa

    result = simulation_mesa.run(runs=300, rounds=1)  # exits if the two disagree
    assert result["seconds"]["mesa"] > 0 and result["seconds"]["vectorized"] > 0
    ours, theirs = result["time_to_need"]["vectorized"], result["time_to_need"]["mesa"]
    assert ours[0] <= ours[1] <= ours[2] and theirs[0] <= theirs[1] <= theirs[2]


def test_the_statistics_benchmark_answers_as_the_raw_sql(csto_db: str,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from benchmarks import operations_stats

    monkeypatch.setenv("COLLSEC_DATABASE_URL", csto_db)  # the benchmark points it there too
    result = operations_stats.run(csto_db, stages=12, queries=16)  # exits on a difference
    assert result["national_figure_rows"] > 12 * 6 * 20
    assert result["service_ms"]["p50"] > 0 and result["raw_ms"]["p50"] > 0
