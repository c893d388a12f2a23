"""The hub's web application: SPARQL, collections, provenance, sources, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import __version__
from hub.core.config import Settings
from hub.gateway import (
    changes,
    collections,
    contacts,
    context,
    documents,
    entities,
    events,
    health,
    ldes,
    links,
    map_api,
    provenance,
    query_page,
    reports,
    runs,
    sources,
    sparql,
    validate,
    vocab,
    void,
)
from hub.gateway.client_address import TrustedProxies
from hub.gateway.collection_index import IndexCache
from hub.gateway.deps import UnknownParameter, problem, strict_query
from hub.gateway.head import HeadAsGet
from hub.gateway.health import GenerationCounts
from hub.gateway.language import ProblemLanguage
from hub.gateway.sparql import TRUNCATED_HEADER, SparqlOptions
from hub.pages import routes as pages
from hub.pages.not_found import not_found_page
from hub.pages.options import PageOptions
from hub.pipeline.scheduler import Scheduler
from hub.sparql.pool import QueryPool
from hub.sparql.remote_pool import RemoteQueryPool
from hub.store.reader import NotPublished, PublishedReader
from hub.store.remote import StoreUnavailable

log = logging.getLogger(__name__)

DESCRIPTION = """
The Mutualisons hub gathers the maps of Brussels networks of alternatives into one linked-open-data
commons. Every statement it serves can be traced to its source, its harvest run and the exact bytes
it came from. Query it with SPARQL at `/sparql`, or read organisations as JSON-LD or GeoJSON.
"""


VENDOR = "/static/vendor"  # swagger-ui-dist and redoc from npm, with their licences (static/README.md)


def _wants_html(accept: str) -> bool:
    """A browser's navigation (text/html asked for, before any JSON): it gets a page, an API client a problem."""
    for part in accept.lower().split(","):
        media = part.split(";")[0].strip()
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media.endswith("json"):
            return False
    return False


def create_app(settings: Settings, sparql_options: SparqlOptions | None = None,
               page_options: PageOptions | None = None, schedule: bool = False,
               trusted_proxies: TrustedProxies | None = None) -> FastAPI:
    """The web application; with `schedule`, due sources are harvested in child processes.

    `trusted_proxies` are the peers whose X-Forwarded-For names the client (hub/gateway/client_address.py).
    """
    sparql_options = sparql_options or SparqlOptions()
    published_reader = PublishedReader(settings)
    query_pool: QueryPool | RemoteQueryPool
    if published_reader.server is not None:
        # The store on a SPARQL server: queries are forwarded to it under the same deadline (docs/stores.md).
        query_pool = RemoteQueryPool(published_reader.server, workers=sparql_options.workers,
                                     deadline=sparql_options.deadline, max_rows=sparql_options.max_rows,
                                     base_iri=f"{settings.base_iri}sparql",
                                     client_queries=sparql_options.client_queries,
                                     max_waiting=sparql_options.max_waiting, memory_mib=sparql_options.memory_mib)
    else:
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
        except StoreUnavailable as error:  # a SPARQL server down: the hub serves, and says so, until it is back
            log.warning("the store is unavailable at start: %s", error)
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            query_pool.close()

    # /docs and /redoc are served below from vendored files (hub/gateway/static/vendor): they render offline.
    app = FastAPI(title="Mutualisons hub", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.reader = published_reader
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

    @app.exception_handler(UnknownParameter)
    async def unknown_parameter(_: Request, error: UnknownParameter) -> JSONResponse:
        hint = f" (did you mean {error.suggestion!r}?)" if error.suggestion else ""
        takes = f"it takes {', '.join(error.taken)}" if error.taken else "it takes no query parameters"
        return problem(400, "Bad parameter", f"{error.parameter} is not a parameter of this path; {takes}{hint}",
                       parameter=error.parameter, **({"suggestion": error.suggestion} if error.suggestion else {}))

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(_: Request, error: StoreUnavailable) -> JSONResponse:
        # The store on a SPARQL server (docs/stores.md) did not answer: the request may be tried again.
        return problem(503, "Store unavailable", f"{error}; try again shortly")

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
        if _wants_html(request.headers.get("accept", "")):
            return not_found_page(request)  # a browser: a page in its language, with the way back
        return problem(404, "Not found", f"nothing at {request.url.path!r}: the API's paths are listed at /docs")

    # Map sites on other origins read the commons straight from the browser.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE"],
                       allow_headers=["*"], expose_headers=[TRUNCATED_HEADER, "Link", "ETag", "X-Total-Count"])
    app.add_middleware(HeadAsGet)  # outermost: every GET, API or page, answers HEAD

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Mutualisons hub — API",
                                   swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="Mutualisons hub — API",
                              redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png", with_google_fonts=False)

    # Problem details in the request's language (?lang=, Accept-Language; English otherwise).
    app.add_middleware(ProblemLanguage)
    app.state.validate_limiter = validate.RateLimiter()
    for module in (sparql, void, events, collections, context, provenance, sources, runs, health, changes,
                   ldes, entities, vocab, validate, links, map_api, documents, reports, contacts):
        # The API's own resources refuse parameters they do not take (the SPARQL protocol, the vocabulary's
        # and the entity pages' content negotiation read theirs themselves; collections check theirs in
        # gateway_params.py, with the same answer).
        strict = module in (events, provenance, sources, runs, changes, links)
        app.include_router(module.router, dependencies=[Depends(strict_query)] if strict else [])
    # The hub's own web pages (map, agenda, library, sources, entity pages, embed), after the API routes.
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=query_page.STATIC), name="static")
    return app
