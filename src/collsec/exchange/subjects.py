"""What a report is about, pure: organizations of the unified list, persons, places (a
GeoJSON geometry), incidents of the crisis centre. Each subject is checked here for its
shape; the service checks that what it names exists and that the writer may see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import InvalidInput
from collsec.crisis.geo import validate_geometry

# Operations (issue 14) will join these when they exist.
KINDS = ("organization", "person", "place", "incident")
MAX_SUBJECTS = 50
MAX_NAME = 300


@dataclass(frozen=True)
class Subject:
    kind: str
    ref: str = ""  # a list entry's code, an incident's id
    name: str = ""  # a person's or a place's name
    geometry: Mapping[str, Any] | None = None  # a place's GeoJSON, checked

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.ref:
            out["ref"] = self.ref
        if self.name:
            out["name"] = self.name
        if self.geometry is not None:
            out["geometry"] = dict(self.geometry)
        return out


def _name(value: object, n: int, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise InvalidInput("subject {n}: a name is text", n=n)
    if required and not text:
        raise InvalidInput("subject {n}: a name is required", n=n)
    if len(text) > MAX_NAME:
        raise InvalidInput("subject {n}: a name is at most {most} characters", n=n,
                           most=MAX_NAME)
    return text


def check(items: Iterable[Mapping[str, Any]]) -> tuple[Subject, ...]:
    """The subjects as given, checked and without repeats, in their order."""
    out: list[Subject] = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput("subject {n}: expected an object with a kind", n=n + 1)
        kind = item.get("kind")
        if kind not in KINDS:
            raise InvalidInput("subject {n}: unknown kind {kind}; one of: {kinds}", n=n + 1,
                               kind=repr(kind), kinds=", ".join(KINDS))
        where = n + 1
        ref = item.get("ref")
        if kind == "organization":
            if not isinstance(ref, str) or not ref.strip():
                raise InvalidInput("subject {n}: name the list entry by its code (ref)",
                                   n=where)
            subject = Subject(kind, ref=ref.strip(), name=_name(item.get("name"), where, False))
        elif kind == "incident":
            if isinstance(ref, bool) or not (isinstance(ref, int) or
                                             (isinstance(ref, str) and ref.strip().isdigit())):
                raise InvalidInput("subject {n}: name the incident by its number (ref)",
                                   n=where)
            subject = Subject(kind, ref=str(int(ref)))
        elif kind == "person":
            subject = Subject(kind, name=_name(item.get("name"), where, True))
        else:
            place = validate_geometry(item.get("geometry"))
            subject = Subject(kind, name=_name(item.get("name"), where, True),
                              geometry=place.as_geojson())
        if subject not in out:
            out.append(subject)
    if len(out) > MAX_SUBJECTS:
        raise InvalidInput("a report names at most {most} subjects", most=MAX_SUBJECTS)
    return tuple(out)


# -- a shared subject's object in the TAXII collections ---------------------------------------

@dataclass(frozen=True)
class Naming:
    """A released report that names a shared subject (a person, an incident), as its reach
    and label have it."""

    report_id: int
    level: str  # its marking level
    owner: str
    released_to: frozenset[str]
    label: str  # its TLP label


@dataclass(frozen=True)
class Holding:
    """How a shared subject's object is held at one marking level: under the strictest
    label of the reports naming it there, and (restricted) readable by each principal that
    may read one of them: the first report's originator as its owner, the rest released."""

    level: str
    label: str
    owner: str
    released_to: frozenset[str]


def holdings(namings: Iterable[Naming], labels: tuple[str, ...]) -> dict[str, Holding]:
    """A holding per marking level at which some released report names the subject: the
    object is in each collection one of its reports is in, and tells nobody more than the
    reports do. `labels`: the TLP labels, widest first."""
    by_level: dict[str, list[Naming]] = {}
    for n in sorted(namings, key=lambda n: n.report_id):
        by_level.setdefault(n.level, []).append(n)
    out = {}
    for level, group in by_level.items():
        label = max((n.label for n in group), key=labels.index)
        owner = group[0].owner
        readers = {p for n in group for p in (n.owner, *n.released_to)} - {owner}
        out[level] = Holding(level, label, owner,
                             frozenset(readers) if level == "restricted" else frozenset())
    return out
