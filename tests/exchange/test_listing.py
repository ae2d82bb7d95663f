"""The unified list on the embedded CSTO data: every alias finds the Islamic State in the
service, the API, the command line and the page; the Taliban's standing follows the
members' designations over time; only members' readers read the list, and each read is
audited."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.auth.tables import AuditRow
from collsec.core.errors import InvalidInput, NotFound
from collsec.exchange import listing
from collsec.web.app import create_app
from tests.accounts.test_views import sign_in
from tests.conftest import bearer, make_user
from tests.exchange.conftest import NOW, officer

ALIASES = ["Islamic State", "ISIS", "ISIL", "IGIL", "ИГИЛ", "Исламское государство", "Daesh"]
COLLSEC = str(Path(sys.executable).parent / "collsec")


def _kz(s: Session) -> auth.Clearance:
    return officer(s, "kz-reader", "delegation:KZ", ("viewer",), NOW.date())[1]


@pytest.mark.parametrize("query", ALIASES)
def test_each_alias_finds_the_islamic_state_first(tx: Session, query: str) -> None:
    found = listing.find_entries(tx, _kz(tx), query, on=NOW.date(), now=NOW)
    assert found and found[0].row.code == "islamic-state", [v.row.code for v in found]


def test_the_islamic_state_is_listed_by_the_rule(tx: Session) -> None:
    view = listing.get_entry(tx, _kz(tx), "islamic-state", on=NOW.date(), now=NOW)
    assert view.standing.status == "listed" and "RU" in view.standing.states
    assert listing.get_entry(tx, _kz(tx), "islamic-state", on=dt.date(2014, 12, 28),
                             now=NOW).standing.states == ()


def test_the_talibans_standing_follows_the_designations(tx: Session) -> None:
    c = _kz(tx)
    early = listing.get_entry(tx, c, "taliban", on=dt.date(2010, 1, 1), now=NOW).standing
    assert early.status == "listed" and "RU" in early.states
    late = listing.get_entry(tx, c, "taliban", on=NOW.date(), now=NOW).standing
    assert "RU" not in late.states  # the Supreme Court suspended the ban in April 2025
    assert "KZ" not in late.states


def test_only_members_readers_read_the_list_and_each_read_is_audited(tx: Session) -> None:
    _, observer_like = officer(tx, "uz-reader", "delegation:UZ", ("viewer",))
    with pytest.raises(auth.NotEntitled):
        listing.list_entries(tx, observer_like, on=NOW.date(), now=NOW)
    listing.list_entries(tx, _kz(tx), on=NOW.date(), now=NOW)
    tx.flush()
    assert tx.execute(select(AuditRow).where(AuditRow.object_type == "list_entry",
                                             AuditRow.principal == "delegation:KZ")).first()
    with pytest.raises(InvalidInput, match="at least 2"):
        listing.find_entries(tx, _kz(tx), "?", on=NOW.date(), now=NOW)
    with pytest.raises(NotFound, match="no entry 'nobody'"):
        listing.get_entry(tx, _kz(tx), "nobody", on=NOW.date(), now=NOW)


def test_the_api_the_cli_and_the_page_find_it_by_every_alias(csto_db: str) -> None:
    token = make_user("kz-list", "delegation:KZ", ["viewer"])
    api = TestClient(create_app())
    page = TestClient(create_app())
    assert sign_in(page, "kz-list").status_code == 303
    env = {**os.environ, "COLLSEC_USER": "kz-list", "COLUMNS": "200"}
    for query in ALIASES:
        r = api.get("/api/v1/unified-list/search", params={"q": query}, headers=bearer(token))
        assert r.status_code == 200 and r.json()["entries"][0]["code"] == "islamic-state"
        html = page.get("/unified-list", params={"q": query}).text
        assert 'data-code="islamic-state"' in html
        cli = subprocess.run([COLLSEC, "exchange", "find", query, "--json"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout)["entries"][0]["code"] == "islamic-state"
    detail = api.get("/api/v1/unified-list/taliban", params={"on": "2010-01-01"},
                     headers=bearer(token)).json()
    assert detail["standing"]["status"] == "listed" and detail["steps"]
    assert 'id="designations"' in page.get("/unified-list/taliban").text
    assert api.get("/api/v1/unified-list").status_code == 401
