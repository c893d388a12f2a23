"""The hub's web application: SPARQL, collections, provenance, sources, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import __version__
from hub.core.config import Settings
from hub.gateway import (
    changes,
    collections,
    context,
    entities,
    events,
    health,
    links,
    provenance,
    query_page,
    runs,
    sources,
    sparql,
    validate,
    vocab,
    void,
)
from hub.gateway.client_address import TrustedProxies
from hub.gateway.collection_index import IndexCache
from hub.gateway.deps import problem
from hub.gateway.health import GenerationCounts
from hub.gateway.language import ProblemLanguage
from hub.gateway.sparql import TRUNCATED_HEADER, SparqlOptions
from hub.pages import routes as pages
from hub.pages.options import PageOptions
from hub.pipeline.scheduler import Scheduler
from hub.sparql.pool import QueryPool
from hub.store.reader import NotPublished, PublishedReader

DESCRIPTION = """
The Mutualisons hub gathers the maps of Brussels networks of alternatives into one linked-open-data
commons. Every statement it serves can be traced to its source, its harvest run and the exact bytes
it came from. Query it with SPARQL at `/sparql`, or read organisations as JSON-LD or GeoJSON.
"""


def create_app(settings: Settings, sparql_options: SparqlOptions | None = None,
               page_options: PageOptions | None = None, schedule: bool = False,
               trusted_proxies: TrustedProxies | None = None) -> FastAPI:
    """The web application; with `schedule`, due sources are harvested in child processes.

    `trusted_proxies` are the peers whose X-Forwarded-For names the client (hub/gateway/client_address.py).
    """
    sparql_options = sparql_options or SparqlOptions()
    # The query workers start on the first query and stop with the application.
    query_pool = QueryPool(settings.data_dir, workers=sparql_options.workers, deadline=sparql_options.deadline,
                           max_rows=sparql_options.max_rows, base_iri=f"{settings.base_iri}sparql",
                           memory_mib=sparql_options.memory_mib, client_queries=sparql_options.client_queries,
                           max_waiting=sparql_options.max_waiting)

    scheduler = Scheduler(settings) if schedule else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The collections' index of a large store takes a while: start it before the first map request.
        try:
            app.state.index_cache.warm(app.state.reader.published())
        except NotPublished:
            pass
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            query_pool.close()

    app = FastAPI(title="Mutualisons hub", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.reader = PublishedReader(settings)
    app.state.settings = settings
    app.state.sparql_options = sparql_options
    app.state.query_pool = query_pool
    app.state.trusted_proxies = trusted_proxies or TrustedProxies()
    app.state.page_options = page_options or PageOptions.from_environment()
    app.state.index_cache = IndexCache(app.state.reader.minter)
    app.state.generation_counts = GenerationCounts(app.state.reader.data)

    @app.exception_handler(NotPublished)
    async def not_published(_: Request, error: NotPublished) -> JSONResponse:
        return problem(503, "No data published yet", str(error))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(_: Request, error: RequestValidationError) -> JSONResponse:
        # A malformed parameter is the client's 400 (RFC 9457), never FastAPI's 422.
        first = error.errors()[0] if error.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
        parameter = location[0] if location else "request"
        return problem(400, "Bad parameter", f"{parameter}: {first.get('msg', 'malformed')}", parameter=parameter)

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, error: StarletteHTTPException) -> Response:
        # A path no route takes (a newline in a segment, say) is a problem document like any other 404.
        if error.status_code != 404:
            return await http_exception_handler(request, error)
        return problem(404, "Not found", f"nothing at {request.url.path!r}: the API's paths are listed at /docs")

    # Map sites on other origins read the commons straight from the browser.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"],
                       expose_headers=[TRUNCATED_HEADER, "Link", "ETag", "X-Total-Count"])
    # Problem details in the request's language (?lang=, Accept-Language; English otherwise).
    app.add_middleware(ProblemLanguage)
    app.state.validate_limiter = validate.RateLimiter()
    for module in (sparql, void, events, collections, context, provenance, sources, runs, health, changes,
                   entities, vocab, validate, links):
        app.include_router(module.router)
    # The hub's own web pages (map, agenda, library, sources, entity pages, embed), after the API routes.
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=query_page.STATIC), name="static")
    return app
