"""Reports of a problem with an entity (docs/publishers.md, "Reports"; hub/archive/reports.py keeps them).

    POST /api/reports                              anyone: entity, what is wrong, optional contact (JSON or a form)
    GET  /api/reports/open?entity=IRI              anyone: how many reports on the entity are open (no text)
    GET  /api/sources/{id}/reports                 the source's token: its reports, with text and contact
    POST /api/sources/{id}/reports/{rid}/close     the source's token: close it; its contact is deleted

Filing is bounded: a small body, capped fields, a few reports per client address and hour (counted behind
trusted proxies as the query pool counts: hub/gateway/client_address.py), and a honeypot field (`website`) that
people leave empty and form-filling bots do not: such a report is answered as if kept, and dropped. A report's
text is stored as sent and only ever returned as JSON data; no page shows it. Reports never change data.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pyoxigraph import NamedNode

from hub.archive import reports
from hub.core.namespaces import DCTERMS, HUB
from hub.gateway.client_address import client_address
from hub.gateway.deps import caller, problem, reader, source_refusal, unknown_segment
from hub.gateway.request_body import BodyTooLarge, BodyTooSlow, read_capped
from hub.gateway.validate import RateLimiter
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Reports"])
MAX_BODY = 8192
HONEYPOT = "website"
PER_HOUR = 5


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "report_limiter", None)
    if limiter is None:
        limiter = request.app.state.report_limiter = RateLimiter(limit=PER_HOUR, window=3600.0)
    return limiter


def publishing_sources(hub: PublishedReader, entity: str) -> list[str]:
    """The ids of the sources whose published record graphs have the entity as their subject."""
    try:
        subject = NamedNode(entity)
    except ValueError:
        return []
    prefix = hub.minter.source("").value
    rows = hub.published().store.select(
        f"SELECT DISTINCT ?source WHERE {{ GRAPH {hub.minter.meta_graph()} {{ ?g <{HUB}recordSubject> {subject} ; "
        f"<{DCTERMS}source> ?source }} }}")
    return sorted(row["source"].value.removeprefix(prefix) for row in rows)


def _fields(body: bytes, content_type: str) -> dict[str, str] | None:
    """The report's fields from a JSON object or a form; None when the body is neither."""
    if content_type.startswith("application/json"):
        try:
            raw = json.loads(body)
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        return {key: value if isinstance(value, str) else "" for key, value in raw.items() if value is not None}
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return None
        return {key: values[0] for key, values in parsed.items()}
    return None


def _from_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded") \
        and "text/html" in request.headers.get("accept", "")


def _back_to_page(entity: str, lang: str, outcome: str) -> RedirectResponse:
    """A browser that sent the entity page's form goes back to the page, which says what happened."""
    return RedirectResponse(f"/id?{urlencode({'iri': entity, 'lang': lang, 'report': outcome})}", status_code=303)


@router.post("/api/reports", status_code=201, summary="Report a problem with an entity to the networks publishing it")
async def file_report(request: Request, hub: PublishedReader = Depends(reader)) -> Response:
    wait = _limiter(request).retry_after(client_address(request))
    if wait > 0:
        return JSONResponse({"type": "about:blank", "title": "Too many reports", "status": 429,
                             "detail": f"at most {PER_HOUR} reports an hour from one address: try again in "
                                       f"{int(wait) + 1} s"},
                            status_code=429, media_type="application/problem+json",
                            headers={"Retry-After": str(int(wait) + 1)})
    try:
        body = await read_capped(request, MAX_BODY)
    except BodyTooLarge:
        return problem(413, "Report too large", f"a report is at most {MAX_BODY} bytes: say what is wrong in "
                       f"{reports.MAX_WHAT} characters or fewer")
    except BodyTooSlow as error:
        return problem(408, "Report too slow", str(error))
    fields = _fields(body, request.headers.get("content-type", ""))
    if fields is None:
        return problem(415, "Unreadable report", "send a JSON object or a form (application/x-www-form-urlencoded) "
                       "with entity, what and, if you want an answer, contact")
    entity, what = fields.get("entity", "").strip(), fields.get("what", "").strip()
    contact, lang = fields.get("contact", "").strip(), fields.get("lang", "en")
    lang = lang if lang in ("fr", "nl", "en") else "en"
    if fields.get(HONEYPOT, "").strip():
        # A bot filled the field people never see: it is told nothing, and nothing is kept.
        return _back_to_page(entity, lang, "sent") if _from_form(request) else \
            JSONResponse({"status": "open"}, status_code=201)
    for name, value, cap in (("entity", entity, reports.MAX_ENTITY), ("what", what, reports.MAX_WHAT),
                             ("contact", contact, reports.MAX_CONTACT)):
        if len(value) > cap:
            return problem(413, "Field too long", f"{name} is at most {cap} characters ({len(value)} sent)",
                           parameter=name)
    if not entity or not what:
        missing = "entity" if not entity else "what"
        return problem(400, "Missing field", f"{missing} is required: the entity's IRI and what is wrong with it",
                       parameter=missing)
    sources = await run_in_threadpool(publishing_sources, hub, entity)
    if not sources:
        return problem(404, "Unknown entity", f"no network publishes {entity!r}: a report is about an entity the "
                       "hub publishes (its IRI, as its page shows it)", parameter="entity")
    report = await run_in_threadpool(reports.file, hub.data, entity, sources, what, contact)
    if _from_form(request):
        return _back_to_page(entity, lang, "sent")
    return JSONResponse({"id": report.id, "entity": entity, "status": report.status, "created": report.created},
                        status_code=201)


@router.get("/api/reports/open", summary="How many reports on an entity are open (never their text or contact)")
async def open_reports(entity: str = Query(..., max_length=reports.MAX_ENTITY),
                       hub: PublishedReader = Depends(reader)) -> Response:
    return JSONResponse({"entity": entity, "open": await run_in_threadpool(reports.open_count, hub.data, entity)})


def _shown(report: reports.Report) -> dict[str, Any]:
    return {key: value for key, value in asdict(report).items() if key != "history"}


@router.get("/api/sources/{source_id}/reports", summary="The reports on the source's entities (the source's token)")
async def source_reports(request: Request, source_id: str,
                         status: str = Query("open", pattern="^(open|closed|all)$"),
                         hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    found = await run_in_threadpool(reports.of_source, hub.data, source_id, None if status == "all" else status)
    return JSONResponse({"source": source_id, "status": status, "reports": [_shown(r) for r in found]})


@router.post("/api/sources/{source_id}/reports/{report_id}/close",
             summary="Close a report; its contact is deleted (the source's token)")
async def close_report(request: Request, source_id: str, report_id: str,
                       hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if (refusal := source_refusal(request, source_id)) is not None:
        return refusal
    report = await run_in_threadpool(reports.get, hub.data, report_id)
    if report is None or source_id not in report.sources:
        # Another network's report is not even said to exist.
        return problem(404, "Unknown report", f"source {source_id!r} has no report {report_id!r}")
    who = caller(request)
    by = "administrator" if who.admin else f"publisher token {who.token.id if who.token else '?'}"
    closed = await run_in_threadpool(reports.close, hub.data, report_id, by)
    assert closed is not None
    return JSONResponse(_shown(closed))
