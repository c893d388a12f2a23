"""`/healthz`: the published generation, its age and counts, and whether a harvest is running."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub.api.deps import reader
from hub.reader import NotPublished, PublishedReader

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Published generation, its age and counts; harvest running or not")
async def healthz(hub: PublishedReader = Depends(reader)) -> Response:
    pid = hub.harvest_running()
    try:
        published = hub.published()
    except NotPublished as error:
        return JSONResponse({"status": "empty", "detail": str(error), "generation": None,
                             "harvest_running": pid is not None, "harvest_pid": pid}, status_code=503)

    def counts() -> dict[str, int]:
        graphs = sum(1 for _ in published.store.named_graphs())
        return {"quads": published.store.count_quads(), "graphs": graphs}

    age = hub.age_seconds()
    return JSONResponse({
        "status": "ok",
        "generation": published.generation.number,
        "age_seconds": round(age, 3) if age is not None else None,
        "counts": await run_in_threadpool(counts),
        "harvest_running": pid is not None,
        "harvest_pid": pid,
    })
