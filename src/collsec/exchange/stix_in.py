"""Reading a STIX 2.1 bundle another tool sent, pure: each object checked for the parts
collsec relies on (type, id, spec version, timestamps), its TLP marking found (TLP 2.0 or
1.0, by id or defined in the bundle), its version (`modified`, else `created`). A bundle
with a malformed object or a marking nobody defines is refused whole, naming the object.
What collsec does not model is kept as it came: the object's JSON is stored untouched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import InvalidInput

ID = re.compile(r"^([a-z0-9][a-z0-9-]{0,60})--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
# The TLP 1.0 marking definitions STIX 2.1 itself defines (its section 7.2.1.4); WHITE is
# TLP 2.0's CLEAR.
TLP1 = {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED"}
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
MAX_OBJECTS = 50_000


@dataclass(frozen=True)
class Incoming:
    obj: Mapping[str, Any]
    stix_id: str
    stix_type: str
    version: str
    tlp: str | None  # None: the object carries no TLP marking


def _where(n: int, obj: Any) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    return f"object {n + 1}" + (f" ({str(ident)[:120]})" if ident else "")


def _label_of_definition(d: Mapping[str, Any]) -> str | None:
    """The TLP label a marking definition in the bundle stands for, if it is a TLP one."""
    ext = (d.get("extensions") or {}).get(TLP2_EXTENSION)
    if isinstance(ext, dict) and isinstance(ext.get("tlp_2_0"), str):
        return str(ext["tlp_2_0"]).upper()
    if d.get("definition_type") == "tlp" and isinstance(d.get("definition"), dict):
        tlp = str(d["definition"].get("tlp", "")).upper()
        return "CLEAR" if tlp == "WHITE" else tlp
    return None


def read_bundle(data: Any, tlp_ids: Mapping[str, str]) -> list[Incoming]:
    """The bundle's objects but its marking definitions, each with its TLP label;
    `tlp_ids` maps the charter's TLP 2.0 marking ids to their labels."""
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidInput("not a STIX bundle: its type must be \"bundle\"")
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidInput("a bundle's objects are a list")
    if len(objects) > MAX_OBJECTS:
        raise InvalidInput("a bundle holds at most {most} objects; send several",
                           most=MAX_OBJECTS)
    known = {**TLP1, **tlp_ids}
    statements: set[str] = set()
    for obj in objects:
        if isinstance(obj, dict) and obj.get("type") == "marking-definition":
            label = _label_of_definition(obj)
            if label is not None:
                known[str(obj.get("id"))] = label
            else:
                statements.add(str(obj.get("id")))
    out = []
    for n, obj in enumerate(objects):
        where = _where(n, obj)
        if not isinstance(obj, dict):
            raise InvalidInput("{where}: not an object", where=where)
        kind, ident = obj.get("type"), obj.get("id")
        match = ID.match(str(ident)) if isinstance(ident, str) else None
        if not isinstance(kind, str) or match is None or match.group(1) != kind:
            raise InvalidInput("{where}: its id must be its type, two hyphens and a UUID",
                               where=where)
        if obj.get("spec_version") != "2.1":
            raise InvalidInput("{where}: only STIX 2.1 objects are taken (spec_version)",
                               where=where)
        for key in ("created", "modified"):
            if key in obj and not (isinstance(obj[key], str) and TIME.match(obj[key])):
                raise InvalidInput("{where}: {key} is not a STIX timestamp "
                                   "(YYYY-MM-DDTHH:MM:SS.sssZ)", where=where, key=key)
        if kind == "marking-definition":
            continue
        labels = set()
        for ref in obj.get("object_marking_refs") or []:
            if ref in known:
                labels.add(known[ref])
            elif ref not in statements:
                raise InvalidInput("{where}: unknown marking {ref}: neither a TLP marking "
                                   "nor one the bundle defines", where=where, ref=str(ref)[:120])
        if len(labels) > 1:
            raise InvalidInput("{where}: more than one TLP marking", where=where)
        version = str(obj.get("modified") or obj.get("created") or "")
        if not version and kind not in ("bundle",):
            raise InvalidInput("{where}: an object needs created or modified", where=where)
        out.append(Incoming(obj, str(ident), kind, version, next(iter(labels), None)))
    return out


def releasability(obj: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """The releasability collsec's own extension carries (an export of ours coming back),
    if any."""
    for ext in (obj.get("extensions") or {}).values():
        if isinstance(ext, dict) and isinstance(ext.get("releasability"), dict):
            rel = ext["releasability"]
            states = rel.get("states") or []
            if isinstance(rel.get("scope"), str) and isinstance(states, list):
                return rel["scope"], [str(s) for s in states]
    return None
