"""An auditor recomputes every hash; provenance is said once; a data folder from before migrates in place.

- Every record graph of the examples, and of a generated feed full of non-canonical literals, is downloaded as
  `/dump.nq.gz` through the API and hashed again by pyld (URDNA2015) and by pyoxigraph (RDFC-1.0): both give
  the stored `hub:contentHash`.
- A record graph's description is six quads in the usual case; its document, fetch time, payload, licence and
  alignment are its fetch node's.
- The one SPARQL query of docs/provenance.md, as written there, gives source, run, document, fetch time,
  payload and licence for every statement the examples' store serves.
- A data folder whose record graphs are described the model 1 way (written into a harvested store through the
  working store, with the hashes of the feeds' spellings) migrates on its next harvest without a record
  counted as added or updated, rewritten, or entered in the change feed; the records it then patches are
  described exactly once.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import re
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyld import jsonld
from pyoxigraph import (
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    parse,
    serialize,
)

from bench.feeds import PREFIXES as FEED_PREFIXES
from bench.feeds import organisation, reserialised
from hub.archive import history
from hub.archive import state as harvest_state
from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.namespaces import DCTERMS, HUB, PROV, RDF, sparql_prefixes
from hub.core.vocabulary import default_vocabulary
from hub.gateway.app import create_app
from hub.pipeline import split
from hub.pipeline.harvest import HarvestSummary, harvest
from hub.pipeline.literals import XSD, normal_literal
from hub.store import changes, generations
from hub.store.embedded import ReadOnlyStore, WorkingStore
from tests.conftest import BASE, ROOT, quiet
from tests.test_pipeline import published_store

META = NamedNode(f"{BASE}graph/meta")
CONTENT_HASH = NamedNode(HUB + "contentHash")
RECORD_GRAPH = NamedNode(HUB + "RecordGraph")


# -- the auditor's recomputation ---------------------------------------------------------------------------


def dump_quads(client: TestClient) -> list[Quad]:
    response = client.get("/dump.nq.gz")
    assert response.status_code == 200
    body = response.content
    return list(parse(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body, format=RdfFormat.N_QUADS))


def sha256_of(canonical: str) -> str:
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recomputed(quads: list[Quad]) -> dict[str, tuple[str, str, str]]:
    """Each record graph of a dump: (its stored hash, pyld's URDNA2015 hash, pyoxigraph's RDFC-1.0 hash)."""
    statements: dict[str, list[Quad]] = defaultdict(list)
    stored: dict[str, str] = {}
    records: set[str] = set()
    for quad in quads:
        graph = quad.graph_name
        assert isinstance(graph, NamedNode)
        if graph == META and quad.predicate == CONTENT_HASH:
            stored[quad.subject.value] = quad.object.value
        elif graph == META and quad.predicate.value == RDF + "type" and quad.object == RECORD_GRAPH:
            records.add(quad.subject.value)
        statements[graph.value].append(Quad(quad.subject, quad.predicate, quad.object, DefaultGraph()))
    found = {}
    for graph in sorted(records):
        triples = statements[graph]
        nquads = (serialize(triples, format=RdfFormat.N_QUADS) or b"").decode("utf-8")
        by_pyld = jsonld.normalize(nquads, {"algorithm": "URDNA2015", "inputFormat": "application/n-quads",
                                            "format": "application/n-quads"})
        dataset = Dataset(triples)
        dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
        lines = sorted(line for line in (serialize(dataset, format=RdfFormat.N_QUADS) or b"").decode().split("\n")
                       if line)
        found[graph] = (stored[graph], sha256_of(by_pyld), sha256_of("".join(line + "\n" for line in lines)))
    return found


def assert_every_hash_recomputes(quads: list[Quad], expected_records: int) -> None:
    hashes = recomputed(quads)
    assert len(hashes) == expected_records
    wrong = {graph: values for graph, values in hashes.items() if len(set(values)) != 1}
    assert not wrong, f"{len(wrong)} of {len(hashes)} record graphs: (stored, URDNA2015, RDFC-1.0) {wrong}"


def descriptions(quads: list[Quad]) -> dict[str, list[Quad]]:
    """Each record graph's description in the meta graph."""
    records = {q.subject.value for q in quads if q.graph_name == META and q.object == RECORD_GRAPH}
    found: dict[str, list[Quad]] = defaultdict(list)
    for quad in quads:
        if quad.graph_name == META and quad.subject.value in records:
            found[quad.subject.value].append(quad)
    return found


def test_an_auditor_recomputes_every_hash_of_the_examples(client: TestClient,
                                                          harvested: tuple[Settings, HarvestSummary]) -> None:
    quads = dump_quads(client)
    store = published_store(harvested[0])
    total = int(store.select(sparql_prefixes() + "SELECT (COUNT(?g) AS ?n) WHERE { GRAPH ?m { ?g a hub:RecordGraph } }")
                [0]["n"].value)
    assert total == 77  # issue 22: the 3 networks-only persons are kept privately
    assert_every_hash_recomputes(quads, total)
    # The feeds spell some of them otherwise ("4.3460"): the store serves, and the hub hashed, "4.346".
    assert '"4.3460"' in (ROOT / "examples/feeds/assiette-commune.ttl").read_text(encoding="utf-8")
    assert not any(isinstance(q.object, Literal) and q.object.value == "4.3460" for q in quads)


def test_a_record_graph_is_described_in_six_quads_and_its_fetch_says_the_rest(client: TestClient) -> None:
    quads = dump_quads(client)
    described = descriptions(quads)
    assert len(described) == 77
    fetch = NamedNode(HUB + "fetch")
    for graph, facts in described.items():
        predicates = sorted(q.predicate.value for q in facts)
        assert predicates == sorted([RDF + "type", HUB + "recordSubject", HUB + "contentHash", PROV + "wasGeneratedBy",
                                     DCTERMS + "source", HUB + "fetch"]), graph
    fetches = {q.object for facts in described.values() for q in facts if q.predicate == fetch}
    said: dict[str, set[str]] = defaultdict(set)
    run_and_document: dict[str, list[str]] = defaultdict(list)
    for quad in quads:
        if quad.graph_name == META and quad.subject in fetches:
            said[quad.subject.value].add(quad.predicate.value)
            if quad.predicate.value in (PROV + "wasGeneratedBy", HUB + "document"):
                run_and_document[quad.subject.value].append(quad.object.value)
    assert len(said) == len(fetches) == 10  # the 10 documents that gave records, each read by one run
    assert len({tuple(sorted(pair)) for pair in run_and_document.values()}) == len(fetches)  # one per (run, document)
    for node, predicates in said.items():
        assert {RDF + "type", PROV + "wasGeneratedBy", HUB + "document", PROV + "generatedAtTime", HUB + "payload",
                DCTERMS + "license"} <= predicates, node
    # The fetch node dereferences like every IRI the hub mints.
    some = sorted(said)[0]
    shown = client.get(some.removeprefix(BASE.rstrip("/")), headers={"Accept": "application/n-quads"})
    assert shown.status_code == 200 and HUB + "document" in shown.text


def docs_query() -> str:
    text = (ROOT / "docs/provenance.md").read_text(encoding="utf-8")
    section = text[text.index("## Tracing a statement"):]
    match = re.search(r"```sparql\n(.*?)```", section, re.S)
    assert match is not None, "docs/provenance.md gives the query under 'Tracing a statement'"
    return match.group(1)


def test_the_docs_query_traces_every_served_statement(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(docs_query())
    statements = int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"].value)
    assert len(rows) == statements  # one answer per statement, every statement answered
    records = {row["g"].value for row in store.select(sparql_prefixes() + """SELECT ?g WHERE {
        GRAPH ?m { ?g a hub:RecordGraph } }""")}
    traced = 0
    for row in rows:
        assert "license" in row, (row["graph"], row["s"], row["p"])  # every statement has a licence
        if row["graph"].value in records:
            assert {"source", "run", "document", "fetched", "payload"} <= set(row), row["graph"]
            assert row["run"].value.startswith(row["source"].value.replace("/source/", "/run/") + "/")
            assert row["payload"].value.startswith(f"{BASE}payload/")
            traced += 1
    assert traced > 1000
    [one] = [row for row in rows if row["s"].value == "https://potager-des-marolles.example/id/org"
             and row["p"].value == "https://schema.org/name" and row["o"].value == "Potager des Marolles"
             and "/assiette-commune/" in row["graph"].value]
    assert one["document"].value == "file:feeds/assiette-commune.ttl"
    assert one["license"].value == "https://creativecommons.org/licenses/by/4.0/"


# -- a feed full of non-canonical literals -----------------------------------------------------------------

# (spelling, datatype) pairs the store serves otherwise, or keeps as written when they are not valid.
SPELLINGS = [
    ("+1", "integer"), ("01", "integer"), ("-0", "integer"), ("007", "int"), ("300", "byte"), ("+3", "long"),
    ("1.0E0", "double"), ("1e3", "double"), ("0.1E-1", "double"), ("-0.0", "double"), ("1E400", "double"),
    ("1.0e10", "float"), ("59980.43789909074", "float"), ("4.3460", "decimal"), ("+.5", "decimal"), ("1.", "decimal"),
    ("-00.010", "decimal"), ("true", "boolean"), ("1", "boolean"), ("0", "boolean"),
    ("2026-11-29T05:00:00.500+00:00", "dateTime"), ("2026-11-29T05:00:00+01:00", "dateTime"),
    ("2026-12-31T24:00:00-00:00", "dateTime"), ("2026-11-29T05:00:00.000Z", "dateTimeStamp"),
    ("2026-11-29+00:00", "date"), ("24:00:00", "time"), ("10:00:00.10", "time"), ("2026", "gYear"),
    ("2026-01Z", "gYearMonth"), ("--02-28-00:00", "gMonthDay"), ("---01", "gDay"), ("--12", "gMonth"),
    ("PT36H", "duration"), ("P1Y12M", "duration"), ("P0Y", "yearMonthDuration"), ("PT1.50S", "dayTimeDuration"),
    ("plain", "string"),
    # Not valid for their datatype: kept, and served, as written.
    ("abc", "integer"), (" 1 ", "integer"), ("02026", "gYear"), ("2026-02-30", "date"), ("P", "duration"),
]


def literal_feed(count: int, seed: int = 7) -> str:
    """`count` organisations in Brussels, each with some of the spellings above on itself and in a blank node."""
    rng = random.Random(seed)
    parts = [FEED_PREFIXES, "@prefix lit: <https://literals.example/p/> .\n"]
    for index in range(count):
        chosen = rng.sample(range(len(SPELLINGS)), 12)
        own = " ;\n  ".join(f'lit:v{k} "{SPELLINGS[k][0]}"^^xsd:{SPELLINGS[k][1]}' for k in chosen[:8])
        nested = " ; ".join(f'lit:v{k} "{SPELLINGS[k][0]}"^^xsd:{SPELLINGS[k][1]}' for k in chosen[8:])
        record = organisation(index).rstrip().rstrip(".")
        parts.append(f'{record};\n  {own} ;\n  lit:measure [ {nested} ] ;\n  lit:label "Étiquette {index}"@FR-be .\n')
    return "".join(parts)


def literal_sources(folder: Path, feed: str) -> Settings:
    (folder / "feed.ttl").write_text(feed, encoding="utf-8")
    (folder / "sources.toml").write_text(
        '[[source]]\nid = "literals"\nname = "Literals"\nurl = "file:feed.ttl"\nformat = "turtle"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Literals"\n'
        'contact = "mailto:literals@literals.example"\n', encoding="utf-8")
    return Settings(folder / "sources.toml", folder / "data", BASE)


def test_an_auditor_recomputes_every_hash_of_a_feed_of_non_canonical_literals(tmp_path: Path) -> None:
    settings = literal_sources(tmp_path, literal_feed(40))
    [run] = harvest(settings, progress=quiet).runs
    assert run.counts["added"] == 40, run
    with TestClient(create_app(settings)) as client:
        quads = dump_quads(client)
    assert_every_hash_recomputes(quads, 40)
    served = {str(q.object) for q in quads if isinstance(q.object, Literal)}
    assert f'"4.346"^^<{XSD}decimal>' in served and f'"4.3460"^^<{XSD}decimal>' not in served
    assert f'"1"^^<{XSD}integer>' in served and f'"01"^^<{XSD}integer>' not in served
    assert f'"abc"^^<{XSD}integer>' in served  # invalid: as written
    assert '"Étiquette 0"@fr-be' in served
    assert all(len(facts) == 6 for facts in descriptions(quads).values())


def test_the_same_values_spelled_otherwise_or_reserialised_write_nothing(tmp_path: Path) -> None:
    """Hashes are those of the served values: a feed re-spelled to the store's own forms, then re-serialised
    with fresh blank nodes in another order, is the same records."""
    feed = literal_feed(20)
    settings = literal_sources(tmp_path, feed)
    harvest(settings, progress=quiet)
    canonical = feed
    for value, datatype in SPELLINGS:  # each spelling as the store serves it (tests/test_literals.py)
        written = f'"{value}"^^xsd:{datatype}'
        normal = normal_literal(f'"{value}"^^<{XSD}{datatype}>').replace(f"<{XSD}", "xsd:").replace(">", "")
        canonical = canonical.replace(written, normal)
    assert canonical != feed
    (tmp_path / "feed.ttl").write_text(canonical, encoding="utf-8")
    [run] = harvest(settings, progress=quiet).runs
    assert (run.counts["unchanged"], run.counts["updated"], run.counts["added"]) == (20, 0, 0), run
    (tmp_path / "feed.ttl").write_bytes(reserialised(feed.encode("utf-8"), 3))
    [run] = harvest(settings, progress=quiet).runs
    assert (run.counts["unchanged"], run.counts["updated"], run.counts["added"]) == (20, 0, 0), run


# -- a data folder from before (provenance model 1) --------------------------------------------------------


def model_1_descriptions(store: WorkingStore) -> dict[str, list[str]]:
    """What model 1 said of each record graph, from what model 2 says of it and of its run and fetch."""
    hierarchy = default_vocabulary().hierarchy
    meta = f"<{META.value}>"
    found: dict[str, list[str]] = {}
    rows = store.select(sparql_prefixes() + f"""SELECT ?g ?s ?hash ?run ?source ?doc ?end ?license ?payload WHERE {{
        GRAPH {meta} {{ ?g a hub:RecordGraph ; hub:recordSubject ?s ; hub:contentHash ?hash ; dcterms:source ?source ;
                          prov:wasGeneratedBy ?run ; hub:fetch ?f .
                       ?run prov:endedAtTime ?end . ?f hub:document ?doc ; dcterms:license ?license ;
                          hub:payload ?payload }} }}""")
    for row in rows:
        graph = row["g"].value
        types = [q.object.value for q in store.graph_quads(NamedNode(graph))
                 if q.predicate.value == RDF + "type" and q.subject == row["s"]]
        kind = hierarchy.kind_of(types)
        g = f"<{graph}>"
        notes = [r["note"] for r in store.select(sparql_prefixes() + f"""SELECT ?note WHERE {{ GRAPH {meta} {{
            {g} hub:fetch ?f . ?f hub:alignment ?note }} }}""")]
        found[graph] = [
            f"{g} <{RDF}type> <{HUB}RecordGraph> {meta} .",
            f"{g} <{DCTERMS}source> {row['source']} {meta} .",
            f"{g} <{PROV}wasDerivedFrom> {row['doc']} {meta} .",
            f"{g} <{HUB}document> {row['doc']} {meta} .",
            f"{g} <{PROV}wasGeneratedBy> {row['run']} {meta} .",
            f"{g} <{PROV}generatedAtTime> {row['end']} {meta} .",
            f"{g} <{DCTERMS}license> {row['license']} {meta} .",
            f"{g} <{HUB}contentHash> {row['hash']} {meta} .",
            f"{g} <{HUB}recordSubject> {row['s']} {meta} .",
            f'{g} <{HUB}recordKind> "{kind}" {meta} .',
            f"{g} <{HUB}payload> {row['payload']} {meta} .",
            *[f"{g} <{HUB}alignment> {note} {meta} ." for note in notes],
        ]
    return found


def as_model_1(settings: Settings) -> None:
    """Rewrites a harvested data folder as the hub wrote it before model 2: the model 1 descriptions in the
    working store, the history and a new generation, no fetch node, no kinds graph, no model marker."""
    data = DataDir(settings.data_dir)
    backend = generations.EmbeddedStore(data)
    store = backend.writer
    old = model_1_descriptions(store)
    meta = Minter(BASE).meta_graph()
    fetches = [row["f"] for row in store.select(sparql_prefixes() + f"""SELECT DISTINCT ?f WHERE {{
        GRAPH <{META.value}> {{ ?f a hub:Fetch }} }}""")]
    store.remove_descriptions([NamedNode(graph) for graph in old] + fetches, meta)
    kinds = NamedNode(f"{BASE}graph/kinds")
    store.drop_graph(kinds)
    store.remove_descriptions([kinds], meta)
    store.load_nquads("\n".join(line for lines in old.values() for line in lines).encode("utf-8"))
    for source_id in harvest_state.sources_with_state(data):
        state = harvest_state.load(data, source_id)
        current = {graph: entry.written_by for graph, entry in (state.records or {}).items() if entry.written_by}
        history.restate(data, source_id, set(current.values()),
                        lambda graph, lines: [line for line in lines if not line.endswith(f"<{META.value}> .")]
                        + old[graph] if graph in old else None)
    generation = backend.publish()
    backend.close()
    for source_id in harvest_state.sources_with_state(data):
        state = harvest_state.load(data, source_id)
        state.generation = generation
        harvest_state.save(data, source_id, state)
    data.provenance_model.unlink()


def graphs_as_stored(store: ReadOnlyStore) -> dict[str, set[str]]:
    """Each record graph's quads as the store holds them, blank-node labels included: rewritten, they change."""
    records = [row["g"] for row in store.select(sparql_prefixes() + """SELECT ?g WHERE {
        GRAPH ?m { ?g a hub:RecordGraph } }""")]
    return {graph.value: {str(q) for q in store.graph_quads(graph)} for graph in records}


def test_a_data_folder_from_before_migrates_in_place(examples_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(examples_copy / "sources.toml", tmp_path / "data", BASE)
    with monkeypatch.context() as before:
        before.setattr(split, "TYPED", "\x00")  # model 1 hashed the feeds' spellings
        harvest(settings, progress=quiet)
    as_model_1(settings)
    data = DataDir(settings.data_dir)
    old_store = published_store(settings)
    assert old_store.ask(sparql_prefixes() + "ASK { GRAPH ?m { ?g a hub:RecordGraph ; hub:document ?d } }")
    stored_before = graphs_as_stored(old_store)
    assert len(stored_before) == 77  # issue 22: without the 3 networks-only persons
    feed_before = changes.changes(data, old_store, Minter(BASE))
    old_hashes = {row["g"].value: row["h"].value for row in old_store.select(sparql_prefixes() + """
        SELECT ?g ?h WHERE { GRAPH ?m { ?g a hub:RecordGraph ; hub:contentHash ?h } }""")}
    del old_store

    # A scheduled harvest with no source due: it migrates all the same.
    lines: list[str] = []
    second = harvest(settings, progress=lines.append, due_only=True)
    assert any(line.startswith("provenance migrated to model 2: 77 record graph(s)") for line in lines), lines
    assert second.runs == [] and second.generation is not None
    store = published_store(settings)
    assert graphs_as_stored(store) == stored_before  # no record graph rewritten
    assert len(changes.changes(data, store, Minter(BASE))) == len(feed_before)  # nor entered in the change feed
    assert not store.ask(sparql_prefixes() + "ASK { GRAPH ?m { ?g a hub:RecordGraph ; hub:document ?d } }")
    [migration] = store.select(sparql_prefixes() + """SELECT ?m ?graphs ?rehashed ?from ?to WHERE { GRAPH ?meta {
        ?m a hub:Migration, prov:Activity ; hub:recordGraphs ?graphs ; hub:rehashed ?rehashed ; hub:fromModel ?from ;
           hub:provenanceModel ?to ; prov:startedAtTime ?start ; prov:endedAtTime ?end } }""")
    assert (int(migration["graphs"].value), int(migration["from"].value), int(migration["to"].value)) == (77, 1, 2)
    new_hashes = {row["g"].value: row["h"].value for row in store.select(sparql_prefixes() + """
        SELECT ?g ?h WHERE { GRAPH ?m { ?g a hub:RecordGraph ; hub:contentHash ?h } }""")}
    rehashed = sum(new_hashes[graph] != old_hashes[graph] for graph in old_hashes)
    assert rehashed == int(migration["rehashed"].value) > 0  # the records the feeds spell otherwise
    assert (data.root / "provenance-model").read_text().strip() == "2"
    with TestClient(create_app(settings)) as client:
        quads = dump_quads(client)
        assert client.get(migration["m"].value.removeprefix(BASE.rstrip("/"))).status_code == 200
    assert_every_hash_recomputes(quads, 77)  # issue 22: without the 3 networks-only persons
    assert all(len(facts) == 6 for facts in descriptions(quads).values())
    del store

    # The same records in other bytes (re-serialised, blank nodes relabelled): compared with the recomputed
    # hashes, none of them changed, "4.3460" included.
    feed = examples_copy / "feeds/assiette-commune.ttl"
    original = feed.read_bytes()
    feed.write_bytes(reserialised(original, 5))
    [run] = harvest(settings, ["assiette-commune"], progress=quiet).runs
    assert (run.counts["added"], run.counts["updated"], run.counts["removed"]) == (0, 0, 0), run
    assert run.counts["unchanged"] == run.counts["accepted"] > 10, run
    feed.write_bytes(original)

    # A record the migration rehashed ("4.3460") changes: patched against its restated version, it is described
    # exactly once, and nothing else moves.
    feed.write_text(feed.read_text(encoding="utf-8").replace('"Potager des Marolles"@fr',
                                                             '"Potager des Marolles (v2)"@fr'), encoding="utf-8")
    third = harvest(settings, ["assiette-commune"], progress=quiet)
    [run] = third.runs
    assert (run.counts["added"], run.counts["updated"], run.counts["removed"]) == (0, 1, 0), run
    with TestClient(create_app(settings)) as client:
        quads = dump_quads(client)
    assert_every_hash_recomputes(quads, 77)  # issue 22: without the 3 networks-only persons
    described = descriptions(quads)
    assert all(len(facts) == 6 for facts in described.values()), {g: len(f) for g, f in described.items()
                                                                    if len(f) != 6}
