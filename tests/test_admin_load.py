"""`mutualisons load FILE --graph IRI`: run as a user would, then read back from the published generation."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hub.core.config import Settings
from hub.core.lock import WriterLock
from hub.core.namespaces import sparql_prefixes
from hub.pipeline.harvest import harvest
from tests.conftest import BASE, quiet
from tests.test_cli import cli
from tests.test_pipeline import published_store
from tests.test_provenance_terms import ADMIN_TERMS, documented_terms

VOCAB = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://ref.example/scheme/food> a skos:Concept ; skos:prefLabel "alimentation"@fr, "voeding"@nl .
<https://ref.example/scheme/health> a skos:Concept ; skos:prefLabel "santé"@fr .
"""
GRAPH = "https://ref.example/graph/themes"


def settings_for(data: Path, sources: Path | None = None) -> Settings:
    return Settings(sources_path=sources or Path("examples/sources.toml"), data_dir=data, base_iri=BASE)


def description(data: Path) -> dict[str, str]:
    store = published_store(settings_for(data))
    rows = store.select(f"SELECT ?p ?o WHERE {{ GRAPH <{BASE}graph/meta> {{ <{GRAPH}> ?p ?o }} }}")
    return {row["p"].value: row["o"].value for row in rows}


def test_load_describes_the_graph_as_loaded_by_an_administrator(tmp_path: Path) -> None:
    file = tmp_path / "themes.ttl"
    file.write_text(VOCAB, encoding="utf-8")
    data = tmp_path / "data"
    result = cli("--base-iri", BASE, "load", str(file), "--graph", GRAPH, "--by", "Alice Admin",
                 "--license", "https://creativecommons.org/licenses/by/4.0/", data=data)
    assert result.returncode == 0, result.stderr
    assert "loaded 5 triples" in result.stdout and "generation 1" in result.stdout
    about = description(data)
    hub = "https://w3id.org/mutualisons/ns#"
    assert about["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"] == hub + "AdminGraph"
    assert about[hub + "loadedBy"] == "Alice Admin"
    assert about[hub + "fileName"] == "themes.ttl"
    assert about[hub + "fileHash"] == "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
    assert about["http://purl.org/dc/terms/license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "http://www.w3.org/ns/prov#generatedAtTime" in about
    assert ADMIN_TERMS <= documented_terms()
    store = published_store(settings_for(data))
    assert store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ <https://ref.example/scheme/health> ?p ?o }} }}")
    # The meta graph describes itself, so every quad lies in a described graph even without a harvest.
    assert store.ask(f"ASK {{ GRAPH <{BASE}graph/meta> {{ <{BASE}graph/meta> a <{hub}HubGraph> }} }}")

    # Loading again replaces the graph and its description, in a new generation.
    file.write_text(VOCAB.splitlines()[0] + "\n" + VOCAB.splitlines()[2] + "\n", encoding="utf-8")
    again = cli("--base-iri", BASE, "load", str(file), "--graph", GRAPH, data=data)
    assert again.returncode == 0 and "loaded 2 triples" in again.stdout and "generation 2" in again.stdout
    store = published_store(settings_for(data))
    assert not store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ <https://ref.example/scheme/food> ?p ?o }} }}")
    assert "http://purl.org/dc/terms/license" not in description(data)


def test_bad_files_and_graphs_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://a.example/s> <https://a.example/p> .\n", encoding="utf-8")
    result = cli("--base-iri", BASE, "load", str(broken), "--graph", GRAPH, data=data)
    assert result.returncode == 2
    assert "broken.ttl" in result.stderr and "line 1" in result.stderr
    assert str(tmp_path) not in result.stderr
    good = tmp_path / "good.nt"
    good.write_text("<https://a.example/s> <https://a.example/p> <https://a.example/o> .\n", encoding="utf-8")
    own = cli("--base-iri", BASE, "load", str(good), "--graph", f"{BASE}graph/meta", data=data)
    assert own.returncode == 2 and "graph the hub mints" in own.stderr
    relative = cli("--base-iri", BASE, "load", str(good), "--graph", "not an iri", data=data)
    assert relative.returncode == 2 and "absolute IRI" in relative.stderr
    quads = tmp_path / "graphs.nq"
    quads.write_text("<https://a.example/s> <https://a.example/p> <https://a.example/o> <https://a.example/g> .\n",
                     encoding="utf-8")
    named = cli("--base-iri", BASE, "load", str(quads), "--graph", GRAPH, data=data)
    assert named.returncode == 2 and "named graph" in named.stderr
    data.mkdir(exist_ok=True)
    with WriterLock(data / "harvest.lock"):
        locked = cli("--base-iri", BASE, "load", str(good), "--graph", GRAPH, data=data)
    assert locked.returncode == 1 and "already running" in locked.stderr


def test_a_harvest_keeps_loaded_graphs(tmp_path: Path, examples_copy: Path) -> None:
    file = tmp_path / "themes.ttl"
    file.write_text(VOCAB, encoding="utf-8")
    data = tmp_path / "data"
    settings = settings_for(data, examples_copy / "sources.toml")
    harvest(settings, progress=quiet)
    assert cli("--base-iri", BASE, "load", str(file), "--graph", GRAPH, data=data).returncode == 0
    harvest(settings, progress=quiet)
    store = published_store(settings)
    assert store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")
    assert store.ask(sparql_prefixes() + "ASK { GRAPH ?g { ?o a schema:Organization } }")
    assert description(data)["https://w3id.org/mutualisons/ns#fileName"] == "themes.ttl"
