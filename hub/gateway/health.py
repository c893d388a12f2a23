"""`/healthz`: the published generation, its age and counts, and whether a harvest is running.

It answers in milliseconds whatever the query workers or the other endpoints are doing: it opens no
store, runs no query and takes no thread. The counts are the ones written beside the generation when
it was published (hub/store/generations.py); a generation published before those files existed is counted
once, in a background thread, and `counts` is null until that is done.
"""

from __future__ import annotations

import logging
import threading
import time

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub.archive.datadir import DataDir
from hub.gateway.deps import reader
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from hub.store.generations import Generation
from hub.store.interface import Reader
from hub.store.reader import PublishedReader
from hub.store.remote import StoreUnavailable

router = APIRouter(tags=["Health"])
log = logging.getLogger(__name__)

KEEP = 4  # generations whose counts stay in memory


class GenerationCounts:
    """Each generation's counts, read from its file or counted once in the background."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._known: dict[int, dict[str, int]] = {}
        self._counting: set[int] = set()
        self._lock = threading.Lock()

    def get(self, generation: Generation, server: Reader | None = None) -> dict[str, int] | None:
        """`server`: the store on a SPARQL server, counted through its protocol (its versions have no folder)."""
        with self._lock:
            known = self._known.get(generation.number)
            if known is not None:
                return known
        if server is not None:
            # A server's version is counted through its protocol, once (a COUNT of the quads, the graphs).
            counted = generations.count(server)
            with self._lock:
                self._keep(generation.number, counted)
            return counted
        written = generations.counts(self.data, generation.number)
        with self._lock:
            if written is not None:
                self._keep(generation.number, written)
                return written
            if generation.number not in self._counting:
                self._counting.add(generation.number)
                threading.Thread(target=self._count, args=(generation,), name="healthz-counts", daemon=True).start()
        return None

    def _keep(self, number: int, counts: dict[str, int]) -> None:
        self._known[number] = counts
        for old in sorted(self._known)[:-KEEP]:
            del self._known[old]

    def _count(self, generation: Generation) -> None:
        counts: dict[str, int] | None = None
        try:
            assert generation.path is not None  # a generation of the data folder (a server's is counted in `get`)
            counts = generations.count(ReadOnlyStore(generation.path))
        except OSError:
            log.warning("generation %s could not be counted (pruned meanwhile?)", generation.number, exc_info=True)
        with self._lock:
            self._counting.discard(generation.number)
            if counts is not None:
                self._keep(generation.number, counts)


def _counts(request: Request, hub: PublishedReader) -> GenerationCounts:
    cache = getattr(request.app.state, "generation_counts", None)
    if cache is None:
        cache = request.app.state.generation_counts = GenerationCounts(hub.data)
    return cache


@router.get("/healthz", summary="Published generation, its age and counts; harvest running or not")
async def healthz(request: Request, hub: PublishedReader = Depends(reader)) -> Response:
    pid = hub.harvest_running()
    generation = hub.current()
    if generation is None:
        return JSONResponse({"status": "empty", "detail": "no generation has been published yet: run "
                             "`mutualisons harvest`", "generation": None,
                             "harvest_running": pid is not None, "harvest_pid": pid}, status_code=503)
    server = None if generation.path is not None else hub.published().store
    try:
        counts = await run_in_threadpool(_counts(request, hub).get, generation, server)
    except StoreUnavailable:
        counts = None  # the server is slow or down: the counts come later, the rest of the health now
    return JSONResponse({
        "status": "ok",
        "generation": generation.number,
        "age_seconds": round(max(0.0, time.time() - generation.published_at), 3),
        "counts": counts,
        "harvest_running": pid is not None,
        "harvest_pid": pid,
    })
