"""Errors in Russian: every error class's title, every validation message and every
message a domain error is raised with has its Russian wording, and the edge gives it in
the reader's language (Accept-Language on the API, the page's language on pages).

The walk reads the source: an error raised with a template (`InvalidInput("severity
{severity} is not on the scale", severity=9)`) must have a Russian msgstr; one raised with
an f-string cannot be translated, and is allowed only in the packages still listed in
STILL_ENGLISH (a list that may only shrink: a listed package with no f-string fails too).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import collsec
from collsec.core import i18n, problems
from collsec.core.errors import CollsecError
from collsec.web.app import create_app
from tests.conftest import bearer, make_user

SRC = Path(collsec.__file__).parent
# packages whose errors are still raised with English f-strings (issue 11, point 9)
STILL_ENGLISH: set[str] = set()


def _classes() -> list[type[CollsecError]]:
    for m in pkgutil.walk_packages(collsec.__path__, "collsec."):
        if not m.name.startswith("collsec.migrations"):
            importlib.import_module(m.name)

    def walk(c: type[CollsecError]) -> Iterator[type[CollsecError]]:
        for sub in c.__subclasses__():
            yield sub
            yield from walk(sub)
    return [CollsecError, *walk(CollsecError)]


def _raised() -> Iterator[tuple[str, int, ast.expr]]:
    """(file, line, first argument) of every call that makes an error, places one or
    words a part of one (`Phrase`)."""
    names = {c.__name__ for c in _classes()} | {"within", "Phrase"}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(
                fn, ast.Attribute) else ""
            if name in names:
                yield str(path.relative_to(SRC)), node.lineno, node.args[0]


def test_every_error_class_has_a_russian_title() -> None:
    missing = sorted({c.title for c in _classes() if not i18n.translated("ru", c.title)})
    assert missing == []


def test_every_validation_message_has_a_russian_wording() -> None:
    assert [t for t in problems.VALIDATION.values()
            if t != "{error}" and not i18n.translated("ru", t)] == []


def test_every_error_template_has_a_russian_wording() -> None:
    missing = [f"{f}:{line}: {arg.value!r}" for f, line, arg in _raised()
               if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
               and not i18n.translated("ru", arg.value)]
    assert missing == []


def test_only_the_packages_still_listed_raise_english_sentences() -> None:
    english: dict[str, int] = {}
    for f, _, arg in _raised():
        if isinstance(arg, ast.JoinedStr):
            package = f.split("/")[0]
            english[package] = english.get(package, 0) + 1
    assert sorted(set(english) - STILL_ENGLISH) == [], english
    assert sorted(STILL_ENGLISH - set(english)) == [], "converted: strike it from the list"


# -- at the edge ---------------------------------------------------------------------------

@pytest.fixture
def client(csto_db: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def test_the_api_answers_in_the_language_the_caller_accepts(client: TestClient) -> None:
    token = bearer(make_user("duty-kz", "delegation:KZ", ["duty_officer"]))
    r = client.get("/api/v1/incidents", params={"limit": 0},
                   headers={**token, "Accept-Language": "ru-RU, en;q=0.5"})
    assert r.status_code == 422 and r.headers["content-language"] == "ru"
    body = r.json()
    assert body["title"] == "Неверные данные"
    assert body["errors"][0]["msg"] == "должно быть не меньше 1"
    assert body["errors"][0]["type"] == "greater_than_equal"
    r = client.get("/api/v1/incidents", params={"limit": 0},
                   headers={**token, "Accept-Language": "de, en;q=0.8"})
    assert r.headers["content-language"] == "en" and r.json()["title"] == "Invalid input"
    r = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "ru"})
    assert r.status_code == 404 and r.json()["detail"] == "Не найдено"


def test_a_domain_error_carries_its_code_and_parameters(client: TestClient) -> None:
    token = bearer(make_user("duty-kz", "delegation:KZ", ["duty_officer"]))
    r = client.get("/api/v1/incidents/424242", headers={**token, "Accept-Language": "ru"})
    assert r.status_code == 404 and r.headers["content-language"] == "ru"
    body = r.json()
    assert body["code"] == "not-found" and body["type"].endswith("/not-found")
    assert body["params"] == {"kind": "incident", "id": 424242}
    assert body["title"] == "Не найдено" and "424242" in body["detail"]
    assert any("а" <= ch <= "я" for ch in body["detail"].lower()), body["detail"]
    english = client.get("/api/v1/incidents/424242", headers=token).json()
    assert english["detail"] == "unknown incident 424242"  # the template, filled
    assert english["params"] == body["params"]


def test_a_page_says_its_error_in_the_page_language(client: TestClient) -> None:
    r = client.get("/no-such-page", params={"lang": "ru"})
    assert r.status_code == 404 and "страницы /no-such-page нет" in r.text
    assert "Страница не найдена" in r.text
