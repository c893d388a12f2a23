"""Lift GeoJSON (RFC 7946) feature collections through a mapping: properties mapped, geometry kept.

Points become schema:geo; lines and polygons GeoSPARQL WKT plus a representative point. A point of the
hub's service area given as [lat, lon] fails its feature with a clear error. Legacy `crs` members naming WGS84
(CRS84, EPSG:4326) are accepted; any other CRS fails the document, since its numbers are not degrees.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harvesters.formats import DocumentContext, Format, LiftError, LiftResult, looks_like_json, names_jsonld_keywords
from harvesters.limits import TooDeep, check_json_depth
from harvesters.mapping import LiftContext, Lifted, Mapping, RowError, RowReport, RowSet, term_refused
from harvesters.suggest import suggest_from_rows

_WGS84 = ("crs84", "epsg::4326", "epsg:4326", "wgs84")
_MARKS = re.compile(rb'"type"\s*:\s*"(?:FeatureCollection|Feature)"|"features"\s*:\s*\[')


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
    rows = RowSet(table, document, "feature")
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
            rows.add(f"#{number}", row, table.lift_row(row, context, report, geometry=geometry))
        except (RowError, ValueError) as error:  # ValueError: a term pyoxigraph refuses
            name = row.get(table.key) if table.key else None
            reason = str(error) if isinstance(error, RowError) else term_refused(error)
            lifted.row_errors.append(f"{where}" + (f" ({table.key}={name})" if name else "") + f": {reason}")
    lifted.quads = rows.quads()
    lifted.warnings += rows.warnings + report.warnings()
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


def _sniff(head: bytes) -> int:
    if not looks_like_json(head) or names_jsonld_keywords(head):
        return 0  # a document with JSON-LD keywords (a GeoJSON-LD layer) is read as linked data
    return 60 if _MARKS.search(head) else 15


def _lift(body: bytes, context: DocumentContext) -> LiftResult:
    try:
        check_json_depth(body)  # json.loads recurses: bounded before it starts
    except TooDeep as error:
        raise LiftError(context.document, "geojson", str(error), error.line, error.column) from error
    rows = LiftContext(context.document, context.source_id, context.mint, context.kind_of, context.language,
                       context.area)
    lifted = lift_geojson(body, context.required_mapping("geojson"), rows)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def _suggest(body: bytes, document: str, name: str) -> str:
    rows = [dict((f.get("properties") or {}), **({"id": f["id"]} if "id" in f else {}))
            for f in read_features(body, document) if isinstance(f, dict)]
    return suggest_from_rows(name, "geojson", "features", rows, has_geometry=True)


GEOJSON = Format("geojson", _lift, media_types=("application/geo+json",), extensions=(".geojson",),
                 mapping="required", json=True, sniff=_sniff, suggest=_suggest)
