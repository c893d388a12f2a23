"""The store contract (DESIGN.md, "The store"; hub/store/interface.py): what any store backend must do, whatever
it is. A backend passes it with a subclass of `StoreContract` in a `test_` module that says how to make an empty
store and how to run queries under a deadline (tests/test_store_contract.py does it for the embedded store; a
SPARQL 1.1 server adds its own subclass with its fixture).

The writes here are those a harvest makes for one source (hub/pipeline/record_writer.py): each record in a graph
of its own, loaded as N-Quads with its description in the meta graph; a changed record patched statement by
statement; a removed one dropped with its description; then the version is published.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.core.namespaces import DCTERMS, HUB, RDF, SCHEMA, XSD
from hub.store.interface import Reader, Store

BASE = "https://hub.test/"
META = NamedNode(f"{BASE}graph/meta")
NAME = f"<{SCHEMA}name>"
# Runs for ever on a few dozen statements: eight patterns joined with nothing in common.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"
Rows = list[dict[str, str]]


class DeadlinePassed(Exception):
    """The backend stopped a query at its deadline."""


def source(source_id: str) -> NamedNode:
    return NamedNode(f"{BASE}source/{source_id}")


def graph(source_id: str, key: str) -> NamedNode:
    return NamedNode(f"{BASE}graph/{source_id}/{key}")


def subject(source_id: str, key: str) -> str:
    return f"<{BASE}id/organization/{source_id}-{key}>"


def record_lines(source_id: str, key: str, name: str) -> list[str]:
    """A record's statements in its graph, as the harvest writes them (N-Quads lines)."""
    g = graph(source_id, key)
    s = subject(source_id, key)
    return [f'{s} <{RDF}type> <{SCHEMA}Organization> {g} .', f'{s} {NAME} "{name}"@fr {g} .']


def description_lines(source_id: str, key: str) -> list[str]:
    """The record graph's description in the meta graph."""
    g = graph(source_id, key)
    return [f"{g} <{RDF}type> <{HUB}RecordGraph> {META} .",
            f"{g} <{DCTERMS}source> {source(source_id)} {META} .",
            f"{g} <{HUB}recordSubject> {subject(source_id, key)} {META} .",
            f'{g} <{HUB}contentHash> "sha256:{key}" {META} .']


def version(source_id: str, names: dict[str, str]) -> bytes:
    """A source's records (key -> name) with their descriptions, as one load of N-Quads."""
    lines = [line for key, name in names.items()
             for line in record_lines(source_id, key, name) + description_lines(source_id, key)]
    return "\n".join(lines).encode("utf-8")


def record_graphs(reader: Reader, source_id: str) -> set[str]:
    rows = reader.select(f"SELECT ?g WHERE {{ GRAPH {META} {{ ?g a <{HUB}RecordGraph> ; "
                         f"<{DCTERMS}source> {source(source_id)} }} }}")
    return {row["g"].value for row in rows}


def names(reader: Reader) -> dict[str, str]:
    """graph IRI -> the name its record has."""
    rows = reader.select(f"SELECT ?g ?name WHERE {{ GRAPH ?g {{ ?s {NAME} ?name }} }}")
    return {row["g"].value: row["name"].value for row in rows}


class StoreContract(ABC):
    """Every backend passes these. A subclass implements `make_store` and `run_queries`."""

    @abstractmethod
    def make_store(self, folder: Path) -> Store:
        """An empty store, nothing published yet (`folder` is the test's own, for what the backend keeps)."""

    @abstractmethod
    def run_queries(self, store: Store, queries: list[str], deadline: float) -> list[Rows | DeadlinePassed]:
        """Runs the queries one after the other on the published version, each stopped at `deadline` seconds;
        gives each one's rows ({variable: lexical value}) or DeadlinePassed."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        made = self.make_store(tmp_path)
        try:
            yield made
        finally:
            made.close()

    # -- publish a source version

    def test_a_source_version_is_seen_once_published_and_whole(self, store: Store) -> None:
        assert store.published() is None
        store.writer.load_nquads(version("a", {"1": "Potager", "2": "Épicerie", "3": "Atelier"}))
        assert store.published() is None  # written is not published
        first = store.publish()
        reader = store.published()
        assert reader is not None
        assert record_graphs(reader, "a") == {graph("a", key).value for key in "123"}
        assert names(reader) == {graph("a", "1").value: "Potager", graph("a", "2").value: "Épicerie",
                                 graph("a", "3").value: "Atelier"}
        assert reader.has_graph(graph("a", "2")) and not reader.has_graph(graph("a", "4"))
        assert reader.count_quads() == 3 * 6
        # Nothing lands in the default graph: the union of the named graphs is what queries see.
        assert reader.ask(f"ASK {{ ?s {NAME} \"Atelier\"@fr }}")
        store.writer.load_nquads(version("a", {"4": "Café"}))
        assert store.publish() > first

    def test_the_next_version_stays_unseen_until_it_is_published(self, store: Store) -> None:
        store.writer.load_nquads(version("a", {"1": "Potager", "2": "Épicerie"}))
        store.publish()
        writer = store.writer
        # The next run of the source: record 1 changed (patched), 2 left the feed, 3 is new.
        g1, g2 = graph("a", "1"), graph("a", "2")
        writer.delete_nquads([f'{subject("a", "1")} {NAME} "Potager"@fr {g1} .',
                              f'{g1} <{HUB}contentHash> "sha256:1" {META} .'])
        writer.load_nquads(f'{subject("a", "1")} {NAME} "Potager des Marolles"@fr {g1} .\n'
                           f'{g1} <{HUB}contentHash> "sha256:1b" {META} .'.encode())
        writer.drop_graphs([g2])
        writer.remove_descriptions([g2], META)
        writer.load_nquads(version("a", {"3": "Atelier"}))
        before = store.published()
        assert before is not None
        assert names(before) == {g1.value: "Potager", g2.value: "Épicerie"}  # the last published version, whole
        store.publish()
        after = store.published()
        assert after is not None
        assert names(after) == {g1.value: "Potager des Marolles", graph("a", "3").value: "Atelier"}
        assert record_graphs(after, "a") == {g1.value, graph("a", "3").value}
        assert after.subject_quads(g2, META) == []  # its description went with it
        assert [q.object for q in after.subject_quads(g1, META) if q.predicate.value == HUB + "contentHash"] \
            == [Literal("sha256:1b")]

    # -- read a graph

    def test_a_graph_reads_back_as_written(self, store: Store) -> None:
        g = graph("a", "terms")
        s, address = NamedNode(f"{BASE}id/place/a-terms"), BlankNode()
        quads = [
            Quad(s, NamedNode(SCHEMA + "name"), Literal("Maison \"Bij\"\nà Bruxelles", language="fr"), g),
            Quad(s, NamedNode(SCHEMA + "name"), Literal("Huis Bij", language="nl"), g),
            Quad(s, NamedNode(SCHEMA + "latitude"), Literal("50.8466", datatype=NamedNode(XSD + "decimal")), g),
            Quad(s, NamedNode(SCHEMA + "foundingDate"), Literal("2019-03-01", datatype=NamedNode(XSD + "date")), g),
            Quad(s, NamedNode(SCHEMA + "address"), address, g),
            Quad(address, NamedNode(SCHEMA + "postalCode"), Literal("1000"), g),
        ]
        store.writer.replace_graph(g, quads)
        store.writer.replace_graph(g, quads)  # a PUT again: the same graph, not twice the statements
        store.publish()
        reader = store.published()
        assert reader is not None
        read = reader.graph_quads(g)
        assert len(read) == len(quads)
        named = [q for q in read if isinstance(q.subject, NamedNode)]
        assert {(q.predicate, q.object) for q in named if not isinstance(q.object, BlankNode)} \
            == {(q.predicate, q.object) for q in quads[:4]}
        [link] = [q for q in named if isinstance(q.object, BlankNode)]
        # A blank node keeps its links (its label is the store's own).
        assert [(q.predicate, q.object) for q in read if q.subject == link.object] \
            == [(NamedNode(SCHEMA + "postalCode"), Literal("1000"))]
        assert all(q.graph_name == g for q in read)
        assert reader.graph_quads(graph("a", "nothing")) == []
        # Several graphs read at once (the gateway's index): the same statements, an absent graph empty.
        both = reader.graphs_quads([g, graph("a", "nothing")])
        assert sorted(map(str, both[g.value])) == sorted(map(str, read)) and both[graph("a", "nothing").value] == []

    # -- drop a source

    def test_dropping_a_source_takes_its_records_and_their_descriptions_only(self, store: Store) -> None:
        store.writer.load_nquads(version("a", {"1": "Potager", "2": "Épicerie"}))
        store.writer.load_nquads(version("b", {"1": "Repair café"}))
        store.publish()
        dropped = store.writer.drop_source(source("a"), META)
        assert {g.value for g in dropped} == {graph("a", "1").value, graph("a", "2").value}
        store.publish()
        reader = store.published()
        assert reader is not None
        assert record_graphs(reader, "a") == set()
        assert not reader.has_graph(graph("a", "1"))
        assert reader.subject_quads(graph("a", "2"), META) == []
        assert names(reader) == {graph("b", "1").value: "Repair café"}
        assert record_graphs(reader, "b") == {graph("b", "1").value}
        assert store.writer.drop_source(source("nobody"), META) == []

    # -- query with a deadline

    def test_a_query_answers_within_its_deadline_and_a_runaway_is_stopped_at_it(self, store: Store) -> None:
        store.writer.load_nquads(version("a", {"1": "Potager", "2": "Épicerie", "3": "Atelier"}))
        store.publish()
        deadline = 2.0
        named = f"SELECT ?name WHERE {{ ?s {NAME} ?name }} ORDER BY ?name"
        started = time.monotonic()
        answers = self.run_queries(store, [named, RUNAWAY, named], deadline)
        took = time.monotonic() - started
        assert answers[0] == [{"name": "Atelier"}, {"name": "Potager"}, {"name": "Épicerie"}]
        assert isinstance(answers[1], DeadlinePassed)  # stopped, not answered
        assert answers[2] == answers[0]  # and the store answers the next query
        # The runaway cost its deadline, not more (a margin for starting the backend's query machinery).
        assert took < deadline + 15
