"""`/api/organizations`: organisations and places as JSON-LD, or GeoJSON for map sites."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub import queries
from hub.api.deps import problem, reader
from hub.reader import PublishedReader

router = APIRouter(tags=["Collections"])

GEOJSON = "application/geo+json"
JSONLD = "application/ld+json"
CONTEXT: dict[str, Any] = {
    "@vocab": "https://schema.org/",
    "hub": "https://w3id.org/mutualisons/ns#",
    "dcterms": "http://purl.org/dc/terms/",
    "sources": {"@id": "dcterms:source", "@type": "@id"},
    "license": {"@id": "dcterms:license", "@type": "@id"},
    "provenance": {"@id": "hub:provenance", "@type": "@id"},
    "url": {"@type": "@id"},
    "latitude": {"@type": "http://www.w3.org/2001/XMLSchema#decimal"},
    "longitude": {"@type": "http://www.w3.org/2001/XMLSchema#decimal"},
}


@router.get("/api/organizations", summary="Organisations and places (JSON-LD or GeoJSON)")
async def organizations(
    request: Request,
    format: str | None = Query(None, description="jsonld (default) or geojson"),
    hub: PublishedReader = Depends(reader),
) -> Response:
    wanted = _wanted_format(format, request.headers.get("accept", ""))
    if wanted is None:
        return problem(400, "Bad parameter", "format must be 'jsonld' or 'geojson'", parameter="format")
    published = hub.published()
    text = queries.render("organizations", meta=hub.minter.meta_graph())
    rows = await run_in_threadpool(published.store.select, text)
    items = _group(rows)
    base = str(request.base_url)
    if wanted == "geojson":
        return JSONResponse(_geojson(items, base), media_type=GEOJSON)
    return JSONResponse(_jsonld(items, base), media_type=JSONLD)


def _wanted_format(format_parameter: str | None, accept: str) -> str | None:
    if format_parameter is not None:
        return format_parameter if format_parameter in ("jsonld", "geojson") else None
    return "geojson" if GEOJSON in accept else "jsonld"


def _group(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per entity IRI, whatever number of sources describe it."""
    items: dict[str, dict[str, Any]] = {}
    for row in rows:
        subject = row["s"].value
        item = items.setdefault(subject, {
            "@id": subject, "types": set(), "names": set(), "sources": {}, "points": [],
            "address": {}, "url": None,
        })
        item["types"].add(row["type"].value)
        if "name" in row:
            item["names"].add((row["name"].value, row["name"].language))
        item["sources"][row["source"].value] = row["license"].value
        if "lat" in row and "lon" in row:
            point = (row["changed"].value, float(row["lon"].value), float(row["lat"].value))
            if point not in item["points"]:
                item["points"].append(point)
        for key in ("street", "postal", "locality"):
            if key in row:
                item["address"][key] = row[key].value
        if "url" in row:
            item["url"] = row["url"].value
    return sorted(items.values(), key=lambda item: item["@id"])


def _names(item: dict[str, Any]) -> dict[str, str]:
    by_language: dict[str, str] = {}
    for value, language in sorted(item["names"], key=lambda pair: (pair[1] or "", pair[0])):
        by_language.setdefault(language or "und", value)
    return by_language


def _provenance_link(base: str, iri: str) -> str:
    return f"{base}api/provenance?subject={quote(iri, safe='')}"


def _jsonld(items: list[dict[str, Any]], base: str) -> dict[str, Any]:
    graph = []
    for item in items:
        node: dict[str, Any] = {
            "@id": item["@id"],
            "@type": sorted(item["types"]),
            "name": [{"@value": v, "@language": lang} if lang != "und" else v
                     for lang, v in _names(item).items()],
            "sources": sorted(item["sources"]),
            "license": sorted(set(item["sources"].values())),
            "provenance": _provenance_link(base, item["@id"]),
        }
        if item["points"]:
            _, lon, lat = max(item["points"])
            node["geo"] = {"@type": "GeoCoordinates", "latitude": str(lat), "longitude": str(lon)}
        if item["address"]:
            node["address"] = {"@type": "PostalAddress", **{
                {"street": "streetAddress", "postal": "postalCode", "locality": "addressLocality"}[k]: v
                for k, v in item["address"].items()}}
        if item["url"]:
            node["url"] = item["url"]
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}


def _geojson(items: list[dict[str, Any]], base: str) -> dict[str, Any]:
    features = []
    licenses: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if not item["points"]:
            continue
        # Sources may disagree: the geometry comes from the most recently changed record.
        points = sorted(item["points"], reverse=True)
        _, lon, lat = points[0]
        names = _names(item)
        for source, license_iri in item["sources"].items():
            licenses[license_iri].add(source)
        features.append({
            "type": "Feature",
            "id": item["@id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "@id": item["@id"],
                "name": names.get("fr") or next(iter(names.values()), None),
                "names": names,
                "types": sorted(item["types"]),
                "address": item["address"] or None,
                "url": item["url"],
                "sources": [{"source": s, "license": lic} for s, lic in sorted(item["sources"].items())],
                "provenance": _provenance_link(base, item["@id"]),
                "alternatives": [[p[1], p[2]] for p in points[1:]],
            },
        })
    return {
        "type": "FeatureCollection",
        "features": features,
        "licenses": [{"license": lic, "sources": sorted(srcs)} for lic, srcs in sorted(licenses.items())],
    }
