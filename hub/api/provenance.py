"""`/api/provenance?subject=IRI`: every triple about a subject with where it came from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pyoxigraph import BlankNode, Literal, NamedNode

from hub import queries
from hub.api.deps import problem, reader
from hub.reader import PublishedReader

router = APIRouter(tags=["Provenance"])


@router.get("/api/provenance", summary="Every triple about a subject, with its graph, source, run and fetch")
async def provenance(
    subject: str = Query(..., description="the IRI of the thing asked about"),
    hub: PublishedReader = Depends(reader),
) -> Response:
    if not subject.startswith(("http://", "https://", "urn:", "mailto:", "file:")):
        return problem(400, "Bad parameter", "subject must be an absolute IRI", parameter="subject")
    try:
        subject_node = NamedNode(subject)
    except ValueError as error:
        return problem(400, "Bad parameter", f"subject is not a valid IRI: {error}", parameter="subject")
    published = hub.published()
    text = queries.render("provenance", subject=subject_node, meta=hub.minter.meta_graph())
    rows = await run_in_threadpool(published.store.select, text)
    statements = []
    for row in rows:
        statements.append({
            "predicate": row["p"].value,
            "object": _term(row["o"]),
            "graph": row["g"].value,
            "source": _value(row.get("source")),
            "run": _value(row.get("run")),
            "document": _value(row.get("document")),
            "fetched": _value(row.get("fetched")),
            "changed": _value(row.get("changed")),
            "license": _value(row.get("license")),
            "payload": _value(row.get("payload")),
        })
    return JSONResponse({"subject": subject, "generation": published.generation.number,
                         "statements": statements})


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _term(term: Any) -> dict[str, Any]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    assert isinstance(term, Literal)
    shown: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        shown["xml:lang"] = term.language
    else:
        shown["datatype"] = term.datatype.value
    return shown
