"""The operations through their interfaces: the API (reads public, writes by the
Secretariat and national coordinators, statistics as JSON and CSV), the pages (charts
drawn on the server, the coordinator's form, the close) and the command line."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.conftest import bearer, make_user

COLLSEC = str(Path(sys.executable).parent / "collsec")
BASE = "/api/v1/operations"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def test_anyone_reads_the_operations_and_their_statistics(use_db: str) -> None:
    c = TestClient(create_app())
    found = c.get(BASE).json()["operations"]
    assert [o["code"] for o in found][:2] == ["channel", "illegal"]
    channel = c.get(f"{BASE}/channel", params={"limit": 5}).json()
    stages, page = list(channel["stage_list"]), channel
    assert len(stages) == 5 and page["next"]
    while page["next"]:  # the stages, the newest first, page by page
        page = c.get(page["next"]).json()
        stages += page["stage_list"]
    assert len(stages) == channel["stages"] == len({s["id"] for s in stages})
    assert [s["year"] for s in stages] == sorted((s["year"] for s in stages), reverse=True)
    assert stages[-1]["results"]["drugs_seized_total"]["qual"] == ">"  # 2003, the first
    assert c.get(f"{BASE}/channel", params={"cursor": "forged"}).status_code == 422
    rows = c.get(f"{BASE}/channel/statistics", params={
        "by": "year", "indicator": "drugs_seized_total", "on": "2004-01-01"}).json()["rows"]
    assert rows == [{"key": "2003", "label": None, "indicator": "drugs_seized_total",
                     "value": 4000, "qual": ">", "stages": 1}]
    got = c.get(f"{BASE}/channel/statistics", params={"by": "stage", "format": "csv",
                                                      "indicator": "heroin_seized"})
    assert got.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(got.text)))
    assert lines and all(x["unit"] == "kg" and x["label"] for x in lines)
    assert c.get(f"{BASE}/channel/statistics", params={"by": "month"}).status_code == 422
    assert c.get(f"{BASE}/channel/statistics", params={"format": "xml"}).status_code == 422
    assert c.get(f"{BASE}/nothing").status_code == 404


def test_a_stage_through_the_api_from_opening_to_release(csto_db: str) -> None:
    sec = bearer(make_user("ops-sec", "organ:SEC", ["editor"]))
    kz = bearer(make_user("ops-kz", "delegation:KZ", ["national_coordinator"]))
    ru = bearer(make_user("ops-ru", "delegation:RU", ["national_coordinator"]))
    c = TestClient(create_app())
    body = {"start": "2026-03-01", "end": "2026-03-07", "states": ["KZ", "RU"],
            "name_en": "Channel - API Barrier"}
    assert c.post(f"{BASE}/channel/stages", json=body, headers=kz).status_code == 403
    assert c.post(f"{BASE}/channel/stages", json={**body, "ends": "x"},
                  headers=sec).status_code == 422
    stage = c.post(f"{BASE}/channel/stages", json=body, headers=sec).json()
    assert stage["status"] == "open" and stage["states"] == ["KZ", "RU"]
    reports = f"{BASE}/channel/stages/{stage['id']}/reports"
    refused = c.post(reports, json={"state": "RU", "figures": {"heroin_seized": 1}}, headers=kz)
    assert refused.status_code == 403
    bad = c.post(reports, json={"state": "KZ", "figures": {"heroin_seized": -2}}, headers=kz)
    assert bad.status_code == 422 and "negative" in bad.json()["detail"]
    assert c.post(reports, json={"state": "KZ", "figures": {"heroin_seized": 3}},
                  headers=kz).json()["version"] == 1
    assert c.post(reports, json={"state": "KZ", "figures": {"heroin_seized": 4}},
                  headers=kz).json()["version"] == 2
    assert c.post(reports, json={"state": "RU", "figures": {"heroin_seized": 10}},
                  headers=ru).status_code == 201
    assert {r["state"] for r in c.get(reports, headers=ru).json()["reports"]} == {"RU"}
    assert c.get(reports).json()["reports"] == []  # nobody's before the close
    closed = c.post(f"{BASE}/channel/stages/{stage['id']}/close", headers=sec).json()
    assert closed["status"] == "closed" and closed["results"]["heroin_seized"]["value"] == 14
    assert c.post(reports, json={"state": "KZ", "figures": {"heroin_seized": 5}},
                  headers=kz).status_code == 409
    assert len(c.get(reports).json()["reports"]) == 3  # released: every version


def test_the_pages_draw_the_charts_and_take_a_coordinators_report(csto_db: str) -> None:
    make_user("page-sec", "organ:SEC", ["editor"])
    make_user("page-kz", "delegation:KZ", ["national_coordinator"])
    anon = TestClient(create_app())
    listing = anon.get("/operations")
    assert listing.status_code == 200 and 'data-code="channel"' in listing.text
    page = anon.get("/operations/channel", params={"indicator": "drugs_seized_total"}).text
    assert page.count("<svg") == 2 and "<script" not in page.split('id="statistics"')[1]
    assert "Close the stage" not in page and "Open a stage" not in page
    older = re.search(r'class="next-page" rel="next" href="([^"]+)"', page)
    assert older and older.group(1).endswith("#stages")  # the newest 20 stages first
    last = anon.get(html.unescape(older.group(1))).text
    assert 'class="next-page"' not in last and "2003" in last.split('id="stages"')[1]
    sec = TestClient(create_app())
    assert sign_in(sec, "page-sec").status_code == 303
    page = sec.get("/operations/channel").text
    opened = sec.post("/operations/channel/stages", data={
        "start": "2026-04-01", "end": "2026-04-05", "states": "KZ RU",
        "name_en": "Channel - Page Barrier", "csrf_token": form_token(page)},
        follow_redirects=False)
    assert opened.status_code == 303
    stage = opened.headers["location"].split("#stage-")[1]
    kz = TestClient(create_app())
    assert sign_in(kz, "page-kz").status_code == 303
    page = kz.get("/operations/channel").text
    assert f'action="/operations/channel/stages/{stage}/reports"' in page
    no_token = kz.post(f"/operations/channel/stages/{stage}/reports",
                       data={"state": "KZ", "f_heroin_seized": "2"}, follow_redirects=False)
    assert no_token.status_code == 403
    sent = kz.post(f"/operations/channel/stages/{stage}/reports", data={
        "state": "KZ", "f_heroin_seized": "2,5", "csrf_token": form_token(page)},
        follow_redirects=False)
    assert sent.status_code == 303
    bad = kz.post(f"/operations/channel/stages/{stage}/reports", data={
        "state": "KZ", "f_heroin_seized": "-1", "csrf_token": form_token(page)})
    assert bad.status_code == 400 and 'id="form-error"' in bad.text
    ru = kz.get("/operations/channel?lang=ru").text
    assert "Изъято героина" in ru and 'data-version="1"' in ru
    assert 'name="f_heroin_seized" inputmode="decimal" maxlength="30" value="2.5"' in ru


def test_the_command_line_lists_and_shows_an_operation(use_db: str) -> None:
    listed = _cli("operations", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {o["code"] for o in json.loads(listed.stdout)["operations"]} == {
        "channel", "proxi", "illegal", "mercenary"}
    table = _cli("operation", "channel", "--by", "year", "--indicator", "heroin_seized",
                 "--lang", "ru")
    assert table.returncode == 0 and "Изъято героина" in table.stdout
    missing = _cli("operation", "nothing")
    assert missing.returncode == 2 and missing.stderr.startswith("error:")
    wrong = _cli("operation", "channel", "--by", "month")
    assert wrong.returncode == 2 and "by is one of" in wrong.stderr


@pytest.mark.parametrize("path", ["/operations", "/operations/channel"])
def test_the_pages_are_russian_in_russian(use_db: str, path: str) -> None:
    text = TestClient(create_app()).get(path, params={"lang": "ru"}).text
    for english in ("Standing operations", "Main totals", "Statistics", "Total since"):
        assert english not in text
