"""The exchange over the JSON API, in-process on a database of its own: the triage by
three officers of Kazakhstan's service, a release to KZ and RU, a withdrawal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from collsec.web.app import create_app
from tests.conftest import bearer, make_user


@pytest.fixture
def officers(csto_db: str) -> dict[str, dict[str, str]]:
    made = {
        "ana": make_user("kz-ana", "delegation:KZ", ["reporting_analyst"]),
        "vera": make_user("kz-vera", "delegation:KZ", ["verifier"]),
        "rel": make_user("kz-rel", "delegation:KZ", ["releasing_officer"]),
        "ru": make_user("ru-reader", "delegation:RU", ["viewer"]),
        "am": make_user("am-reader", "delegation:AM", ["viewer"]),
    }
    return {name: bearer(token) for name, token in made.items()}


def test_write_check_release_read_and_withdraw(officers: dict[str, dict[str, str]]) -> None:
    api = TestClient(create_app())
    made = api.post("/api/v1/reports", headers=officers["ana"], json={
        "title": "Recruiters near Osh", "body": "Two channels; see *annex*.", "tlp": "AMBER",
        "releasability": {"scope": "states", "states": ["kz", "RU"]}})
    assert made.status_code == 201, made.text
    report = made.json()
    rid = report["id"]
    assert (report["status"], report["visibility"], report["released_to"]) == (
        "draft", "restricted", [])
    assert report["releasability"] == {"scope": "states", "states": ["KZ", "RU"]}
    assert api.get(f"/api/v1/reports/{rid}", headers=officers["ru"]).status_code == 404

    refused = api.post(f"/api/v1/reports/{rid}/verify", headers=officers["ana"], json={})
    assert refused.status_code == 403  # an analyst has not the verifier's role
    assert api.post(f"/api/v1/reports/{rid}/submit", headers=officers["ana"],
                    json={}).status_code == 200
    assert api.post(f"/api/v1/reports/{rid}/verify", headers=officers["vera"],
                    json={"note": "checked against two sources"}).status_code == 200
    released = api.post(f"/api/v1/reports/{rid}/release", headers=officers["rel"], json={})
    assert released.status_code == 200
    assert released.json()["released_to"] == ["delegation:KZ", "delegation:RU"]

    read = api.get(f"/api/v1/reports/{rid}", headers=officers["ru"])
    assert read.status_code == 200 and read.json()["reads"] is None
    listed = api.get("/api/v1/reports", headers=officers["ru"]).json()
    assert [r["id"] for r in listed["reports"]] == [rid]
    assert api.get("/api/v1/reports", headers=officers["am"]).json()["reports"] == []
    missing = api.get(f"/api/v1/reports/{rid}", headers=officers["am"])
    assert missing.status_code == 404 and missing.json()["detail"] == f"unknown report {rid}"

    as_stix = api.get(f"/api/v1/reports/{rid}/stix", headers=officers["ru"])
    assert as_stix.status_code == 200
    assert as_stix.headers["content-type"].startswith("application/stix+json")
    assert [o["name"] for o in as_stix.json()["objects"] if o["type"] == "report"] == [
        "Recruiters near Osh"]
    assert api.get(f"/api/v1/reports/{rid}/stix", headers=officers["am"]).status_code == 404
    assert api.get("/api/v1/stix/reports", headers=officers["ru"]).status_code == 403
    listed_stix = api.get("/api/v1/unified-list/stix", headers=officers["ru"]).json()
    assert any(o["type"] == "threat-actor" for o in listed_stix["objects"])

    own = api.get(f"/api/v1/reports/{rid}", headers=officers["ana"]).json()
    assert "delegation:RU" in {r["principal"] for r in own["reads"]}
    assert [s["kind"] for s in own["history"]] == ["written", "submitted", "verified",
                                                   "released"]

    narrowed = api.put(f"/api/v1/reports/{rid}/releasability", headers=officers["rel"],
                       json={"scope": "states", "states": ["KZ"], "note": "source at risk"})
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["withdrawn_from"] == ["delegation:RU"]
    gone = api.get(f"/api/v1/reports/{rid}", headers=officers["ru"])
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert "withdrawn from delegation:RU" in gone.json()["detail"]
    assert "source at risk" in gone.json()["detail"]
    assert api.get("/api/v1/report-withdrawals", headers=officers["ru"]).json()[
        "withdrawals"][0]["report"] == rid
    assert api.get("/api/v1/reports", headers=officers["ru"]).json()["reports"] == []


def test_bad_input_is_a_problem_and_writes_nothing(officers: dict[str, dict[str, str]]) -> None:
    api = TestClient(create_app())
    for body, status, words in [
        ({"title": "x", "tlp": "RED", "releasability": {"scope": "members"}}, 422,
         "TLP:RED allows at most 'states'"),
        ({"title": "x", "tlp": "RED", "releasability": {"scope": "states", "states": ["XX"]}},
         404, "unknown state code 'XX'"),
        ({"title": "x", "tlp": "RED", "releasability": {"scope": "states"}, "extra": 1}, 422,
         "extra"),
    ]:
        r = api.post("/api/v1/reports", headers=officers["ana"], json=body)
        assert r.status_code == status and words in r.text, r.text
    assert api.get("/api/v1/reports", headers=officers["ana"]).json()["reports"] == []
    ru = api.post("/api/v1/reports", headers=officers["ru"], json={
        "title": "x", "tlp": "RED", "releasability": {"scope": "originator"}})
    assert ru.status_code == 403
    russian = api.post("/api/v1/reports", headers={**officers["ana"], "Accept-Language": "ru"},
                       json={"title": "x", "tlp": "GREEN",
                             "releasability": {"scope": "public"}})
    assert russian.status_code == 422 and "допускает не шире" in russian.json()["detail"]


def test_a_bundle_is_taken_over_the_api(officers: dict[str, dict[str, str]]) -> None:
    from tests.exchange.test_stix_import import _foreign

    api = TestClient(create_app())
    sent = api.post("/api/v1/stix/bundles", headers=officers["rel"], json=_foreign("TLP:AMBER"))
    assert sent.status_code == 201, sent.text
    assert (sent.json()["added"], len(sent.json()["reports"])) == (2, 1)
    rid = sent.json()["reports"][0]
    assert api.get(f"/api/v1/reports/{rid}", headers=officers["ru"]).status_code == 200
    assert api.post("/api/v1/stix/bundles", headers=officers["ana"],
                    json=_foreign()).status_code == 403
    bad = api.post("/api/v1/stix/bundles", content=b"{not json",
                   headers={**officers["rel"], "Content-Type": "application/json"})
    assert bad.status_code == 422 and "not JSON" in bad.json()["detail"]


PDF = b"%PDF-1.4\n% annex\n%%EOF\n"


def test_files_and_subjects_over_the_api(officers: dict[str, dict[str, str]]) -> None:
    api = TestClient(create_app())
    made = api.post("/api/v1/reports", headers=officers["ana"], json={
        "title": "Recruiters near Osh", "tlp": "AMBER",
        "releasability": {"scope": "states", "states": ["KZ", "RU"]},
        "subjects": [{"kind": "organization", "ref": "islamic-state"},
                     {"kind": "place", "name": "Osh",
                      "geometry": {"type": "Point", "coordinates": [72.8, 40.5]}}]})
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert [x["kind"] for x in made.json()["subjects"]] == ["organization", "place"]
    upload = api.post(f"/api/v1/reports/{rid}/attachments?name=annex%20%C2%AB1%C2%BB.exe",
                      headers={**officers["ana"], "content-type": "text/html"}, content=PDF)
    assert upload.status_code == 201, upload.text
    assert upload.json()["media_type"] == "application/pdf"  # the bytes, not the claim
    fid = upload.json()["id"]
    refused = api.post(f"/api/v1/reports/{rid}/attachments?name=a.pdf",
                       headers=officers["ana"], content=b"<html><script></script>")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "text/html by its content" in refused.json()["detail"]
    huge = api.post(f"/api/v1/reports/{rid}/attachments?name=big.txt",
                    headers=officers["ana"], content=b"a" * (11 * 1024 * 1024 + 1))
    assert huge.status_code == 413
    for who in ("vera", "rel"):
        step = {"vera": ("submit", "ana"), "rel": ("verify", "vera")}[who]
        assert api.post(f"/api/v1/reports/{rid}/{step[0]}", headers=officers[step[1]],
                        json={}).status_code == 200
    assert api.post(f"/api/v1/reports/{rid}/release", headers=officers["rel"],
                    json={}).status_code == 200

    got = api.get(f"/api/v1/reports/{rid}/attachments/{fid}", headers=officers["ru"])
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"annex _1_.exe\"; filename*=UTF-8''annex%20%C2%AB1%C2%BB.exe")
    assert got.headers["content-security-policy"] == "sandbox"
    assert api.get(f"/api/v1/reports/{rid}/attachments/{fid}",
                   headers=officers["am"]).status_code == 404
    found = api.get("/api/v1/reports?entity=islamic-state", headers=officers["ru"]).json()
    assert [r["id"] for r in found["reports"]] == [rid]
    assert api.get("/api/v1/reports?entity=islamic-state",
                   headers=officers["am"]).json()["reports"] == []
    late = api.delete(f"/api/v1/reports/{rid}/attachments/{fid}", headers=officers["ana"])
    assert late.status_code == 409
