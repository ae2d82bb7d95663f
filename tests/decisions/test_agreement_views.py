"""The agreement pages: the list and one agreement's ratification per state, as of a date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.decisions import agreement_service as service
from collsec.web.app import create_app

TODAY = "2025-06-01"
D = dt.date
EDITOR = auth.Actor(1, "editor", Principal("organ", "SEC"), frozenset({"editor"}), "web")


@pytest.fixture
def client(use_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def ratified(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A writable database with an agreement ratified by four of six signatories."""
    monkeypatch.setenv("COLLSEC_TODAY", TODAY)
    with db.write_session() as s:
        c = auth.clearance(s, EDITOR, D(2025, 6, 1), "CSTO")
        service.register_agreement(s, c, EDITOR, code="VIEW-NTH", title_en="Page agreement",
                                   title_ru="Соглашение для страницы", signed_on=D(2020, 1, 10),
                                   place_en="Minsk", place_ru="Минск",
                                   signatories=[(x, None) for x in ("AM", "BY", "KZ", "KG",
                                                                    "RU", "TJ")],
                                   rule="nth_instrument", n=3, sources=["domain-notes"])
        for state, day in (("RU", D(2020, 3, 1)), ("BY", D(2020, 5, 1)), ("KZ", D(2020, 7, 1)),
                           ("KG", D(2021, 1, 1))):
            service.record_deposit(s, c, EDITOR, code="VIEW-NTH", state=state,
                                   deposited_on=day, instrument=f"law of {state}",
                                   sources=["domain-notes"])
    with TestClient(create_app()) as c:
        yield c


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-state="(\w+)" data-in-force="(yes|no|unknown)"', html))


def test_the_list_shows_the_embedded_agreements(client: TestClient) -> None:
    r = client.get("/agreements")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for code in ("CHARTER-2002", "PEACEKEEPING-PROTOCOL-2021", "CST-PROLONGATION-1999"):
        assert f'href="/agreements/{code}"' in r.text
    assert "Charter of the Collective Security Treaty Organization" in r.text
    assert "no deposit recorded" in r.text
    assert "<script" not in r.text
    # the 1999 protocol: no deposit known, no entry stated: unknown, not "no"
    row = r.text.split('data-code="CST-PROLONGATION-1999"', 1)[1].split("</tr>", 1)[0]
    assert 'data-answer="unknown"' in row and "entry-unknown" in row


def test_the_charter_page_says_its_rule_sources_and_what_is_not_recorded(
        client: TestClient) -> None:
    html = client.get("/agreements/CHARTER-2002").text
    assert "once all of them have deposited" in html  # the rule in words
    assert '<details class="fact">' in html and 'href="/sources/charter-2002"' in html
    assert "18 September 2003" in html  # the note, revealed with the sources
    assert "No deposit is recorded by this date" in html
    # No deposit is known, but a source states the entry into force: marked "recorded".
    assert _rows(html) == {s: "yes" for s in ("AM", "BY", "KZ", "KG", "RU", "TJ")}
    assert "basis-recorded" in html
    assert 'name="as_of"' in html and 'id="agreement-as-of"' in html


def test_pages_speak_russian(client: TestClient) -> None:
    html = client.get("/agreements/PEACEKEEPING-PROTOCOL-2021", params={"lang": "ru"}).text
    assert "Ратификация по государствам" in html and "Казахстан" in html
    assert "вступает в силу для всех подписавших" in html
    assert "Соглашения" in client.get("/agreements").text  # the language cookie was kept


def test_before_the_signature_the_page_says_so(client: TestClient) -> None:
    html = client.get("/agreements/CHARTER-2002", params={"as_of": "2001-01-01"}).text
    assert "had not been signed yet" in html
    assert 'class="ratification-row later"' in html


def test_unknown_agreement_and_bad_date_are_html_errors(client: TestClient) -> None:
    missing = client.get("/agreements/NO-SUCH")
    assert missing.status_code == 404 and "unknown agreement" in missing.text
    bad = client.get("/agreements/CHARTER-2002", params={"as_of": "2024-13-01"})
    assert bad.status_code == 400 and "not a valid date" in bad.text
    assert client.get("/agreements", params={"as_of": "nope"}).status_code == 400


def test_ratification_per_state_follows_the_date(ratified: TestClient) -> None:
    before = ratified.get("/agreements/VIEW-NTH", params={"as_of": "2020-06-30"}).text
    # A state whose deposit is recorded later was not bound yet; one the record holds no
    # deposit of at all (Armenia, Tajikistan) may have deposited unrecorded: unknown.
    assert _rows(before) == {"AM": "unknown", "BY": "no", "KG": "no", "KZ": "no", "RU": "no",
                             "TJ": "unknown"}
    on = ratified.get("/agreements/VIEW-NTH", params={"as_of": "2020-07-01"}).text
    assert _rows(on) == {"AM": "unknown", "BY": "yes", "KG": "no", "KZ": "yes", "RU": "yes",
                         "TJ": "unknown"}
    assert "law of RU" in on and "law of KG" not in on  # KG deposits only in 2021
    today = ratified.get("/agreements/VIEW-NTH").text
    assert _rows(today)["KG"] == "yes" and "law of KG" in today
    listed = ratified.get("/agreements", params={"as_of": "2020-07-01"}).text
    assert "for 3 states" in listed and "3 of 6" in listed


def test_both_pages_declare_public_access() -> None:
    from fastapi.routing import APIRoute

    from collsec.decisions import agreement_views
    from collsec.web.access import Requires

    routes = [r for r in agreement_views.router.routes if isinstance(r, APIRoute)]
    assert {r.path for r in routes} == {"/agreements", "/agreements/{code}"}
    for r in routes:
        (req,) = [d.call for d in r.dependant.dependencies if isinstance(d.call, Requires)]
        assert req.public and req.action == "read"
