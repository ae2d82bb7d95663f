"""Translations: gettext catalogs (.po) under collsec/locale, English as the source language.

Catalogs are compiled in memory on first use, so a fresh install needs no build step.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "ru")
DEFAULT = "en"


def normalize(lang: str | None) -> str:
    lang = (lang or DEFAULT).lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    lang = normalize(lang)
    po = resources.files("collsec") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_for(lang: str):  # type: ignore[no-untyped-def]
    return translations(lang).gettext


def ngettext_for(lang: str):  # type: ignore[no-untyped-def]
    return translations(lang).ngettext
