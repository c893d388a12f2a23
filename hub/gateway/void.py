"""`/.well-known/void`: the hub's dataset in VoID and DCAT; and the SPARQL Service Description.

The counts walk the whole published generation, so they are computed once per generation.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.gateway.deps import reader
from hub.sparql.service_description import figures, service_description, void_description
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Self-description"])
TURTLE = "text/turtle; charset=utf-8"

_cache: dict[tuple[str, int], bytes] = {}
_cache_lock = threading.Lock()


@router.get("/.well-known/void", summary="The hub's dataset in VoID and DCAT: triples, graphs, sources, licences")
async def void(hub: PublishedReader = Depends(reader)) -> Response:
    published = hub.published()
    key = (str(published.generation.path), published.generation.number)

    def build() -> bytes:
        with _cache_lock:
            if key not in _cache:
                _cache.clear()  # only the newest generation is worth keeping
                _cache[key] = void_description(hub.minter.base, figures(published.store, hub.minter.meta_graph()))
            return _cache[key]

    return Response(await run_in_threadpool(build), media_type=TURTLE)


def service_description_response(request: Request) -> Response:
    options = request.app.state.sparql_options
    base = request.app.state.settings.base_iri
    body = service_description(base, options.deadline, options.max_rows)
    return Response(body, media_type=TURTLE, headers={"Vary": "Accept"})
