"""The checks every embedded fact file shares, pure: a wording in both languages, a date,
the sources a fact names (each one of the source list's), a confidence level. A problem
is a ValueError naming where it is, for the loader to turn into its own refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

CONFIDENCE = ("high", "medium", "low")


@dataclass(frozen=True)
class Wording:
    en: str
    ru: str


def wording(raw: Any, where: str, *, required: bool = False) -> Wording | None:
    """{en, ru} (the Russian defaults to the English); None when absent and not required."""
    if raw is None:
        if required:
            raise ValueError(f"{where}: needs its English and Russian wording")
        return None
    if not isinstance(raw, Mapping) or not str(raw.get("en", "")).strip():
        raise ValueError(f"{where}: give it as {{en: ..., ru: ...}}")
    en = str(raw["en"]).strip()
    return Wording(en, str(raw.get("ru") or en).strip())


def date(raw: Any, where: str) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"{where}: {raw!r} is not a date (YYYY-MM-DD)") from None


def sources(known: Set[str], raw: Any, where: str) -> tuple[str, ...]:
    """The source ids a fact names: at least one, each in the source list."""
    ids = tuple(str(s) for s in raw or ())
    if not ids:
        raise ValueError(f"{where}: name its sources")
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ValueError(f"{where}: unknown source id(s) {', '.join(unknown)}")
    return ids


def confidence(raw: Any, where: str) -> str:
    if raw not in CONFIDENCE:
        raise ValueError(f"{where}: confidence is one of {', '.join(CONFIDENCE)}")
    return str(raw)
