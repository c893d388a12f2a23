"""`/sparql`: the SPARQL 1.1 query endpoint over the published generation. Read-only.

The default graph is the union of the public named graphs (the store's own default graph is empty).
SERVICE and LOAD are refused before pyoxigraph sees the query: the hub never fetches on a stranger's
behalf.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pyoxigraph import NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from hub.api.deps import problem, reader
from hub.reader import PublishedReader
from hub.sparql_guard import QueryRefused, check_query

router = APIRouter(tags=["SPARQL"])

SPARQL_JSON = "application/sparql-results+json"
_POSITION = re.compile(r"^error at (?P<line>\d+):(?P<column>\d+): (?P<reason>.*)$", re.DOTALL)
TURTLE = "text/turtle"


@router.get("/sparql", summary="SPARQL 1.1 query (GET)")
async def sparql_get(request: Request, hub: PublishedReader = Depends(reader)) -> Response:
    params = parse_qs(request.url.query, keep_blank_values=True)
    return await _answer(hub, params)


@router.post("/sparql", summary="SPARQL 1.1 query (POST, form-encoded or application/sparql-query)")
async def sparql_post(request: Request, hub: PublishedReader = Depends(reader)) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    params = parse_qs(request.url.query, keep_blank_values=True)
    if media_type == "application/x-www-form-urlencoded":
        for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    elif media_type == "application/sparql-query":
        params["query"] = [body.decode("utf-8", "replace")]
    elif media_type == "application/sparql-update":
        return _refuse_update()
    else:
        return problem(415, "Unsupported media type",
                       "send application/x-www-form-urlencoded or application/sparql-query")
    return await _answer(hub, params)


def syntax_message(message: str) -> str:
    """pyoxigraph says `error at 1:25: …`; say line and column in words."""
    match = _POSITION.match(message)
    if match:
        return f"line {match['line']}, column {match['column']}: {match['reason']}"
    return message


def _refuse_update() -> Response:
    return problem(403, "Updates are refused",
                   "this endpoint is read-only: the hub's data changes only through harvests, "
                   "so every quad keeps its provenance")


async def _answer(hub: PublishedReader, params: dict[str, list[str]]) -> Response:
    if "update" in params:
        return _refuse_update()
    queries = params.get("query", [])
    if len(queries) != 1:
        return problem(400, "Missing query", "give exactly one 'query' parameter")
    query = queries[0]
    try:
        check_query(query)
    except QueryRefused as error:
        return problem(400, "Query refused", str(error))
    try:
        default_graphs = [NamedNode(iri) for iri in params.get("default-graph-uri", [])]
        named_graphs = [NamedNode(iri) for iri in params.get("named-graph-uri", [])]
    except ValueError as error:
        return problem(400, "Bad dataset", f"default-graph-uri and named-graph-uri take absolute IRIs: {error}")
    published = hub.published()

    def run() -> tuple[bytes, str]:
        result = published.store.query(
            query,
            default_graphs=default_graphs or None,
            named_graphs=named_graphs or None,
        )
        if isinstance(result, QuerySolutions | QueryBoolean):
            return result.serialize(format=QueryResultsFormat.JSON) or b"", SPARQL_JSON
        return result.serialize(format=RdfFormat.TURTLE) or b"", TURTLE

    try:
        content, media_type = await run_in_threadpool(run)
    except SyntaxError as error:
        return problem(400, "SPARQL syntax error", syntax_message(str(error)))
    except (ValueError, OSError, RuntimeError) as error:
        return problem(400, "Query failed", str(error))
    return Response(content, media_type=media_type)
