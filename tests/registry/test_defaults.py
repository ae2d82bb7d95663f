"""Loading the embedded CSTO: idempotent, journaled, every fact sourced."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.crisis.incidents import service as incidents
from collsec.decisions import sessions
from collsec.registry import defaults
from collsec.registry.tables import OrganizationRow
from collsec.schema import metadata
from tests.builders import council_decision


def _row_counts() -> dict[str, int]:
    with db.read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                for t in metadata.sorted_tables}


def test_loading_twice_changes_nothing(csto_db: str) -> None:
    before = _row_counts()
    with db.write_session() as s:
        result = defaults.load_default(s, actor="test", org="CSTO")
    assert not result.changed
    assert _row_counts() == before


def test_the_load_is_one_journal_entry_with_the_data_digest(csto_db: str) -> None:
    with db.read_session() as s:
        rows = journal.entries(s)
    # the load, then the operator account the test database gets as `db setup` makes it
    assert [r.command for r in rows] == ["auth.add_user", "registry.load_default"]
    assert defaults.digest("CSTO") in rows[1].payload


def test_the_load_fills_every_registry_table(csto_db: str) -> None:
    counts = _row_counts()
    for table in ("sources", "states", "organizations", "memberships", "bodies", "offices",
                  "office_terms", "chairmanships", "forces", "relations", "events"):
        assert counts[table] > 0, table


def test_changed_data_reloads_over_users_records(csto_db: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A new release of the embedded data loads into a database people have worked in:
    their sessions, incidents and missions refer to the organization, which is updated in
    place rather than deleted."""
    sec = auth.Actor(1, "sec", Principal.parse("organ:SEC"), frozenset({"editor"}), "cli")
    duty = auth.Actor(2, "duty-kz", Principal.parse("delegation:KZ"),
                      frozenset({"duty_officer"}), "cli")
    day = dt.date(2025, 5, 1)
    now = dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC)
    with db.write_session() as s:
        c = auth.clearance(s, sec, day, "CSTO")
        sessions.convene(s, c, sec, org="CSTO", body="CSC", kind="regular", date=day)
    council_decision(day, code="M-1", title_en="Test")
    with db.write_session() as s:
        incidents.report_incident(s, auth.clearance(s, duty, day, "CSTO"), duty, type="mass_unrest",
                                  severity=2, occurred_at=now, title="Unrest", now=now,
                                  geometry={"type": "Point", "coordinates": [76.9, 43.2]})
    before = _row_counts()
    monkeypatch.setattr(defaults, "digest", lambda org: "a-new-release-of-the-data")
    with db.write_session() as s:
        result = defaults.load_default(s, actor="test", org="CSTO")
    assert result.changed and result.counts["organizations"] > 0
    after = _row_counts()
    for table in ("sessions", "missions", "incidents", "organizations", "memberships"):
        assert after[table] == before[table], table
    with db.read_session() as s:
        assert s.get(OrganizationRow, "CSTO") is not None
