"""The hub describing itself: the SPARQL 1.1 Service Description and the VoID + DCAT dataset description.

Both are built as triples with pyoxigraph terms and serialized as Turtle. The VoID counts come from the
published generation (one pass over the meta graph and the record graphs), so callers cache them per
generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from hub.core.namespaces import DCAT, DCTERMS, HUB, PREFIXES, RDF, XSD, term
from hub.core.records import PROVENANCE_MODEL
from hub.sparql.formats import FORMAT_IRIS, GRAPH_FORMATS, SOLUTION_FORMATS
from hub.store.interface import Reader

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
A = term(RDF, "type")
TURTLE_PREFIXES = {**PREFIXES, "sd": SD, "void": VOID}


def _int(value: int) -> Literal:
    return Literal(str(value), datatype=term(XSD, "integer"))


def service_description(base: str, deadline: float, max_rows: int) -> bytes:
    service = NamedNode(f"{base}sparql#service")
    dataset = BlankNode()
    default_graph = BlankNode()
    triples = [
        Triple(service, A, term(SD, "Service")),
        Triple(service, term(SD, "endpoint"), NamedNode(f"{base}sparql")),
        Triple(service, term(SD, "supportedLanguage"), term(SD, "SPARQL11Query")),
        Triple(service, term(SD, "feature"), term(SD, "UnionDefaultGraph")),
        Triple(service, term(SD, "defaultDataset"), dataset),
        Triple(dataset, A, term(SD, "Dataset")),
        Triple(dataset, term(SD, "defaultGraph"), default_graph),
        Triple(default_graph, A, term(SD, "Graph")),
        Triple(dataset, term(VOID, "sparqlEndpoint"), NamedNode(f"{base}sparql")),
        Triple(dataset, term(DCTERMS, "description"), NamedNode(f"{base}.well-known/void")),
        Triple(service, term(DCTERMS, "description"), Literal(
            f"Read-only SPARQL 1.1 query endpoint of the Mutualisons hub. The default graph is the union of the "
            f"public named graphs, unless the query names its own (FROM) or the request does. Queries stop "
            f"after {deadline:g} s (503) and at {max_rows} rows (the Results-Truncated header says so). SERVICE "
            f"and LOAD are refused; updates get 403.",
            language="en")),
    ]
    for media_type, _ in SOLUTION_FORMATS + GRAPH_FORMATS:
        triples.append(Triple(service, term(SD, "resultFormat"), NamedNode(FORMAT_IRIS[media_type])))
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES) \
        or b""


@dataclass
class SourceFigures:
    iri: str
    title: str = ""
    license: str = ""
    records: int = 0
    triples: int = 0
    urls: set[str] = field(default_factory=set)


@dataclass
class DatasetFigures:
    quads: int
    graphs: int
    licenses: set[str]
    sources: list[SourceFigures]
    admin_graphs: list[tuple[str, str, int]]  # (graph, licence or "", triples)


def figures(store: Reader, meta: NamedNode) -> DatasetFigures:
    """Counts for the VoID description, read from the published store."""
    prefixes = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in TURTLE_PREFIXES.items())
    sources: dict[str, SourceFigures] = {}
    for row in store.select(prefixes + """SELECT ?source ?title ?license ?url WHERE {
            ?source a dcat:Dataset ; dcterms:identifier ?id ; dcterms:title ?title ; dcterms:license ?license .
            OPTIONAL { ?source dcat:distribution/dcat:accessURL ?url } }"""):
        figures_ = sources.setdefault(row["source"].value, SourceFigures(row["source"].value))
        figures_.title, figures_.license = row["title"].value, row["license"].value
        if "url" in row:
            figures_.urls.add(row["url"].value)
    for row in store.select(prefixes + f"""SELECT ?source (COUNT(DISTINCT ?g) AS ?records) (COUNT(?s) AS ?triples)
            WHERE {{ GRAPH <{meta.value}> {{ ?g a hub:RecordGraph ; dcterms:source ?source }}
                     GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?source"""):
        figures_ = sources.setdefault(row["source"].value, SourceFigures(row["source"].value))
        figures_.records, figures_.triples = int(row["records"].value), int(row["triples"].value)
    admin = []
    for row in store.select(prefixes + f"""SELECT ?g (SAMPLE(?license) AS ?l) (COUNT(?s) AS ?triples) WHERE {{
            GRAPH <{meta.value}> {{ ?g a hub:AdminGraph OPTIONAL {{ ?g dcterms:license ?license }} }}
            GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"""):
        admin.append((row["g"].value, row["l"].value if "l" in row else "", int(row["triples"].value)))
    licenses = {row["l"].value for row in store.select(
        prefixes + f"SELECT DISTINCT ?l WHERE {{ GRAPH <{meta.value}> {{ ?g dcterms:license ?l }} }}")}
    return DatasetFigures(store.count_quads(), sum(1 for _ in store.named_graphs()), licenses,
                          sorted(sources.values(), key=lambda s: s.iri), sorted(admin))


def void_description(base: str, numbers: DatasetFigures) -> bytes:
    dataset = NamedNode(f"{base}.well-known/void#dataset")
    endpoint = NamedNode(f"{base}sparql")
    service = BlankNode()
    distribution = BlankNode()
    triples = [
        Triple(dataset, A, term(VOID, "Dataset")),
        Triple(dataset, A, term(DCAT, "Dataset")),
        Triple(dataset, term(DCTERMS, "title"), Literal("Mutualisons hub: the commons of Brussels alternatives",
                                                        language="en")),
        Triple(dataset, term(VOID, "sparqlEndpoint"), endpoint),
        # Every public quad with the meta graph, rebuilt per generation (hub/store/dump.py).
        Triple(dataset, term(VOID, "dataDump"), NamedNode(f"{base}dump.nq.gz")),
        Triple(dataset, term(VOID, "uriSpace"), Literal(base)),
        Triple(dataset, term(VOID, "triples"), _int(numbers.quads)),
        Triple(dataset, term(HUB, "namedGraphs"), _int(numbers.graphs)),
        # How the meta graph describes record graphs (docs/provenance.md): a reader of the dump knows which
        # queries apply, and a data folder from before is migrated on its next harvest.
        Triple(dataset, term(HUB, "provenanceModel"), _int(PROVENANCE_MODEL)),
        Triple(dataset, term(VOID, "vocabulary"), NamedNode("https://schema.org/")),
        Triple(dataset, term(VOID, "vocabulary"), NamedNode(HUB)),
        Triple(dataset, term(DCAT, "distribution"), distribution),
        Triple(distribution, A, term(DCAT, "Distribution")),
        Triple(distribution, term(DCAT, "accessURL"), endpoint),
        Triple(distribution, term(DCAT, "accessService"), service),
        Triple(service, A, term(DCAT, "DataService")),
        Triple(service, term(DCAT, "endpointURL"), endpoint),
        Triple(service, term(DCAT, "endpointDescription"), endpoint),
    ]
    # The event stream of record versions another hub follows (hub/gateway/event_stream.py, docs/federation.md).
    stream, stream_distribution = NamedNode(f"{base}ldes"), BlankNode()
    triples += [
        Triple(dataset, term(DCAT, "distribution"), stream_distribution),
        Triple(stream_distribution, A, term(DCAT, "Distribution")),
        Triple(stream_distribution, term(DCAT, "accessURL"), stream),
        Triple(stream_distribution, term(DCTERMS, "conformsTo"), NamedNode("https://w3id.org/ldes/specification")),
        Triple(stream_distribution, term(DCAT, "mediaType"), Literal("application/n-quads")),
        Triple(stream_distribution, term(DCTERMS, "title"), Literal("Linked Data Event Stream of record versions",
                                                                       language="en")),
        Triple(stream, A, NamedNode("https://w3id.org/ldes#EventStream")),
        Triple(stream, A, term(DCAT, "Dataset")),
        Triple(stream, term(DCTERMS, "isPartOf"), dataset),
    ]
    triples += [Triple(dataset, term(DCTERMS, "license"), NamedNode(iri)) for iri in sorted(numbers.licenses)]
    for source in numbers.sources:
        s = NamedNode(source.iri)
        triples += [
            Triple(dataset, term(VOID, "subset"), s),
            Triple(s, A, term(VOID, "Dataset")),
            Triple(s, A, term(DCAT, "Dataset")),
            Triple(s, term(VOID, "triples"), _int(source.triples)),
            Triple(s, term(VOID, "entities"), _int(source.records)),
            Triple(s, term(HUB, "namedGraphs"), _int(source.records)),
        ]
        if source.title:
            triples.append(Triple(s, term(DCTERMS, "title"), Literal(source.title)))
        if source.license:
            triples.append(Triple(s, term(DCTERMS, "license"), NamedNode(source.license)))
        triples += [Triple(s, term(VOID, "dataDump"), NamedNode(url)) for url in sorted(source.urls)]
    for graph, license_, count in numbers.admin_graphs:
        g = NamedNode(graph)
        triples += [
            Triple(dataset, term(VOID, "subset"), g),
            Triple(g, A, term(VOID, "Dataset")),
            Triple(g, term(VOID, "triples"), _int(count)),
            Triple(g, term(HUB, "namedGraphs"), _int(1)),
        ]
        if license_:
            triples.append(Triple(g, term(DCTERMS, "license"), NamedNode(license_)))
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES) or b""
