"""`/api/events.ics`: the shared agenda as iCalendar, with every filter of `/api/events` (served by
hub/gateway/collections.py, which also answers `format=ics`). Export itself: hub/gateway/ics_export.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.gateway.collections import _responses, openapi_parameters, serve_collection

router = APIRouter(tags=["Agenda"])


@router.get("/api/events.ics", summary="The shared agenda as iCalendar (same filters as /api/events)",
            responses=_responses(), openapi_extra={"parameters": openapi_parameters(events=True)},
            response_class=Response)
async def events_ics(request: Request) -> Response:
    return await serve_collection(request, "events", forced_format="ics")
