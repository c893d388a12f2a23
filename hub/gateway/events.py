"""`/api/events.ics`: the shared agenda as iCalendar, with every filter of `/api/events` (served by
hub/gateway/collections.py, which also answers `format=ics`). Export itself: hub/gateway/ics_export.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.gateway.collections import openapi_parameters, serve_collection
from hub.gateway.openapi_schemas import ICS_EXAMPLE, PROBLEM_SCHEMA

router = APIRouter(tags=["Agenda"])


@router.get("/api/events.ics", summary="The shared agenda as iCalendar (same filters as /api/events)",
            responses={200: {"description": "The agenda's events (every page: limit defaults to 1000)",
                             "content": {"text/calendar": {"schema": {"type": "string"}, "example": ICS_EXAMPLE}}},
                       400: {"description": "A malformed or unknown parameter (RFC 9457 problem)",
                             "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}},
            openapi_extra={"parameters": openapi_parameters(events=True)},
            response_class=Response)
async def events_ics(request: Request) -> Response:
    return await serve_collection(request, "events", forced_format="ics")
