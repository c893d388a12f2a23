"""Coordinates and geometries in the hub vocabulary, and the [lat, lon] axis-order trap.

A point becomes `schema:geo [ a schema:GeoCoordinates ; schema:latitude ; schema:longitude ]` with
xsd:decimal values (what the charter checks). Lines and polygons are kept whole as GeoSPARQL WKT
(`geo:hasGeometry [ geo:asWKT "…"^^geo:wktLiteral ]`) plus a representative point inside them (shapely),
so map sites still get a marker.

The [lat, lon] trap is caught against the hub's service area (its profile, hub.toml), which the hub passes
in as an `Area`: a point outside the area that falls inside once swapped is reported, never silently
placed elsewhere. Without an area (a lifter run outside the hub) no point is judged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from harvesters.wording import because

SCHEMA = "https://schema.org/"
GEO = "http://www.opengis.net/ont/geosparql#"
XSD_DECIMAL = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class Area:
    """The hub's service area as a lifter sees it (built by hub/pipeline/lifting.py from the profile)."""

    name: str  # for messages, e.g. "Belgium"
    contains: Callable[[float, float], bool]  # (lon, lat) -> whether the point lies in the area


class GeoError(Exception):
    """A geometry that cannot be read."""


# The swapped-axes sentences are coded messages of the hub's `charter` catalog (hub/locale; harvesters import
# nothing of the hub, so the English template is written here too and tests/test_i18n.py checks that both say
# the same): a run keeps the English sentence and its code, and the hub says it again in French and Dutch.
SWAPPED = {
    "geo.swapped": "the geometry: [{lon}, {lat}] read as longitude {lon}, latitude {lat} lies outside {area}, but "
                   "swapped it is in {area}: the coordinates look like [lat, lon] (GeoJSON and this mapping expect "
                   "[lon, lat])",
    "geo.swapped-shape": "the {kind} geometry: [{lon}, {lat}] read as longitude {lon}, latitude {lat} lies outside "
                         "{area}, but swapped it is in {area}: the coordinates look like [lat, lon] (GeoJSON and this "
                         "mapping expect [lon, lat])",
    "geo.swapped-fields": "the latitude and longitude fields: [{lon}, {lat}] read as longitude {lon}, latitude "
                          "{lat} lies outside {area}, but swapped it is in {area}: the coordinates look like "
                          "[lat, lon] (GeoJSON and this mapping expect [lon, lat])",
    "geo.swapped-pair": "field {field}: [{lon}, {lat}] read as longitude {lon}, latitude {lat} lies outside "
                        "{area}, but swapped it is in {area}: the coordinates look like [lat, lon]; if the field "
                        "really is in that order, write point = \"{order}\" in the mapping",
}


class SwappedAxes(GeoError):
    """A point of the service area given as [lat, lon]: reported, never silently placed somewhere else."""


def swapped(code: str, **params: object) -> str:
    """A swapped-axes reason as a run line keeps it: the English sentence and its code in brackets."""
    return f"{SWAPPED[code].format(**params)} [{code}]"


def check_axes(lon: Decimal, lat: Decimal, area: Area | None, code: str = "geo.swapped", **params: object) -> None:
    """Raises SwappedAxes (the coded sentence `code` of SWAPPED, with `params`) when the point lies outside the area
    and inside it once swapped."""
    if area is None or area.contains(float(lon), float(lat)) or not area.contains(float(lat), float(lon)):
        return
    raise SwappedAxes(swapped(code, lon=lon, lat=lat, area=area.name, **params))


def geo_quads(subject: NamedNode | BlankNode, lon: Decimal, lat: Decimal) -> list[Quad]:
    node = BlankNode()
    return [
        Quad(subject, NamedNode(SCHEMA + "geo"), node),
        Quad(node, RDF_TYPE, NamedNode(SCHEMA + "GeoCoordinates")),
        Quad(node, NamedNode(SCHEMA + "latitude"), Literal(_plain(lat), datatype=XSD_DECIMAL)),
        Quad(node, NamedNode(SCHEMA + "longitude"), Literal(_plain(lon), datatype=XSD_DECIMAL)),
    ]


def geometry_quads(subject: NamedNode | BlankNode, geometry: dict[str, Any], area: Area | None = None) -> list[Quad]:
    """A GeoJSON geometry -> schema:geo (points) or WKT plus a representative point (the rest)."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise GeoError(f"a Point needs [lon, lat], got {coordinates!r}")
        lon, lat = (_number(c) for c in coordinates[:2])
        check_axes(lon, lat, area)
        return geo_quads(subject, lon, lat)
    _check_finite(coordinates, kind)
    # Imported here: shapely brings numpy (a tenth of a second, and address space), which only lines and
    # polygons need, and the format table imports the mapped formats' modules for their entries.
    from shapely.geometry import shape

    try:
        shaped = shape(geometry)
    except Exception as error:  # shapely raises several types for malformed input
        raise GeoError(f"a {kind} geometry that cannot be read: " + because(
            error, "its coordinates do not make that shape (RFC 7946 section 3.1)")) from error
    if shaped.is_empty:
        raise GeoError(f"an empty {kind} geometry")
    point = shaped.representative_point()
    lon, lat = Decimal(repr(point.x)), Decimal(repr(point.y))
    check_axes(lon, lat, area, "geo.swapped-shape", kind=kind)
    node = BlankNode()
    return [
        Quad(subject, NamedNode(GEO + "hasGeometry"), node),
        Quad(node, RDF_TYPE, NamedNode(GEO + "Geometry")),
        Quad(node, NamedNode(GEO + "asWKT"), Literal(shaped.wkt, datatype=NamedNode(GEO + "wktLiteral"))),
        *geo_quads(subject, lon, lat),
    ]


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeoError(f"a coordinate must be a number, got {value!r}")
    if not math.isfinite(value):  # JSON parsers accept NaN and Infinity, which are no place on Earth
        raise GeoError(f"a coordinate must be a finite number, got {value!r}")
    return Decimal(repr(value))


def _check_finite(coordinates: Any, kind: object, depth: int = 0) -> None:
    """Every number of a line's or polygon's nested coordinates is finite (shapely would place NaN)."""
    if depth > 4:  # a MultiPolygon nests four deep: anything deeper is not GeoJSON
        raise GeoError(f"the coordinates of a {kind} geometry nest too deep")
    if isinstance(coordinates, float) and not math.isfinite(coordinates):
        raise GeoError(f"a {kind} geometry has a coordinate that is not a finite number ({coordinates!r})")
    if isinstance(coordinates, list):
        for item in coordinates:
            _check_finite(item, kind, depth + 1)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text if "." in text else text + ".0"
