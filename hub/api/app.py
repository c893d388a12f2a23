"""The hub's web application: SPARQL, collections, provenance, sources, health."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from hub import __version__
from hub.api import collections, health, provenance, sources, sparql, validate, vocab
from hub.api.deps import problem
from hub.config import Settings
from hub.reader import NotPublished, PublishedReader

DESCRIPTION = """
The Mutualisons hub gathers the maps of Brussels networks of alternatives into one linked-open-data
commons. Every statement it serves can be traced to its source, its harvest run and the exact bytes
it came from. Query it with SPARQL at `/sparql`, or read organisations as JSON-LD or GeoJSON.
"""


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Mutualisons hub", version=__version__, description=DESCRIPTION)
    app.state.reader = PublishedReader(settings)
    app.state.settings = settings

    @app.exception_handler(NotPublished)
    async def not_published(_: Request, error: NotPublished) -> JSONResponse:
        return problem(503, "No data published yet", str(error))

    # Map sites on other origins read the commons straight from the browser.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"])
    app.state.validate_limiter = validate.RateLimiter()
    for module in (sparql, collections, provenance, sources, health, vocab, validate):
        app.include_router(module.router)
    return app
