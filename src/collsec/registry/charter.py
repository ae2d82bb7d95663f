"""Reading an organization's charter file into the registry's pure rule objects."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from collsec.core import settings
from collsec.core.errors import UnknownOrganization
from collsec.registry.chairmanship import TERMS, Period
from collsec.registry.model import StatusRule

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# An organization's folder is named by its lower-case code, and nothing else: a code never
# reaches outside the folders searched.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


class DataLoader(yaml.SafeLoader):
    """YAML as collsec's data files want it: only true/false are booleans, so `on:`, `off:`,
    `yes:` and `no:` stay keys and words, not YAML 1.1's true and false."""


DataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
DataLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))


class TextDatesLoader(DataLoader):
    """DataLoader with dates left as text too (a scenario reports a bad one with its step)."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in DataLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, loader: type[DataLoader] = DataLoader) -> Any:
    """Parse YAML text with one of the loaders above (both SafeLoader subclasses)."""
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class Charter:
    org: str
    raw: dict[str, Any]
    statuses: dict[str, StatusRule]
    rotation_order_by: str
    reference_day: tuple[int, int]
    skip_not_taking_part: bool
    chair_periods: tuple[Period, ...] = ()

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return list(self.raw.get("bodies", []))

    @property
    def offices(self) -> list[dict[str, Any]]:
        return list(self.raw.get("offices", []))


def search_path() -> list[Any]:
    """Where organization folders are looked for, in order: each folder of COLLSEC_ORG_PATH
    (os.pathsep-separated), then the embedded package collsec.data."""
    return [*(Path(p) for p in settings.org_path()), resources.files("collsec.data")]


def data_dir(org: str) -> Any:
    """The folder of `org`'s data: the first `<code in lower case>/` holding a charter.yaml
    on the search path."""
    if _CODE.match(org):
        for root in search_path():
            folder = root.joinpath(org.lower())
            if folder.joinpath("charter.yaml").is_file():
                return folder
    file = f"{org.lower()}{os.sep}charter.yaml"
    folders = ", ".join(settings.org_path())
    if folders:
        raise UnknownOrganization("no data for organization '{org}': no {file} in {folders}, "
                                  "the embedded collsec.data (COLLSEC_ORG_PATH lists further "
                                  "folders)", org=org, file=file, folders=folders)
    raise UnknownOrganization("no data for organization '{org}': no {file} in the embedded "
                              "collsec.data (COLLSEC_ORG_PATH lists further folders)",
                              org=org, file=file)


def read_yaml(org: str, name: str) -> Any:
    path = data_dir(org).joinpath(name)
    if not path.is_file():
        return []
    return load_yaml(path.read_text(encoding="utf-8")) or []


def load_charter(org: str) -> Charter:
    """The charter in `org`'s folder (parsed once per folder searched)."""
    return _load_charter(org.upper(), settings.org_path())


@lru_cache(maxsize=32)
def _load_charter(org: str, org_path: tuple[str, ...]) -> Charter:
    raw = read_yaml(org, "charter.yaml")
    return parse_charter(raw)


def governing_org(org: str) -> str | None:
    """The organization whose charter governs `org` when `org` has no folder of its own: the
    one whose organizations.yaml lists `org` with `charter_of` naming it (a treaty system
    within an organization's data). None when no folder on the search path says so."""
    return _governed(settings.org_path()).get(org.upper())


@lru_cache(maxsize=8)
def _governed(org_path: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    seen: set[str] = set()  # a folder earlier on the path hides one of the same name
    for root in search_path():
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir(), key=lambda f: f.name):
            path = folder.joinpath("organizations.yaml")
            if folder.name in seen or not folder.joinpath("charter.yaml").is_file():
                continue
            seen.add(folder.name)
            if not path.is_file():
                continue
            for item in load_yaml(path.read_text(encoding="utf-8")) or []:
                if isinstance(item, dict) and item.get("charter_of") and item.get("code"):
                    found.setdefault(str(item["code"]).upper(), str(item["charter_of"]).upper())
    return found


def parse_charter(raw: dict[str, Any]) -> Charter:
    statuses = {
        code: StatusRule(
            code=code,
            counted_as_member=bool(s["counted_as_member"]),
            takes_part=bool(s["takes_part"]),
            bound_by_obligations=bool(s["bound_by_obligations"]),
            name_en=s["name"]["en"],
            name_ru=s["name"]["ru"],
            reads=tuple(s.get("reads", ["public"])),
            sits_in_bodies=bool(s.get("sits_in_bodies", False)),
        )
        for code, s in raw["statuses"].items()
    }
    chair = raw.get("chairmanship", {})
    month, day = (int(x) for x in str(chair.get("reference_day", "01-01")).split("-"))
    dt.date(2000, month, day)  # reject an impossible reference day at load time
    return Charter(
        org=raw["organization"],
        raw=raw,
        statuses=statuses,
        rotation_order_by=chair.get("order_by", "name_ru"),
        reference_day=(month, day),
        skip_not_taking_part=bool(chair.get("skip_states_not_taking_part", True)),
        chair_periods=_chair_periods(chair),
    )


def _chair_periods(chair: dict[str, Any]) -> tuple[Period, ...]:
    """The chairmanship's periods in order. A charter naming none has one: its `term`
    (a calendar year by default) for all time. Periods may leave gaps (the chair is then
    unknown) but never overlap."""
    raw = chair.get("periods")
    if not raw:
        return (Period(dt.date.min, None, str(chair.get("term", "calendar_year"))),)
    periods = []
    for p in raw:
        start, end = p["from"], p.get("to")
        if p["term"] not in TERMS:
            raise ValueError(f"chairmanship period from {start}: unknown term {p['term']!r}")
        if not isinstance(start, dt.date) or not (end is None or isinstance(end, dt.date)):
            raise ValueError(f"chairmanship period from {start}: dates must be YYYY-MM-DD")
        periods.append(Period(start, end, p["term"]))
    periods.sort(key=lambda p: p.start)
    for a, b in zip(periods, periods[1:], strict=False):
        if a.end is None or a.end > b.start:
            raise ValueError(f"chairmanship periods from {a.start} and {b.start} overlap")
    return tuple(periods)


def chair_period_data(charter: Charter, period: Period) -> dict[str, Any]:
    """A period's entry in the charter file (its sources, confidence and note)."""
    chair = charter.raw.get("chairmanship", {})
    for p in chair.get("periods") or []:
        if p["from"] == period.start:
            return dict(p)
    return dict(chair)
