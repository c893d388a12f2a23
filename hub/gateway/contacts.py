"""`GET /api/contacts`: the networks' contact book, persons who consented to be listed for the networks only
(`hub:scope-contact-book`), kept privately (hub/archive/contact_book.py). Any publisher token reads it, and the admin
token; nothing else does, and no public answer (SPARQL, collections, pages, dumps, history, changes) holds them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub.archive import contact_book
from hub.gateway.deps import publisher_refusal, reader
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Publishers"])


@router.get("/api/contacts", summary="The networks' contact book (any publisher token, or admin)")
async def contacts(request: Request, source: str | None = Query(None, description="one source's persons only"),
                   hub: PublishedReader = Depends(reader)) -> Response:
    if (refusal := publisher_refusal(request)) is not None:
        return refusal
    persons = await run_in_threadpool(contact_book.read_all, hub.data)
    if source is not None:
        persons = [person for person in persons if person["source"] == source]
    return JSONResponse({"persons": persons})
