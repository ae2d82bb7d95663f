"""The registry's HTML pages, in process: content as of a date, languages, errors, provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

from collsec.web.render import LANG_COOKIE


def member_rows(html: str) -> dict[str, str]:
    """State code -> the HTML of its row in the dashboard's members table."""
    rows = re.findall(r'<tr class="member-row" data-state="(\w+)">(.*?)</tr>', html, re.S)
    return dict(rows)


def other_statuses(html: str) -> list[str]:
    block = html.split('<ul class="plain others">', 1)
    return re.findall(r'<li data-state="(\w+)">', block[1].split("</ul>", 1)[0]) if len(
        block) == 2 else []


def test_dashboard_lists_six_members_today_with_armenia_frozen(client: TestClient) -> None:
    html = client.get("/").text
    rows = member_rows(html)
    assert sorted(rows) == ["AM", "BY", "KG", "KZ", "RU", "TJ"]
    assert "status-participation-frozen" in rows["AM"]
    assert "Member, participation frozen" in rows["AM"]
    assert "status-member" in rows["KZ"]
    assert "UZ" not in rows
    assert other_statuses(html) == ["UZ"]
    assert "Participation suspended" in html


def test_dashboard_as_of_2011_lists_uzbekistan_among_members(client: TestClient) -> None:
    html = client.get("/", params={"as_of": "2011-06-01"}).text
    rows = member_rows(html)
    assert "UZ" in rows and len(rows) == 7
    assert "status-participation-frozen" not in html
    # links keep the date, so the visitor stays in 2011 while navigating
    assert 'href="/states/UZ?as_of=2011-06-01"' in html


def test_dashboard_shows_chair_with_its_basis(client: TestClient) -> None:
    recorded = client.get("/", params={"as_of": "2024-03-01"}).text
    chair = recorded.split('id="chair"', 1)[1].split("</section>", 1)[0]
    assert "Kazakhstan" in chair and "basis-recorded" in chair
    computed = client.get("/").text.split('id="chair"', 1)[1].split("</section>", 1)[0]
    assert "basis-computed" in computed and "by rotation from the recorded chair" in computed
    session = client.get("/", params={"as_of": "2013-01-15", "lang": "ru"}).text
    chair = session.split('id="chair"', 1)[1].split("</section>", 1)[0]
    assert "Кыргызстан" in chair and "2012-12-20 – 2013-09-23" in chair
    assert "очередной сессии" in chair


def test_dashboard_shows_office_holders_bodies_and_forces(client: TestClient) -> None:
    html = client.get("/").text
    assert "Secretary General" in html and "Imangali Tasmagambetov" in html
    assert 'href="/bodies/CSC"' in html and "Crisis Response Centre" in html
    assert "Collective Rapid Reaction Forces" in html


def test_dashboard_before_the_organization_shows_no_members_and_no_chair(
        client: TestClient) -> None:
    response = client.get("/", params={"as_of": "1995-01-01"})
    assert response.status_code == 200
    assert member_rows(response.text) == {}
    chair = response.text.split('id="chair"', 1)[1].split("</section>", 1)[0]
    assert "unknown" in chair and "no chairmanship rule" in chair


def test_russian_param_shows_russian_names_and_labels(client: TestClient) -> None:
    response = client.get("/", params={"lang": "ru"})
    html = response.text
    assert '<html lang="ru">' in html
    for text in ("Армения", "Казахстан", "Член, участие заморожено", "Обзор", "Хронология",
                 "Государство", "Коллективные силы", "Генеральный секретарь", "ОДКБ"):
        assert text in html, text
    assert "Armenia" not in html
    assert response.cookies.get(LANG_COOKIE) == "ru"  # a chosen language is remembered


def test_russian_cookie_shows_russian_pages(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "ru")
    assert "Армения" in client.get("/").text
    assert "История статусов" in client.get("/states/AM").text


def test_unknown_language_falls_back_to_english(client: TestClient) -> None:
    html = client.get("/", params={"lang": "xx"}).text
    assert '<html lang="en">' in html and "Armenia" in html


def test_state_page_shows_history_across_organizations(client: TestClient) -> None:
    response = client.get("/states/uz")
    assert response.status_code == 200
    html = response.text
    assert "Uzbekistan" in html and "Узбекистан" in html
    assert "Collective Security Treaty Organization" in html
    assert "Collective Security Treaty (parties)" in html
    for day in ("1994-04-20", "1999-04-20", "2006-08-16", "2012-06-28"):
        assert day in html, day
    assert "Withdrawn" in html and "Participation suspended" in html


def test_unknown_state_is_an_html_404(client: TestClient) -> None:
    response = client.get("/states/XX")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "unknown state code" in response.text


@pytest.mark.parametrize("path", ["/bodies/NOPE", "/sources/no-such-source"])
def test_unknown_body_or_source_is_an_html_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_invalid_as_of_is_an_html_400_with_the_message(client: TestClient) -> None:
    response = client.get("/", params={"as_of": "2024-13-01"})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "&#39;2024-13-01&#39; is not a valid date" in response.text


def test_error_pages_escape_what_the_visitor_typed(client: TestClient) -> None:
    response = client.get("/", params={"as_of": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_every_source_link_on_the_dashboard_resolves(client: TestClient) -> None:
    html = client.get("/").text
    links = set(re.findall(r'href="(/sources/[^"]+)"', html))
    assert len(links) >= 5
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, link
        assert "Publisher" in page.text


def test_facts_reveal_source_confidence_and_note(client: TestClient) -> None:
    html = client.get("/").text
    am = member_rows(html)["AM"]
    assert "<details" in am and "<summary>" in am
    assert 'href="/sources/am-freeze-2024"' in am
    assert "conf-high" in am and "Secretariat counts it as a full member" in am


def test_language_cookie_is_set_by_lang_route_and_persists(client: TestClient) -> None:
    response = client.get("/lang/ru", params={"next": "/timeline"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/timeline"
    cookie = response.headers["set-cookie"].lower()
    assert "collsec_lang=ru" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "max-age=31536000" in cookie
    assert "Хронология" in client.get("/timeline").text
    assert "Казахстан" in client.get("/states/KZ").text
    client.get("/lang/en", params={"next": "/"})
    assert "Kazakhstan" in client.get("/states/KZ").text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil",
                                    "timeline", ""])
def test_language_route_only_redirects_to_local_paths(client: TestClient, target: str) -> None:
    response = client.get("/lang/ru", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_language_switch_keeps_the_page_and_date(client: TestClient) -> None:
    html = client.get("/states/KZ", params={"as_of": "2011-06-01", "lang": "en"}).text
    assert 'href="/lang/ru?next=%2Fstates%2FKZ%3Fas_of%3D2011-06-01"' in html


def test_body_page_shows_parent_children_and_composition(client: TestClient) -> None:
    sec = client.get("/bodies/SEC").text
    assert "Crisis Response Centre" in sec and "Secretary General" in sec
    crc = client.get("/bodies/crc").text
    assert 'href="/bodies/SEC"' in crc and "duty staff" in crc


def test_timeline_lists_events_and_status_changes(client: TestClient) -> None:
    html = client.get("/timeline", params={"as_of": "2010-01-01"}).text
    assert "Collective Security Treaty signed in Tashkent" in html
    assert "Armenia: Member, participation frozen" in html
    assert 'class="kind-status later"' in html  # after the date shown, dimmed


def test_pages_load_nothing_from_elsewhere_and_need_no_script(client: TestClient) -> None:
    for path in ("/", "/states/KZ", "/bodies/CSC", "/timeline"):
        html = client.get(path).text
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html), path
    assert client.get("/static/collsec.css").status_code == 200


def _html_under(folder: Traversable) -> Iterator[Traversable]:
    """Every template in `folder` and its subfolders (crisis/, decisions/, ...)."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _html_under(entry)
        elif entry.name.endswith(".html"):
            yield entry


def test_every_template_string_has_a_russian_translation() -> None:
    templates = resources.files("collsec")  # web/templates and every package's templates/
    with (resources.files("collsec") / "locale/ru/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="ru")
    missing = []
    for template in _html_under(templates):
        with template.open("rb") as f:
            for _line, _func, msg, _comments in babel_extract(f, ("_", "ngettext"), [], {}):
                if msg is None:  # a variable, e.g. a status code; checked by the pages
                    continue
                msgid = msg if isinstance(msg, str) else msg[0]
                entry = catalog.get(msgid)
                if entry is None or not entry.string or not all(entry.string if isinstance(
                        entry.string, tuple) else [entry.string]):
                    missing.append(f"{template}: {msgid}")
    assert missing == []


def test_an_unknown_path_gets_an_html_page_and_the_api_gets_problem_json(
        client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


def test_a_state_page_lists_its_chairmanships_up_to_the_date(client: TestClient) -> None:
    html = client.get("/states/KG", params={"as_of": "2020-01-01"}).text
    section = html.split('id="chairmanship"', 1)[1].split("</section>", 1)[0]
    assert "2012-12-20" in section and "2018-11-09" in section
    assert "2025-01-01" not in section  # after the page's date
    later = client.get("/states/KG", params={"as_of": "2025-06-01"}).text
    assert "2025-01-01" in later.split('id="chairmanship"', 1)[1].split("</section>", 1)[0]


def test_the_states_and_bodies_indexes_lead_from_the_breadcrumbs(client: TestClient) -> None:
    states = client.get("/states", params={"as_of": "2011-06-01"}).text
    assert 'href="/states/UZ' in states and "status-member" in states
    bodies = client.get("/bodies").text
    assert 'href="/bodies/CSC' in bodies and "Collective Security Council" in bodies
    assert 'href="/states"' in client.get("/states/KZ").text
    assert 'href="/bodies"' in client.get("/bodies/CSC").text


def test_the_relations_page_filters_by_partner_and_kind(client: TestClient) -> None:
    page = client.get("/relations", params={"partner": "UN", "kind": "resolution",
                                            "lang": "ru"})
    assert page.status_code == 200
    assert "резолюция" in page.text and "ОДКБ" in page.text
    assert "меморандум" not in page.text.split("<tbody>", 1)[1]
    assert client.get("/relations", params={"kind": "alliance"}).status_code == 400


def test_a_body_page_says_how_it_decides_and_lists_its_sessions_on_record(
        client: TestClient) -> None:
    html = client.get("/bodies/CSC", params={"as_of": "2013-01-01"}).text
    rules = html.split('id="decision-rules"', 1)[1].split("</section>", 1)[0]
    assert "by consensus" in rules and 'id="rule-admission"' in rules
    assert 'href="/sessions?body=CSC' in rules
    held = html.split('id="held"', 1)[1].split("</section>", 1)[0]
    assert "2012-12-19" in held and "Kyrgyzstan" in held and "2013-09-23" not in held
    ru = client.get("/bodies/CSC", params={"lang": "ru"}).text
    assert "консенсусом" in ru and "Отсутствовали: Армения" in ru
    assert 'id="decision-rules"' not in client.get("/bodies/SEC").text
