"""`/api/{collection}`: every kind of record as JSON-LD, GeoJSON, CSV, iCalendar or Turtle, filtered and paged.

Collections are data-driven: a table maps each collection to record kinds (each record's kind comes from its
types, through the class hierarchy of hub/core/vocabulary.py), so a kind the charter adds appears once its
records are harvested; until then its page is empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.gateway import gateway_formats as formats
from hub.gateway.collection_index import AUDIENCES, FACETS, CollectionIndex, IndexCache
from hub.gateway.deps import problem
from hub.gateway.gateway_formats import CSV_FIELDS
from hub.gateway.gateway_params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MEDIA_TYPES,
    BadParameter,
    NotAcceptable,
    encode_cursor,
    parse,
    suggestion,
)
from hub.gateway.http_cache import answer
from hub.gateway.openapi_schemas import collection_responses
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Collections"])

# Collection name -> the record kinds it lists (see hub/core/vocabulary.py RECORD_KINDS).
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "organizations": ("organization",),
    "events": ("event",),
    "resources": ("resource",),
    "knowledge": ("knowledge",),
    "publications": ("publication",),
    "funding": ("funding",),
    "people": ("person",),
    "products": ("product",),
}
# `theme:food` is the hub scheme's hub:theme-food (vocab/schemes.ttl), as in mappings (harvesters/mapping.py).
THEMES = "https://w3id.org/mutualisons/ns#theme-"
SUMMARIES = {
    "organizations": "Organisations and places",
    "events": "Events of the shared agenda",
    "resources": "The toolbox: templates and tools",
    "knowledge": "Knowledge sharing: experiences, testimonies, know-how",
    "publications": "Publications: research, analyses, studies",
    "funding": "The funding catalogue",
    "people": "The contact book (only people who consented to be listed)",
    "products": "Products: the catalogues of food enterprises (Data Food Consortium), for purchasing groups",
}


def _parameter(name: str, description: str, example: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description,
                            "schema": {"type": "string"}}
    if example is not None:
        spec["example"] = example
    return spec


def openapi_parameters(events: bool, products: bool = False) -> list[dict[str, Any]]:
    parameters = [
        _parameter("bbox", "minLon,minLat,maxLon,maxLat (WGS84 degrees); edges included", "4.33,50.83,4.37,50.86"),
        _parameter("near", "lon,lat: only items within `radius` metres of this point", "4.3517,50.8466"),
        _parameter("radius", "metres around `near` (default 1000, at most 100000)", "800"),
        _parameter("theme", "a SKOS concept IRI (or theme:local) or a keyword; a concept also matches its "
                   "narrower concepts; several separated by commas match any", "jardins"),
        _parameter("q", "text found anywhere in names, descriptions, keywords and address (any part of a word: "
                   "tuin finds Gemeenschapstuin), ignoring accents and case; every word must occur; ranked",
                   "tuin"),
        _parameter("type", "a class (schema.org local name or IRI); subclasses match", "GroceryStore"),
        _parameter("source", "a source id or IRI", "assiette-commune"),
        _parameter("verified", "true or false: hub:verificationStatus is verified", "true"),
        _parameter("updated_since", "ISO 8601 date or date-time: items changed since then", "2026-11-01"),
        _parameter("sort", "id (default), name, updated, -updated or relevance (the default with q)", "name"),
        _parameter("limit", f"items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})", "100"),
        _parameter("cursor", "the cursor of the previous page's Link rel=\"next\""),
        _parameter("fields", "only these properties of each item (GeoJSON property names, or CSV column names), "
                   "separated by commas; the IRI always", "name,telephone,openingHoursSpecification"),
        _parameter("facets", "count the matching items per value of these facets (" + ", ".join(FACETS)
                   + "), under every other filter; JSON-LD and GeoJSON", "theme,kind"),
        _parameter("audience", "a hub:audiences concept: IRI, audience:local, local name or label; narrower "
                   "concepts match", "precarity"),
        _parameter("cost", "words of the cost of services (hub:costOfServices)", "gratuit"),
        _parameter("availability", "days of the week the opening hours include (English, French or Dutch)",
                   "monday"),
        _parameter("format", "jsonld, geojson, csv, ttl" + (", ics" if events else "")
                   + " (else chosen by Accept)", "geojson"),
        _parameter("lang", "fr, nl or en (else Accept-Language, then fr, nl, en)", "nl"),
    ]
    if events:
        parameters += [_parameter("from", "events (or occurrences) starting at or after this date", "2027-03-01"),
                       _parameter("to", "events (or occurrences) starting before this date", "2027-04-01")]
    if products:
        parameters += [
            _parameter("enterprise", "products supplied by this enterprise (its IRI; several separated by commas "
                       "match any)", "https://shop.example/api/dfc/enterprises/1"),
            _parameter("category", "a product type or certification: a concept IRI (DFC's taxonomies) or its label; "
                       "a concept also matches its narrower concepts; several separated by commas match any",
                       "tomato")]
    return parameters


async def serve_collection(request: Request, name: str, forced_format: str | None = None) -> Response:
    hub: PublishedReader = request.app.state.reader
    kinds = COLLECTIONS[name]
    events = name == "events"
    params = request.query_params
    try:
        # A fixed-format path (/api/events.ics) answers calendar clients whatever their Accept says.
        accept = "" if forced_format else request.headers.get("accept", "")
        wanted = parse(params, accept, request.headers.get("accept-language", ""),
                       kinds, events, default_format=forced_format or "jsonld", products=name == "products")
    except BadParameter as bad:
        return problem(400, "Bad parameter", f"{bad.parameter} {bad.expects}", parameter=bad.parameter,
                       **({"suggestion": bad.suggestion} if bad.suggestion else {}))
    except NotAcceptable as refused:
        return problem(406, "Not acceptable", f"Accept: {refused.accept} allows none of this collection's formats: "
                       f"{', '.join(refused.offered)} (or ask with format=)", offered=list(refused.offered))
    if forced_format is not None:
        wanted.format = forced_format
    wanted.filters.sources = tuple(s if s.startswith(("http://", "https://")) else hub.minter.source(s).value
                                   for s in wanted.filters.sources)
    wanted.filters.themes = tuple(THEMES + t[len("theme:"):] if t.startswith("theme:") else t
                                  for t in wanted.filters.themes)
    cache: IndexCache = request.app.state.index_cache
    index: CollectionIndex | None = None
    if wanted.cursor_generation is not None:
        # A walk begun on an older generation finishes on it while its index is kept: no gaps, no repeats.
        index = cache.cached(wanted.cursor_generation)
    if index is None:
        index = await run_in_threadpool(cache.get, hub.published())
    try:
        check_values(index, wanted, kinds)
    except BadParameter as bad:
        return problem(400, "Bad parameter", f"{bad.parameter} {bad.expects}", parameter=bad.parameter,
                       **({"suggestion": bad.suggestion} if bad.suggestion else {}))
    if wanted.filters.q:
        # A text search reads the trigram index (SQLite, which lets go of the GIL): in a thread, off the event loop.
        page = await run_in_threadpool(index.query, wanted.filters, wanted.sort, wanted.after, wanted.limit)
    else:
        page = index.query(wanted.filters, wanted.sort, wanted.after, wanted.limit)
    facets = await run_in_threadpool(index.facets, wanted.filters, wanted.facets) if wanted.facets else None
    base = str(request.base_url)
    kept = [(k, v) for k, v in params.multi_items() if k != "cursor"]
    path_url = f"{base}{request.url.path.lstrip('/')}"
    first_url = f"{path_url}?{urlencode(kept)}" if kept else path_url
    next_url = None
    if page.next_key is not None:
        cursor = encode_cursor(index.generation, wanted.sort, page.next_key)
        next_url = f"{path_url}?{urlencode([*kept, ('cursor', cursor)])}"
    view = formats.PageView(index, page.items, page.total, base, str(request.url), first_url, next_url,
                            wanted.languages, products=name == "products", kinds=kinds, fields=wanted.fields,
                            facets=facets)
    render: Callable[[formats.PageView], bytes] = {
        "jsonld": formats.jsonld_bytes, "geojson": formats.geojson, "csv": formats.csv_bytes,
        "ttl": formats.turtle_bytes, "ics": formats.ics_bytes}[wanted.format]
    body = await run_in_threadpool(render, view)
    headers = {"Content-Language": wanted.languages[0], "X-Total-Count": str(page.total),
               "Link": f'<{base}context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next", ' + headers["Link"]
    if wanted.format == "ics":
        headers["Content-Disposition"] = 'inline; filename="mutualisons-agenda.ics"'
    return answer(request, body, MEDIA_TYPES[wanted.format], index.generation, headers)


# What every item has whatever its kind (GeoJSON's property names; `fields=` names them so).
BASE_FIELDS = ("name", "names", "types", "kinds", "address", "url", "keywords", "themes", "startDate", "endDate",
               "eventStatus", "occurrences", "verificationStatus", "updated", "sources", "provenance", "alternatives",
               "geometry", "description", "license", "records", "dateModified", "suppliedBy", "categories",
               "certifications", "quantity", "offers", "sameAs", "members", "conflicts")


def check_values(index: CollectionIndex, wanted: Any, kinds: tuple[str, ...]) -> None:
    """Values only the generation can judge: a theme, audience or source it does not know, a field no item of the
    collection has, is a 400 naming it with the closest known one, never an empty answer that looks like data."""
    for theme in wanted.filters.themes:
        if not index.knows_theme(theme):
            raise BadParameter("theme", f"expects a theme concept (IRI or theme:local) or a keyword the published "
                               f"items use; {theme!r} is none", suggestion(theme, index.theme_names()))
    for audience in wanted.filters.audiences:
        if not index.audience_concepts(audience):
            names = {c[len(AUDIENCES):] for c in index.audience_names()}
            raise BadParameter("audience", f"expects an audience of the hub:audiences scheme (its IRI, "
                               f"audience:local or a label); {audience!r} is none",
                               suggestion(audience.removeprefix("audience:"), names))
    for source in wanted.filters.sources:
        if source not in index.sources:
            ids = {iri.rstrip("/").rsplit("/", 1)[-1] for iri in index.sources}
            raise BadParameter("source", f"expects a source of the hub (its id or IRI); {source!r} is none",
                               suggestion(source.rstrip("/").rsplit("/", 1)[-1], ids))
    for facet in wanted.facets:
        if facet not in FACETS:
            raise BadParameter("facets", f"expects facet names among {', '.join(FACETS)}; {facet!r} is none",
                               suggestion(facet, FACETS))
    if wanted.facets and wanted.format not in ("jsonld", "geojson"):
        raise BadParameter("facets", "come with the JSON-LD or GeoJSON formats (format=jsonld or geojson), which "
                           "have a place for them")
    if wanted.fields is not None:
        known = set(BASE_FIELDS) | set(index.property_names(kinds)) | set(CSV_FIELDS) | set(formats.CSV_COLUMNS)
        for name in wanted.fields:
            if name not in known:
                raise BadParameter("fields", f"expects property names of this collection's items; {name!r} is none",
                                   suggestion(name, known))


def _endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await serve_collection(request, name)

    endpoint.__name__ = f"collection_{name}"
    return endpoint


for _name in COLLECTIONS:
    router.add_api_route(
        f"/api/{_name}", _endpoint(_name), methods=["GET"], summary=SUMMARIES[_name],
        description="Filtered, sorted and paged (cursor in `Link: rel=\"next\"` and the Hydra view). Formats by "
                    "Accept or `format=`; every item names its sources, licences and record graphs.",
        responses=collection_responses(_name == "events"),
        openapi_extra={"parameters": openapi_parameters(_name == "events", _name == "products")},
        response_class=Response)
