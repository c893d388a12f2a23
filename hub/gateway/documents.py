"""Documents a network pushes to its source (docs/publishers.md): a network without a web server publishes by
sending its feed to the hub with its publisher token.

    PUT|POST /api/sources/{id}/documents/{name}   store (or replace) the document, then harvest the source
    GET      /api/sources/{id}/documents          the source's pushed documents (token)
    GET      /api/sources/{id}/documents/{name}   its description (anyone: it is the document URL of its records'
                                                  provenance); with ?raw=true and the token, its bytes
    DELETE   /api/sources/{id}/documents/{name}   forget it: its records leave at the next harvest (token)

The source must say `push = true` in sources.toml. The body is bounded by the source's `max_bytes` (and by
MAX_PUSH_BYTES, what the server holds in memory at once); the harvest reads it like a fetched document, with the
same provenance (its payload, fetch node, licence).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub.archive import pushed
from hub.core.config import ConfigError, Source, load_sources
from hub.gateway.deps import caller, problem, reader, source_refusal, unknown_segment
from hub.gateway.request_body import BodyTooLarge, BodyTooSlow, read_capped
from hub.pipeline.scheduler import start_harvest
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Publishers"])
MAX_PUSH_BYTES = 64 << 20


async def _configured(hub: PublishedReader, source_id: str) -> Source | JSONResponse:
    try:
        configured = await run_in_threadpool(load_sources, hub.settings.sources_path)
    except ConfigError as error:
        return problem(503, "Invalid sources file", f"the hub cannot read its sources: {error}")
    found = next((source for source in configured if source.id == source_id), None)
    if found is None:
        return problem(404, "Unknown source", f"no source {source_id!r} in {hub.settings.sources_path.name}")
    return found


def _bad_name(name: str) -> JSONResponse | None:
    if pushed.is_document_name(name):
        return None
    return problem(400, "Bad document name", f"{name!r} cannot name a document: use 1 to 64 letters, digits, '.', "
                   "'_' or '-', not starting with '.', such as feed.csv")


def _described(hub: PublishedReader, source_id: str, entry: pushed.Pushed) -> dict[str, object]:
    return {"document": hub.minter.pushed_document(source_id, entry.name).value, "source": source_id,
            **asdict(entry)}


@router.put("/api/sources/{source_id}/documents/{name}", status_code=202,
            summary="Push a document to the source and harvest it (the source's token, or admin)")
async def push_document(request: Request, source_id: str, name: str,
                        harvest: bool = Query(True, description="start a harvest of the source once it is stored"),
                        hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    if (bad := _bad_name(name)) is not None:
        return bad
    source = await _configured(hub, source_id)
    if isinstance(source, JSONResponse):
        return source
    if not source.push:
        return problem(409, "Pushing not enabled", f"source {source_id!r} takes no pushed documents: its entry in "
                       f"{hub.settings.sources_path.name} must say push = true (docs/sources.md)")
    cap = min(source.max_bytes, MAX_PUSH_BYTES)
    try:
        body = await read_capped(request, cap)
    except BodyTooLarge:
        return problem(413, "Document too large", f"the document is over {cap} bytes, the most source "
                       f"{source_id!r} takes (its max_bytes, at most {MAX_PUSH_BYTES} for a pushed document)")
    except BodyTooSlow as error:
        return problem(408, "Document too slow", f"{error}: send it again on a faster connection")
    if not body:
        return problem(400, "Empty document", "the request has no body: send the document's bytes as the body")
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip() or None
    if media_type in ("application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data"):
        media_type = None  # says nothing of the format: the source's `format` or the name's extension does
    who = caller(request)
    entry = await run_in_threadpool(pushed.store, hub.data, source_id, name, body, media_type,
                                    "admin" if who.admin else (who.token.id if who.token else "?"))
    answer: dict[str, object] = {**_described(hub, source_id, entry), "stored": True, "harvest": "not started"}
    if harvest:
        running = hub.harvest_running()
        if running is not None:
            answer["harvest"] = "running"
            answer["detail"] = (f"a harvest is running (pid {running}): the document is stored; start the source's "
                                f"harvest once it has ended (POST /api/sources/{source_id}/harvest)")
        else:
            answer |= {"harvest": "started", "pid": start_harvest(hub.settings, [source_id])}
    answer["runs"] = f"/api/sources/{source_id}/runs"
    return JSONResponse(answer, status_code=202)


# POST does the same as PUT, for clients that cannot send a PUT (an HTML form, some HTTP libraries).
router.add_api_route("/api/sources/{source_id}/documents/{name}", push_document, methods=["POST"], status_code=202,
                     operation_id="push_document_post", summary="Push a document to the source (as PUT)")


@router.get("/api/sources/{source_id}/documents", summary="The documents pushed to the source (the source's token)")
async def list_documents(request: Request, source_id: str, hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    entries = await run_in_threadpool(pushed.listed, hub.data, source_id)
    return JSONResponse({"source": source_id, "documents": [_described(hub, source_id, e) for e in entries]})


@router.get("/api/sources/{source_id}/documents/{name}",
            summary="A pushed document: its description, or its bytes (raw=true, the source's token)")
async def get_document(request: Request, source_id: str, name: str,
                       raw: bool = Query(False, description="the bytes as pushed (the source's token, or admin)"),
                       hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (bad := _bad_name(name)) is not None:
        return bad
    if raw and (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    found = await run_in_threadpool(pushed.read, hub.data, source_id, name)
    if found is None:
        return problem(404, "Unknown document", f"source {source_id!r} has no pushed document {name!r} (any more)")
    entry, body = found
    if raw:
        return Response(body, media_type=entry.media_type or "application/octet-stream")
    return JSONResponse(_described(hub, source_id, entry))


@router.delete("/api/sources/{source_id}/documents/{name}",
               summary="Forget a pushed document; its records leave at the next harvest (the source's token)")
async def delete_document(request: Request, source_id: str, name: str,
                          hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    if (bad := _bad_name(name)) is not None:
        return bad
    if not await run_in_threadpool(pushed.remove, hub.data, source_id, name):
        return problem(404, "Unknown document", f"source {source_id!r} has no pushed document {name!r}")
    return JSONResponse({"source": source_id, "name": name, "removed": True,
                         "detail": "its records leave the source at its next harvest "
                                   f"(POST /api/sources/{source_id}/harvest)"})
