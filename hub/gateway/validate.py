"""`POST /api/validate` and the `/validate` page: publishers check a document before they publish it.

The same check as `mutualisons validate` (hub/pipeline/check.py: the same lifting, alignment, consent, charter
and verification), on the request body with its Content-Type or `?format=`. Nothing submitted is
stored: the document lives in memory for the time of the request. Bodies are capped, each client
address gets a small budget of checks per minute (SHACL validation costs CPU), and the check itself
runs in a worker process with a deadline and a memory limit (hub/pipeline/check_worker.py), never in the
server's: a hostile document costs a child process, not the hub.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from html import escape
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
from hub.pipeline.check_worker import SUBMITTED, CheckRefused, CheckRequest, WorkerLimits, WorkerSlots
from hub.pipeline.fetch import FetchError, FetchPolicy, fetch, fetch_context

router = APIRouter(tags=["Validation"])

MAX_BYTES = 1024 * 1024


def _formats() -> list[str]:
    """The `format` values a check takes: the registered formats that need no mapping (none can be sent)."""
    return sorted(fmt.name for fmt in table() if fmt.mapping != "required")
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
                 language: str | None = None) -> dict[str, Any]:
    """The report of a check run in a worker process; raises CheckRefused."""
    settings = request.app.state.settings
    check = CheckRequest(body, content_type, format_name, settings.base_iri, language,
                         profile=str(profile_path(settings.sources_path)))
    return await _slots(request).check(check, _context_resolver(_max_bytes(request)))


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
            body = await _read_capped(request, cap)
        except TooLarge:
            return problem(413, "Document too large", f"documents are checked up to {cap} bytes")
    if not body.strip():
        return problem(400, "Empty document", "send the document as the request body")
    if language is not None and not _LANGUAGE.match(language):
        return problem(400, "Bad language", "language must be a BCP 47 tag such as 'fr' or 'nl-BE'")
    try:
        report = await _check(request, body, content_type, format, language)
    except CheckRefused as failure:
        return _refused_problem(failure)
    return JSONResponse(report)


# ---------------------------------------------------------------- the page

_FORM = """<form method="post" action="/validate">
<p><label>Format <select name="format"><option value="">(detect)</option>{options}</select></label>
<label>File <input type="file" id="file" accept="{extensions}"></label>
<label>Language <select name="lang"><option>fr</option><option>nl</option><option>en</option></select></label></p>
<p><textarea name="document" id="document" rows="18" cols="100"
 placeholder="Turtle, JSON-LD, RDF/XML…">{document}</textarea></p>
<p><button type="submit">Vérifier / Controleren / Check</button></p></form>
<script>document.getElementById('file').addEventListener('change', e => {{ const f = e.target.files[0];
if (f) f.text().then(t => {{ document.getElementById('document').value = t; }}); }});</script>"""


def _page(body: str, document: str = "") -> str:
    options = "".join(f"<option>{name}</option>" for name in _formats())
    extensions = ",".join(extension for fmt in table() if fmt.name in _formats() for extension in fmt.extensions)
    return ('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Mutualisons — vérifier un flux'
            '</title><style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}'
            '.rejected{color:#a00}.accepted{color:#070}</style></head><body>'
            '<h1>Vérifier un document / Een document controleren / Check a document</h1>'
            '<p>Collez ou chargez votre document : le hub le juge comme une moisson, sans rien garder. '
            'The rules: <a href="/shapes">/shapes</a>.</p>'
            + _FORM.format(options=options, extensions=escape(extensions), document=escape(document)) + body
            + "</body></html>")


@router.get("/validate", summary="The page where publishers paste or upload a document to check",
            response_class=HTMLResponse)
def validate_page() -> HTMLResponse:
    return HTMLResponse(_page(""))


@router.post("/validate", response_class=HTMLResponse, include_in_schema=False)
async def validate_form(request: Request) -> Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    cap = _max_bytes(request)
    try:
        raw = await _read_capped(request, cap * 3)  # percent-encoding inflates a document up to threefold
    except TooLarge:
        return HTMLResponse(_page(f"<p class=rejected>Document too large: up to {cap} bytes.</p>"), status_code=413)
    fields = parse_qs(raw.decode("utf-8", errors="replace"))
    document = fields.get("document", [""])[0]
    format_name = fields.get("format", [""])[0] or None
    lang = fields.get("lang", ["fr"])[0] if fields.get("lang", ["fr"])[0] in ("fr", "nl", "en") else "fr"
    if format_name is not None and format_name not in _formats():
        format_name = None
    if not document.strip():
        return HTMLResponse(_page("<p class=rejected>Empty document.</p>"), status_code=400)
    if len(document.encode("utf-8")) > cap:
        return HTMLResponse(_page(f"<p class=rejected>Document too large: up to {cap} bytes.</p>", document),
                            status_code=413)
    try:
        report = await _check(request, document.encode("utf-8"), None, format_name)
    except CheckRefused as failure:
        return HTMLResponse(_page(f"<p class=rejected>{escape(failure.title)}: {escape(failure.detail)}</p>",
                                  document), status_code=failure.status)
    return HTMLResponse(_page(_report_html(report, lang), document))


def _report_html(report: dict[str, Any], lang: str) -> str:
    verdict = ("conforme / conform / conforms" if report["conforms"]
               else "non conforme / niet conform / does not conform")
    parts = [f"<h2>{escape(verdict)}</h2><ul>"]
    for record in report["records"]:
        state = "accepted" if record["accepted"] else "rejected"
        parts.append(f'<li class={state}><b>{state}</b> <code>{escape(record["subject"])}</code> '
                     f'({escape(record["kind"])})<ul>')
        for result in record["results"]:
            value = f' — <code>{escape(str(result["value"]))}</code>' if result["value"] is not None else ""
            parts.append(f'<li>{escape(result["severity"])}: {escape(result["message"][lang])}{value}</li>')
        parts.append("</ul></li>")
    parts.append("</ul>")
    for practitioner, status in report["verification"].items():
        parts.append(f"<p>{escape(practitioner)}: {escape(status['label'][lang])} "
                     f"({status['recommendations']})</p>")
    # What a harvest of the document would record: its errors (failed rows, no record: why) and warnings.
    said = report["no_record"]
    rows = report["errors"][:len(report["errors"]) - len(said)]  # the failed rows, then the no-record lines
    parts += [f"<p class=rejected>✗ {escape(error)}</p>" for error in rows]
    parts += [f"<p class=rejected>✗ {escape(notice['message'][lang])}</p>" for notice in said]
    parts += [f"<p>⚠ {escape(w)}</p>" for w in report["warnings"]]
    counts = report["counts"]
    parts.append(f"<p>{escape(_HARVEST_WOULD[lang].format(status=report['status'], **counts))}</p>")
    return "".join(parts)


_HARVEST_WOULD = {
    "fr": "Une moisson de ce document finirait « {status} » : {accepted} acceptée(s), {rejected} refusée(s), "
          "{warned} avertissement(s).",
    "nl": "Een oogst van dit document zou eindigen als '{status}': {accepted} aanvaard, {rejected} geweigerd, "
          "{warned} waarschuwing(en).",
    "en": "A harvest of this document would end '{status}': {accepted} accepted, {rejected} rejected, "
          "{warned} warning(s).",
}
