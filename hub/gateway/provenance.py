"""`/api/provenance?subject=&predicate=&object=`: every matching quad with where it came from; an `owl:sameAs` the
hub's linker wrote also with its link (rule, score, evidence, or the person's decision)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, parse

from hub.core.iris import link_key
from hub.gateway.deps import problem, reader
from hub.gateway.http_cache import answer
from hub.gateway.links import link_table
from hub.sparql import queries
from hub.store import entity_view
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Provenance"])
MAX_STATEMENTS = 1000
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
IRI_SCHEMES = ("http://", "https://", "urn:", "mailto:", "file:")


@router.get("/api/provenance", summary="Every matching quad with its graph, source, run, document, fetch and licence")
async def provenance(
    request: Request,
    subject: str | None = Query(None, description="the IRI of the thing asked about",
                                examples=["https://potager-des-marolles.example/id/org"]),
    predicate: str | None = Query(None, description="a property IRI", examples=["https://schema.org/name"]),
    object: str | None = Query(None, description="an N-Triples term: <IRI>, \"text\"@fr, \"4.35\"^^<…#decimal>",
                               examples=['"Potager des Marolles"@fr']),
    cluster: bool = Query(False, description="with subject: the statements about every IRI of its cluster (the "
                                             "IRIs the links graph joins to it)"),
    hub: PublishedReader = Depends(reader),
) -> Response:
    if subject is None and predicate is None and object is None:
        return problem(400, "Bad parameter", "subject, predicate or object is required (at least one)",
                       parameter="subject")
    values: list[str] = []
    for name, value in (("subject", subject), ("predicate", predicate)):
        if value is None:
            continue
        if not value.startswith(IRI_SCHEMES):
            return problem(400, "Bad parameter", f"{name} must be an absolute IRI", parameter=name)
        try:
            values.append(f"VALUES ?{name[0]} {{ {NamedNode(value)} }}")
        except ValueError as error:
            return problem(400, "Bad parameter", f"{name} is not a valid IRI: {error}", parameter=name)
    members = [subject] if subject is not None else []
    if cluster and subject is not None:
        _, members = await run_in_threadpool(entity_view.cluster_of, hub.published().store, subject,
                                             hub.minter.meta_graph(), hub.minter.links_graph())
        values[0] = f"VALUES ?s {{ {' '.join(str(NamedNode(member)) for member in members)} }}"
    if object is not None:
        term = _ntriples_term(object)
        if term is None:
            return problem(400, "Bad parameter", 'object expects one N-Triples term: <IRI>, "text", "texte"@fr '
                           'or "4.35"^^<http://www.w3.org/2001/XMLSchema#decimal>', parameter="object")
        values.append(f"VALUES ?o {{ {term} }}")
    published = hub.published()
    text = queries.render("quad-provenance", meta=hub.minter.meta_graph()).replace(
        "#VALUES", " ".join(values)) + f" LIMIT {MAX_STATEMENTS + 1}"
    rows = await run_in_threadpool(published.store.select, text)
    upstream = await run_in_threadpool(_upstreams, published.store, hub, {row["g"] for row in rows[:MAX_STATEMENTS]})
    statements = []
    links_graph = hub.minter.links_graph().value
    for row in rows[:MAX_STATEMENTS]:
        statements.append({
            "subject": _term(row["s"]) if subject is None else None,
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
            "upstream": upstream.get(row["g"].value, []),
        })
        if subject is not None and len(members) == 1:
            del statements[-1]["subject"]
        if row["p"].value == OWL_SAME_AS and row["g"].value == links_graph and isinstance(row["o"], NamedNode):
            # A link the hub computed: the rule, score and evidence that made it, or the person who decided.
            statements[-1]["link"] = await _link(hub, row["s"].value, row["o"].value)
    document: dict[str, Any] = {"subject": subject, "predicate": predicate, "object": object,
                                **({"members": members} if cluster and subject is not None else {}),
                              "generation": published.generation.number, "statements": statements,
                              "truncated": len(rows) > MAX_STATEMENTS}
    return answer(request, json.dumps(document, ensure_ascii=False).encode("utf-8"), "application/json",
                  published.generation.number)


def _upstreams(store: Any, hub: PublishedReader, graphs: set[Any]) -> dict[str, list[dict[str, str | None]]]:
    """Record graph -> the upstream sources it was derived from, with their titles and, for another hub's record
    graphs, their source, run, document and licence (sparql/record-upstreams.rq)."""
    if not graphs:
        return {}
    values = "VALUES ?g { " + " ".join(str(graph) for graph in sorted(graphs, key=str)) + " }"
    text = queries.render("record-upstreams", meta=hub.minter.meta_graph()).replace("#VALUES", values)
    found: dict[str, dict[str, str | None]] = {}
    for row in store.select(text):
        entry = found.setdefault(f"{row['g'].value} {row['upstream'].value}",
                                 {"graph": row["g"].value, "iri": row["upstream"].value, "title": None})
        entry["title"] = entry["title"] or _value(row.get("title"))
        # Another hub's record graph: its source, run, original document and licence (docs/federation.md).
        for name in ("source", "run", "document", "license"):
            if row.get(name) is not None:
                entry[name] = entry.get(name) or _value(row.get(name))
    upstream: dict[str, list[dict[str, str | None]]] = {}
    for entry in found.values():
        upstream.setdefault(str(entry.pop("graph")), []).append(entry)
    return upstream

async def _link(hub: PublishedReader, first: str, second: str) -> dict[str, Any] | None:
    table = await run_in_threadpool(link_table, hub)
    link = table.links.get(link_key(first, second))
    if link is None:
        return None
    return {name: link.get(name) for name in ("iri", "status", "rule", "score", "evidence", "generatedAtTime",
                                              "decision")}


def _ntriples_term(text: str) -> Any:
    """The one term an N-Triples object position holds, or None when the text is not one."""
    try:
        triples = list(parse(f"<urn:x:s> <urn:x:p> {text} .\n".encode(), format=RdfFormat.N_TRIPLES))
    except (SyntaxError, ValueError):
        return None
    if len(triples) != 1 or isinstance(triples[0].object, BlankNode):
        return None
    return triples[0].object


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
