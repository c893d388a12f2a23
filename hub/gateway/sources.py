"""`/api/sources`: each source with its last run; `/api/sources/{id}/quarantine`: its rejected records (their values
to the source's token or admin); `POST /api/sources/{id}/confirm-removal` (the source's token or admin): let a held
removal through, and harvest the source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub.archive import quarantine
from hub.archive import state as harvest_state
from hub.core.config import ConfigError, load_sources
from hub.core.lock import HarvestRunning
from hub.gateway.deps import caller, problem, reader, source_refusal, unknown_segment
from hub.pipeline.scheduler import start_harvest
from hub.sparql import queries
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Sources"])

_COUNTS = ("accepted", "rejected", "added", "updated", "unchanged", "removed", "warned")


def source_table(hub: PublishedReader) -> list[dict[str, Any]]:
    """Each source of the published generation with its last run (what `mutualisons sources` prints)."""
    store = hub.published().store
    sources: dict[str, dict[str, Any]] = {}
    for row in store.select(queries.render("sources")):
        entry = sources.setdefault(row["source"].value, {
            "id": row["id"].value, "iri": row["source"].value, "name": row["title"].value,
            "license": row["license"].value, "contact": row["contact"].value if "contact" in row else None,
            "urls": [], "last_run": None,
        })
        if "url" in row and row["url"].value not in entry["urls"]:
            entry["urls"].append(row["url"].value)
    for row in store.select(queries.render("source-runs", meta=hub.minter.meta_graph())):
        known = sources.get(row["source"].value)
        if known is None or known["last_run"] is not None:
            continue  # runs come newest first
        known["last_run"] = {
            "run": row["run"].value, "status": row["status"].value,
            "started": row["started"].value, "ended": row["ended"].value,
            "counts": {name: int(row[name].value) for name in _COUNTS if name in row},
        }
    return sorted(sources.values(), key=lambda entry: entry["id"])


@router.get("/api/sources", summary="Every source with its last run")
async def list_sources(hub: PublishedReader = Depends(reader)) -> Response:
    return JSONResponse({"sources": await run_in_threadpool(source_table, hub)})


def published_runs(hub: PublishedReader, source_id: str) -> set[str]:
    """The IRIs of the source's runs in the published generation."""
    source_iri = hub.minter.source(source_id).value
    return {row["run"].value for row in hub.published().store.select(
        queries.render("source-runs", meta=hub.minter.meta_graph())) if row["source"].value == source_iri}


@router.get("/api/sources/{source_id}/quarantine", summary="The rejected records of a source's last run")
async def source_quarantine(request: Request, source_id: str,
                            full: bool = Query(False, description="the records with their values (the source's "
                                                                  "token or admin only)"),
                            hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    known = {entry["id"] for entry in await run_in_threadpool(source_table, hub)}
    if source_id not in known:
        return problem(404, "Unknown source", f"no source {source_id!r}; known: {', '.join(sorted(known))}")
    runs = await run_in_threadpool(published_runs, hub, source_id)
    document = await run_in_threadpool(quarantine.read_latest, hub.data, source_id, runs)
    if full:
        # The values may be personal data: only the source's network and the administrator see them.
        refusal = source_refusal(request, source_id)
        if refusal is not None:
            return refusal
        return JSONResponse({"source": source_id, **(document or {"records": []})})
    return JSONResponse({"source": source_id, **quarantine.public_view(document)})


@router.post("/api/sources/{source_id}/confirm-removal", status_code=202,
             summary="Confirm the removal a source's last run was held for, and harvest it (the source's token, "
                     "or admin)")
async def confirm_removal(request: Request, source_id: str, hub: PublishedReader = Depends(reader)) -> Response:
    """The safety valve's named way through (`mutualisons confirm-removal ID` on the command line): the
    confirmation is recorded in the source's state, used up by its next run, which starts at once."""
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    refusal = source_refusal(request, source_id)
    if refusal is not None:
        return refusal
    who = caller(request)
    by = "administrator (API)" if who.admin else f"publisher token {who.token.id if who.token else '?'} (API)"
    try:
        configured = await run_in_threadpool(load_sources, hub.settings.sources_path)
    except ConfigError as error:
        return problem(503, "Invalid sources file", f"no harvest can start: {error}")
    if not any(source.id == source_id for source in configured):
        return problem(404, "Unknown source", f"no source {source_id!r} in {hub.settings.sources_path.name}")
    try:
        held = await run_in_threadpool(harvest_state.confirm_removal, hub.data, source_id, by)
    except harvest_state.NothingHeld as error:
        return problem(409, "Nothing held", str(error))
    except HarvestRunning as error:
        return problem(409, "Harvest running", f"{error}: confirm once it has ended")
    pid = start_harvest(hub.settings, [source_id])
    return JSONResponse({"source": source_id, "confirmed": True, "records": held.held, "held_run": held.run,
                         "started": True, "pid": pid}, status_code=202)
