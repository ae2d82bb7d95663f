"""The place of an incident, pure: check a GeoJSON geometry (RFC 7946) and summarize it.

A national crisis centre sends a point (where shots were fired) or an area (a
district under curfew). We refuse anything a map could misdraw rather than
guess: positions are [longitude, latitude] with an optional altitude, in range,
finite, and polygon rings are closed. What comes back is the geometry with plain
floats, its bounding box (for "incidents in this window" queries) and one
representative point (for clustering markers on the map).

A geometry that crosses the antimeridian must be split in two, as RFC 7946
(section 3.1.9) asks; the bounding box here is a plain min/max.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import InvalidInput

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "Polygon", "MultiPolygon")
# Positions in one geometry: a district's outline needs hundreds, not the 200,000 that
# once made every reader's situation summary forty times slower.
MAX_POSITIONS = 10_000

# The refusals of an array and of a number, one template per thing refused, so each is
# worded whole in every language: (not an array, too few) and (not a number, too large,
# not finite).
_ARRAY_REFUSALS = {
    "polygons": ("{where}: expected an array of polygons, got {got}",
                 "{where}: needs at least {minimum} polygons, got {count}"),
    "positions": ("{where}: expected an array of positions, got {got}",
                  "{where}: needs at least {minimum} positions, got {count}"),
    "linear rings": ("{where}: expected an array of linear rings, got {got}",
                     "{where}: needs at least {minimum} linear rings, got {count}"),
}
_NUMBER_REFUSALS = {
    "longitude": ("{where}: longitude must be a number, got {got}",
                  "{where}: longitude is far out of range",
                  "{where}: longitude must be a finite number, got {got}"),
    "latitude": ("{where}: latitude must be a number, got {got}",
                 "{where}: latitude is far out of range",
                 "{where}: latitude must be a finite number, got {got}"),
    "altitude": ("{where}: altitude must be a number, got {got}",
                 "{where}: altitude is far out of range",
                 "{where}: altitude must be a finite number, got {got}"),
}

Position = tuple[float, ...]
BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@dataclass(frozen=True)
class Place:
    """A checked geometry with what the map and the queries need from it."""

    type: str
    coordinates: Any  # nested lists of [lon, lat(, alt)] floats, as GeoJSON nests them
    bbox: BBox
    point: tuple[float, float]  # the point itself, or the centre of the bounding box
    positions: tuple[Position, ...]  # every position, flattened, in order

    def as_geojson(self) -> dict[str, Any]:
        return {"type": self.type, "coordinates": self.coordinates}


def validate_geometry(data: object) -> Place:
    """Check a GeoJSON geometry, or a Feature wrapping one, and return its Place."""
    if not isinstance(data, Mapping):
        raise InvalidInput("a place must be a GeoJSON object, got {got}",
                           got=type(data).__name__)
    kind = data.get("type")
    if kind == "Feature":
        geometry = data.get("geometry")
        if geometry is None:
            raise InvalidInput("the Feature has no geometry, so it gives no place")
        if isinstance(geometry, Mapping) and geometry.get("type") == "Feature":
            raise InvalidInput("geometry: a Feature cannot wrap another Feature")
        return validate_geometry(geometry)
    if kind not in GEOMETRY_TYPES:
        raise InvalidInput("unsupported GeoJSON type {kind}; types: {types} (or a Feature "
                           "wrapping one)", kind=repr(kind), types=", ".join(GEOMETRY_TYPES))
    if "coordinates" not in data:
        raise InvalidInput("the {kind} has no coordinates", kind=kind)
    raw = data["coordinates"]
    count = _count(raw, {"Point": 0, "MultiPoint": 1, "LineString": 1, "Polygon": 2,
                         "MultiPolygon": 3}[str(kind)])
    if count > MAX_POSITIONS:
        raise InvalidInput("the {kind} has more than {most:,} positions, the most a place "
                           "takes (simplify the outline)", kind=kind, most=MAX_POSITIONS)
    if kind == "Point":
        coords: Any = _position(raw, "coordinates")
        positions = [coords]
    elif kind == "MultiPoint":
        coords = _positions(raw, "coordinates", minimum=1)
        positions = coords
    elif kind == "LineString":
        coords = _positions(raw, "coordinates", minimum=2)
        positions = coords
    elif kind == "Polygon":
        coords = _polygon(raw, "coordinates")
        positions = [p for ring in coords for p in ring]
    else:
        polygons = _array(raw, "coordinates", minimum=1, what="polygons")
        coords = [_polygon(poly, f"coordinates[{i}]") for i, poly in enumerate(polygons)]
        positions = [p for poly in coords for ring in poly for p in ring]
    flat = tuple(tuple(p) for p in positions)
    box = bbox(flat)
    point = ((flat[0][0], flat[0][1]) if kind == "Point"
             else ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    return Place(type=str(kind), coordinates=coords, bbox=box, point=point, positions=flat)


def _count(raw: object, depth: int) -> int:
    """How many positions a coordinates array of this depth holds, counted before any is
    checked (what is not an array counts one; the checks say what is wrong with it)."""
    if depth == 0 or not isinstance(raw, list | tuple):
        return 1
    if depth == 1:
        return len(raw)
    total = 0
    for item in raw:
        total += _count(item, depth - 1)
        if total > MAX_POSITIONS:
            break
    return total


def bbox(positions: Sequence[Position]) -> BBox:
    """The smallest (min_lon, min_lat, max_lon, max_lat) holding every position."""
    if not positions:
        raise InvalidInput("a bounding box needs at least one position")
    lons = [p[0] for p in positions]
    lats = [p[1] for p in positions]
    return (min(lons), min(lats), max(lons), max(lats))


def bbox_contains(box: BBox, lon: float, lat: float) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _array(raw: object, where: str, *, minimum: int, what: str) -> Sequence[Any]:
    not_array, too_few = _ARRAY_REFUSALS[what]
    if not isinstance(raw, list | tuple):
        raise InvalidInput(not_array, where=where, got=_show(raw))
    if len(raw) < minimum:
        raise InvalidInput(too_few, where=where, minimum=minimum, count=len(raw))
    return raw


def _number(raw: object, where: str, what: str) -> float:
    # bool is an int in Python, but `true` is no coordinate.
    not_number, too_large, not_finite = _NUMBER_REFUSALS[what]
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidInput(not_number, where=where, got=_show(raw))
    try:
        value = float(raw)
    except OverflowError:  # an integer of hundreds of digits
        raise InvalidInput(too_large, where=where) from None
    if not math.isfinite(value):  # as text: JSON has no inf or nan
        raise InvalidInput(not_finite, where=where, got=str(raw))
    return value


def _position(raw: object, where: str) -> list[float]:
    if not isinstance(raw, list | tuple):
        raise InvalidInput("{where}: expected a position [lon, lat], got {got}", where=where,
                           got=_show(raw))
    if not 2 <= len(raw) <= 3:
        raise InvalidInput("{where}: a position is [lon, lat] or [lon, lat, altitude], "
                           "got {count} numbers", where=where, count=len(raw))
    lon = _number(raw[0], where, "longitude")
    lat = _number(raw[1], where, "latitude")
    if not -180 <= lon <= 180:
        raise InvalidInput("{where}: longitude {lon} is out of range [-180, 180]", where=where,
                           lon=_fmt(lon))
    if not -90 <= lat <= 90:
        raise InvalidInput("{where}: latitude {lat} is out of range [-90, 90]", where=where,
                           lat=_fmt(lat))
    if len(raw) == 3:
        return [lon, lat, _number(raw[2], where, "altitude")]
    return [lon, lat]


def _positions(raw: object, where: str, *, minimum: int) -> list[list[float]]:
    items = _array(raw, where, minimum=minimum, what="positions")
    return [_position(item, f"{where}[{i}]") for i, item in enumerate(items)]


def _polygon(raw: object, where: str) -> list[list[list[float]]]:
    rings = _array(raw, where, minimum=1, what="linear rings")
    checked = []
    for i, ring_raw in enumerate(rings):
        ring = _positions(ring_raw, f"{where}[{i}]", minimum=1)
        if len(ring) < 4:
            raise InvalidInput("{where}[{ring}]: a linear ring needs at least 4 positions, "
                               "got {count}", where=where, ring=i, count=len(ring))
        if ring[0] != ring[-1]:
            raise InvalidInput("{where}[{ring}]: the ring is not closed (its last position "
                               "must repeat its first)", where=where, ring=i)
        checked.append(ring)
    return checked


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _show(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the situation map's grid -------------------------------------------------------------
# The map clusters on the server: the incidents of one grid cell become one marker. A
# zoom level's cells are a quarter of a web-map tile wide (64 of its 256 pixels), so
# two markers never overlap; cells are square in degrees, taller on screen towards the
# poles, which only makes the clusters there a little coarser.
MAX_ZOOM = 20
CELLS_PER_TILE = 4
MAX_CELLS = 2500  # a 4K screen at 64 pixels a cell holds about 2,000


def cell_size(zoom: int) -> float:
    """The side, in degrees, of a grid cell at `zoom` (0: the world is one tile)."""
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidInput("zoom must lie between 0 and {most}", most=MAX_ZOOM)
    return 360.0 / float(2 ** zoom * CELLS_PER_TILE)


def cell_of(lon: float, lat: float, size: float) -> tuple[int, int]:
    """The (column, row) of the cell holding a point, counted from (-180, -90); the SQL of
    the map groups by the same two numbers."""
    return math.floor((lon + 180.0) / size), math.floor((lat + 90.0) / size)


def cells_in(box: BBox, size: float) -> int:
    """How many cells of `size` a box touches."""
    x0, y0 = cell_of(box[0], box[1], size)
    x1, y1 = cell_of(box[2], box[3], size)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


def check_map_view(box: BBox, zoom: int) -> float:
    """The cell size of a map view, refused when the box holds more cells than one
    answer should carry (a world-sized box at a street's zoom)."""
    size = cell_size(zoom)
    if cells_in(box, size) > MAX_CELLS:
        raise InvalidInput("bbox: too large for zoom {zoom} (at most {most} grid cells; "
                           "zoom out or ask for a smaller box)", zoom=zoom, most=MAX_CELLS)
    return size
