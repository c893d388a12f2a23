"""`/api/events`: the shared agenda, as iCalendar (`/api/events.ics`, `?format=ics`) or JSON-LD."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hub import queries
from hub.api.deps import problem, reader
from hub.ics_export import AgendaEvent, events_from_rows, to_ical
from hub.reader import PublishedReader

router = APIRouter(tags=["Agenda"])
ICALENDAR = "text/calendar; charset=utf-8"
FROM_HELP = "only events (or occurrences) starting at or after this date or date-time (ISO 8601)"
TO_HELP = "only events (or occurrences) starting before this date or date-time (ISO 8601)"


@router.get("/api/events", summary="Events of the shared agenda (JSON-LD, or iCalendar with format=ics)")
async def events(
    format: str | None = Query(None, description="jsonld (default) or ics"),
    start: str | None = Query(None, alias="from", description=FROM_HELP),
    end: str | None = Query(None, alias="to", description=TO_HELP),
    hub: PublishedReader = Depends(reader),
) -> Response:
    if format not in (None, "jsonld", "ics"):
        return problem(400, "Bad parameter", "format must be 'jsonld' or 'ics'", parameter="format")
    return await _agenda(hub, "ics" if format == "ics" else "jsonld", start, end)


@router.get("/api/events.ics", summary="The shared agenda as iCalendar (same filters as /api/events)")
async def events_ics(
    start: str | None = Query(None, alias="from", description=FROM_HELP),
    end: str | None = Query(None, alias="to", description=TO_HELP),
    hub: PublishedReader = Depends(reader),
) -> Response:
    return await _agenda(hub, "ics", start, end)


async def _agenda(hub: PublishedReader, wanted: str, start: str | None, end: str | None) -> Response:
    bounds = []
    for name, value in (("from", start), ("to", end)):
        try:
            bounds.append(_bound(value))
        except ValueError:
            return problem(400, "Bad parameter", f"{name} must be an ISO 8601 date or date-time, e.g. 2027-01-31",
                           parameter=name)
    published = hub.published()
    text = queries.render("events", meta=hub.minter.meta_graph())
    rows = await run_in_threadpool(published.store.select, text)
    selected = [e for e in events_from_rows(rows) if e.overlaps(bounds[0], bounds[1])]
    if wanted == "ics":
        return Response(to_ical(selected), media_type=ICALENDAR,
                        headers={"Content-Disposition": 'inline; filename="mutualisons-agenda.ics"'})
    return JSONResponse(_jsonld(selected), media_type="application/ld+json")


def _bound(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    if "T" not in value:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _jsonld(events: list[AgendaEvent]) -> dict[str, Any]:
    graph = []
    for event in events:
        node: dict[str, Any] = {
            "@id": event.iri, "@type": "Event", "startDate": event.start.isoformat(),
            "name": [{"@value": v, "@language": k} if k != "und" else v for k, v in sorted(event.names.items())],
            "sources": sorted(event.sources),
        }
        if event.end is not None:
            node["endDate"] = event.end.isoformat()
        if event.cancelled:
            node["eventStatus"] = "https://schema.org/EventCancelled"
        if event.occurrences:
            node["subEvent"] = [{"startDate": m.isoformat()} for m in sorted(event.occurrences, key=str)]
        graph.append(node)
    return {"@context": {"@vocab": "https://schema.org/", "sources": {"@id": "http://purl.org/dc/terms/source",
                                                                      "@type": "@id"}},
            "@graph": graph}
