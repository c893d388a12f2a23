"""Provenance and source descriptions as quads: PROV-O and DCTERMS in the meta graph, DCAT for sources.

Every term written here is listed in docs/provenance.md, and a test checks that list against the
store. The meta graph describes every named graph the public store holds, the hub's own included.
Each fact is said once, where it belongs (model 2, `PROVENANCE_MODEL`): a record graph says what varies
per record (its subject, hash, run, source and fetch); a fetch node says, once for every record lifted
from one document by one run, the document, the fetch time, the payload, the licence in force and the
alignment notes; a run says its times, status and counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.core.config import Source
from hub.core.iris import Minter, document_iri
from hub.core.namespaces import DCAT, DCTERMS, FOAF, HUB, PROV, RDF, RDFS, XSD, term

A = term(RDF, "type")
HUB_LICENSE = NamedNode("https://creativecommons.org/publicdomain/zero/1.0/")
CHARTER = "https://w3id.org/mutualisons/shapes#"  # the charter (shapes/common.ttl); its profiles are profile-NAME
META_TITLE = "Provenance of every graph the hub serves"


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
    row_errors: int = 0  # rows, features or events that failed alone


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
    """What varies per record: said on its graph. The rest (document, fetch time, payload, licence,
    alignment) is its fetch's, said once on the fetch node (`FetchFacts`)."""

    graph: NamedNode
    subject: NamedNode
    source_id: str
    run: NamedNode  # the run that last changed it
    fetch: NamedNode  # what that run fetched it from
    content_hash: str
    license: str | None = None  # a licence of the record's own, where it differs from its fetch's
    upstream_graphs: list[str] = field(default_factory=list)


@dataclass
class FetchFacts:
    """One document as one run fetched it: said once for every record lifted from it."""

    fetch: NamedNode
    run: NamedNode
    document: str
    fetched_at: str
    license: str | None  # the source's licence in force then (always known, but for a migrated oddity)
    payload: NamedNode | None = None
    notes: list[str] = field(default_factory=list)  # how its statements were aligned (hub/pipeline/alignment.py)


@dataclass
class MigrationFacts:
    """A data folder's provenance brought to the hub's current model (hub/pipeline/migration.py)."""

    migration: NamedNode
    started_at: str
    ended_at: str
    from_model: int
    to_model: int
    record_graphs: int  # described anew
    rehashed: int  # whose content hash changed (literals now hashed as the store serves them)
    fetches: int  # fetch nodes written


@dataclass
class AdminGraphFacts:
    """A graph an administrator loaded with `mutualisons load`: who, when, which file."""

    graph: NamedNode
    loaded_by: str
    loaded_at: str
    file_name: str
    sha256: str
    license: NamedNode | None = None


class ProvenanceWriter:
    def __init__(self, minter: Minter) -> None:
        self.minter = minter
        self.meta = minter.meta_graph()

    def _q(self, s: NamedNode | BlankNode, p: NamedNode, o: NamedNode | BlankNode | Literal,
           graph: NamedNode | None = None) -> Quad:
        return Quad(s, p, o, graph or self.meta)

    def record_graph_lines(self, facts: GraphFacts) -> list[str]:
        """A record graph's description as N-Quads lines: six in the usual case (written for every changed
        record of a 100k-record feed, so built as text rather than as term objects)."""
        g, meta = f"<{facts.graph.value}>", f"<{self.meta.value}>"
        lines = [
            f"{g} <{RDF}type> <{HUB}RecordGraph> {meta} .",
            f"{g} <{HUB}recordSubject> <{facts.subject.value}> {meta} .",
            f"{g} <{HUB}contentHash> {Literal(facts.content_hash)} {meta} .",
            f"{g} <{PROV}wasGeneratedBy> <{facts.run.value}> {meta} .",
            f"{g} <{DCTERMS}source> <{self.minter.source(facts.source_id).value}> {meta} .",
            f"{g} <{HUB}fetch> <{facts.fetch.value}> {meta} .",
        ]
        if facts.license is not None:
            lines.append(f"{g} <{DCTERMS}license> <{facts.license}> {meta} .")
        lines += [f"{g} <{PROV}wasDerivedFrom> <{upstream}> {meta} ." for upstream in facts.upstream_graphs]
        return lines

    def fetch(self, facts: FetchFacts) -> list[Quad]:
        """The fetch node: the document, when it was fetched, the exact bytes and the licence in force."""
        f = facts.fetch
        quads = [
            self._q(f, A, term(HUB, "Fetch")),
            self._q(f, term(PROV, "wasGeneratedBy"), facts.run),
            self._q(f, term(HUB, "document"), NamedNode(document_iri(facts.document))),
            self._q(f, term(PROV, "generatedAtTime"), _time(facts.fetched_at)),
        ]
        if facts.license is not None:
            quads.append(self._q(f, term(DCTERMS, "license"), NamedNode(facts.license)))
        if facts.payload is not None:
            quads.append(self._q(f, term(HUB, "payload"), facts.payload))
        quads += [self._q(f, term(HUB, "alignment"), Literal(note, language="en")) for note in facts.notes]
        return quads

    def migration(self, facts: MigrationFacts) -> list[Quad]:
        m = facts.migration
        return [
            self._q(m, A, term(PROV, "Activity")),
            self._q(m, A, term(HUB, "Migration")),
            self._q(m, term(PROV, "startedAtTime"), _time(facts.started_at)),
            self._q(m, term(PROV, "endedAtTime"), _time(facts.ended_at)),
            self._q(m, term(PROV, "wasAssociatedWith"), self.minter.hub()),
            self._q(m, term(HUB, "fromModel"), _int(facts.from_model)),
            self._q(m, term(HUB, "provenanceModel"), _int(facts.to_model)),
            self._q(m, term(HUB, "recordGraphs"), _int(facts.record_graphs)),
            self._q(m, term(HUB, "rehashed"), _int(facts.rehashed)),
            self._q(m, term(HUB, "fetches"), _int(facts.fetches)),
        ]

    def upstream_graph(self, graph: NamedNode, source_id: str, run: NamedNode, at: str, license_iri: str) -> list[Quad]:
        """The graph holding what a feed said about its own named graphs."""
        return [
            self._q(graph, A, term(HUB, "UpstreamGraph")),
            self._q(graph, term(DCTERMS, "source"), self.minter.source(source_id)),
            self._q(graph, term(PROV, "wasGeneratedBy"), run),
            self._q(graph, term(PROV, "generatedAtTime"), _time(at)),
            self._q(graph, term(DCTERMS, "license"), NamedNode(license_iri)),
        ]

    def tombstone(self, graph: NamedNode, subject: NamedNode | None, source_id: str, run: NamedNode,
                  at: str, reason: str, person: bool = False) -> list[Quad]:
        """A removed graph. A person record's names no subject (their consent ended, or they left the feed)
        and says it was a person's, so the history's readers know to show nothing of them."""
        if person:
            subject = None
        quads = [
            self._q(graph, A, term(HUB, "Tombstone")),
            self._q(graph, term(DCTERMS, "source"), self.minter.source(source_id)),
            self._q(graph, term(PROV, "wasInvalidatedBy"), run),
            self._q(graph, term(PROV, "invalidatedAtTime"), _time(at)),
            self._q(graph, term(HUB, "tombstoneReason"), Literal(reason)),
        ]
        if subject is not None:
            quads.append(self._q(graph, term(HUB, "recordSubject"), subject))
        if person:
            quads.append(self._q(graph, term(HUB, "recordKind"), Literal("person")))
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
            self._q(p, term(PROV, "wasDerivedFrom"), NamedNode(document_iri(facts.document))),
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

    def admin_graph(self, facts: AdminGraphFacts) -> list[Quad]:
        g = facts.graph
        quads = [
            self._q(g, A, term(HUB, "AdminGraph")),
            self._q(g, term(HUB, "loadedBy"), Literal(facts.loaded_by)),
            self._q(g, term(PROV, "generatedAtTime"), _time(facts.loaded_at)),
            self._q(g, term(HUB, "fileName"), Literal(facts.file_name)),
            self._q(g, term(HUB, "fileHash"), Literal(f"sha256:{facts.sha256}")),
        ]
        if facts.license is not None:
            quads.append(self._q(g, term(DCTERMS, "license"), facts.license))
        return quads

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
                Quad(distribution, term(DCAT, "accessURL"), NamedNode(document_iri(document)), graph),
            ]
            if source.format:
                quads.append(Quad(distribution, term(DCTERMS, "format"), Literal(source.format), graph))
        if source.language:
            quads.append(Quad(s, term(DCTERMS, "language"), Literal(source.language), graph))
        # What its records are checked against: the charter, and the extra shapes the source names.
        quads += [Quad(s, term(DCTERMS, "conformsTo"), NamedNode(iri), graph)
                  for iri in (CHARTER, *(CHARTER + "profile-" + name for name in source.profiles))]
        if source.mapping:
            # The declarative mapping that lifts a non-RDF feed: as configured, never a machine path.
            name = source.mapping if not source.mapping.startswith("/") else source.mapping.rsplit("/", 1)[-1]
            quads.append(Quad(s, term(HUB, "mapping"), Literal(name), graph))
        quads.append(Quad(s, term(RDFS, "label"), Literal(source.name), graph))
        return quads
