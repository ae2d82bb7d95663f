"""The place of an incident: GeoJSON geometries checked, boxed and pinned to a point."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import InvalidInput
from collsec.crisis import geo
from collsec.crisis.geo import bbox_contains, validate_geometry

ALMATY = [76.95, 43.24]
SQUARE = [[[76.0, 43.0], [77.0, 43.0], [77.0, 44.0], [76.0, 44.0], [76.0, 43.0]]]

lons = st.floats(-180, 180, allow_nan=False)
lats = st.floats(-90, 90, allow_nan=False)
positions = st.tuples(lons, lats).map(list)


def refused(data: object, *words: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate_geometry(data)
    for word in words:
        assert word in caught.value.detail, caught.value.detail
    return caught.value.detail


def test_a_point_is_its_own_representative_point_and_box() -> None:
    place = validate_geometry({"type": "Point", "coordinates": ALMATY})
    assert place.point == (76.95, 43.24)
    assert place.bbox == (76.95, 43.24, 76.95, 43.24)
    assert place.as_geojson() == {"type": "Point", "coordinates": ALMATY}


def test_a_point_may_carry_an_altitude() -> None:
    assert validate_geometry({"type": "Point", "coordinates": [76, 43, 850]}).coordinates == [
        76.0, 43.0, 850.0]


def test_integer_coordinates_come_back_as_floats() -> None:
    coords = validate_geometry({"type": "Point", "coordinates": [76, 43]}).coordinates
    assert all(isinstance(c, float) for c in coords)


def test_a_polygon_is_pinned_at_the_centre_of_its_box() -> None:
    place = validate_geometry({"type": "Polygon", "coordinates": SQUARE})
    assert place.bbox == (76.0, 43.0, 77.0, 44.0)
    assert place.point == (76.5, 43.5)


def test_multipoint_linestring_and_multipolygon_are_accepted() -> None:
    assert validate_geometry({"type": "MultiPoint", "coordinates": [ALMATY]}).type == "MultiPoint"
    line = validate_geometry({"type": "LineString", "coordinates": [[70, 40], [71, 41]]})
    assert line.bbox == (70.0, 40.0, 71.0, 41.0)
    multi = validate_geometry({"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]})
    assert len(multi.positions) == 10


def test_a_feature_gives_its_geometry() -> None:
    feature = {"type": "Feature", "properties": {"name": "Almaty"},
               "geometry": {"type": "Point", "coordinates": ALMATY}}
    assert validate_geometry(feature).as_geojson() == {"type": "Point", "coordinates": ALMATY}


def test_a_feature_without_geometry_is_refused() -> None:
    refused({"type": "Feature", "geometry": None, "properties": {}}, "no geometry")


def test_a_geometry_collection_or_unknown_type_is_refused() -> None:
    refused({"type": "GeometryCollection", "geometries": []}, "unsupported", "GeometryCollection")
    refused({"type": "Circle", "coordinates": ALMATY}, "unsupported")


def test_a_non_object_is_refused() -> None:
    refused([76, 43], "GeoJSON object")


def test_missing_coordinates_are_refused() -> None:
    refused({"type": "Point"}, "no coordinates")


def test_latitude_out_of_range_names_where_it_is() -> None:
    ring = [[76, 43], [77, 43], [77, 44], [76, 95], [76, 43]]
    detail = refused({"type": "Polygon", "coordinates": [ring]})
    assert detail == "coordinates[0][3]: latitude 95 is out of range [-90, 90]"


def test_longitude_out_of_range_is_refused() -> None:
    refused({"type": "Point", "coordinates": [181, 0]}, "coordinates:", "longitude 181")


def test_lat_lon_given_in_the_wrong_order_is_refused_when_out_of_range() -> None:
    refused({"type": "Point", "coordinates": [43.24, 176.95]}, "latitude 176.95")


@pytest.mark.parametrize("bad", [True, "76", None, math.nan, math.inf])
def test_a_coordinate_that_is_not_a_finite_number_is_refused(bad: object) -> None:
    refused({"type": "Point", "coordinates": [bad, 43]}, "coordinates:", "longitude")


@pytest.mark.parametrize("coords", [[76], [76, 43, 1, 2], "76,43", []])
def test_a_position_of_the_wrong_shape_is_refused(coords: object) -> None:
    refused({"type": "Point", "coordinates": coords}, "coordinates")


def test_a_ring_that_is_not_closed_is_refused() -> None:
    ring = [[76, 43], [77, 43], [77, 44], [76, 44]]
    refused({"type": "Polygon", "coordinates": [ring + [[76.5, 43.5]]]},
            "coordinates[0]", "not closed")


def test_a_ring_of_fewer_than_four_positions_is_refused() -> None:
    refused({"type": "Polygon", "coordinates": [[[76, 43], [77, 43], [76, 43]]]},
            "coordinates[0]", "at least 4")


def test_empty_polygon_and_one_point_line_are_refused() -> None:
    refused({"type": "Polygon", "coordinates": []}, "at least 1")
    refused({"type": "LineString", "coordinates": [ALMATY]}, "at least 2")
    refused({"type": "MultiPolygon", "coordinates": [[]]}, "coordinates[0]")


@given(positions)
def test_any_valid_point_validates_and_is_its_own_box(pos: list[float]) -> None:
    place = validate_geometry({"type": "Point", "coordinates": pos})
    assert place.point == tuple(pos)
    assert bbox_contains(place.bbox, *pos)


@given(st.lists(positions, min_size=3, max_size=12))
def test_any_closed_ring_validates_and_its_box_holds_every_position(
        ring: list[list[float]]) -> None:
    place = validate_geometry({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    for lon, lat in place.positions:
        assert bbox_contains(place.bbox, lon, lat)
    assert bbox_contains(place.bbox, *place.point)


out_lons = st.one_of(st.floats(min_value=180, exclude_min=True, allow_infinity=False),
                     st.floats(max_value=-180, exclude_max=True, allow_infinity=False))
out_lats = st.one_of(st.floats(min_value=90, exclude_min=True, allow_infinity=False),
                     st.floats(max_value=-90, exclude_max=True, allow_infinity=False))


@given(st.one_of(st.tuples(out_lons, lats), st.tuples(lons, out_lats)),
       st.lists(positions, min_size=3, max_size=6), st.integers(0, 2))
def test_out_of_range_coordinates_are_always_refused(
        bad: tuple[float, float], ring: list[list[float]], at: int) -> None:
    refused({"type": "Point", "coordinates": list(bad)}, "out of range")
    ring = [*ring[:at], list(bad), *ring[at:]]
    refused({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}, "out of range")


@pytest.mark.parametrize("geometry", [
    {"type": "MultiPoint", "coordinates": [[10.0, 10.0]] * (geo.MAX_POSITIONS + 1)},
    {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]
     * (geo.MAX_POSITIONS // 4 + 1)},
    {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0],
                                                [0.0, 0.0]]]] * (geo.MAX_POSITIONS // 4 + 1)},
])
def test_a_geometry_of_too_many_positions_is_refused_before_it_is_checked(
        geometry: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="more than 10,000 positions"):
        geo.validate_geometry(geometry)


def test_a_geometry_at_the_limit_is_accepted() -> None:
    line = [[i / 1000, 0.0] for i in range(geo.MAX_POSITIONS)]
    assert len(geo.validate_geometry({"type": "LineString", "coordinates": line}).positions) \
        == geo.MAX_POSITIONS


def test_a_coordinate_of_four_hundred_digits_is_refused_not_overflowed() -> None:
    with pytest.raises(InvalidInput, match="far out of range"):
        geo.validate_geometry({"type": "Point", "coordinates": [10 ** 400, 1]})
