"""GeoJSON lifting: points, WKT with a representative point, the [lat, lon] trap, legacy crs, bad documents."""

from __future__ import annotations

import json

import pytest

from harvesters.formats import LiftError
from harvesters.geojson import lift_geojson
from harvesters.mapping import parse_mapping
from tests.mapped_helpers import SCHEMA, context, values

GEO = "http://www.opengis.net/ont/geosparql#"
MAPPING = parse_mapping({"type": "schema:Place", "key": "id", "fields": {
    "nom": {"property": "schema:name", "lang": "fr"},
    "coordinates": {"point": "lonlat"}}}, "test")


def feature(fid: str, geometry: dict[str, object] | None, **properties: object) -> dict[str, object]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": {"nom": f"Lieu {fid}", **properties}}


def body(*features: dict[str, object], **extra: object) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra}).encode()


def test_points_lines_and_polygons() -> None:
    lifted = lift_geojson(body(
        feature("p", {"type": "Point", "coordinates": [4.35, 50.85]}),
        feature("l", {"type": "LineString", "coordinates": [[4.35, 50.83], [4.36, 50.84]]}),
        feature("g", {"type": "Polygon", "coordinates": [[[4.37, 50.86], [4.38, 50.86], [4.38, 50.87],
                                                          [4.37, 50.87], [4.37, 50.86]]]}),
    ), MAPPING, context())
    assert not lifted.row_errors
    assert "50.85" in values(lifted.quads, SCHEMA + "latitude")
    wkts = values(lifted.quads, GEO + "asWKT")
    assert len(wkts) == 2 and sorted(w.split(" ")[0] for w in wkts) == ["LINESTRING", "POLYGON"]
    # Every feature, lines and polygons too, gets one representative point inside Belgium.
    lats = [float(v) for v in values(lifted.quads, SCHEMA + "latitude")]
    assert len(lats) == 3 and all(50.8 < lat < 50.9 for lat in lats)
    assert all(q.object.datatype.value.endswith("#decimal")  # type: ignore[union-attr]
               for q in lifted.quads if q.predicate.value == SCHEMA + "latitude")


def test_a_brussels_point_given_as_lat_lon_fails_its_feature_only() -> None:
    lifted = lift_geojson(body(
        feature("ok", {"type": "Point", "coordinates": [4.35, 50.85]}),
        feature("swapped", {"type": "Point", "coordinates": [50.8466, 4.3528]}),
    ), MAPPING, context())
    assert len(lifted.row_errors) == 1
    assert "feature #2 (id=swapped)" in lifted.row_errors[0] and "[lat, lon]" in lifted.row_errors[0]
    assert values(lifted.quads, SCHEMA + "name") == ["Lieu ok"]


def test_a_property_in_lat_lon_order_against_the_geometry_is_reported() -> None:
    lifted = lift_geojson(body(feature("p", {"type": "Point", "coordinates": [4.35, 50.85]},
                                       coordinates=[50.85, 4.35])), MAPPING, context())
    assert not lifted.row_errors and any("[lat, lon] trap" in w for w in lifted.warnings)
    assert values(lifted.quads, SCHEMA + "latitude") == ["50.85"]


def test_legacy_crs84_is_accepted_and_a_projected_crs_is_refused() -> None:
    point = feature("p", {"type": "Point", "coordinates": [4.35, 50.85]})
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert lift_geojson(body(point, crs=crs84), MAPPING, context()).quads
    lambert = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::31370"}}
    with pytest.raises(LiftError, match="not WGS84"):
        lift_geojson(body(point, crs=lambert), MAPPING, context())


def test_broken_documents_fail_with_line_and_column() -> None:
    with pytest.raises(LiftError, match=r"geojson line 2 column \d+"):
        lift_geojson(b'{"type": "FeatureCollection",\n "features": [,]}', MAPPING, context())
    with pytest.raises(LiftError, match="expected a FeatureCollection"):
        lift_geojson(b'{"type": "Topology"}', MAPPING, context())


def test_bad_features_fail_alone() -> None:
    lifted = lift_geojson(body(
        {"type": "Feature", "properties": "no"},
        feature("x", {"type": "Point", "coordinates": ["a", "b"]}),
        feature("y", {"type": "Point", "coordinates": [4.36, 50.84]}),
    ), MAPPING, context())
    assert len(lifted.row_errors) == 2 and "feature #1" in lifted.row_errors[0]
    assert "feature #2" in lifted.row_errors[1] and "must be a number" in lifted.row_errors[1]
    assert values(lifted.quads, SCHEMA + "name") == ["Lieu y"]


def test_swapped_latitude_and_longitude_properties_against_the_geometry_are_reported() -> None:
    mapping = parse_mapping({"type": "schema:Place", "key": "id", "fields": {
        "nom": "schema:name",
        "latitude": {"property": "schema:geo/schema:latitude", "transforms": ["number"]},
        "longitude": {"property": "schema:geo/schema:longitude", "transforms": ["number"]}}}, "test")
    lifted = lift_geojson(body(feature("p", {"type": "Point", "coordinates": [4.35, 50.85]},
                                       latitude=4.35, longitude=50.85)), mapping, context())
    assert any("[lat, lon] trap" in w for w in lifted.warnings)
    assert values(lifted.quads, SCHEMA + "latitude") == ["50.85"]  # one point: the geometry's


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_a_coordinate_that_is_not_a_finite_number_fails_its_feature(bad: str) -> None:
    """Python's JSON reader accepts NaN and Infinity: once an uncaught decimal.InvalidOperation that
    aborted the whole harvest, now the feature's own error."""
    good = feature("ok", {"type": "Point", "coordinates": [4.35, 50.85]})
    text = body(feature("p", {"type": "Point", "coordinates": [0.5, 50.85]}),
                feature("l", {"type": "LineString", "coordinates": [[4.35, 50.83], [0.5, 50.84]]}), good)
    text = text.replace(b"0.5", bad.encode())
    lifted = lift_geojson(text, MAPPING, context())
    assert lifted.row_errors == [
        f"file:feed: feature #1 (id=p): a coordinate must be a finite number, got {float(bad)!r}",
        f"file:feed: feature #2 (id=l): a LineString geometry has a coordinate that is not a finite number "
        f"({float(bad)!r})",
    ]
    assert values(lifted.quads, SCHEMA + "latitude") == ["50.85"]  # the good feature is kept
