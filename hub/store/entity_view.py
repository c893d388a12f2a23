"""What the hub knows about one IRI, as a dataset: the record graphs that describe it (or the IRI's own graph)
plus their descriptions from the meta graph, so every value travels with where it came from.

An entity named by several sources under different IRIs, linked by owl:sameAs or schema:sameAs, is merged:
every graph that describes any of those IRIs is part of its view.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, NamedNode, Quad

from hub.core.closure import transitive_closure
from hub.core.namespaces import HUB, RDF, SCHEMA
from hub.store.embedded import ReadOnlyStore

SAME_AS = (NamedNode("http://www.w3.org/2002/07/owl#sameAs"), NamedNode(SCHEMA + "sameAs"))
MAX_GRAPH_QUADS = 20_000  # a graph shown whole (a record, an admin-loaded vocabulary); the meta graph never is


@dataclass
class EntityView:
    iri: str
    same_as: list[str]
    graphs: dict[str, list[Quad]] = field(default_factory=dict)  # graph IRI -> its quads in the view
    descriptions: list[Quad] = field(default_factory=list)  # from the meta graph, about those graphs

    @property
    def empty(self) -> bool:
        return not self.graphs and not self.descriptions

    def quads(self) -> list[Quad]:
        return [q for quads in self.graphs.values() for q in quads] + self.descriptions


def build(store: ReadOnlyStore, iri: str, meta: NamedNode) -> EntityView:
    subject = NamedNode(iri)
    names = _same_as_closure(store, subject)
    view = EntityView(iri, sorted(n.value for n in names if n != subject))
    by_graph: dict[NamedNode, list[Quad]] = defaultdict(list)
    for name in names:
        for quad in store.subject_quads(name):
            if isinstance(quad.graph_name, NamedNode):
                by_graph[quad.graph_name].append(quad)
    record_graphs = {g for g in by_graph if _is_whole(store, g, meta)}
    if store.has_graph(subject) and subject != meta:
        record_graphs.add(subject)
    for graph in sorted(record_graphs, key=lambda g: g.value):
        quads = store.graph_quads(graph)
        if len(quads) <= MAX_GRAPH_QUADS:
            view.graphs[graph.value] = quads
            by_graph.pop(graph, None)
    for graph, quads in sorted(by_graph.items(), key=lambda pair: pair[0].value):
        # Only a slice of a large graph (meta, sources): the statements about the names, and the blank
        # nodes they reach, so no value is left dangling.
        view.graphs[graph.value] = _with_blank_nodes(store, quads, graph)
    described = set(view.graphs) - {meta.value}
    for graph_iri in sorted(described):
        view.descriptions += [q for q in store.subject_quads(NamedNode(graph_iri), meta)
                              if q not in view.graphs.get(meta.value, [])]
    return view


def _same_as_closure(store: ReadOnlyStore, start: NamedNode) -> set[NamedNode]:
    def linked(current: NamedNode) -> list[NamedNode]:
        others = [q.object for q in store.subject_quads(current) if q.predicate in SAME_AS]
        others += [q.subject for predicate in SAME_AS for q in store.object_quads(current, predicate)]
        return [other for other in others if isinstance(other, NamedNode)]

    return transitive_closure(start, linked, limit=50)


def _is_whole(store: ReadOnlyStore, graph: NamedNode, meta: NamedNode) -> bool:
    """Record graphs and admin-loaded graphs are shown whole; the hub's own large graphs are not."""
    kinds = {q.object for q in store.subject_quads(graph, meta) if q.predicate.value == RDF + "type"}
    return NamedNode(HUB + "RecordGraph") in kinds or NamedNode(HUB + "AdminGraph") in kinds


def _with_blank_nodes(store: ReadOnlyStore, quads: list[Quad], graph: NamedNode) -> list[Quad]:
    found = list(quads)
    seen: set[str] = set()
    stack: list[BlankNode] = [q.object for q in quads if isinstance(q.object, BlankNode)]
    while stack:
        node = stack.pop()
        if node.value in seen:
            continue
        seen.add(node.value)
        for quad in store.subject_quads(node, graph):
            found.append(quad)
            if isinstance(quad.object, BlankNode):
                stack.append(quad.object)
    return found
