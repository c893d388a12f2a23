"""`POST /api/validate` and the `/validate` page: publishers check a document before they publish it.

The same check as `mutualisons validate` (hub/pipeline/check.py: the same lifting, alignment, consent, charter
and verification), on the request body with its Content-Type or `?format=`. Nothing submitted is
stored: the document lives in memory for the time of the request. Bodies are capped, each client
address gets a small budget of checks per minute (SHACL validation costs CPU), and the check itself
runs in a worker process with a deadline and a memory limit (hub/pipeline/check_worker.py), never in the
server's: a hostile document costs a child process, not the hub.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from harvesters.formats import table
from harvesters.jsonld import Resolver, cached, shipped_then
from hub.core.profile import profile_path
from hub.gateway.client_address import client_address
from hub.gateway.deps import problem
from hub.gateway.form_data import read_form
from hub.gateway.language import api_language, area_words, said_lines
from hub.locale import LANGUAGES, translate
from hub.pages.i18n import negotiate, t
from hub.pages.validate_page import render_check_page
from hub.pipeline.check_worker import SUBMITTED, CheckRefused, CheckRequest, WorkerLimits, WorkerSlots
from hub.pipeline.fetch import FetchError, FetchPolicy, fetch, fetch_context

router = APIRouter(tags=["Validation"])

MAX_BYTES = 1024 * 1024


def _formats() -> list[str]:
    """The `format` values a check takes: every registered format (a mapping is sent, or suggested)."""
    return sorted(fmt.name for fmt in table())
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
__all__ = ["SUBMITTED", "router"]


class RateLimiter:
    """At most `limit` checks per `window` seconds per client address (a sliding window)."""

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 when the client may go ahead (and counts the check), else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients rather than grow without bound
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return 0.0


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "validate_limiter", None)
    if limiter is None:
        limiter = request.app.state.validate_limiter = RateLimiter()
    return limiter


def _max_bytes(request: Request) -> int:
    return int(getattr(request.app.state, "validate_max_bytes", MAX_BYTES))


class TooLarge(Exception):
    pass


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(request: Request) -> Response | None:
    wait = _limiter(request).retry_after(client_address(request))
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        response = problem(429, "Too many checks", f"this address may run {_limiter(request).limit} checks per "
                           f"{int(_limiter(request).window)} s; try again in {seconds} s")
        response.headers["Retry-After"] = str(seconds)
        return response
    return None


def _slots(request: Request) -> WorkerSlots:
    """The application's check workers (`app.state.validate_limits` may set other limits, e.g. in tests)."""
    slots = getattr(request.app.state, "validate_slots", None)
    if slots is None:
        limits = getattr(request.app.state, "validate_limits", None) or WorkerLimits()
        slots = request.app.state.validate_slots = WorkerSlots(limits)
    return slots


def _context_resolver(cap: int) -> Resolver:
    """Remote @contexts for a check: the shipped ones, else the guarded fetcher with no trusted host."""
    policy = FetchPolicy(max_bytes=cap)
    return shipped_then(cached(lambda url: fetch_context(url, policy)))


async def _check(request: Request, body: bytes, content_type: str | None, format_name: str | None,
                 language: str | None = None, mapping: str | None = None, filename: str | None = None,
                 lang: str | None = None) -> dict[str, Any]:
    """The report of a check run in a worker process, with its messages said in the request's language
    (`said`, as a run's are); raises CheckRefused."""
    settings = request.app.state.settings
    check = CheckRequest(body, content_type, format_name, settings.base_iri, language,
                         profile=str(profile_path(settings.sources_path)), mapping=mapping, filename=filename)
    report = await _slots(request).check(check, _context_resolver(_max_bytes(request)))
    lang = lang or api_language(request.scope)
    report["lang"] = lang
    words = area_words(settings.sources_path)
    report["said"] = {"errors": said_lines(report["errors"], lang, words),
                      "warnings": said_lines(report["warnings"], lang, words)}
    return report


def _refused_problem(refused: CheckRefused) -> Response:
    response = problem(refused.status, refused.title, refused.detail, line=refused.line, column=refused.column)
    if refused.status == 503:
        response.headers["Retry-After"] = "5"
    return response


@router.post("/api/validate", summary="Check a document against the charter (nothing is stored)")
async def validate_document(request: Request, format: str | None = None, url: str | None = None,
                            language: str | None = None) -> Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    if format is not None and format not in _formats():
        return problem(400, "Unknown format", f"format must be one of {', '.join(_formats())}")
    cap = _max_bytes(request)
    content_type = request.headers.get("content-type")
    mapping: str | None = None
    filename: str | None = None
    if url is not None:
        # Through the guarded fetcher, with no trusted host: public addresses only, the same caps.
        if not url.startswith(("http://", "https://")):
            return problem(400, "Bad url", "url must be an http(s) URL", parameter="url")
        try:
            fetched = await run_in_threadpool(fetch, url, FetchPolicy(max_bytes=cap))
        except FetchError as error:
            return problem(422, "Unreachable document", str(error), parameter="url")
        body, content_type = fetched.body, fetched.content_type
    else:
        try:
            # A form carries the document and its mapping (and their names): its parts, not only the document.
            body = await _read_capped(request, cap * 2 if _is_form(content_type) else cap)
        except TooLarge:
            return problem(413, "Document too large", f"documents are checked up to {cap} bytes")
    if url is None and _is_form(content_type):
        form = read_form(body, content_type or "")
        given = form.get("document")
        if given is None or not given.value.strip():
            return problem(400, "Empty document", "send the document as the request body, or as the `document` "
                           "field of a multipart form")
        if len(given.value) > cap or (form.get("mapping") is not None and len(form["mapping"].value) > cap):
            return problem(413, "Document too large", f"documents are checked up to {cap} bytes")
        body, content_type = given.value, given.content_type
        filename = given.filename or filename
        format = format or form.text("format") or None
        language = language or form.text("language") or None
        mapping = form.text("mapping") if form.get("mapping") is not None and form["mapping"].value.strip() \
            else None
        if format is not None and format not in _formats():
            return problem(400, "Unknown format", f"format must be one of {', '.join(_formats())}")
    if not body.strip():
        return problem(400, "Empty document", "send the document as the request body")
    if language is not None and not _LANGUAGE.match(language):
        return problem(400, "Bad language", "language must be a BCP 47 tag such as 'fr' or 'nl-BE'")
    try:
        report = await _check(request, body, content_type, format, language, mapping, filename)
    except CheckRefused as failure:
        return _refused_problem(failure)
    return JSONResponse(report)


# ---------------------------------------------------------------- the page


def _is_form(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith("multipart/form-data")


@router.get("/validate", summary="The page where publishers upload or paste a document to check",
            response_class=HTMLResponse)
def validate_page(request: Request) -> HTMLResponse:
    return HTMLResponse(render_check_page(request, negotiate(request), _formats()))


@router.post("/validate", response_class=HTMLResponse, include_in_schema=False)
async def validate_form(request: Request) -> Response:
    """The page's form: a file (or pasted text), its format, the language of its names and a mapping, as a
    multipart form (or the URL-encoded form of a page without file upload); the answer is the page with the
    verdict in the page's one language, the mapping suggested when the format needs one and none was sent."""
    lang = negotiate(request)
    cap = _max_bytes(request)
    formats = _formats()
    refused = _refusal(request)
    if refused is not None:  # the page, in its language, saying when to come back
        said = json.loads(bytes(refused.body))
        page = HTMLResponse(render_check_page(
            request, lang, formats, alert=f"{translate(lang, said['title'], 'problems')}: "
                                          f"{translate(lang, said['detail'], 'problems')}"), status_code=429)
        page.headers["Retry-After"] = refused.headers["Retry-After"]
        return page

    def answer(status: int, alert: str = "", report: dict[str, Any] | None = None,
               kept: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(render_check_page(request, lang, formats, report=report, alert=alert, **(kept or {})),
                            status_code=status)

    content_type = request.headers.get("content-type")
    try:
        raw = await _read_capped(request, cap * 3)  # percent-encoding inflates a document up to threefold
    except TooLarge:
        return answer(413, t(lang, "check_too_large", cap=cap))
    if _is_form(content_type):
        form = read_form(raw, content_type or "")
        upload = form.get("document")
        document = upload.value if upload is not None and upload.value.strip() else \
            form.text("text").encode("utf-8")
        filename = upload.filename if upload is not None and upload.filename and upload.value.strip() else None
        format_name, names = form.text("format") or None, form.text("language") or None
        mapping_part = form.get("mapping")
        mapping = mapping_part.value.decode("utf-8", errors="replace") \
            if mapping_part is not None and mapping_part.value.strip() else None
        pasted = "" if upload is not None and upload.value.strip() else form.text("text")
        chosen = form.text("lang")
    else:
        fields = parse_qs(raw.decode("utf-8", errors="replace"))
        pasted = fields.get("document", fields.get("text", [""]))[0]
        document, filename, mapping = pasted.encode("utf-8"), None, None
        format_name = fields.get("format", [""])[0] or None
        names = fields.get("language", [""])[0] or None
        chosen = fields.get("lang", [""])[0]
    if chosen in LANGUAGES and "lang" not in request.query_params:
        lang = chosen  # the form's own language field, for a form posted without ?lang=
    if format_name is not None and format_name not in formats:
        format_name = None
    if names is not None and not _LANGUAGE.match(names):
        names = None
    kept = {"text": pasted, "format_name": format_name or "", "names": names or ""}
    if not document.strip():
        return answer(400, t(lang, "check_empty"), kept=kept)
    if len(document) > cap or (mapping is not None and len(mapping.encode("utf-8")) > cap):
        return answer(413, t(lang, "check_too_large", cap=cap), kept=kept)
    try:
        # The page's language is the check's: its messages (`said`) come back in it.
        report = await _check(request, document, None, format_name, names, mapping, filename, lang)
    except CheckRefused as failure:
        detail = translate(lang, failure.detail, "problems")
        return answer(failure.status, f"{translate(lang, failure.title, 'problems')}: {detail}", kept=kept)
    report["filename"] = filename
    return answer(200, report=report, kept=kept)
