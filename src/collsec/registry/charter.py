"""Reading an organization's charter file into the registry's pure rule objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from collsec.core.errors import UnknownOrganization
from collsec.registry.model import StatusRule


@dataclass(frozen=True)
class Charter:
    org: str
    raw: dict[str, Any]
    statuses: dict[str, StatusRule]
    rotation_order_by: str
    reference_day: tuple[int, int]
    skip_not_taking_part: bool

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return list(self.raw.get("bodies", []))

    @property
    def offices(self) -> list[dict[str, Any]]:
        return list(self.raw.get("offices", []))


def data_dir(org: str) -> Any:
    folder = resources.files("collsec.data") / org.lower()
    if not folder.joinpath("charter.yaml").is_file():
        raise UnknownOrganization(f"no embedded data for organization '{org}'")
    return folder


def read_yaml(org: str, name: str) -> Any:
    path = data_dir(org).joinpath(name)
    if not path.is_file():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


@lru_cache(maxsize=8)
def load_charter(org: str) -> Charter:
    raw = read_yaml(org, "charter.yaml")
    return parse_charter(raw)


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
    )
