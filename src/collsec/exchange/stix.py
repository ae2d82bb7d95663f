"""STIX 2.1 from plain dicts, pure: a report, a set of reports, the unified list, as the
objects of a bundle, and the bundle as JSON text a chunk at a time (so a large export
never sits in memory whole). The `stix2` library is left to the tests: it builds an
object in tens of microseconds where a dict takes one (ANCHORS.md).

Ids are derived (UUIDv5 in our namespace) from what they stand for, so an object keeps
its id across exports and a tool that imports twice deduplicates. TLP 2.0 labels are the
marking definitions OASIS published for them (their ids are charter data). What STIX has
no property for (releasability, classification, triage status, national designations)
travels in collsec's own property extension, declared in the bundle.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from collsec.crisis.geo import validate_geometry

NAMESPACE = uuid.UUID("c5826ea5-c472-4c28-ba04-081e341880ca")  # collsec's, fixed for good
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
EXTENSION_SCHEMA = "https://collsec.invalid/stix/extension-v1.json"


def stix_id(kind: str, *parts: object) -> str:
    """`kind--` and the UUIDv5 of what the object stands for, in our namespace (RFC 4122's
    algorithm written out on the hex digest: `uuid.uuid5` cost a third of an export's
    time)."""
    h = hashlib.sha1(_NS_BYTES + "|".join([kind, *map(str, parts)]).encode()).hexdigest()
    # version 5 in the 13th digit; the RFC 4122 variant (10xx) in the 17th
    return f"{kind}--{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_NS_BYTES = NAMESPACE.bytes


def timestamp(at: dt.datetime | dt.date) -> str:
    """RFC 3339 in UTC with milliseconds, as STIX wants it."""
    if not isinstance(at, dt.datetime):
        at = dt.datetime(at.year, at.month, at.day, tzinfo=dt.UTC)
    if at.tzinfo is None:  # SQLite gives stored UTC times back naive
        at = at.replace(tzinfo=dt.UTC)
    elif at.utcoffset() != _ZERO:
        at = at.astimezone(dt.UTC)
    return at.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_ZERO = dt.timedelta(0)


def tlp_marking(label: str, marking_id: str) -> dict[str, Any]:
    """The TLP 2.0 marking definition of `label` (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)."""
    return {"type": "marking-definition", "spec_version": "2.1", "id": marking_id,
            "created": TLP2_CREATED, "name": f"TLP:{label}",
            "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension",
                                            "tlp_2_0": label.lower()}}}


@dataclass(frozen=True)
class Publisher:
    """Who the bundle comes from: the organization, named in its own identity."""

    org: str
    name: str
    created: str  # the organization's identity's creation time (a fixed date)

    @property
    def identity(self) -> str:
        return _cached_id("identity", self.org)

    @property
    def extension(self) -> str:
        return _cached_id("extension-definition", self.org, "v1")


@functools.lru_cache(maxsize=4096)
def _cached_id(kind: str, *parts: str) -> str:
    """The ids an export names again and again (its publisher, its originators)."""
    return stix_id(kind, *parts)


def header(p: Publisher) -> list[dict[str, Any]]:
    """The organization's identity and the definition of collsec's extension."""
    return [
        {"type": "identity", "spec_version": "2.1", "id": p.identity, "created": p.created,
         "modified": p.created, "name": p.name, "identity_class": "organization"},
        {"type": "extension-definition", "spec_version": "2.1", "id": p.extension,
         "created": p.created, "modified": p.created, "created_by_ref": p.identity,
         "name": "collsec exchange properties", "schema": EXTENSION_SCHEMA, "version": "1.0",
         "extension_types": ["property-extension"],
         "description": "Releasability, classification and triage status of a report; the "
                        "GeoJSON geometry of a place it names; the national designations "
                        "and standing of a unified list entry."},
    ]


def originator(p: Publisher, principal: str, name: str) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": stix_id("identity", p.org, principal),
            "created": p.created, "modified": p.created, "name": name,
            "identity_class": "organization", "created_by_ref": p.identity}


@dataclass(frozen=True)
class ReportFacts:
    id: int
    title: str
    body: str
    tlp: str
    marking_id: str  # the label's marking definition
    scope: str
    states: Sequence[str]
    classification: str
    status: str
    owner: str
    created: dt.datetime
    modified: dt.datetime
    released: dt.datetime | None
    subjects: Sequence[SubjectFacts] = ()


@dataclass(frozen=True)
class SubjectFacts:
    """What a report is about (`exchange.subjects`), as its STIX object names it."""

    kind: str  # organization, person, place, incident
    ref: str = ""
    name: str = ""
    geometry: Mapping[str, Any] | None = None
    position: int = 0


def subject_id(p: Publisher, r: ReportFacts, x: SubjectFacts) -> str:
    """A subject's id: a list entry's is the threat actor the list export gives, a person's
    is the same in every report, a place is the report's own."""
    if x.kind == "organization":
        return _cached_id("threat-actor", p.org, x.ref)
    if x.kind == "person":
        return _cached_id("identity", p.org, "person", x.name)
    if x.kind == "incident":
        return _cached_id("incident", p.org, x.ref)
    return stix_id("location", p.org, "report", r.id, x.position)


def subject(p: Publisher, r: ReportFacts, x: SubjectFacts) -> dict[str, Any] | None:
    """The object a subject stands for, under the report's marking (it tells what the
    report tells); None for a list entry, whose threat actor the list export gives."""
    if x.kind == "organization":
        return None
    common = {"spec_version": "2.1", "id": subject_id(p, r, x), "created": p.created,
              "modified": p.created, "created_by_ref": p.identity,
              "object_marking_refs": [r.marking_id]}
    if x.kind == "person":
        return {"type": "identity", **common, "name": x.name, "identity_class": "individual"}
    if x.kind == "incident":  # only its number: the reader may not read the incident
        return {"type": "incident", **common, "name": f"incident {x.ref}"}
    place = validate_geometry(x.geometry)
    at = timestamp(r.created)
    return {"type": "location", **common, "created": at, "modified": at, "name": x.name,
            "longitude": round(place.point[0], 6), "latitude": round(place.point[1], 6),
            "extensions": {p.extension: {"extension_type": "property-extension",
                                         "geometry": place.as_geojson()}}}


def report(p: Publisher, r: ReportFacts) -> dict[str, Any]:
    author = _cached_id("identity", p.org, r.owner)
    created = timestamp(r.created)
    modified = created if r.modified == r.created else timestamp(r.modified)
    published = r.released or r.created
    obj: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": stix_id("report", p.org, r.id),
        "created": created, "modified": modified,
        "created_by_ref": author, "name": r.title, "report_types": ["threat-report"],
        "published": modified if published == r.modified else timestamp(published),
        "object_refs": [author, *[subject_id(p, r, x) for x in r.subjects]] if r.subjects
        else [author],
        "object_marking_refs": [r.marking_id],
        "extensions": {p.extension: {"extension_type": "property-extension",
                                     "releasability": {"scope": r.scope,
                                                       "states": list(r.states)},
                                     "classification": r.classification,
                                     "status": r.status, "collsec_id": r.id}}}
    if r.body:
        obj["description"] = r.body
    return obj


@dataclass(frozen=True)
class EntryFacts:
    code: str
    name_en: str
    name_ru: str
    aliases: Sequence[str]
    note_en: str
    standing: Mapping[str, Any]  # on the day of the export: status, basis, since, states
    designations: Sequence[Mapping[str, Any]]
    sources: Sequence[str]
    confidence: str
    changed: dt.date | None = None  # its latest step up to the day of the export


_CONFIDENCE = {"high": 85, "medium": 50, "low": 15}  # STIX's 0-100 scale (its appendix)


def entry(p: Publisher, e: EntryFacts) -> dict[str, Any]:
    """An organization of the unified list as a threat actor of the terrorist kind, a new
    version (`modified`) with each step that changed it (never before the publisher's own
    identity was created)."""
    obj: dict[str, Any] = {
        "type": "threat-actor", "spec_version": "2.1", "id": stix_id("threat-actor", p.org, e.code),
        "created": p.created, "modified": max(p.created, timestamp(e.changed))
        if e.changed else p.created, "created_by_ref": p.identity,
        "name": e.name_en, "threat_actor_types": ["terrorist"],
        "aliases": [n for n in dict.fromkeys([e.name_ru, *e.aliases]) if n and n != e.name_en],
        "confidence": _CONFIDENCE.get(e.confidence, 15), "lang": "en",
        "extensions": {p.extension: {"extension_type": "property-extension", "code": e.code,
                                     "standing": dict(e.standing),
                                     "designations": [dict(d) for d in e.designations],
                                     "sources": list(e.sources)}}}
    if e.note_en:
        obj["description"] = e.note_en
    return obj


def _encode(obj: Mapping[str, Any]) -> str:
    """One object as compact JSON (orjson: the standard library's encoder took a third of
    an export's time; docs/performance.md)."""
    return orjson.dumps(obj).decode()


def bundle_chunks(objects: Iterable[Mapping[str, Any]], bundle_id: str) -> Iterator[str]:
    """A bundle as JSON text, one object at a time."""
    yield f'{{"type": "bundle", "id": "{bundle_id}", "objects": ['
    first = True
    for obj in objects:
        yield ("" if first else ",") + _encode(obj)
        first = False
    yield "]}"
