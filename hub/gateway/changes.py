"""`/api/changes?since=<cursor>`: the change feed downstream maps sync from; `/dump.nq.gz`: the whole store."""

from __future__ import annotations

import json
import threading

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from hub.gateway.deps import problem
from hub.gateway.http_cache import answer
from hub.store import changes as change_feed
from hub.store.dump import dump_path
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Sync"])
PAGE = 1000
# Keyed by data folder and generation: two hubs in one process (tests do that) have their own generation 2.
_cache: dict[tuple[str, int], list[change_feed.Change]] = {}
_lock = threading.Lock()


def _feed(hub: PublishedReader) -> tuple[int, list[change_feed.Change]]:
    published = hub.published()
    number = published.generation.number
    key = (str(hub.data.root), number)
    with _lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = change_feed.changes(hub.data, published.store, hub.minter)
        return number, _cache[key]


@router.get("/api/changes", summary="The change feed: Create, Update and Delete of record graphs, in commit order")
async def changes(request: Request,
                  since: str | None = Query(None, description="the `next` cursor of the previous answer; "
                                            "absent: from the start", examples=["120"]),
                  limit: str | None = Query(None, description=f"entries per answer, 1 to {PAGE} (default {PAGE})")
                  ) -> Response:
    after = 0
    if since is not None:
        if not _whole(since):
            return problem(400, "Bad parameter", "since expects the `next` cursor of a previous answer "
                           "(a commit sequence number)", parameter="since")
        after = int(since)
    size = PAGE
    if limit is not None:
        if not _whole(limit) or not 1 <= int(limit) <= PAGE:
            return problem(400, "Bad parameter", f"limit expects a whole number from 1 to {PAGE}", parameter="limit")
        size = int(limit)
    hub: PublishedReader = request.app.state.reader
    generation, feed = await run_in_threadpool(_feed, hub)
    window = feed[after:after + size]
    next_cursor = str(window[-1].sequence if window else after)
    body = json.dumps({
        "generation": generation,
        "next": next_cursor,
        "more": after + len(window) < len(feed),
        "changes": [{"sequence": c.sequence, "type": c.type, "graph": c.graph, "version": c.version,
                     "run": c.run, "source": c.source} for c in window],
    }).encode("utf-8")
    return answer(request, body, "application/json", generation,
                  {"Link": f'<{request.url.path}?since={next_cursor}>; rel="next"'})


def _whole(text: str) -> bool:
    """ASCII digits only (`"²".isdigit()` is true, and int() refuses it), and not absurdly many."""
    return text.isascii() and text.isdigit() and len(text) <= 18


@router.get("/dump.nq.gz", summary="Every public quad with the meta graph, gzipped N-Quads, rebuilt per generation")
async def dump(request: Request) -> Response:
    hub: PublishedReader = request.app.state.reader
    published = hub.published()
    path = await run_in_threadpool(dump_path, hub.data, published)
    # A gzip file (application/gzip), not gzip transfer of N-Quads: `curl -O` keeps it compressed.
    return FileResponse(path, media_type="application/gzip", headers={
        "ETag": f'"dump-g{published.generation.number}"',
        "Cache-Control": "public, max-age=300",
        "Content-Disposition": f'attachment; filename="mutualisons-{published.generation.number}.nq.gz"'})
