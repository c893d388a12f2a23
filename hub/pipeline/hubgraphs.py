"""The graphs the hub writes from its own files and computations, each described in the meta graph.

- `{base}graph/vocabulary`: vocab/hub.ttl, the hub vocabulary;
- `{base}graph/schemes`: vocab/schemes.ttl, the SKOS concept schemes;
- `{base}graph/shapes`: shapes/*.ttl, the charter, and shapes/profiles/*.ttl, the profiles sources name;
- `{base}graph/verification`: the verification status of every published practitioner
  (hub/charter/verification.py), computed from the published recommendations, never from a feed;
- `{base}graph/kinds`: the kind of record each class makes (`schema:GroceryStore hub:recordKind
  "organization"`), from the class hierarchy of vocab/*.ttl (hub/core/vocabulary.py): SPARQL finds a
  record's kind from its type through it, so no record graph needs to say it.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from hub.charter import verification
from hub.core.iris import Minter
from hub.core.namespaces import HUB
from hub.core.vocabulary import PROFILES_DIR, RECORD_KINDS, SHAPES_DIR, VOCAB_DIR, default_vocabulary
from hub.pipeline.provenance import ProvenanceWriter
from hub.sparql import queries
from hub.store.interface import HarvestWriter

FILE_GRAPHS: tuple[tuple[str, str, tuple[Path, ...]], ...] = (
    ("vocabulary", "The hub vocabulary (vocab/hub.ttl)", (VOCAB_DIR / "hub.ttl",)),
    ("schemes", "The hub's SKOS concept schemes (vocab/schemes.ttl)", (VOCAB_DIR / "schemes.ttl",)),
    ("shapes", "The charter as SHACL shapes (shapes/*.ttl) and its profiles (shapes/profiles/*.ttl)",
     tuple(sorted(SHAPES_DIR.glob("*.ttl"))) + tuple(sorted(PROFILES_DIR.glob("*.ttl")))),
)


def file_quads(paths: tuple[Path, ...], graph: NamedNode) -> list[Quad]:
    quads: list[Quad] = []
    for path in paths:
        quads += [Quad(q.subject, q.predicate, q.object, graph)
                  for q in parse(path=str(path), format=RdfFormat.TURTLE)]
    return quads


def write_hub_graphs(store: HarvestWriter, minter: Minter, prov: ProvenanceWriter, at: str) -> dict[str, int]:
    """Rewrites the hub's own graphs and their descriptions; returns quads per graph."""
    meta = minter.meta_graph()
    sizes: dict[str, int] = {}
    graphs: list[tuple[NamedNode, str, list[Quad]]] = []
    for name, title, paths in FILE_GRAPHS:
        graph = minter.hub_graph(name)
        graphs.append((graph, title, file_quads(paths, graph)))
    graph = minter.hub_graph("verification")
    graphs.append((graph, "Verification status of health practitioners, computed by the hub",
                   verification_quads(store, graph)))
    graph = minter.hub_graph("kinds")
    graphs.append((graph, "The kind of record each class makes (from vocab/*.ttl)", kind_quads(graph)))
    for graph, title, quads in graphs:
        store.replace_graph(graph, quads)
        store.remove_matching(graph, None, meta)
        store.add_quads(prov.hub_graph(graph, title, at))
        sizes[graph.value] = len(quads)
    return sizes


def verification_quads(store: HarvestWriter, graph: NamedNode) -> list[Quad]:
    """The rule applied to what is published: only accepted records are in the store."""
    rows = store.select(queries.load("recommendations"))
    recommendations = [verification.RecommendationFacts(r["practitioner"].value, r["recommender"].value,
                                                        r["profession"].value) for r in rows]
    practitioners = [r["p"].value for r in store.select(queries.load("practitioners"))]
    statuses = verification.compute(practitioners, recommendations)
    return verification.status_quads(statuses.values(), graph)


def kind_quads(graph: NamedNode) -> list[Quad]:
    """`class hub:recordKind "kind"` for every class whose instances are records: each kind's classes and
    their subclasses, each with the kind `ClassHierarchy.kind_of` gives it alone."""
    hierarchy = default_vocabulary().hierarchy
    predicate = NamedNode(HUB + "recordKind")
    quads = []
    for kind, roots in RECORD_KINDS.items():
        classes = {subclass for root in roots for subclass in hierarchy.subclasses(root)}
        quads += [Quad(NamedNode(c), predicate, Literal(kind), graph) for c in sorted(classes)
                  if hierarchy.kind_of((c,)) == kind]
    return quads
