"""Translations: gettext catalogs (.po) under collsec/locale, English as the source language.

A language's catalog is its `messages.po` (the pages) and the `errors-*.po` beside it
(the domain's error messages, one file per package, so each package's messages are kept
together). Catalogs are compiled in memory on first use, so a fresh install needs no
build step.
"""

from __future__ import annotations

import gettext
import io
import os
import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from collsec.core.errors import CollsecError, Named, OneOf, Phrase

LANGUAGES = ("en", "ru")
DEFAULT = "en"


def normalize(lang: str | None) -> str:
    lang = (lang or DEFAULT).lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    lang = normalize(lang)
    folder = resources.files("collsec") / "locale" / lang / "LC_MESSAGES"
    po = folder / "messages.po"
    if lang == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    for part in sorted((p for p in folder.iterdir() if p.name.startswith("errors-")
                        and p.name.endswith(".po")), key=lambda p: p.name):
        with part.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.string:
                    catalog[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_for(lang: str):  # type: ignore[no-untyped-def]
    return translations(lang).gettext


def ngettext_for(lang: str):  # type: ignore[no-untyped-def]
    return translations(lang).ngettext


class _Wording(string.Formatter):
    """str.format in a language: thousands grouped as the language groups them (`{n:,}`
    is 1,000 in English and 1 000 in Russian)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        text = str(super().format_field(value, format_spec))
        if "," in format_spec and self.lang == "ru" and isinstance(value, int | float):
            text = text.replace(",", "\u00a0")  # a no-break space, as Russian typesets it
        return text


def _fill(template: str, params: Mapping[str, object], lang: str) -> str:
    """`template` in `lang`, filled with `params` worded in `lang` too; the English one
    when it has no translation, or its translation names a parameter it lacks."""
    tr = translations(lang).gettext
    values = {k: _value(v, lang) for k, v in params.items()}
    text = tr(template)
    if not params:
        return text
    try:
        return _Wording(lang).format(text, **values)
    except (KeyError, IndexError, ValueError):
        return _Wording(lang).format(template, **values)


def _value(value: object, lang: str) -> object:
    """A parameter as `lang` says it: a phrase worded, a name in `lang`, alternatives
    joined with the language's "or"."""
    if isinstance(value, Phrase):
        return _fill(value.template, value.params, lang)
    if isinstance(value, Named):
        return value.names.get(normalize(lang)) or value.names.get(DEFAULT, "")
    if isinstance(value, OneOf):
        return translations(lang).gettext(" or ").join(str(_value(v, lang)) for v in value)
    return value


def worded(exc: CollsecError, lang: str) -> tuple[str, str]:
    """An error's title and message in `lang`: its template translated, then filled with
    its parameters (each worded in `lang` too); the English message when the template has
    no translation (or the translation names a parameter the error does not carry)."""
    title = translations(lang).gettext(exc.title)
    said = _fill(exc.template, exc.params, lang)
    if exc.inner is not None:
        said = f"{said}: {worded(exc.inner, lang)[1]}"
    return title, said


def plain(value: object) -> object:
    """A parameter as the API hands it to a client that words it itself: JSON's own
    types, alternatives as a list, a phrase or a name in English."""
    if isinstance(value, OneOf):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return format(value)


def translated(lang: str, text: str) -> bool:
    """Whether `lang` has its own wording of `text` (English always has)."""
    return normalize(lang) == DEFAULT or translations(lang).gettext(text) != text


def accept_language(header: str | None) -> str:
    """The first language of an Accept-Language header we have (q-values in their order,
    highest first), else English."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((header or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()[:2]
        if lang in LANGUAGES and q > 0:
            ranked.append((-q, n, lang))
    return min(ranked)[2] if ranked else DEFAULT


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The language a command line speaks: COLLSEC_LANG, else the POSIX locale's
    (LC_ALL, then LC_MESSAGES, then LANG: `ru_RU.UTF-8` is Russian), else English."""
    env = os.environ if environ is None else environ
    if env.get("COLLSEC_LANG"):
        return normalize(env["COLLSEC_LANG"])
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides, as POSIX has it
            return normalize(value)
    return DEFAULT


def message(exc: CollsecError, lang: str) -> str:
    """An error's message in `lang` (`worded` without the title)."""
    return worded(exc, lang)[1]
