"""What the hub knows about one IRI, as a dataset: the record graphs that describe it (or the IRI's own graph)
plus their descriptions from the meta graph and those of their fetch nodes, so every value travels with where
it came from.

An entity named by several sources under different IRIs, joined by the `owl:sameAs` links of the links graph the
hub computes (hub/pipeline/linking/), is merged: every graph that describes any of those IRIs is part of its view,
which names the cluster's canonical IRI (hub/core/clusters.py). A feed's own `sameAs` is evidence for the linker,
not a link: it joins nothing until the linker (or a person) decides, so a vetoed pair or a person stays apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, NamedNode, Quad

from hub.core.closure import transitive_closure
from hub.core.clusters import canonical_iri
from hub.core.namespaces import HUB, RDF
from hub.store.interface import Reader

OWL_SAME_AS = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
FETCH = NamedNode(HUB + "fetch")
MAX_GRAPH_QUADS = 20_000  # a graph shown whole (a record, an admin-loaded vocabulary); the meta graph never is


@dataclass
class EntityView:
    iri: str
    same_as: list[str]
    canonical: str = ""  # the IRI its cluster is served under (itself when it is in none)
    graphs: dict[str, list[Quad]] = field(default_factory=dict)  # graph IRI -> its quads in the view
    descriptions: list[Quad] = field(default_factory=list)  # from the meta graph, about those graphs

    @property
    def empty(self) -> bool:
        return not self.graphs and not self.descriptions

    def quads(self) -> list[Quad]:
        return [q for quads in self.graphs.values() for q in quads] + self.descriptions


def build(store: Reader, iri: str, meta: NamedNode, links: NamedNode | None = None) -> EntityView:
    """`links`: the links graph whose `owl:sameAs` join the entity's cluster (none: the IRI alone)."""
    subject = NamedNode(iri)
    names = _same_as_closure(store, subject, links) if links is not None else {subject}
    base = meta.value.removesuffix("graph/meta")
    view = EntityView(iri, sorted(n.value for n in names if n != subject),
                      canonical_iri((n.value for n in names), base))
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
    fetches: set[NamedNode] = set()
    for graph_iri in sorted(described):
        about = [q for q in store.subject_quads(NamedNode(graph_iri), meta) if q not in view.graphs.get(meta.value, [])]
        view.descriptions += about
        fetches |= {q.object for q in about if q.predicate == FETCH and isinstance(q.object, NamedNode)}
    # A record graph's document, fetch time, payload and licence are its fetch node's: said once there, and
    # part of the view so that every value still travels with where it came from.
    for fetch in sorted(fetches, key=lambda node: node.value):
        view.descriptions += store.subject_quads(fetch, meta)
    return view


def cluster_of(store: Reader, iri: str, meta: NamedNode, links: NamedNode) -> tuple[str, list[str]]:
    """(canonical IRI, members) of the cluster an IRI is in; (the IRI, [the IRI]) when it is in none."""
    names = _same_as_closure(store, NamedNode(iri), links)
    members = sorted(n.value for n in names)
    return canonical_iri(members, meta.value.removesuffix("graph/meta")), members


def _same_as_closure(store: Reader, start: NamedNode, links: NamedNode) -> set[NamedNode]:
    def linked(current: NamedNode) -> list[NamedNode]:
        others = [q.object for q in store.subject_quads(current, links) if q.predicate == OWL_SAME_AS]
        others += [q.subject for q in store.object_quads(current, OWL_SAME_AS) if q.graph_name == links]
        return [other for other in others if isinstance(other, NamedNode)]

    return transitive_closure(start, linked, limit=500)


def _is_whole(store: Reader, graph: NamedNode, meta: NamedNode) -> bool:
    """Record graphs and admin-loaded graphs are shown whole; the hub's own large graphs are not."""
    kinds = {q.object for q in store.subject_quads(graph, meta) if q.predicate.value == RDF + "type"}
    return NamedNode(HUB + "RecordGraph") in kinds or NamedNode(HUB + "AdminGraph") in kinds


def _with_blank_nodes(store: Reader, quads: list[Quad], graph: NamedNode) -> list[Quad]:
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
