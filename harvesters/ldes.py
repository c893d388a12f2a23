"""Linked Data Event Streams (format `ldes`): another hub's `/ldes`, or any SEMIC LDES, followed page by page.

**Walking.** The configured URL is the stream (`ldes:EventStream`); its `tree:view` (or, without one, the stream's
own relations) and every `tree:relation` from there are followed through the hub's guarded fetcher, breadth first,
on the stream's own scheme, host and port only, at most MAX_PAGES pages (and the hub's bounds of a walk). A page
its server said never changes (`Cache-Control: immutable`) and that an earlier run read is not asked again: the
hub gives the body it kept (hub/pipeline/documents.py remembers such pages in the source's state), so a run
fetches only the stream, its view and the pages that are new or may still change.

**The current state.** The members of all the pages are versions (`ldes:versionOfPath`, default
`dcterms:isVersionOf`; `ldes:timestampPath`, default `prov:generatedAtTime`). The latest version of each entity
wins, and an entity whose latest version is a deletion (`ldes:versionDeleteObject`, or `as:Delete`) is gone: the
hub then tombstones what it had of it, as for a record that left any feed. What the walk yields is one document
the fetch function composes from the pages (nothing in it comes from anywhere else): N-Quads, each current
version's statements in the named graph of the entity it is a version of. With the hub's own streams that entity
is the upstream record graph, so the hub's usual reading of a feed that names its graphs applies: each record is
`prov:wasDerivedFrom` its upstream graphs, and what the stream says of each version (its source, run, fetch
document, licence, content hash, time) is said of the upstream graph, kept in the source's upstream graph as the
upstream's provenance, never as data (docs/federation.md).

A member of a stream that does not put its statements in a named graph of its own (a plain LDES: the version's
statements are about the version IRI) gives the entity the version's statements, but for the stream's own terms.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse, serialize

from harvesters.formats import D, DocumentContext, Format, LiftError, LiftResult, looks_like_json, opening
from harvesters.limits import TooDeep, check_json_depth
from harvesters.paging import Fetch
from harvesters.rdf import lift_syntax

NAME = "ldes"
LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
HUB = "https://w3id.org/mutualisons/ns#"
MAX_PAGES = 5000
# What a version says of itself that is provenance, said of the upstream graph (the hub's stream: hub/gateway/
# event_stream.py); any other statement about a version IRI is the stream's, not the entity's.
PROVENANCE = {DCTERMS + "source", PROV + "wasGeneratedBy", DCTERMS + "license", HUB + "contentHash",
              HUB + "recordSubject", HUB + "fetch", PROV + "wasDerivedFrom"}
STREAM_TERMS = {RDF_TYPE, DCTERMS + "isVersionOf", PROV + "generatedAtTime", *PROVENANCE}


class Composes(Protocol):
    """The hub's fetch function can compose a document of the documents it gave (hub/pipeline/documents.py)."""

    def compose(self, url: str, body: bytes, content_type: str) -> Any: ...


def _format_of(document: Any) -> RdfFormat:
    media = (document.content_type or "").split(";")[0].strip().lower()
    known = {"application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG,
             "text/turtle": RdfFormat.TURTLE, "application/ld+json": RdfFormat.JSON_LD,
             "application/n-triples": RdfFormat.N_TRIPLES}
    if media in known:
        return known[media]
    head = opening(document.body)
    if looks_like_json(head):
        return RdfFormat.JSON_LD
    return RdfFormat.TRIG  # reads Turtle too; N-Quads comes labelled (the hub's pages, a kept page: see _read)


def _read(document: Any) -> list[Quad]:
    """A page's quads; a page kept from an earlier run has no media type, and is tried as N-Quads, then the rest."""
    formats = [_format_of(document)]
    if document.content_type is None:
        formats = [RdfFormat.N_QUADS, RdfFormat.JSON_LD if looks_like_json(opening(document.body)) else RdfFormat.TRIG]
    for number, rdf_format in enumerate(formats):
        try:
            if rdf_format == RdfFormat.JSON_LD:
                check_json_depth(document.body)  # before the parser recurses on it (harvesters/limits.py)
            return list(parse(document.body, format=rdf_format, base_iri=document.url))
        except TooDeep as error:
            raise LiftError(document.url, NAME, str(error), error.line, error.column) from error
        except (SyntaxError, ValueError) as error:
            if number == len(formats) - 1:
                raise LiftError(document.url, NAME, f"the page cannot be read as RDF: {error}") from error
    return []


def _objects(quads: list[Quad], subject: Any, predicate: str) -> list[Any]:
    return [q.object for q in quads if q.subject == subject and q.predicate.value == predicate]


def documents(url: str, fetch: Fetch[D]) -> Iterator[D]:
    """One document: the stream's current state, composed of its pages (the module's docstring)."""
    composer = cast(Composes, fetch)
    if not callable(getattr(fetch, "compose", None)):
        raise LiftError(url, NAME, "an event stream is read only through the hub's fetcher, which composes its pages")
    first = fetch(url)
    description = _read(first)
    streams = [q.subject for q in description if isinstance(q.subject, NamedNode)
               and q.predicate.value == RDF_TYPE and q.object == NamedNode(LDES + "EventStream")]
    stream = NamedNode(first.url) if NamedNode(first.url) in streams or not streams else streams[0]
    version_of = next(iter(_objects(description, stream, LDES + "versionOfPath")), NamedNode(DCTERMS + "isVersionOf"))
    at = next(iter(_objects(description, stream, LDES + "timestampPath")), NamedNode(PROV + "generatedAtTime"))
    deleted = {o.value for o in _objects(description, stream, LDES + "versionDeleteObject")} | {AS + "Delete"}
    pages: list[list[Quad]] = [description]
    views = [o.value for o in _objects(description, stream, TREE + "view") if isinstance(o, NamedNode)
             and _same_origin(url, o.value)]
    seen = {first.url, *views}
    # A stream whose URL is its view (no tree:view): its own relations are followed.
    queue = deque(views or _related(description, [first.url, url], url, seen))
    while queue:
        if len(pages) > MAX_PAGES:
            raise LiftError(url, NAME, f"the stream has more than {MAX_PAGES} pages: the walk stops here")
        target = queue.popleft()
        document = fetch(target)
        page = _read(document)
        pages.append(page)
        queue.extend(_related(page, [target, document.url], url, seen))
    body = _current_state(pages, stream, version_of, at, deleted)
    yield cast(D, composer.compose(url, body, "application/n-quads"))


def _same_origin(url: str, other: str) -> bool:
    """Pages are followed on the stream's own scheme, host and port only: a page cannot send the hub elsewhere."""
    first, second = urlsplit(url), urlsplit(other)
    return (first.scheme, first.netloc) == (second.scheme, second.netloc)


def _related(page: list[Quad], names: list[str], url: str, seen: set[str]) -> list[str]:
    """The nodes a page's relations lead to (the page named by its URL, or the URL it was asked at) not met yet."""
    found = []
    for name in dict.fromkeys(names):
        for relation in _objects(page, NamedNode(name), TREE + "relation"):
            for node in _objects(page, relation, TREE + "node"):
                if isinstance(node, NamedNode) and node.value not in seen and _same_origin(url, node.value):
                    seen.add(node.value)
                    found.append(node.value)
    return found


def _current_state(pages: list[list[Quad]], stream: NamedNode, version_of: NamedNode, at: NamedNode,
                   deleted: set[str]) -> bytes:
    """The latest version of every entity that is not deleted, as N-Quads (the module's docstring)."""
    everything = [q for page in pages for q in page]
    by_subject: dict[Any, list[Quad]] = {}
    in_graph: dict[str, list[Quad]] = {}
    for q in everything:
        if isinstance(q.graph_name, DefaultGraph):
            by_subject.setdefault(q.subject, []).append(q)
        elif isinstance(q.graph_name, NamedNode):
            in_graph.setdefault(q.graph_name.value, []).append(q)
    latest: dict[str, tuple[str, int, NamedNode]] = {}  # entity -> (time, order, version)
    order = 0
    for q in everything:
        if q.subject != stream or q.predicate.value != TREE + "member" or not isinstance(q.object, NamedNode):
            continue
        member = q.object
        own = by_subject.get(member, [])
        entity = next((s.object.value for s in own if s.predicate == version_of and isinstance(s.object, NamedNode)),
                      member.value)
        when = next((s.object.value for s in own if s.predicate == at and isinstance(s.object, Literal)), "")
        order += 1
        if entity not in latest or (when, order) >= latest[entity][:2]:
            latest[entity] = (when, order, member)
    out: list[Quad] = []
    fetch_documents: dict[Any, Any] = {q.subject: q.object for q in everything
                       if q.predicate.value == HUB + "document" and isinstance(q.graph_name, DefaultGraph)}
    for entity, (when, _, member) in sorted(latest.items()):
        own = by_subject.get(member, [])
        if any(s.predicate.value == RDF_TYPE and isinstance(s.object, NamedNode) and s.object.value in deleted
               for s in own):
            continue
        graph = NamedNode(entity)
        statements = in_graph.get(member.value)
        if statements:
            out += [Quad(q.subject, q.predicate, q.object, graph) for q in statements]
        else:  # a plain LDES member: its own statements, but for the stream's terms, are the entity's
            out += [Quad(graph, s.predicate, s.object, graph) for s in own if s.predicate.value not in STREAM_TERMS
                    or (s.predicate.value == RDF_TYPE and not _stream_type(s.object, deleted))]
            out += _blank_closure(own, by_subject, graph)
        # What the stream says of the version is the upstream graph's provenance (the split keeps it apart).
        out += [Quad(graph, s.predicate, s.object) for s in own if s.predicate.value in PROVENANCE]
        if when:
            out.append(Quad(graph, NamedNode(PROV + "generatedAtTime"), Literal(when, datatype=NamedNode(
                "http://www.w3.org/2001/XMLSchema#dateTime"))))
        for s in own:
            if s.predicate.value == HUB + "fetch" and s.object in fetch_documents:
                out.append(Quad(graph, NamedNode(HUB + "document"), fetch_documents[s.object]))
    return serialize(out, format=RdfFormat.N_QUADS) or b""


def _stream_type(value: Any, deleted: set[str]) -> bool:
    """A type the stream gives its versions (as:Create, hub:RecordVersion…), not one of the entity's."""
    return isinstance(value, NamedNode) and (value.value.startswith(AS) or value.value in deleted
                                             or value.value == HUB + "RecordVersion")


def _blank_closure(own: list[Quad], by_subject: dict[Any, list[Quad]], graph: NamedNode) -> list[Quad]:
    """The blank nodes a plain member's statements reach, with their statements, in the entity's graph."""
    found: list[Quad] = []
    frontier = [s.object for s in own if isinstance(s.object, BlankNode) and s.predicate.value not in STREAM_TERMS]
    seen: set[Any] = set()
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in by_subject.get(node, []):
            found.append(Quad(q.subject, q.predicate, q.object, graph))
            if isinstance(q.object, BlankNode):
                frontier.append(q.object)
    return found


def lift(body: bytes, context: DocumentContext) -> LiftResult:
    """The composed current state (N-Quads); any other document of a stream is read as the RDF it is."""
    try:
        return LiftResult(lift_syntax(body, NAME, RdfFormat.N_QUADS, context.base_iri, context.document))
    except LiftError:
        if looks_like_json(opening(body)):
            return LiftResult(lift_syntax(body, NAME, RdfFormat.JSON_LD, context.base_iri, context.document,
                                          context.prepare_jsonld))
        return LiftResult(lift_syntax(body, NAME, RdfFormat.TRIG, context.base_iri, context.document))


LDES_FORMAT = Format(NAME, lift, graphs=True, documents=documents)
