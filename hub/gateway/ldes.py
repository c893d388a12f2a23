"""`/ldes` and `/ldes/{page}`: the hub's Linked Data Event Stream (hub/gateway/event_stream.py builds it).

Every page but the newest is immutable (`Cache-Control: public, max-age=…, immutable`); the stream's description
and its newest page may change at the next publication, and answer conditional requests. ETags are strong, a
digest of the bytes served: a page re-issued (a consent ended, retention pruned a version) gets a new one.
Formats by `Accept` (or `format=`): JSON-LD, TriG, N-Quads, and Turtle, which has no named graphs and so gives
each member's statements in the default graph.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pyoxigraph import Quad, RdfFormat, serialize

from hub.core.config import DEFAULT_KEEP_RUNS, ConfigError, load_sources
from hub.core.namespaces import PREFIXES
from hub.gateway import event_stream
from hub.gateway.deps import problem
from hub.gateway.http_cache import MAX_AGE, not_modified
from hub.sparql.formats import negotiate
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Sync"])
IMMUTABLE = "public, max-age=31536000, immutable"
FORMATS = {
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "ttl": "text/turtle",
}
BY_MEDIA = {media: name for name, media in FORMATS.items()} | {"application/json": "jsonld"}
PAGE_PREFIXES = {**PREFIXES, "ldes": event_stream.LDES, "tree": event_stream.TREE, "as": event_stream.AS}
_cache = event_stream.StreamCache()


def _wanted(request: Request, format_parameter: str | None) -> str | None:
    if format_parameter is not None:
        return format_parameter if format_parameter in FORMATS else None
    chosen = negotiate(request.headers.get("accept"), [*FORMATS.values(), "application/json"])
    return BY_MEDIA[chosen] if chosen is not None else None


def _body(quads: list[Quad], wanted: str) -> bytes:
    if wanted == "nq":
        return serialize(quads, format=RdfFormat.N_QUADS) or b""
    if wanted == "trig":
        return serialize(quads, format=RdfFormat.TRIG, prefixes=PAGE_PREFIXES) or b""
    if wanted == "ttl":
        return serialize([Quad(q.subject, q.predicate, q.object) for q in quads], format=RdfFormat.TURTLE,
                         prefixes=PAGE_PREFIXES) or b""
    return serialize(quads, format=RdfFormat.JSON_LD) or b"[]"


def _answer(request: Request, quads: list[Quad], wanted: str, cache_control: str) -> Response:
    body = _body(quads, wanted)
    etag = f'"ldes-{wanted}-{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept"}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FORMATS[wanted], headers=headers)


def _keep_runs(hub: PublishedReader) -> int:
    """What the sources' retention keeps of every version (the fewest runs any source keeps)."""
    try:
        sources = load_sources(hub.settings.sources_path)
    except (ConfigError, OSError):
        return DEFAULT_KEEP_RUNS
    return min((source.keep_runs for source in sources), default=DEFAULT_KEEP_RUNS)


def page_size(request: Request) -> int:
    return int(getattr(request.app.state, "ldes_page_size", event_stream.PAGE_SIZE))


FORMAT_HELP = "jsonld, trig, nq or ttl (else chosen by Accept; JSON-LD without one)"


@router.get("/ldes", summary="The Linked Data Event Stream of record versions: its description and view")
async def stream(request: Request, format: str | None = Query(None, description=FORMAT_HELP)) -> Response:
    wanted = _wanted(request, format)
    if wanted is None:
        return _unacceptable(format)
    hub: PublishedReader = request.app.state.reader
    keep_runs = await run_in_threadpool(_keep_runs, hub)
    return _answer(request, event_stream.description(hub.minter, keep_runs), wanted, f"public, max-age={MAX_AGE}")


@router.get("/ldes/root", summary="The event stream's view: a relation to every page")
async def view(request: Request, format: str | None = Query(None, description=FORMAT_HELP)) -> Response:
    wanted = _wanted(request, format)
    if wanted is None:
        return _unacceptable(format)
    hub: PublishedReader = request.app.state.reader
    published = hub.published()
    current = await run_in_threadpool(_cache.stream, hub.data, published.store, hub.minter,
                                      published.generation.number, page_size(request))
    return _answer(request, event_stream.root(hub.minter, current), wanted, f"public, max-age={MAX_AGE}")


@router.get("/ldes/{page}", summary="One page of the event stream: immutable, but for the newest")
async def page(request: Request, page: str,
               format: str | None = Query(None, description=FORMAT_HELP)) -> Response:
    wanted = _wanted(request, format)
    if wanted is None:
        return _unacceptable(format)
    if not (page.isascii() and page.isdigit() and len(page) <= 9 and int(page) >= 1 and page[0] != "0"):
        return problem(404, "Not found", f"no page {page!r} in the event stream: pages are numbered from 1 "
                                         "(start at /ldes)")
    hub: PublishedReader = request.app.state.reader
    published = hub.published()
    size = page_size(request)
    current = await run_in_threadpool(_cache.stream, hub.data, published.store, hub.minter,
                                      published.generation.number, size)
    number = int(page)
    if number > current.pages:
        return problem(404, "Not found", f"the event stream has {current.pages} page(s), not {number}: "
                                         "start at /ldes")
    quads = await run_in_threadpool(_cache.page, hub.data, published.store, hub.minter, current, number)
    newest = number == current.pages
    return _answer(request, quads, wanted, f"public, max-age={MAX_AGE}" if newest else IMMUTABLE)


def _unacceptable(format_parameter: str | None) -> Response:
    if format_parameter is not None:
        return problem(400, "Bad parameter", f"format expects one of {', '.join(FORMATS)}", parameter="format")
    return problem(406, "Not acceptable", "the event stream is served as JSON-LD, TriG, N-Quads or Turtle: "
                                          "accept one of " + ", ".join(FORMATS.values()))
