"""Provenance and source descriptions as quads: PROV-O and DCTERMS in the meta graph, DCAT for sources.

Every term written here is listed in docs/provenance.md, and a test checks that list against the
store. The meta graph describes every named graph the public store holds, the hub's own included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.config import Source
from hub.iris import Minter
from hub.namespaces import DCAT, DCTERMS, FOAF, HUB, PROV, RDF, RDFS, XSD, term

A = term(RDF, "type")
HUB_LICENSE = NamedNode("https://creativecommons.org/publicdomain/zero/1.0/")


def _time(value: str) -> Literal:
    return Literal(value, datatype=term(XSD, "dateTime"))


def _int(value: int) -> Literal:
    return Literal(str(value), datatype=term(XSD, "integer"))


@dataclass
class RunFacts:
    """What one harvest run of one source did: written as a prov:Activity."""

    source_id: str
    run: NamedNode
    started_at: str
    ended_at: str = ""
    status: str = "succeeded"  # succeeded | partial | failed
    payloads: list[NamedNode] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class PayloadFacts:
    payload: NamedNode
    document: str
    fetched_at: str
    byte_size: int
    media_type: str | None
    http_status: int | None = None
    etag: str | None = None


@dataclass
class GraphFacts:
    graph: NamedNode
    subject: NamedNode
    kind: str
    source_id: str
    document: str
    run: NamedNode
    generated_at: str
    license: str
    content_hash: str
    payload: NamedNode | None = None
    upstream_graphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the record was aligned (hub/alignment.py)


class ProvenanceWriter:
    def __init__(self, minter: Minter) -> None:
        self.minter = minter
        self.meta = minter.meta_graph()

    def _q(self, s: NamedNode | BlankNode, p: NamedNode, o: NamedNode | BlankNode | Literal,
           graph: NamedNode | None = None) -> Quad:
        return Quad(s, p, o, graph or self.meta)

    def record_graph(self, facts: GraphFacts) -> list[Quad]:
        g = facts.graph
        quads = [
            self._q(g, A, term(HUB, "RecordGraph")),
            self._q(g, term(DCTERMS, "source"), self.minter.source(facts.source_id)),
            self._q(g, term(PROV, "wasDerivedFrom"), NamedNode(facts.document)),
            self._q(g, term(HUB, "document"), NamedNode(facts.document)),
            self._q(g, term(PROV, "wasGeneratedBy"), facts.run),
            self._q(g, term(PROV, "generatedAtTime"), _time(facts.generated_at)),
            self._q(g, term(DCTERMS, "license"), NamedNode(facts.license)),
            self._q(g, term(HUB, "contentHash"), Literal(facts.content_hash)),
            self._q(g, term(HUB, "recordSubject"), facts.subject),
            self._q(g, term(HUB, "recordKind"), Literal(facts.kind)),
        ]
        if facts.payload is not None:
            quads.append(self._q(g, term(HUB, "payload"), facts.payload))
        quads.extend(self._q(g, term(PROV, "wasDerivedFrom"), NamedNode(u)) for u in facts.upstream_graphs)
        quads.extend(self._q(g, term(HUB, "alignment"), Literal(note, language="en")) for note in facts.notes)
        return quads

    def tombstone(self, graph: NamedNode, subject: NamedNode | None, source_id: str, run: NamedNode,
                  at: str, reason: str) -> list[Quad]:
        quads = [
            self._q(graph, A, term(HUB, "Tombstone")),
            self._q(graph, term(DCTERMS, "source"), self.minter.source(source_id)),
            self._q(graph, term(PROV, "wasInvalidatedBy"), run),
            self._q(graph, term(PROV, "invalidatedAtTime"), _time(at)),
            self._q(graph, term(HUB, "tombstoneReason"), Literal(reason)),
        ]
        if subject is not None:
            quads.append(self._q(graph, term(HUB, "recordSubject"), subject))
        return quads

    def run(self, facts: RunFacts) -> list[Quad]:
        r = facts.run
        quads = [
            self._q(r, A, term(PROV, "Activity")),
            self._q(r, A, term(HUB, "HarvestRun")),
            self._q(r, term(DCTERMS, "source"), self.minter.source(facts.source_id)),
            self._q(r, term(PROV, "startedAtTime"), _time(facts.started_at)),
            self._q(r, term(PROV, "endedAtTime"), _time(facts.ended_at)),
            self._q(r, term(PROV, "wasAssociatedWith"), self.minter.hub()),
            self._q(r, term(HUB, "status"), Literal(facts.status)),
        ]
        quads.extend(self._q(r, term(PROV, "used"), payload) for payload in facts.payloads)
        quads.extend(self._q(r, term(HUB, name), _int(value)) for name, value in sorted(facts.counts.items()))
        quads.extend(self._q(r, term(HUB, "error"), Literal(message)) for message in facts.errors)
        return quads

    def payload(self, facts: PayloadFacts) -> list[Quad]:
        p = facts.payload
        quads = [
            self._q(p, A, term(PROV, "Entity")),
            self._q(p, A, term(HUB, "Payload")),
            self._q(p, term(PROV, "generatedAtTime"), _time(facts.fetched_at)),
            self._q(p, term(PROV, "wasDerivedFrom"), NamedNode(facts.document)),
            self._q(p, term(HUB, "byteSize"), _int(facts.byte_size)),
        ]
        if facts.media_type:
            quads.append(self._q(p, term(DCAT, "mediaType"), Literal(facts.media_type)))
        if facts.http_status is not None:
            quads.append(self._q(p, term(HUB, "httpStatus"), _int(facts.http_status)))
        if facts.etag:
            quads.append(self._q(p, term(HUB, "etag"), Literal(facts.etag)))
        return quads

    def hub_graph(self, graph: NamedNode, title: str, at: str) -> list[Quad]:
        """A graph the hub writes itself (meta, sources, …)."""
        return [
            self._q(graph, A, term(HUB, "HubGraph")),
            self._q(graph, term(DCTERMS, "title"), Literal(title, language="en")),
            self._q(graph, term(PROV, "wasAttributedTo"), self.minter.hub()),
            self._q(graph, term(PROV, "generatedAtTime"), _time(at)),
            self._q(graph, term(DCTERMS, "license"), HUB_LICENSE),
        ]

    def source_description(self, source: Source, documents: Iterable[str]) -> list[Quad]:
        """A source as a dcat:Dataset, in the sources graph."""
        graph = self.minter.sources_graph()
        s = self.minter.source(source.id)
        quads = [
            Quad(s, A, term(DCAT, "Dataset"), graph),
            Quad(s, term(DCTERMS, "identifier"), Literal(source.id), graph),
            Quad(s, term(DCTERMS, "title"), Literal(source.name), graph),
            Quad(s, term(DCTERMS, "license"), NamedNode(source.license), graph),
            Quad(s, term(DCAT, "contactPoint"), NamedNode(source.contact), graph),
            Quad(s, term(DCTERMS, "accrualPeriodicity"), Literal(source.period, datatype=term(XSD, "duration")),
                 graph),
        ]
        if source.publisher_is_iri():
            quads.append(Quad(s, term(DCTERMS, "publisher"), NamedNode(source.publisher), graph))
        else:
            publisher = BlankNode()
            quads += [
                Quad(s, term(DCTERMS, "publisher"), publisher, graph),
                Quad(publisher, A, term(FOAF, "Agent"), graph),
                Quad(publisher, term(FOAF, "name"), Literal(source.publisher), graph),
            ]
        for document in documents:
            distribution = BlankNode()
            quads += [
                Quad(s, term(DCAT, "distribution"), distribution, graph),
                Quad(distribution, A, term(DCAT, "Distribution"), graph),
                Quad(distribution, term(DCAT, "accessURL"), NamedNode(document), graph),
            ]
            if source.format:
                quads.append(Quad(distribution, term(DCTERMS, "format"), Literal(source.format), graph))
        if source.language:
            quads.append(Quad(s, term(DCTERMS, "language"), Literal(source.language), graph))
        quads.append(Quad(s, term(RDFS, "label"), Literal(source.name), graph))
        return quads
