"""The harvest pipeline on the example networks: counts, quarantine, provenance, generations."""

from __future__ import annotations

import json
from pathlib import Path

from pyoxigraph import NamedNode

from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.namespaces import sparql_prefixes
from hub.pipeline.harvest import HarvestSummary, harvest
from hub.store.interface import Reader
from hub.store.reader import PublishedReader
from tests.conftest import BASE, quiet

FOOD, TRANSITION, HEALTH = "assiette-commune", "quartiers-en-transition", "sante-solidaire"
GARDENS, REPAIR, AGENDA = "jardins-partages", "repair-cafes", "agenda-alternatives"
KNOWLEDGE = "savoirs-communs"  # every record valid: its run succeeds
SHARED_ORG = "https://potager-des-marolles.example/id/org"
REJECTED = {
    FOOD: "https://assiette-commune.example/id/sans-nom",
    TRANSITION: "https://quartiers-en-transition.example/id/hors-belgique",
    HEALTH: "https://sante-solidaire.example/id/hors-belgique",
}


def published_store(settings: Settings) -> Reader:
    """The published version, whichever backend holds it (HUB_TEST_STORE: tests/conftest.py)."""
    return PublishedReader(settings).published().store


def count(store: Reader, where: str) -> int:
    rows = store.select(sparql_prefixes() + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}")
    return int(rows[0]["n"].value)


def test_every_source_ran_partially_with_its_rejected_record(harvested: tuple[Settings, HarvestSummary]) -> None:
    _, summary = harvested
    runs = {run.source_id: run for run in summary.runs}
    # The GeoJSON and CSV examples each hold one bad feature or row: reported, their run partial.
    assert {sid: run.status for sid, run in runs.items()} == {
        FOOD: "partial", TRANSITION: "partial", HEALTH: "partial", KNOWLEDGE: "succeeded", GARDENS: "partial",
        REPAIR: "partial", AGENDA: "succeeded"}
    assert {sid: run.counts["accepted"] for sid, run in runs.items()} == {
        FOOD: 15, TRANSITION: 17, HEALTH: 21, KNOWLEDGE: 15, GARDENS: 5, REPAIR: 4, AGENDA: 3}
    assert {sid: run.counts["rejected"] for sid, run in runs.items()} == {
        FOOD: 1, TRANSITION: 1, HEALTH: 1, KNOWLEDGE: 0, GARDENS: 0, REPAIR: 0, AGENDA: 0}
    assert [e for e in runs[GARDENS].errors if "feature #5" in e and "[lat, lon]" in e]
    assert [e for e in runs[REPAIR].errors if "line 5" in e and "'pas encore' is not a number" in e]
    assert not summary.failed


def test_published_counts_by_kind(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    # Valid organisations and places (one in two networks under the same IRI; a bakery's second branch), the 5
    # gardens of the GeoJSON layer (one of them also on the food network, under another IRI) and the 4 repair cafés.
    assert count(store, "?s a ?t . VALUES ?t { schema:Organization schema:NGO schema:LocalBusiness "
                        "schema:GroceryStore schema:Store schema:MedicalClinic schema:Place schema:CivicStructure "
                        "hub:HealthStructure hub:AvailableSpace hub:GoodAddress }") == 46
    assert count(store, "?s a schema:Event") == 10  # 7 in Turtle/JSON-LD, 3 from the iCalendar feed
    assert count(store, "?s a schema:EducationEvent") == 1
    assert count(store, "?s a schema:DigitalDocument") == 4
    assert count(store, "?s a hub:ToolboxResource") == 2
    # A record's kind is that of its types (the kinds graph says which classes make which kind).
    kinds = {row["kind"].value: int(row["n"].value) for row in store.select(sparql_prefixes() + """
        SELECT ?kind (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?meta { ?g a hub:RecordGraph ; hub:recordSubject ?s }
          GRAPH ?g { ?s a ?type } GRAPH ?kinds { ?type hub:recordKind ?kind } } GROUP BY ?kind""")}
    assert kinds == {"organization": 47, "event": 11, "resource": 6, "knowledge": 4, "publication": 2, "funding": 2,
                     # issue 22: the health directory's three networks-only persons are in the contact book, not here
                     "person": 2, "recommendation": 3}


def test_the_shared_organisation_has_one_graph_per_network(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(sparql_prefixes() + f"""
        SELECT ?source WHERE {{ GRAPH ?meta {{ ?g hub:recordSubject <{SHARED_ORG}> ; dcterms:source ?source }} }}""")
    assert sorted(r["source"].value for r in rows) == [f"{BASE}source/{FOOD}", f"{BASE}source/{TRANSITION}"]


def test_rejected_records_are_quarantined_privately_and_never_published(
    harvested: tuple[Settings, HarvestSummary],
) -> None:
    settings, _ = harvested
    store = published_store(settings)
    for source_id, subject in REJECTED.items():
        assert not store.ask(f"ASK {{ GRAPH ?g {{ <{subject}> ?p ?o }} }}")
        folder = settings.data_dir / "private" / "quarantine" / source_id
        document = json.loads((folder / (folder / "latest").read_text().strip()).read_text())
        [entry] = document["records"]
        assert entry["subject"] == subject
        assert entry["nquads"]  # the values are kept, privately: nothing is lost
        messages = [r["message"] for r in entry["results"]]
        assert all(set(m) == {"fr", "nl", "en"} for m in messages)
    food = json.loads(next((settings.data_dir / "private/quarantine" / FOOD).glob("*.json")).read_text())
    assert any(r["path"] == "https://schema.org/name" for r in food["records"][0]["results"])


def test_provenance_of_a_chosen_triple(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(sparql_prefixes() + """
        SELECT ?g ?source ?run ?doc ?start ?end ?license ?hash ?fetched ?payload WHERE {
          GRAPH ?g { <https://assiette-commune.example/id/vrac-ixelles> schema:name ?name }
          GRAPH ?meta {
            ?g dcterms:source ?source ; prov:wasGeneratedBy ?run ; hub:contentHash ?hash ; hub:fetch ?fetch .
            ?fetch prov:wasGeneratedBy ?run ; hub:document ?doc ; prov:generatedAtTime ?fetched ;
                   dcterms:license ?license ; hub:payload ?payload .
            ?run a prov:Activity ; prov:endedAtTime ?end ; prov:startedAtTime ?start ; prov:used ?payload ;
                 dcterms:source ?source .
            ?payload prov:generatedAtTime ?latest ; prov:wasDerivedFrom ?doc .
          }
        }""")
    assert rows, "the chosen triple must be traceable"
    row = rows[0]
    assert row["g"].value.startswith(f"{BASE}graph/{FOOD}/")
    assert row["source"].value == f"{BASE}source/{FOOD}"
    assert row["run"].value.startswith(f"{BASE}run/{FOOD}/")
    assert row["doc"].value == "file:feeds/assiette-commune.ttl"
    # The document was fetched during the run that wrote the graph (model 2: its fetch node says when).
    assert row["start"].value <= row["fetched"].value <= row["end"].value
    assert row["license"].value == "https://creativecommons.org/licenses/by/4.0/"
    assert row["hash"].value.startswith("sha256:") and len(row["hash"].value) == 71
    assert row["payload"].value.startswith(f"{BASE}payload/")


def test_default_graph_is_empty_and_every_graph_is_described(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    assert store.default_graph_size() == 0
    meta = NamedNode(f"{BASE}graph/meta")
    for graph in store.named_graphs():
        # A time and a licence: a record graph's through its run and its fetch node (provenance model 2).
        assert store.ask(f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/>
            PREFIX hub: <https://w3id.org/mutualisons/ns#>
            ASK {{ GRAPH <{meta.value}> {{
              {{ <{graph.value}> prov:generatedAtTime ?t ; dcterms:license ?l }}
              UNION {{ <{graph.value}> a hub:RecordGraph ; prov:wasGeneratedBy ?run ; hub:fetch ?fetch .
                      ?run prov:endedAtTime ?t . ?fetch dcterms:license ?l }} }} }}"""), graph


def test_sources_are_described_as_dcat(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(sparql_prefixes() + f"""SELECT ?id ?url WHERE {{ GRAPH <{BASE}graph/sources> {{
        ?s a dcat:Dataset ; dcterms:identifier ?id ; dcat:distribution/dcat:accessURL ?url }} }} ORDER BY ?id""")
    assert [r["id"].value for r in rows] == sorted([FOOD, TRANSITION, HEALTH, KNOWLEDGE, GARDENS, REPAIR, AGENDA])


def harvest_into(tmp_path: Path, examples: Path, *ids: str) -> HarvestSummary:
    settings = Settings(sources_path=examples / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    return harvest(settings, ids, progress=quiet)


def test_a_second_harvest_rewrites_nothing(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy)
    again = harvest_into(tmp_path, examples_copy)
    for run in again.runs:
        assert run.counts["added"] == run.counts["updated"] == run.counts["removed"] == 0
        assert run.counts["unchanged"] == run.counts["accepted"]


def test_an_edit_rewrites_one_record_and_a_removal_leaves_a_tombstone(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, FOOD)
    feed = examples_copy / "feeds" / "assiette-commune.ttl"
    text = feed.read_text(encoding="utf-8")
    name = '"L\'Épicerie Vrac du Coin"@fr'
    assert name in text
    feed.write_text(text.replace(name, '"L\'Épicerie Vrac du Coin (coop)"@fr'), encoding="utf-8")
    [run] = harvest_into(tmp_path, examples_copy, FOOD).runs
    assert (run.counts["updated"], run.counts["added"], run.counts["removed"]) == (1, 0, 0)
    assert run.counts["unchanged"] == 14

    # Drop the edited shop from the feed: its graph goes, a tombstone says why.
    kept = [block for block in feed.read_text(encoding="utf-8").split("\n\n")
            if not block.startswith("ac:vrac-ixelles a")]
    feed.write_text("\n\n".join(kept), encoding="utf-8")
    [run] = harvest_into(tmp_path, examples_copy, FOOD).runs
    assert run.counts["removed"] == 1
    settings = Settings(examples_copy / "sources.toml", tmp_path / "data", BASE)
    store = published_store(settings)
    assert store.ask(sparql_prefixes() + """ASK { GRAPH ?meta {
        ?g a hub:Tombstone ; hub:recordSubject <https://assiette-commune.example/id/vrac-ixelles> ;
           hub:tombstoneReason "left the feed" } }""")


def test_a_broken_document_keeps_the_records_it_gave_before(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, HEALTH)
    broken = examples_copy / "feeds" / "sante-solidaire" / "agenda.ttl"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n<a> <b> \"unterminated .\n", encoding="utf-8")
    [run] = harvest_into(tmp_path, examples_copy, HEALTH).runs
    assert run.status == "partial"
    assert any("agenda.ttl: turtle line" in error for error in run.errors), run.errors
    assert run.counts["removed"] == 0


def test_a_missing_folder_fails_the_run_and_keeps_its_records(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, HEALTH)
    (examples_copy / "feeds" / "sante-solidaire").rename(examples_copy / "feeds" / "moved")
    [run] = harvest_into(tmp_path, examples_copy, HEALTH).runs
    assert run.status == "failed" and run.counts["removed"] == 0
    # No machine path in the line.
    assert run.errors == ["file:feeds/sante-solidaire/: this folder does not exist [fetch.folder-missing]"]
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    assert count(store, f"GRAPH ?meta {{ ?s a hub:RecordGraph ; dcterms:source <{BASE}source/{HEALTH}> }}") == 18


def test_a_payload_fetched_twice_is_described_once(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, FOOD)
    harvest_into(tmp_path, examples_copy, FOOD)
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    rows = store.select(sparql_prefixes() + "SELECT ?p ?t WHERE { GRAPH ?meta { ?p a hub:Payload ; "
                                            "prov:generatedAtTime ?t } }")
    assert len(rows) == 1


def test_a_source_whose_every_document_fails_is_a_failed_run(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, FOOD)
    (examples_copy / "feeds" / "assiette-commune.ttl").write_text("@prefix broken", encoding="utf-8")
    summary = harvest_into(tmp_path, examples_copy, FOOD)
    assert summary.failed and summary.runs[0].status == "failed"
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    assert count(store, "GRAPH ?meta { ?s a hub:RecordGraph ; dcterms:source ?src . "
                        f"FILTER(?src = <{BASE}source/{FOOD}>) }}") == 15


def test_a_source_removed_from_the_file_is_tombstoned(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy)
    toml = examples_copy / "sources.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[: text.index("[[source]]\nid = \"sante-solidaire\"")], encoding="utf-8")
    summary = harvest_into(tmp_path, examples_copy)
    removed = [run for run in summary.runs if run.source_id == HEALTH]
    assert removed and removed[0].counts["removed"] == 18  # the 3 networks-only persons were never public
    store = published_store(Settings(toml, tmp_path / "data", BASE))
    assert count(store, f"GRAPH ?meta {{ ?s a hub:RecordGraph ; dcterms:source <{BASE}source/{HEALTH}> }}") == 0


def test_an_interrupted_harvest_is_rolled_back_to_the_last_generation(tmp_path: Path, examples_copy: Path) -> None:
    harvest_into(tmp_path, examples_copy, FOOD)
    data = DataDir(tmp_path / "data")
    # Simulate a harvest killed while writing: garbage in the working store, the dirty marker left.
    from hub.store.embedded import WorkingStore

    working = WorkingStore(data.working)
    working.update("INSERT DATA { GRAPH <http://junk.example/g> { <http://junk.example/s> <http://junk.example/p> 1 } }"
                   )
    working.close()
    del working
    data.dirty_marker.touch()
    harvest_into(tmp_path, examples_copy, FOOD)
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    assert not store.has_graph(NamedNode("http://junk.example/g"))


def test_mapped_sources_name_their_mapping_in_the_sources_graph(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(sparql_prefixes() + f"""SELECT ?id ?mapping WHERE {{ GRAPH <{BASE}graph/sources> {{
        ?s dcterms:identifier ?id ; hub:mapping ?mapping }} }} ORDER BY ?id""")
    assert [(r["id"].value, r["mapping"].value) for r in rows] == [
        (AGENDA, "mappings/agenda-alternatives.toml"), (GARDENS, "mappings/jardins-partages.toml"),
        (REPAIR, "mappings/repair-cafes.toml")]


def test_the_same_bytes_report_the_same_errors_again(tmp_path: Path, examples_copy: Path) -> None:
    """A broken feed fetched again, byte for byte, fails again with its errors (it once said "succeeded
    (unchanged)", and the dashboard turned green); a partial one stays partial with its row errors."""
    harvest_into(tmp_path, examples_copy, FOOD, REPAIR)
    (examples_copy / "feeds" / "assiette-commune.ttl").write_text("@prefix broken", encoding="utf-8")
    first = {run.source_id: run for run in harvest_into(tmp_path, examples_copy, FOOD, REPAIR).runs}
    again = {run.source_id: run for run in harvest_into(tmp_path, examples_copy, FOOD, REPAIR).runs}
    assert first[FOOD].status == again[FOOD].status == "failed"
    assert again[FOOD].errors == first[FOOD].errors and "turtle line 1" in again[FOOD].errors[0]
    assert first[REPAIR].status == again[REPAIR].status == "partial"
    assert again[REPAIR].errors == first[REPAIR].errors == [
        "file:feeds/repair-cafes.csv: line 5: field 'latitude': 'pas encore' is not a number"]
    assert again[REPAIR].counts["unchanged"] == 4 and again[REPAIR].counts["bytes"] == 0


def test_a_short_csv_row_loses_no_record(tmp_path: Path, examples_copy: Path) -> None:
    """One short row once made the whole table misread and every record of the source tombstoned."""
    harvest_into(tmp_path, examples_copy, REPAIR)
    feed = examples_copy / "feeds" / "repair-cafes.csv"
    lines = feed.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = ";".join(lines[2].split(";")[:4])  # rc-02, Schaerbeek: 4 cells of 10
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [run] = harvest_into(tmp_path, examples_copy, REPAIR).runs
    assert run.status == "partial" and run.counts["removed"] == 0 and run.counts["unchanged"] == 3
    assert "file:feeds/repair-cafes.csv: line 3: 4 cell(s) where the header has 10; row skipped" in run.errors
    assert any("kept as they were: a failed row may be theirs" in warning for warning in run.warnings)
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    assert count(store, f"GRAPH ?meta {{ ?s a hub:RecordGraph ; dcterms:source <{BASE}source/{REPAIR}> }}") == 4
    assert store.ask('ASK { ?s <https://schema.org/name> "Repair Café Schaerbeek"@fr }')


def test_a_document_of_a_folder_that_gives_no_record_is_held(tmp_path: Path, examples_copy: Path) -> None:
    """Under max_removal for the source, but one of its documents now gives nothing: held too."""
    [first] = harvest_into(tmp_path, examples_copy, HEALTH).runs
    (examples_copy / "feeds" / "sante-solidaire" / "agenda.ttl").write_text("# emptied\n", encoding="utf-8")
    [run] = harvest_into(tmp_path, examples_copy, HEALTH).runs
    assert run.status == "failed" and run.counts["removed"] == 0
    assert run.errors[0].startswith("held: this run would remove all ")
    assert "published record(s) of the document file:feeds/sante-solidaire/agenda.ttl, which now gives no record " \
           "at all; that needs a confirmation; nothing of the source was changed." in run.errors[0]
    store = published_store(Settings(examples_copy / "sources.toml", tmp_path / "data", BASE))
    assert count(store, f"GRAPH ?meta {{ ?s a hub:RecordGraph ; dcterms:source <{BASE}source/{HEALTH}> }}") \
        == first.counts["accepted"] - 3  # issue 22: its 3 networks-only persons are accepted into the contact book
