"""Synthetic incidents for the benchmarks: a seeded year of reports over the members' territory.

The spread is rough but not uniform: each member state gets a share and a box (two
for Russia, whose east is sparse), most reports come from the state's own crisis
centre and some from the CRC, about one in ten is restricted and released to one
or two other delegations. The same seed gives the same incidents, so a cached
database and a fresh one hold the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from collsec.core.auth import service as auth
from collsec.crisis import geo
from collsec.crisis.incidents import service
from collsec.registry import service as registry

YEAR_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
YEAR_SECONDS = 365 * 24 * 3600
NOW = YEAR_START + dt.timedelta(days=366)  # every synthetic incident lies before it
MEMBERS = ("AM", "BY", "KZ", "KG", "RU", "TJ")

# (state, share of the reports, (min_lon, min_lat, max_lon, max_lat)): rough land boxes.
REGIONS: tuple[tuple[str, float, geo.BBox], ...] = (
    ("AM", 0.08, (43.5, 38.9, 46.5, 41.2)),
    ("BY", 0.10, (23.5, 51.4, 32.7, 56.1)),
    ("KZ", 0.22, (46.6, 40.7, 87.2, 55.3)),
    ("KG", 0.12, (69.4, 39.3, 80.2, 43.2)),
    ("RU", 0.30, (28.0, 43.0, 60.0, 62.0)),  # European Russia and the Urals
    ("RU", 0.06, (60.0, 45.0, 179.0, 70.0)),  # Siberia and the Far East
    ("TJ", 0.12, (67.4, 36.8, 75.1, 40.9)),
)
CENTRE_SHARE = 0.1  # reports filed by the CRC rather than a national centre
RESTRICTED_SHARE = 0.1
AREA_SHARE = 0.15  # reports that give an area (a small polygon) rather than a point

# The columns of `incidents` the bulk loaders fill, in this order.
COLUMNS = ("id", "org", "type", "severity", "status", "occurred_at", "reported_at",
           "reported_by", "owner", "visibility", "geometry", "min_lon", "min_lat", "max_lon",
           "max_lat", "lon", "lat", "title", "description")


@dataclass(frozen=True)
class Report:
    """One synthetic report: what a centre sends, and who it is sent as."""

    number: int
    state: str  # where it happened
    owner: str  # the reporting principal
    type: str
    severity: int
    occurred_at: dt.datetime
    geometry: dict[str, Any]
    title: str
    description: str
    released_to: tuple[str, ...]

    def row(self, incident_id: int | None, status: str, reported_by: str) -> tuple[Any, ...]:
        """The incident row the service would store for it, in COLUMNS order."""
        place = geo.validate_geometry(self.geometry)
        return (incident_id, "CSTO", self.type, self.severity, status, self.occurred_at,
                self.occurred_at + dt.timedelta(hours=2), reported_by, self.owner,
                "restricted" if self.released_to else "members",
                json.dumps(place.as_geojson(), separators=(",", ":")), *place.bbox,
                *place.point, self.title, self.description)


def _geometry(rng: random.Random, box: geo.BBox) -> dict[str, Any]:
    lon = round(rng.uniform(box[0], box[2]), 5)
    lat = round(rng.uniform(box[1], box[3]), 5)
    if rng.random() >= AREA_SHARE:
        return {"type": "Point", "coordinates": [lon, lat]}
    w, h = round(rng.uniform(0.05, 1.0), 5), round(rng.uniform(0.05, 0.6), 5)
    ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}


def reports(n: int, seed: int = 1) -> Iterator[Report]:
    """`n` reports in a seeded order, spread over 2025."""
    rng = random.Random(seed)
    tax = service.taxonomy("CSTO")
    centre = auth.organ_for(registry.charter_for("CSTO").raw, "crisis_centre").key
    types = sorted(tax.types)
    levels = sorted(tax.severities)
    weights = [share for _, share, _ in REGIONS]
    for number in range(n):
        state, _, box = rng.choices(REGIONS, weights)[0]
        kind = rng.choice(types)
        hint = tax.types[kind].severity_hint
        severity = min(max(hint + rng.choice((-1, 0, 0, 0, 1)), levels[0]), levels[-1])
        owner = centre if rng.random() < CENTRE_SHARE else f"delegation:{state}"
        released: tuple[str, ...] = ()
        if rng.random() < RESTRICTED_SHARE:
            others = [f"delegation:{m}" for m in MEMBERS if f"delegation:{m}" != owner]
            released = tuple(sorted(rng.sample(others, rng.choice((1, 1, 2)))))
        when = YEAR_START + dt.timedelta(seconds=rng.randrange(YEAR_SECONDS))
        yield Report(number, state, owner, kind, severity, when, _geometry(rng, box),
                     f"Synthetic {kind.replace('_', ' ')} no. {number}",
                     f"Generated for the benchmarks ({state}, seed {seed}).", released)


@dataclass(frozen=True)
class Window:
    """One situation-picture query: a box, a time window, some types, a severity floor."""

    bbox: geo.BBox
    since: dt.datetime
    until: dt.datetime
    types: tuple[str, ...]
    severity_min: int | None


def windows(n: int, seed: int = 2, days: float = 7.0,
            types: Sequence[str] | None = None) -> list[Window]:
    """`n` randomized windows: a box of a few degrees to a whole region, `days` long,
    one to three types; every fourth one also sets a severity floor."""
    rng = random.Random(seed)
    codes = sorted(types or service.taxonomy("CSTO").types)
    weights = [share for _, share, _ in REGIONS]
    out: list[Window] = []
    for i in range(n):
        _, _, box = rng.choices(REGIONS, weights)[0]
        width = min(box[2] - box[0], rng.uniform(3.0, 20.0))
        height = min(box[3] - box[1], rng.uniform(2.0, 12.0))
        lon = rng.uniform(box[0], box[2] - width)
        lat = rng.uniform(box[1], box[3] - height)
        start = YEAR_START + dt.timedelta(seconds=rng.randrange(YEAR_SECONDS))
        out.append(Window((round(lon, 3), round(lat, 3), round(lon + width, 3),
                           round(lat + height, 3)),
                          start, start + dt.timedelta(days=days),
                          tuple(sorted(rng.sample(codes, rng.choice((1, 1, 2, 3))))),
                          rng.choice((2, 3)) if i % 4 == 3 else None))
    return out
