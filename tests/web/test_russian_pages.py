"""Every page in Russian: each HTML page the application serves, asked for with `?lang=ru`
by people of different roles over a database with something in every list, shows names
where the software keeps keys, and no English of ours.

The pages are the application's own GET routes that answer HTML (`create_app().routes`),
so a new page is walked without being listed here; a page with a path parameter needs a
way to fill it (`FILL`), and one without fails. What is read is the text a reader sees:
tags, scripts and styles stripped, attributes left out (a form's value or a link carries
keys on purpose), and what a page marks as not Russian left out: `lang="en"` (recorded in
English only, and saying so) and `translate="no"` (cited as recorded, e.g. a source's
title). On that text the walk fails on

- an English message of ours: a msgid of messages.po or errors-*.po;
- a key where a name belongs: a principal (`delegation:KZ`, `organ:SEC`) anywhere; a
  role, an action, an audit kind or an interface of `web.names`, or a state's, a body's
  or a force's code, outside a `<code>` element (where a page shows a code as a code);
- English words the server made up: two Latin words in a row that are none of the above.

Only what is the same in both languages is allowed (ALLOWED, each with its reason).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from collsec.core import db, i18n
from collsec.core.auth import service as auth
from collsec.core.auth.model import ROLES, Principal, action_words
from collsec.crisis.escalation import service as escalation
from collsec.crisis.escalation.tables import ConsultationRow
from collsec.crisis.forces import deployments
from collsec.crisis.incidents import service as incidents
from collsec.decisions import sessions
from collsec.documents import service as documents
from collsec.exchange import service as exchange
from collsec.exercises import runs
from collsec.registry import service as registry
from collsec.web import names
from collsec.web.app import create_app
from tests.accounts.test_views import sign_in
from tests.builders import council_decision
from tests.conftest import create_database, drop_database, make_user, prepare
from tests.test_route_access import walk

TODAY = "2025-06-01"
DAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)
MISSION = "M-RU-PAGES"

# Who asks: a user of each role whose pages differ (the forms offered, what may be read),
# and nobody signed in.
PEOPLE = {
    "sec.admin": ("organ:SEC", "admin"),
    "sec.editor": ("organ:SEC", "editor"),
    "crc.duty": ("organ:CRC", "duty_officer"),
    "kz.rep": ("delegation:KZ", "representative"),
    "kz.duty": ("delegation:KZ", "duty_officer"),
    "ru.viewer": ("delegation:RU", "viewer"),
    "kz.analyst": ("delegation:KZ", "reporting_analyst"),
    "kz.releaser": ("delegation:KZ", "releasing_officer"),
}
ANONYMOUS = "anonymous"

# Text on a Russian page that is the same in both languages.
ALLOWED = {
    "RU": "the language switch names each language by its code (EN is marked lang=en)",
    "Enduring Brotherhood": "timeline.yaml's Russian note quotes the exercise's English name",
    "Command-line operator": "the operator account's display name, as `collsec db setup` "
                             "gave it: a name, shown as recorded",
    "guard facilities": "a need's note typed in English by tests/builders.py: free text is "
                        "shown as typed",
    "Authorization: Bearer <token>": "the HTTP header an API token is sent in, as typed",
}
ALLOWANCES = [re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])") for text in ALLOWED]


# -- the world -------------------------------------------------------------------------

@dataclass
class World:
    url: str
    incident: int
    session: int
    request: int
    document: int
    item: int
    consultation: int
    report: int
    draft: int  # a report still a draft, to change
    run: int  # an exercise run, its first two injects sent and one reacted to


def _actor(username: str) -> auth.Actor:
    principal, role = PEOPLE[username]
    return auth.Actor(1, username, Principal.parse(principal), frozenset({role}), "cli")


def _as(username: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run command `fn` as `username` would, cleared on the day of the walk."""
    who = _actor(username)
    with db.write_session() as s:
        return fn(s, auth.clearance(s, who, DAY, "CSTO"), who, *args, **kwargs)


def _build(url: str) -> World:
    """Something in every list: a mission decided on a request (its session, agenda item
    and positions), a KZ offer accepted and deployed, an incident released to named
    principals, assessed and cited by a request for consultations and by a request for
    assistance still before the Secretariat, a restricted document, a token; the walk's
    sign-ins fill the audit."""
    for name, (principal, role) in PEOPLE.items():
        make_user(name, principal, [role])
    item = council_decision(dt.date(2025, 5, 20), code=MISSION, host="KZ",
                            title_en="Peacekeeping in the Almaty region",
                            title_ru="Миротворчество в Алматинской области",
                            mandate_en="Guard the facilities", mandate_ru="Охранять объекты",
                            end_condition_ru="до стабилизации обстановки")
    offer = _as("kz.rep", deployments.offer, MISSION, state="KZ", personnel=200, now=NOW)
    _as("sec.editor", deployments.decide_offer, MISSION, offer.id, accept=True, now=NOW)
    _as("kz.duty", deployments.report_status, MISSION, state="KZ", status="deployed",
        personnel=200, at=dt.datetime(2025, 5, 25, tzinfo=dt.UTC), now=NOW)
    incident = _as("kz.duty", incidents.report_incident, type="mass_unrest", severity=3,
                   occurred_at=dt.datetime(2025, 5, 31, 10, tzinfo=dt.UTC),
                   geometry={"type": "Point", "coordinates": [76.95, 43.24]},
                   title="Беспорядки в Алматы", released_to=["delegation:RU", "organ:CRC"],
                   now=NOW).id
    _as("crc.duty", incidents.update_incident, incident, note="Подтверждено", severity=4,
        status="assessed", now=NOW)
    _as("kz.rep", escalation.request_consultations, state="KZ", on=DAY,
        subject_en="The unrest in Almaty", subject_ru="Беспорядки в Алматы",
        incidents=[incident], now=NOW)
    request = _as("kz.rep", escalation.submit_request, state="KZ", basis="article_4",
                  needs=[{"kind": "peacekeeping_forces", "personnel": 300,
                          "note": "охрана объектов"}],
                  summary_en="Help to restore order", summary_ru="Помочь восстановить порядок",
                  incidents=[incident], on=DAY, now=NOW)
    document = _as("sec.editor", documents.create_document, kind="report", date=DAY,
                   title_en="On the unrest", title_ru="О беспорядках", body="CSC",
                   visibility="restricted", released_to=["delegation:KZ"])
    with db.write_session() as s:
        auth.create_token(s, *auth.installer(), username="kz.rep", name="отчёты", now=NOW)
    report = _as("kz.analyst", exchange.write_report, title="Каналы вербовки",
                 body="Два канала, **оба** активны.", tlp="AMBER", scope="members", now=NOW).id
    _as("kz.analyst", exchange.submit_report, report_id=report, now=NOW)
    for name, role, step in (("kz.verifier", "verifier", exchange.verify_report),
                             ("kz.releaser", "releasing_officer", exchange.release_report)):
        who = auth.Actor(None, name, Principal.parse("delegation:KZ"), frozenset({role}), "cli")
        with db.write_session() as s:
            step(s, auth.clearance(s, who, DAY, "CSTO"), who, report_id=report, note="Да",
                 now=NOW)
    draft = _as("kz.analyst", exchange.write_report, title="Черновик о курьерах", tlp="AMBER",
                scope="states", states=["KZ"], now=NOW).id
    _as("crc.duty", runs.add_scenario, definition=RUSSIAN_SCENARIO, now=NOW)
    run = _as("crc.duty", runs.start_run, "KSHU-GRANITSA", name="КШУ «Граница»", now=NOW).row.id
    _as("crc.duty", runs.send_due, run, now=NOW + dt.timedelta(minutes=30))
    _as("crc.duty", runs.score, run, 1, 1, points=2, note="вовремя", now=NOW)
    _as("crc.duty", runs.add_lesson, run, text="Связь с ЦКР работала", now=NOW)
    with db.read_session() as s:
        session_id = sessions.get_item(s, item).session_id
        consultation = s.scalar(select(ConsultationRow.id))
    assert consultation is not None
    return World(url, incident, session_id, request.id, document.id, item, consultation,
                 report, draft, run)


# A scenario written in Russian (the pages show its texts as the staff typed them).
RUSSIAN_SCENARIO = {
    "code": "KSHU-GRANITSA", "name_en": "Border CPX", "name_ru": "КШУ на границе",
    "injects": [
        {"minutes": 0, "kind": "message", "team": "delegation:KZ",
         "title": "Сообщения о скоплении вооружённых групп", "body": "Уточните у погранслужбы.",
         "expected": [{"text": "Подтвердить за 15 минут", "points": 2}]},
        {"minutes": 30, "kind": "incident", "team": "delegation:KZ",
         "title": "Группа перешла границу", "body": "У переправы.",
         "incident": {"type": "armed_incursion", "severity": 4, "lon": 69.4, "lat": 37.3},
         "expected": [{"text": "Доложить в ЦКР", "points": 3}]},
        {"minutes": 60, "kind": "request", "team": "delegation:KZ",
         "title": "Просьба о помощи", "expected": [{"text": "Изложить позицию", "points": 4}]}]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        url = create_database(Path(tmp_path_factory.mktemp("russian-pages")))
        mp.setenv("COLLSEC_DATABASE_URL", url)  # before `prepare` sets it, so it is restored
        prepare(url, load=True)
        mp.setenv("COLLSEC_TODAY", TODAY)
        yield _build(url)
    drop_database(url)


# -- the pages ---------------------------------------------------------------------------

NOT_PAGES = {"/lang/{code}": "a redirect that sets the language cookie; it shows nothing"}

# How each path parameter is filled from the world built.
FILL: dict[str, Callable[[World], str]] = {
    "/states/{code}": lambda w: "KZ",
    "/bodies/{code}": lambda w: "CSC",
    "/sources/{source_id}": lambda w: "seed-001",
    "/agreements/{code}": lambda w: "CHARTER-2002",
    "/documents/{doc_id}": lambda w: str(w.document),
    "/sessions/{session_id}": lambda w: str(w.session),
    "/missions/{code}": lambda w: MISSION,
    "/requests/{request_id}": lambda w: str(w.request),
    "/incidents/{incident_id}": lambda w: str(w.incident),
    "/items/{item_id}/close": lambda w: str(w.item),
    "/consultations/{consultation_id}": lambda w: str(w.consultation),
    "/reports/{report_id}": lambda w: str(w.report),
    "/reports/{report_id}/edit": lambda w: str(w.draft),
    "/unified-list/{code}": lambda w: "islamic-state",
    "/operations/{code}": lambda w: "channel",
    "/exercises/{code}": lambda w: "INT-2022",
    "/exercise-runs/{run_id}": lambda w: str(w.run),
    "/exercise-runs/{run_id}/debrief": lambda w: str(w.run),
}


def html_pages() -> list[str]:
    """The paths of the application's HTML GET pages (the API and NOT_PAGES aside)."""
    return sorted(e.path for e in walk(create_app().routes)
                  if isinstance(e.route, APIRoute) and "GET" in e.methods
                  and not e.path.startswith(("/api/", "/taxii2/")) and e.path not in NOT_PAGES)


PAGES = html_pages()


def url_of(path: str, w: World) -> str:
    return re.sub(r"{[^}]+}", lambda _: FILL[path](w), path)


@pytest.fixture(scope="module")
def walked(world: World) -> dict[tuple[str, str], tuple[int, str]]:
    """(person, page) -> (status, HTML) of every page asked for in Russian by everyone
    (the environment of `world` is still set while it lives)."""
    out = {}
    for person in [*PEOPLE, ANONYMOUS]:
        with TestClient(create_app()) as client:
            if person != ANONYMOUS:
                assert sign_in(client, person).status_code == 303
            for path in PAGES:
                r = client.get(url_of(path, world), params={"lang": "ru"})
                out[(person, path)] = (r.status_code, r.text)
    return out


# -- what a reader sees ----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
# Not read: scripts and styles; the tab's title, which repeats the page's heading and can
# mark no part of itself as another language.
UNREAD = {"script", "style", "template", "title"}


class Visible(HTMLParser):
    """The text nodes a reader sees in Russian, each with whether it sits in `<code>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, its text is left out)
        self.texts: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        a = dict(attrs)
        other = a.get("lang") not in (None, "ru") or a.get("translate") == "no"
        self.open.append((tag, tag in UNREAD or other))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not any(left_out for _, left_out in self.open):
            self.texts.append((text, any(tag == "code" for tag, _ in self.open)))


def visible(html: str) -> list[tuple[str, bool]]:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return parser.texts


# -- the checks -------------------------------------------------------------------------

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
PLACEHOLDER = re.compile(r"{[^{}]*}")


@dataclass(frozen=True)
class Message:
    msgid: str
    pattern: re.Pattern[str]


def _pattern(msgid: str) -> re.Pattern[str]:
    """The msgid as it reads on a page: a placeholder is any text, a space any space."""
    pieces = [".+?" if PLACEHOLDER.fullmatch(p) else r"\s+" if p.isspace() else re.escape(p)
              for p in re.split(r"({[^{}]*}|\s+)", msgid) if p]
    # a word inside an identifier (a source id such as web-kremlin-2012-charter-protocol)
    # is not the message
    return re.compile(rf"(?<![A-Za-z0-9_-]){''.join(pieces)}(?![A-Za-z0-9_-])")


def _english_messages() -> dict[str, list[Message]]:
    """Every msgid with a Russian wording of its own, by its first English word."""
    folder = resources.files("collsec") / "locale" / "ru" / "LC_MESSAGES"
    by_word: dict[str, list[Message]] = {}
    for po in folder.iterdir():
        if not po.name.endswith(".po"):
            continue
        with po.open("rb") as f:
            for m in read_po(f, locale="ru"):
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                said = m.string if isinstance(m.string, tuple) else (m.string,)
                for msgid in ids:
                    words = LATIN_WORD.findall(PLACEHOLDER.sub(" ", msgid or ""))
                    if not words or msgid in said:  # no English, or the same in Russian
                        continue
                    message = Message(msgid, _pattern(msgid))
                    by_word.setdefault(words[0].lower(), []).append(message)
    return by_word


MESSAGES = _english_messages()


def english_messages(text: str) -> list[str]:
    words = {w.lower() for w in LATIN_WORD.findall(text)}
    return [m.msgid for word in words for m in MESSAGES.get(word, ()) if m.pattern.search(text)]


PRINCIPAL = re.compile(r"\b(?:delegation|organ|external):[A-Z]+\b")
TOKEN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
ACTIONS = set(auth.policy_data()["actions"])
LABELLED = set(ROLES) | ACTIONS | set(names.AUDIT_KINDS) | set(names.INTERFACES)


def _codes(world: World) -> set[str]:
    """The codes of states, bodies and forces, which pages show by name."""
    with db.read_session() as s:
        return ({st.code for st in registry.list_states(s)}
                | {b.code for b in registry.bodies(s, "CSTO")}
                | {f.code for f in registry.forces(s, "CSTO")})


def keys_shown(text: str, in_code: bool, codes: set[str]) -> list[str]:
    found = PRINCIPAL.findall(text)
    if not in_code:
        found += [t for t in TOKEN.findall(text) if t in LABELLED or t in codes]
    return found


ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’.-]*(?:[ ,]+[A-Za-z][A-Za-z'’.-]*)+")


def english_words(text: str) -> list[str]:
    return ENGLISH_RUN.findall(text)


def _problems(walked: dict[tuple[str, str], tuple[int, str]],
              check: Callable[[str, bool], list[str]]) -> list[str]:
    """What `check` finds in the text of every page walked, ALLOWED taken out first."""
    out = set()
    for (person, path), (_, html) in walked.items():
        for text, in_code in visible(html):
            for allowance in ALLOWANCES:
                text = allowance.sub(" ", text)
            for found in check(text, in_code):
                out.add(f"{path} ({person}): {found!r} in {text!r}")
    return sorted(out)


# -- the tests ------------------------------------------------------------------------------

def test_every_page_with_a_path_parameter_can_be_filled() -> None:
    assert [p for p in PAGES if "{" in p and p not in FILL] == []
    assert sorted(set(FILL) - set(PAGES)) == [], "no such page: strike it from FILL"


def test_every_page_is_shown_to_someone(walked: dict[tuple[str, str], tuple[int, str]]
                                        ) -> None:
    """The walk reads pages, not only the error pages of refusals."""
    shown = {path for (_, path), (status, _) in walked.items() if status == 200}
    assert sorted(set(PAGES) - shown) == []


def test_no_page_shows_an_english_message(walked: dict[tuple[str, str], tuple[int, str]]
                                          ) -> None:
    assert _problems(walked, lambda text, _: english_messages(text)) == []


def test_no_page_shows_a_key_where_a_name_belongs(
        walked: dict[tuple[str, str], tuple[int, str]], world: World) -> None:
    codes = _codes(world)
    assert _problems(walked, lambda text, in_code: keys_shown(text, in_code, codes)) == []


def test_no_page_shows_english_words(walked: dict[tuple[str, str], tuple[int, str]]
                                     ) -> None:
    assert _problems(walked, lambda text, _: english_words(text)) == []


def test_every_allowance_is_still_needed(walked: dict[tuple[str, str], tuple[int, str]]
                                         ) -> None:
    seen = " ".join(text for _, html in walked.values() for text, _ in visible(html))
    assert [text for text in ALLOWED if text not in seen] == []


# -- the labels ---------------------------------------------------------------------------

AUDITED = re.compile(r'kind="(\w+)"')


def test_every_role_action_and_audit_kind_has_a_russian_label() -> None:
    policy = auth.policy()
    assert set(ROLES) == set(policy.roles) == set(names.ROLES)
    audited = set(AUDITED.findall(Path(auth.__file__).read_text(encoding="utf-8")))
    assert audited <= set(names.AUDIT_KINDS)
    english = [*names.ROLES.values(), *map(action_words, ACTIONS),
               *names.AUDIT_KINDS.values(), *names.INTERFACES.values(), *names.OBJECT_KINDS]
    assert [t for t in english if not i18n.translated("ru", t) and t != "API"] == []  # the same
