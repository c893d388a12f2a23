"""Lift GeoJSON (RFC 7946) feature collections through a mapping: properties mapped, geometry kept.

Points become schema:geo; lines and polygons GeoSPARQL WKT plus a representative point. A point of the
hub's service area given as [lat, lon] fails its feature with a clear error. Legacy `crs` members naming WGS84
(CRS84, EPSG:4326) are accepted; any other CRS fails the document, since its numbers are not degrees.
"""

from __future__ import annotations

import json
from typing import Any

from harvesters.mapping import LiftContext, Lifted, Mapping, RowError, RowReport
from harvesters.rdf import LiftError

_WGS84 = ("crs84", "epsg::4326", "epsg:4326", "wgs84")


def read_features(body: bytes, document: str) -> list[dict[str, Any]]:
    """The features of a GeoJSON document; raises LiftError with the line and column of a syntax error."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise LiftError(document, "geojson", f"not UTF-8 (byte {error.start}); RFC 7946 requires UTF-8") from error
    except json.JSONDecodeError as error:
        raise LiftError(document, "geojson", error.msg, error.lineno, error.colno) from error
    if not isinstance(data, dict):
        raise LiftError(document, "geojson", "the document is not a GeoJSON object")
    _check_crs(data, document)
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise LiftError(document, "geojson", "a FeatureCollection needs a 'features' array")
        return features
    if kind == "Feature":
        return [data]
    raise LiftError(document, "geojson", f"expected a FeatureCollection or a Feature, got type {kind!r}")


def lift_geojson(body: bytes, mapping: Mapping, context: LiftContext) -> Lifted:
    document = context.document
    features = read_features(body, document)
    table = mapping.table_for(document)
    if table is None:
        raise LiftError(document, "geojson", f"no table of the mapping {mapping.path} matches this document's name")
    lifted = Lifted()
    report = RowReport(document, known_fields=sorted(table.rules))
    for number, feature in enumerate(features, start=1):
        where = f"{document}: feature #{number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            lifted.row_errors.append(f"{where}: not a GeoJSON Feature")
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            lifted.row_errors.append(f"{where}: 'properties' must be an object")
            continue
        row = dict(properties)
        if "id" in feature and "id" not in row:
            row["id"] = feature["id"]  # the feature's own id, usable as the mapping's key
        geometry = feature.get("geometry")
        if geometry is not None and not isinstance(geometry, dict):
            lifted.row_errors.append(f"{where}: 'geometry' must be an object or null")
            continue
        try:
            lifted.quads += table.lift_row(row, context, report, geometry=geometry)
        except (RowError, ValueError) as error:  # ValueError: a term pyoxigraph refuses
            name = row.get(table.key) if table.key else None
            lifted.row_errors.append(f"{where}" + (f" ({table.key}={name})" if name else "") + f": {error}")
    lifted.warnings += report.warnings()
    return lifted


def _check_crs(data: dict[str, Any], document: str) -> None:
    crs = data.get("crs")
    if crs is None:
        return
    name = str(((crs or {}).get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if not any(token in name.lower() for token in _WGS84):
        raise LiftError(document, "geojson", f"crs {name or crs!r} is not WGS84: RFC 7946 GeoJSON is in "
                                            "longitude/latitude degrees; reproject the layer (e.g. ogr2ogr -t_srs "
                                            "EPSG:4326)")
