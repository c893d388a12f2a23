"""`/sparql`: the query side of the SPARQL 1.1 Protocol over the published generation. Read-only.

- GET with `query=`, POST form-encoded, POST direct (`application/sparql-query`, UTF-8 only);
  `default-graph-uri` / `named-graph-uri` (repeatable) override the query's own dataset. Without them
  the query's own FROM / FROM NAMED apply, and without those the default graph is the union of the
  public named graphs (the store's own default graph is empty).
- Updates get 403, whether sent as `update=` or `application/sparql-update`: the hub's data changes
  only through harvests (and `mutualisons load`), so every quad keeps its provenance.
- SERVICE and LOAD are refused before pyoxigraph sees the query (hub/sparql/guard.py), and the
  query workers have no network anyway (hub/core/sandbox.py). Queries run in a pool of worker processes,
  killed at the deadline.
- Every request is bounded: the body (`max_query_bytes`, read incrementally, 413) and the query string
  (414), the queries one client address may have running and waiting (429), the queries waiting in
  all (503), and each worker's memory (503). Waiting for a worker holds no thread.
- Without `query`: the query page when a browser asks for HTML, otherwise the Service Description.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pyoxigraph import NamedNode

from hub.gateway import query_page
from hub.gateway.client_address import client_address
from hub.gateway.deps import problem
from hub.gateway.request_body import BodyTooLarge, BodyTooSlow, read_capped
from hub.gateway.void import service_description_response
from hub.sparql import queries as named_queries
from hub.sparql.formats import prefers_html
from hub.sparql.guard import QueryRefused, check_query
from hub.sparql.pool import DEFAULT_DEADLINE, DEFAULT_MAX_QUERY_BYTES, DEFAULT_MAX_ROWS, QueryPool
from hub.sparql.remote_pool import RemoteQueryPool
from hub.store.reader import NotPublished, PublishedReader

router = APIRouter(tags=["SPARQL"])

TRUNCATED_HEADER = "Results-Truncated"
GUARD_INLINE = 64 * 1024  # characters of query the guard reads on the event loop itself


@dataclass(frozen=True)
class SparqlOptions:
    """What `serve --query-deadline/--max-rows/--query-workers/--query-memory/--max-query-bytes/
    --client-queries/--query-queue` set; None: the pool's default for its size."""

    deadline: float = DEFAULT_DEADLINE
    max_rows: int = DEFAULT_MAX_ROWS
    workers: int = 2
    memory_mib: int | None = None
    max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES
    client_queries: int | None = None
    max_waiting: int | None = None


class BadRequest(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@router.get("/sparql", summary="SPARQL 1.1 query (GET); without `query`, the query page or Service Description")
async def sparql_get(request: Request) -> Response:
    too_long = _long_query_string(request)
    if too_long is not None:
        return too_long
    try:
        params = _decode_form(request.url.query, "the query string")
    except BadRequest as error:
        return problem(error.status, error.title, error.detail)
    if "update" in params:
        return _refuse_update()
    if "query" not in params:
        if prefers_html(request.headers.get("accept")):
            return HTMLResponse(query_page.render(options(request).deadline, options(request).max_rows),
                                headers={"Vary": "Accept"})
        return service_description_response(request)
    return await _answer(request, params)


@router.post("/sparql", summary="SPARQL 1.1 query (POST, form-encoded or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = _charset(parameters)
    if media_type == "application/sparql-update":
        return _refuse_update()  # whatever its charset: the answer would be no anyway
    too_long = _long_query_string(request)
    if too_long is not None:
        return too_long
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        params = _decode_form(request.url.query, "the query string")
        if charset not in (None, "utf-8", "utf8", "us-ascii"):
            raise BadRequest(415, "Unsupported charset", f"the SPARQL Protocol takes UTF-8 only, not {charset}")
        if media_type == "application/x-www-form-urlencoded":
            for key, values in _decode_form(_utf8(body, "the form body"), "the form body").items():
                params.setdefault(key, []).extend(values)
        elif media_type == "application/sparql-query":
            if "query" in params:
                raise BadRequest(400, "Two queries", "a direct POST carries the query in its body, not in the URL")
            params["query"] = [_utf8(body, "the request body")]
        elif not media_type:
            # The protocol (W3C test bad_query_missing_form_type) makes this the client's plain 400.
            raise BadRequest(400, "Missing media type",
                             "say Content-Type: application/x-www-form-urlencoded or application/sparql-query")
        else:
            raise BadRequest(415, "Unsupported media type",
                             f"{media_type} is not a query: send application/x-www-form-urlencoded or "
                             "application/sparql-query")
    except BadRequest as error:
        return problem(error.status, error.title, error.detail)
    if "update" in params:
        return _refuse_update()
    return await _answer(request, params)


async def _body(request: Request) -> bytes | Response:
    """The POST body within its caps, or the problem that refuses it."""
    cap = options(request).max_query_bytes
    try:
        return await read_capped(request, cap)
    except BodyTooLarge:
        refused = problem(413, "Query too large",
                          f"the request body is over {cap} bytes, the most this endpoint takes "
                          f"(mutualisons serve --max-query-bytes); send a shorter query")
    except BodyTooSlow as slow:
        refused = problem(408, "Request body too slow",
                          f"the request body did not arrive within {slow.seconds:g} s; send it again")
    # The rest of the body is never read: the connection ends, so the client cannot go on sending.
    refused.headers["Connection"] = "close"
    return refused


def _long_query_string(request: Request) -> Response | None:
    cap = options(request).max_query_bytes
    if len(request.scope.get("query_string", b"")) <= cap:
        return None
    return problem(414, "Query string too long",
                   f"the query string is over {cap} bytes, the most this endpoint reads from a URL "
                   f"(mutualisons serve --max-query-bytes); send the query in the body of a POST instead")


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(400, "Not UTF-8", f"{where} is not UTF-8 at byte {error.start}: "
                                           "the SPARQL Protocol takes UTF-8 only") from None


def _decode_form(data: str, where: str) -> dict[str, list[str]]:
    """Percent-decoding that refuses bytes that are not UTF-8 instead of replacing them."""
    try:
        return parse_qs(data, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise BadRequest(400, "Not UTF-8", f"{where} holds a value that is not UTF-8 (byte {error.start}): "
                                           "the SPARQL Protocol takes UTF-8 only") from None


async def license_links(request: Request) -> str:
    """`Link` values for a SPARQL answer: each licence the published sources are under (rel="license") and where
    their attribution is (rel="author": /api/sources names each network and publisher). Any answer may draw on
    every source, so all of them are said; empty when nothing is published. Read once per generation (in a
    thread then; afterwards without one: a waiting thread is what starves a busy server)."""
    reader: PublishedReader = request.app.state.reader
    try:
        published = reader.published()
    except NotPublished:
        return ""
    number = published.generation.number
    # (generation, its sources' licences), replaced whole (threads read it).
    known: tuple[int, list[str]] | None = getattr(request.app.state, "sparql_licenses", None)
    if known is None or known[0] != number:
        rows = await run_in_threadpool(published.store.select, named_queries.load("source-attribution"))
        known = (number, sorted({row["license"].value for row in rows if "license" in row}))
        request.app.state.sparql_licenses = known
    base = str(request.base_url)
    return ", ".join([f'<{licence}>; rel="license"' for licence in known[1]]
                     + [f'<{base}api/sources>; rel="author"'])


def _refuse_update() -> Response:
    return problem(403, "Updates are refused",
                   "this endpoint is read-only: the hub's data changes only through harvests, "
                   "so every quad keeps its provenance")


def pool(request: Request) -> QueryPool | RemoteQueryPool:
    query_pool: QueryPool | RemoteQueryPool = request.app.state.query_pool
    return query_pool


def options(request: Request) -> SparqlOptions:
    sparql_options: SparqlOptions = request.app.state.sparql_options
    return sparql_options


async def _answer(request: Request, params: dict[str, list[str]]) -> Response:
    queries = params.get("query", [])
    if len(queries) != 1:
        return problem(400, "One query", f"give exactly one 'query' parameter (got {len(queries)})")
    query = queries[0]
    try:
        if len(query) > GUARD_INLINE:  # the guard reads about 2 MB a second: not on the event loop
            await run_in_threadpool(check_query, query)
        else:
            check_query(query)
    except QueryRefused as error:
        return problem(400, "Query refused", str(error))
    dataset: dict[str, tuple[str, ...] | None] = {}
    for name, key in (("default-graph-uri", "default_graphs"), ("named-graph-uri", "named_graphs")):
        values = params.get(name)
        try:
            dataset[key] = tuple(NamedNode(iri).value for iri in values) if values is not None else None
        except ValueError as error:
            return problem(400, "Bad dataset", f"default-graph-uri and named-graph-uri take absolute IRIs: {error}")
    answer = await pool(request).execute(query, client=client_address(request),
                                         accept=request.headers.get("accept"), **dataset)
    if answer.status != 200:
        refused = problem(answer.status, answer.title, answer.detail)
        if answer.retry_after is not None:
            refused.headers["Retry-After"] = str(answer.retry_after)
        return refused
    headers = {"Vary": "Accept"}
    links = await license_links(request)
    if links:
        headers["Link"] = links
    if answer.truncated:
        headers[TRUNCATED_HEADER] = f"max-rows={pool(request).max_rows}"
    if answer.whole is not None:
        return Response(answer.whole, media_type=answer.media_type, headers=headers)
    return StreamingResponse(answer.body, media_type=answer.media_type, headers=headers)
