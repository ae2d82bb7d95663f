"""The exchange's pages as its users meet them (in-process, signed in with the real form):
an analyst writes, a verifier checks, a releasing officer releases and narrows, a reader
of Russia reads and is then shown the withdrawal; an Armenian reader never sees it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from collsec.web.app import create_app
from tests.accounts.test_views import form_token, sign_in
from tests.conftest import make_user

USERS = {"kz-ana": ("delegation:KZ", ["reporting_analyst"]),
         "kz-vera": ("delegation:KZ", ["verifier"]),
         "kz-rel": ("delegation:KZ", ["releasing_officer"]),
         "ru-reader": ("delegation:RU", ["viewer"]),
         "am-reader": ("delegation:AM", ["viewer"])}


@pytest.fixture
def people(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, TestClient]:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    clients = {}
    for name, (principal, roles) in USERS.items():
        make_user(name, principal, roles)
        client = TestClient(create_app())
        assert sign_in(client, name).status_code == 303
        clients[name] = client
    return clients


def _post(client: TestClient, path: str, page: str, **data: object) -> str:
    r = client.post(path, data={"csrf_token": form_token(client.get(page).text), **data},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def test_the_triage_and_a_withdrawal_in_the_browser(people: dict[str, TestClient]) -> None:
    ana, vera, rel = people["kz-ana"], people["kz-vera"], people["kz-rel"]
    assert "write-report" in ana.get("/reports").text
    assert "write-report" not in people["ru-reader"].get("/reports").text
    where = _post(ana, "/reports", "/reports/new", title="Recruiters near Osh",
                  body="Two channels: <script>x</script> and **one more**.", tlp="AMBER",
                  scope="states", states=["KZ", "RU"], classification="confidential")
    rid = int(where.rsplit("/", 1)[1])
    page = ana.get(where).text
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "<strong>one more</strong>" in page and 'id="step-submit"' in page
    assert people["ru-reader"].get(where).status_code == 404

    _post(ana, f"/reports/{rid}/submit", where)
    assert 'id="step-verify"' not in ana.get(where).text  # the author checks nothing
    _post(vera, f"/reports/{rid}/verify", where, note="two sources")
    _post(rel, f"/reports/{rid}/release", where)

    read = people["ru-reader"].get(where)
    assert read.status_code == 200 and 'data-tlp="AMBER"' in read.text
    assert "Recruiters near Osh" in people["ru-reader"].get("/reports?q=osh").text
    assert "Recruiters near Osh" not in people["am-reader"].get("/reports").text
    assert people["am-reader"].get(where).status_code == 404
    owner = ana.get(where).text
    assert 'class="reader" data-principal="delegation:RU"' in owner

    _post(rel, f"/reports/{rid}/releasability", where, scope="states", states=["KZ"],
          note="source at risk")
    gone = people["ru-reader"].get(where)
    assert gone.status_code == 410 and 'id="withdrawal"' in gone.text
    assert "source at risk" in gone.text
    listing = people["ru-reader"].get("/reports").text
    assert 'id="withdrawn"' in listing and "Recruiters near Osh" not in listing
    kinds = re.findall(r'class="step" data-kind="(\w+)"', ana.get(where).text)
    assert kinds == ["written", "submitted", "verified", "released", "narrowed"]


def test_a_refused_form_shows_why_and_writes_nothing(people: dict[str, TestClient]) -> None:
    ana = people["kz-ana"]
    r = ana.post("/reports", data={"csrf_token": form_token(ana.get("/reports/new").text),
                                   "title": "Too wide", "tlp": "RED", "scope": "members"})
    assert r.status_code == 400 and 'id="refusal"' in r.text
    assert "TLP:RED allows at most" in r.text and 'value="Too wide"' in r.text
    assert "Too wide" not in ana.get("/reports").text
    forged = ana.post("/reports", data={"csrf_token": "forged", "title": "x", "tlp": "RED",
                                        "scope": "originator"})
    assert forged.status_code == 403
    ru = people["ru-reader"].get("/reports/new")
    assert ru.status_code == 403


def test_a_bundle_uploaded_on_the_page_shows_each_objects_result(
        people: dict[str, TestClient], csto_db: str) -> None:
    import json

    from tests.exchange.test_stix_import import _foreign

    make_user("kz-rel2", "delegation:KZ", ["releasing_officer"])
    rel = TestClient(create_app())
    assert sign_in(rel, "kz-rel2").status_code == 303
    assert 'id="import-bundle"' in rel.get("/reports").text
    assert 'id="import-bundle"' not in people["kz-ana"].get("/reports").text
    token = form_token(rel.get("/reports/import").text)
    files = {"bundle": ("bundle.json", json.dumps(_foreign("TLP:AMBER")), "application/json")}
    r = rel.post("/reports/import", data={"csrf_token": token}, files=files)
    assert r.status_code == 200 and 'id="result"' in r.text
    assert r.text.count('class="object-result" data-result="added"') == 2
    assert "Cell in the valley" in people["ru-reader"].get("/reports?q=valley").text
    again = rel.post("/reports/import", data={"csrf_token": token}, files=files)
    assert again.text.count('data-result="skipped"') == 2
    bad = rel.post("/reports/import", data={"csrf_token": token},
                   files={"bundle": ("x.json", "{nope", "application/json")})
    assert bad.status_code == 400 and 'id="refusal"' in bad.text
    assert people["ru-reader"].get("/reports/import").status_code == 403


def test_the_import_page_loads_its_progress_script_with_its_texts(
        people: dict[str, TestClient]) -> None:
    """static/exchange-import.js shows the upload's progress; its texts are the form's data-
    attributes, in the page's language; nothing inline (the CSP allows none)."""
    rel = people["kz-rel"]
    html = rel.get("/reports/import").text
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/exchange-import.js" defer>']
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None  # nothing inline
    form = re.search(r'<form[^>]*id="import-form"[^>]*>', html)
    assert form is not None
    assert 'data-uploading="Uploading the bundle: {percent}%"' in form.group(0)
    assert 'data-importing="Importing…"' in form.group(0)
    assert 'data-refused="Refused, nothing was recorded:"' in form.group(0)
    assert 'data-failed="The connection failed before the answer came.' in form.group(0)
    assert 'name="csrf_token"' in html  # the script sends the form's own fields
    ru = rel.get("/reports/import", params={"lang": "ru"}).text
    ru_form = re.search(r'<form[^>]*id="import-form"[^>]*>', ru)
    assert ru_form is not None
    assert 'data-uploading="Пакет загружается: {percent}%"' in ru_form.group(0)
    assert 'data-importing="Импорт…"' in ru_form.group(0)
    assert 'data-failed="Соединение прервалось до ответа.' in ru_form.group(0)
    js = rel.get("/static/exchange-import.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "import-form" in js.text and "XMLHttpRequest" in js.text
    assert "data-" in js.text and "innerHTML" not in js.text  # text only
    answer = rel.get("/reports/import").headers["content-security-policy"]
    assert "script-src 'self';" in answer


def test_a_draft_names_its_subjects_and_carries_files_on_its_page(
        people: dict[str, TestClient]) -> None:
    ana = people["kz-ana"]
    new = ana.get("/reports/new").text
    assert 'value="islamic-state"' in new  # the unified list's entries to choose from
    bad = ana.post("/reports", data={"csrf_token": form_token(new), "title": "Nowhere",
                                     "tlp": "AMBER", "scope": "states", "states": ["KZ"],
                                     "places": "Astana 71.45"})
    assert bad.status_code == 400 and "place line 1" in bad.text
    assert 'value="Nowhere"' in bad.text  # the form comes back as it was filled
    where = _post(ana, "/reports", "/reports/new", title="Couriers", tlp="AMBER",
                  scope="states", states=["KZ", "RU"], organizations=["islamic-state"],
                  persons="A. Courier\n", places="Astana; 71.45 51.17", incidents="")
    rid = int(where.rsplit("/", 1)[1])
    page = ana.get(where).text
    kinds = re.findall(r'class="subject" data-kind="(\w+)"', page)
    assert kinds == ["organization", "person", "place"]
    assert 'href="/unified-list/islamic-state"' in page and "71.45, 51.17" in page

    token = form_token(page)
    up = ana.post(f"/reports/{rid}/attachments", data={"csrf_token": token},
                  files={"file": ("annex.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                  follow_redirects=False)
    assert up.status_code == 303, up.text
    shown = ana.get(where).text
    assert 'class="attachment" data-type="application/pdf"' in shown
    fake = ana.post(f"/reports/{rid}/attachments", data={"csrf_token": token},
                    files={"file": ("page.pdf", b"<html><script>1</script>", "application/pdf")})
    assert fake.status_code == 400 and "text/html" in fake.text
    forged = ana.post(f"/reports/{rid}/attachments", data={"csrf_token": "forged"},
                      files={"file": ("x.txt", b"x", "text/plain")})
    assert forged.status_code == 403
    file_id = re.search(rf"/api/v1/reports/{rid}/attachments/(\d+)", shown)
    assert file_id is not None
    assert people["ru-reader"].get(f"/api/v1/reports/{rid}/attachments/{file_id[1]}"
                                   ).status_code == 404  # a draft reaches nobody else
    got = ana.get(f"/api/v1/reports/{rid}/attachments/{file_id[1]}")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    _post(ana, f"/reports/{rid}/attachments/{file_id[1]}/remove", where)
    assert 'class="attachment"' not in ana.get(where).text
    assert "Couriers" in ana.get("/reports?entity=islamic-state").text
    assert "Couriers" not in ana.get("/reports?entity=al-qaeda").text


def test_a_draft_is_changed_in_the_form_it_was_written_with(
        people: dict[str, TestClient]) -> None:
    ana = people["kz-ana"]
    where = _post(ana, "/reports", "/reports/new", title="Couriers", tlp="AMBER",
                  scope="states", states=["KZ"], organizations=["islamic-state"],
                  persons="A. Courier", places="Astana; 71.45 51.17")
    rid = int(where.rsplit("/", 1)[1])
    assert f'href="/reports/{rid}/edit"' in ana.get(where).text
    form = ana.get(f"/reports/{rid}/edit").text
    assert 'value="Couriers"' in form and "Astana; 71.45 51.17" in form
    assert 'value="islamic-state" selected' in form
    _post(ana, f"/reports/{rid}/edit", f"/reports/{rid}/edit", title="Couriers, again",
          tlp="AMBER", scope="states", states=["KZ", "RU"], persons="",
          places="Osh; 72.8 40.5\nFergana valley; {\"type\": \"Polygon\", \"coordinates\": "
          "[[[71, 40], [72, 40], [72, 41], [71, 40]]]}")
    page = ana.get(where).text
    assert "Couriers, again" in page
    assert re.findall(r'class="subject" data-kind="(\w+)"', page) == ["place", "place"]
    again = ana.get(f"/reports/{rid}/edit").text  # the polygon comes back as GeoJSON
    assert "Fergana valley; {" in again and "Osh; 72.8 40.5" in again
    assert people["ru-reader"].get(f"/reports/{rid}/edit").status_code == 403
    _post(ana, f"/reports/{rid}/submit", where)
    refused = ana.get(f"/reports/{rid}/edit")
    assert refused.status_code == 409 and "submitted" in refused.text
