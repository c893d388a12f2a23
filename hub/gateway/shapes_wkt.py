"""A stored geometry (GeoSPARQL WKT, as harvesters/geometry.py keeps lines and polygons) as GeoJSON's geometry."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import mapping

GEO = "http://www.opengis.net/ont/geosparql#"


def geojson_geometry(wkt: str) -> dict[str, Any] | None:
    """The GeoJSON geometry of a WKT literal (an optional `<crs>` first, then lon lat: CRS84), or None when it does
    not parse (the item keeps its point)."""
    body = wkt.strip()
    if body.startswith("<"):
        body = body.split(">", 1)[-1]
    try:
        shape = shapely.from_wkt(body, on_invalid="ignore")
    except shapely.errors.GEOSException:
        return None
    if shape is None or shape.is_empty:
        return None
    # mapping() gives tuples; a JSON round trip makes them the lists every GeoJSON reader expects.
    geometry: dict[str, Any] = json.loads(json.dumps(mapping(shape)))
    return geometry
