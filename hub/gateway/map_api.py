"""`/api/map/clusters`: what a map view holds, as clusters counted on the server (hub/gateway/map_grid.py).

The map of a whole region asks this for its view (`bbox`, `zoom`) under the same filters as the collections,
and lists the places through the collection itself (paged). `/api/clusters` is another thing: the merge's
clusters of IRIs (hub/gateway/links.py).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from hub.gateway import map_grid
from hub.gateway.collection_index import CollectionIndex, IndexCache
from hub.gateway.collections import COLLECTIONS, THEMES, openapi_parameters
from hub.gateway.deps import problem
from hub.gateway.gateway_params import BadParameter, parse
from hub.gateway.http_cache import answer
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Map"])

OWN = ("collection", "zoom")
# The collections' paging and format: a map answer has neither.
NOT_HERE = ("sort", "limit", "cursor", "format", "fields", "facets")


def _parameter(name: str, description: str, example: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string"}, "example": example}


def _filters(collection: str) -> list[str]:
    """The collection's filters, as its OpenAPI description names them (so that a filter it gains is one here)."""
    return [p["name"] for p in openapi_parameters(collection == "events", collection == "products")
            if p["name"] not in NOT_HERE]


def _check_names(params: QueryParams, collection: str) -> None:
    known = [*OWN, *_filters(collection)]
    for name in params.keys():
        if name in NOT_HERE:
            raise BadParameter(name, "does not apply to /api/map/clusters (a map answer is one bounded document); "
                                     f"page the places through /api/{collection}")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise BadParameter(name, f"is not a parameter of /api/map/clusters{hint}; it takes {', '.join(known)}")


def _zoom(text: str | None) -> int:
    expects = f"expects the map's zoom level, a whole number from 0 to {map_grid.MAX_ZOOM}, e.g. zoom=12"
    if text is None:
        raise BadParameter("zoom", expects)
    try:
        zoom = int(text)
    except ValueError:
        raise BadParameter("zoom", expects) from None
    if not 0 <= zoom <= map_grid.MAX_ZOOM:
        raise BadParameter("zoom", expects)
    return zoom


def attribution(index: CollectionIndex, iris: list[str]) -> list[dict[str, Any]]:
    """The sources of the places an answer names (counts name nobody), with their name, publisher and licences."""
    licenses: dict[str, set[str]] = {}
    for iri in iris:
        for record in index.items[index.position_of[iri]].records:
            found = licenses.setdefault(record.source, set())
            if record.license:
                found.add(record.license)
    entries = []
    for source in sorted(licenses):
        described = index.sources.get(source, {})
        entries.append({"source": source, "name": described.get("title"), "publisher": described.get("publisher"),
                        "license": sorted(licenses[source]) or ([described["license"]] if "license" in described
                                                                else [])})
    return entries


@router.get(
    "/api/map/clusters", summary="Clusters of places in a map view",
    description="The places of a collection inside `bbox` under the collection's filters, counted per cell of a "
                f"grid of {map_grid.CELL_PIXELS}-pixel squares at `zoom` (Web Mercator), at most "
                f"{map_grid.MAX_CELLS} cells; or, when the view holds at most {map_grid.POINT_LIMIT} places, the "
                "places themselves (`mode: points`). The counts add up to `total`, which is the collection's "
                "`X-Total-Count` for the same filters and box. See docs/api.md, \"Map clusters\".",
    responses={200: {"description": "Clusters or points", "content": {"application/json": {"example": {
        "collection": "organizations", "generation": 7, "zoom": 12, "bbox": [4.25, 50.77, 4.48, 50.91],
        "cellPixels": 64, "total": 1523, "extent": [4.2512, 50.7703, 4.4797, 50.9099], "mode": "clusters",
        "themes": {"https://w3id.org/mutualisons/ns#theme-food": 610},
        "clusters": [{"lon": 4.3521, "lat": 50.8467, "count": 212, "bbox": [4.34, 50.84, 4.36, 50.85],
                      "themes": {"https://w3id.org/mutualisons/ns#theme-food": 80}},
                     {"lon": 4.401, "lat": 50.87, "count": 1, "id": "https://example.org/org/1",
                      "name": "Potager du Canal", "theme": "https://w3id.org/mutualisons/ns#theme-food"}],
        "points": [], "attribution": [{"source": "http://127.0.0.1:8000/source/jardins-partages",
                                       "name": "Jardins partagés", "publisher": "Réseau des jardins",
                                       "license": ["https://creativecommons.org/licenses/by/4.0/"]}]}}}},
        400: {"description": "A missing or malformed parameter (RFC 9457 problem)",
              "content": {"application/problem+json": {}}}},
    openapi_extra={"parameters": [
        _parameter("bbox", "minLon,minLat,maxLon,maxLat (WGS84 degrees): the map's view", "4.25,50.77,4.48,50.91",
                   required=True),
        _parameter("zoom", f"the map's zoom level, 0 to {map_grid.MAX_ZOOM}", "12", required=True),
        _parameter("collection", f"one of {', '.join(COLLECTIONS)} (default organizations)", "organizations"),
        *[p for p in openapi_parameters(False) if p["name"] not in (*NOT_HERE, "bbox")],
    ]},
    response_class=Response)
async def map_clusters(request: Request) -> Response:
    hub: PublishedReader = request.app.state.reader
    params = request.query_params
    collection = params.get("collection", "organizations")
    try:
        if collection not in COLLECTIONS:
            close = difflib.get_close_matches(collection, list(COLLECTIONS), n=1)
            raise BadParameter("collection", f"expects one of {', '.join(COLLECTIONS)}"
                               + (f" (did you mean {close[0]}?)" if close else ""))
        _check_names(params, collection)
        zoom = _zoom(params.get("zoom"))
        if "bbox" not in params:
            raise BadParameter("bbox", "is required: the map's view as minLon,minLat,maxLon,maxLat, "
                                       "e.g. bbox=4.25,50.77,4.48,50.91")
        rest = QueryParams([(k, v) for k, v in params.multi_items() if k not in OWN])
        wanted = parse(rest, "application/json", request.headers.get("accept-language", ""), COLLECTIONS[collection],
                       collection == "events", products=collection == "products")
    except BadParameter as bad:
        return problem(400, "Bad parameter", f"{bad.parameter} {bad.expects}", parameter=bad.parameter)
    filters = wanted.filters
    filters.sources = tuple(s if s.startswith(("http://", "https://")) else hub.minter.source(s).value
                            for s in filters.sources)
    filters.themes = tuple(THEMES + t[len("theme:"):] if t.startswith("theme:") else t for t in filters.themes)
    cache: IndexCache = request.app.state.index_cache
    index: CollectionIndex = await run_in_threadpool(cache.get, hub.published())
    found = await run_in_threadpool(map_grid.cluster, index, filters, zoom, wanted.languages)
    assert filters.bbox is not None
    document = {
        "collection": collection, "generation": index.generation, "zoom": zoom, "bbox": list(filters.bbox),
        "cellPixels": found.cell_pixels, "total": found.total, "extent": found.extent, "mode": found.mode,
        "themes": found.themes,
        "clusters": found.clusters, "points": found.points,
        "attribution": attribution(index, [p["id"] for p in found.points]
                                   + [c["id"] for c in found.clusters if "id" in c]),
    }
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return answer(request, body, "application/json", index.generation,
                  {"Content-Language": wanted.languages[0], "X-Total-Count": str(found.total)})
