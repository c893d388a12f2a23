"""Entity pages: every IRI the hub mints dereferences (`/id/…`, `/source/…`, `/run/…`, `/fetch/…`, `/graph/…`,
`/payload/…`, `/migration/…`, `/link/…`), and `/id?iri=` shows any IRI the store holds; HTML, TriG, Turtle, N-Quads
or JSON-LD. A member of a cluster (IRIs of one alternative the links graph joins) answers 303 See Other to the
cluster's canonical IRI, whose view holds every member's graphs."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pyld import jsonld
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from hub.core.namespaces import PREFIXES
from hub.gateway.deps import problem
from hub.gateway.http_cache import answer
from hub.store import entity_view
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Entities"])

FORMATS = {
    "html": "text/html; charset=utf-8",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "ttl": "text/turtle; charset=utf-8",
    "nq": "application/n-quads",
}
BY_ACCEPT = {"text/html": "html", "application/ld+json": "jsonld", "application/json": "jsonld",
             "application/trig": "trig", "text/turtle": "ttl", "application/n-quads": "nq"}
FORMAT_HELP = "html, jsonld, trig, ttl or nq (else chosen by Accept; HTML for browsers, JSON-LD otherwise)"


def _wanted(format_parameter: str | None, accept: str) -> str | None:
    if format_parameter is not None:
        return format_parameter if format_parameter in FORMATS else None
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in BY_ACCEPT:
            return BY_ACCEPT[media]
    return "jsonld"


async def show(request: Request, iri: str, format_parameter: str | None, entity_page: bool = False) -> Response:
    wanted = _wanted(format_parameter, request.headers.get("accept", ""))
    if wanted is None:
        return problem(400, "Bad parameter", f"format expects one of {', '.join(FORMATS)}", parameter="format")
    if wanted == "html" and entity_page:
        # Entities get the site's page (fr/nl/en, source badges, verification label, report a problem).
        from hub.pages.routes import entity_html

        return await entity_html(request, iri)
    hub: PublishedReader = request.app.state.reader
    published = hub.published()
    try:
        NamedNode(iri)
    except ValueError as error:
        return problem(400, "Bad parameter", f"iri expects an absolute IRI: {error}", parameter="iri")
    meta = hub.minter.meta_graph()
    view = await run_in_threadpool(entity_view.build, published.store, iri, meta, hub.minter.links_graph())
    if view.empty:
        return problem(404, "Not found", f"the published data says nothing about <{iri}>")
    if view.same_as and view.canonical != iri:
        # One alternative, several IRIs (the links graph): each member dereferences to the cluster's own.
        return RedirectResponse(canonical_location(request, view.canonical, format_parameter), status_code=303)
    body = await run_in_threadpool(_render, view, wanted, str(request.base_url), meta.value)
    return answer(request, body, FORMATS[wanted], published.generation.number,
                  {"Link": f'<{view.canonical or iri}>; rel="canonical"'})


def canonical_location(request: Request, canonical: str, format_parameter: str | None = None) -> str:
    """Where a cluster's canonical IRI is served on this hub: its own path when the hub minted it, else `/id?iri=`."""
    hub: PublishedReader = request.app.state.reader
    base = str(request.base_url)
    if canonical.startswith(hub.minter.base):
        location = base + canonical[len(hub.minter.base):]
        separator = "&" if "?" in location else "?"
    else:
        location, separator = f"{base}id?iri={quote(canonical, safe='')}", "&"
    return location + (f"{separator}format={quote(format_parameter)}" if format_parameter else "")


def _render(view: entity_view.EntityView, wanted: str, base: str, meta: str) -> bytes:
    quads = view.quads()
    if wanted == "nq":
        return serialize(quads, format=RdfFormat.N_QUADS) or b""
    if wanted == "trig":
        return serialize(quads, format=RdfFormat.TRIG, prefixes=PREFIXES) or b""
    if wanted == "ttl":
        triples = [Quad(q.subject, q.predicate, q.object) for q in quads]
        return serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    if wanted == "jsonld":
        expanded = json.loads(serialize(quads, format=RdfFormat.JSON_LD) or b"[]")
        # One named graph per record graph, plus the meta graph's descriptions of them: a JSON-LD dataset.
        compacted: dict[str, Any] = jsonld.compact(expanded, {"@context": PREFIXES})
        return json.dumps(compacted, ensure_ascii=False).encode("utf-8")
    return _html(view, base, meta).encode("utf-8")


def _term_html(term: Any, base: str) -> str:
    if isinstance(term, NamedNode):
        return f'<a href="{base}id?iri={quote(term.value, safe="")}">{html.escape(term.value)}</a>'
    if isinstance(term, Literal):
        language = f' <small lang="{html.escape(term.language)}">@{html.escape(term.language)}</small>' \
            if term.language else ""
        return f"{html.escape(term.value)}{language}"
    return f"<code>_:{html.escape(term.value)}</code>"


def _html(view: entity_view.EntityView, base: str, meta: str) -> str:
    """Each value with the graph it lies in and that graph's source, run, fetch time and licence: values
    from different sources stay side by side, never collapsed into one."""
    described: dict[str, dict[str, list[str]]] = {}
    for quad in view.descriptions:
        if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode | Literal):
            about = described.setdefault(quad.subject.value, {})
            about.setdefault(quad.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], []).append(quad.object.value)
    rows = []
    for graph, quads in view.graphs.items():
        # A record graph's fetch time and licence are its fetch node's, unless it has a licence of its own.
        facts = {key: values for fetch in described.get(graph, {}).get("fetch", [])
                 for key, values in described.get(fetch, {}).items()} | described.get(graph, {})
        where = " · ".join(html.escape(", ".join(facts.get(key, []))) for key in
                           ("source", "wasGeneratedBy", "generatedAtTime", "license") if facts.get(key))
        for quad in quads:
            rows.append(
                f"<tr><td>{_term_html(quad.subject, base)}</td><td>{_term_html(quad.predicate, base)}</td>"
                f"<td>{_term_html(quad.object, base)}</td>"
                f'<td><a href="{base}id?iri={quote(graph, safe="")}">{html.escape(graph)}</a>'
                f"<br><small>{where}</small></td></tr>")
    same = "".join(f"<li>{_term_html(NamedNode(other), base)}</li>" for other in view.same_as)
    link = quote(view.iri, safe="")
    alternates = " · ".join(f'<a href="{base}id?iri={link}&amp;format={f}">{f}</a>' for f in FORMATS if f != "html")
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(view.iri)} — Mutualisons</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{border-top:1px solid #ddd;padding:4px;vertical-align:top}}</style>
</head><body>
<h1>{html.escape(view.iri)}</h1>
<p>Données / Gegevens / Data: {alternates} ·
<a href="{base}api/provenance?subject={link}">provenance</a></p>
{f"<p>owl:sameAs / schema:sameAs</p><ul>{same}</ul>" if same else ""}
<table><thead><tr><th>sujet / onderwerp</th><th>propriété / eigenschap</th><th>valeur / waarde</th>
<th>graphe · source · run · date · licence</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></body></html>"""


def _minted(request: Request) -> str:
    hub: PublishedReader = request.app.state.reader
    # The raw path keeps percent-encoded key segments as the minter wrote them into the IRI.
    raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    return hub.minter.base + raw.decode("latin-1").split("?", 1)[0].lstrip("/")


@router.get("/id", summary="Any entity the store holds, whatever its namespace")
async def any_entity(request: Request, iri: str = Query(..., description="the IRI to show",
                                                        examples=["https://potager-des-marolles.example/id/org"]),
                     format: str | None = Query(None, description=FORMAT_HELP)) -> Response:
    return await show(request, iri, format, entity_page=True)


async def minted(request: Request, format: str | None = Query(None, description=FORMAT_HELP)) -> Response:
    iri = _minted(request)
    if not _is_iri(iri):
        # A space, `>` or NUL in a path segment: the minter never makes such an IRI, so nothing lives there.
        return problem(404, "Not found", f"no entity at {request.url.path!r}: the hub's IRIs hold no spaces, "
                       "control characters or any of <>\"{}|\\^` (keys are percent-encoded)")
    return await show(request, iri, format, entity_page=request.url.path.startswith("/id/"))


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


_EXAMPLES = {"kind": "organization", "key": "jardins-partages-jp-01", "source_id": "assiette-commune",
             "timestamp": "20261129T045825253419Z", "name": "meta", "document": "5d1b6e3c0f4a2b8e9c7d",
             "sha256": "f8f89e9c84a24b63d6fdf219ae7b2f608a45a97371ae5c462ea8ff2098716fda"}

for _path, _summary in (
    ("/id/{kind}/{key:path}", "An entity the hub minted an IRI for"),
    ("/source/{source_id}", "A source (DCAT dataset)"),
    ("/run/{source_id}/{timestamp:path}", "A harvest run"),
    ("/fetch/{source_id}/{timestamp}/{document}", "One document as one run fetched it: URL, time, payload, licence"),
    ("/migration/{timestamp}", "A migration of the data folder's provenance to the current model"),
    ("/link/{key}", "A link between two IRIs of one alternative: its status, rule, score, evidence, decision"),
    ("/graph/{source_id}/{key:path}", "A record graph and its provenance"),
    ("/graph/{name}", "A graph the hub writes itself (meta, sources, …): its description"),
    ("/payload/{sha256}", "The description of fetched bytes (the bytes stay admin-only)"),
):
    # The handler reads the raw path (the minted IRI), so the path parameters are described here.
    _names = [part.strip("{}").split(":")[0] for part in _path.split("/") if part.startswith("{")]
    router.add_api_route(_path, minted, methods=["GET"], summary=_summary, response_class=Response,
                         openapi_extra={"parameters": [
                             {"name": n, "in": "path", "required": True, "schema": {"type": "string"},
                              "example": _EXAMPLES[n]} for n in _names]})
