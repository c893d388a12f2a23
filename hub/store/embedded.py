"""The only module that builds a `pyoxigraph.Store` (tests/test_layout.py checks it): the working store, the
published generations read-only, and the in-memory store of a validation batch.

`WorkingStore` is the store interface's `Writer` and `ReadOnlyStore` its `Reader` (hub/store/interface.py): SPARQL
text, terms and N-Quads, each operation one that a SPARQL 1.1 server could do with one Update or Graph Store
request, so a server can take the embedded store's place.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, QuerySolutions, RdfFormat, Store

from hub.core.namespaces import DCTERMS, HUB
from hub.store.interface import QueryResult

COMPACT_AFTER = 200_000  # statements written in bulk after which a harvest compacts the store it publishes


class _Queryable:
    _store: Store

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
        own_dataset: bool = False,
    ) -> QueryResult:
        """Runs a query. With no dataset given, the default graph is the union of the named graphs.

        With a dataset given (SPARQL Protocol `default-graph-uri` / `named-graph-uri`), it is exactly
        that dataset: an absent list is empty. With none given and `own_dataset` (the query has FROM or
        FROM NAMED), the query's own dataset applies: pyoxigraph's union flag would override it.
        `base_iri` resolves the query's relative IRIs.
        """
        if default_graphs is None and named_graphs is None:
            if own_dataset:
                return self._store.query(sparql, base_iri=base_iri)
            return self._store.query(sparql, use_default_graph_as_union=True, base_iri=base_iri)
        return self._store.query(
            sparql,
            default_graph=list(default_graphs or []),
            named_graphs=list(named_graphs or []),
            base_iri=base_iri,
        )

    def select(self, sparql: str) -> list[dict[str, Any]]:
        """A SELECT as a list of {variable: term} rows (unbound variables left out)."""
        result = self.query(sparql)
        if not isinstance(result, QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row: dict[str, Any] = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return rows

    def ask(self, sparql: str) -> bool:
        return bool(self.query(sparql))

    def graph_quads(self, graph: NamedNode) -> list[Quad]:
        return list(self._store.quads_for_pattern(None, None, None, graph))

    def graphs_quads(self, graphs: Sequence[NamedNode]) -> dict[str, list[Quad]]:
        return {graph.value: self.graph_quads(graph) for graph in graphs}

    def object_quads(self, obj: NamedNode, predicate: NamedNode | None = None) -> list[Quad]:
        """Every quad pointing at a node, in any graph."""
        return list(self._store.quads_for_pattern(None, predicate, obj, None))

    def subject_quads(self, subject: NamedNode | BlankNode, graph: NamedNode | None = None) -> list[Quad]:
        """Every quad about one subject, in one graph or in all of them."""
        return list(self._store.quads_for_pattern(subject, None, None, graph))

    def named_graphs(self) -> Iterator[NamedNode]:
        for graph in self._store.named_graphs():
            if isinstance(graph, NamedNode):
                yield graph

    def has_graph(self, graph: NamedNode) -> bool:
        return bool(self._store.contains_named_graph(graph))

    def default_graph_size(self) -> int:
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, DefaultGraph()))

    def dump_nquads(self) -> bytes:
        return self._store.dump(format=RdfFormat.N_QUADS) or b""

    def count_quads(self) -> int:
        return len(self._store)


class WorkingStore(_Queryable):
    """The read-write store of the single writer (the harvest). Opened by nobody else."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._opened: Store | None = None
        self._closed = False
        # Statements loaded or deleted in bulk since the store opened (see `needs_compaction`).
        self.bulk_written = 0

    def open(self) -> None:
        """Opens the RocksDB store now; otherwise it opens at its first use.

        Opening it sets RocksDB compacting what the last harvest wrote, on both cores (about 6 s of
        CPU after 100k records written): the harvest opens it while a core would sit idle (a
        document parsed in one process), not while both parse (hub/pipeline/halves.py)."""
        if self._closed:
            raise RuntimeError(f"the working store {self.path} was closed")
        if self._opened is None:
            self._opened = Store(str(self.path))

    @property
    def _store(self) -> Store:  # type: ignore[override]
        if self._opened is None:
            self.open()
        assert self._opened is not None
        return self._opened

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        """Graph Store PUT: the graph's content becomes exactly `quads`."""
        self._store.remove_graph(graph) if self._store.contains_named_graph(graph) else None
        self._store.extend(Quad(q.subject, q.predicate, q.object, graph) for q in quads)

    def drop_graph(self, graph: NamedNode) -> None:
        """Graph Store DELETE."""
        if self._store.contains_named_graph(graph):
            self._store.remove_graph(graph)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        self._store.extend(quads)

    def remove_matching(
        self, subject: NamedNode | None, predicate: NamedNode | None, graph: NamedNode
    ) -> int:
        """DELETE WHERE { GRAPH g { s p ?o } } for a fixed subject and/or predicate."""
        matches = list(self._store.quads_for_pattern(subject, predicate, None, graph))
        for quad in matches:
            self._store.remove(quad)
        return len(matches)

    def bulk_load_nquads(self, data: bytes) -> None:
        """Fast, non-transactional load: atomicity comes from generations."""
        self._store.bulk_load(data, format=RdfFormat.N_QUADS)
        self.bulk_written += data.count(b"\n")

    def load_nquads(self, data: bytes) -> None:
        """Graph Store POST of N-Quads: bulk for large loads, transactional for small ones."""
        if len(data) > 4_000_000:
            # lenient: the hub's own N-Quads come from pyoxigraph's serialiser, already checked (10% faster).
            self._store.bulk_load(data, format=RdfFormat.N_QUADS, lenient=True)
            self.bulk_written += data.count(b"\n")
        elif data:
            self._store.load(data, format=RdfFormat.N_QUADS)

    def delete_nquads(self, lines: Sequence[str], chunk: int = 20_000) -> None:
        """DELETE DATA of N-Quads lines (`S P O G .`, no blank node: DELETE DATA takes none), one SPARQL
        Update per chunk: about twice as fast as dropping whole graphs, so a changed record loses only
        its changed statements."""
        self.bulk_written += len(lines)
        for start in range(0, len(lines), chunk):
            blocks = []
            for line in lines[start:start + chunk]:
                statement, graph = line[:-2].rsplit(" ", 1)
                blocks.append(f"GRAPH {graph} {{ {statement} }}")
            self._store.update("DELETE DATA { " + "\n".join(blocks) + " }")

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        for graph in graphs:
            self.drop_graph(graph)

    def drop_source(self, source: NamedNode, meta: NamedNode, chunk: int = 5000) -> list[NamedNode]:
        """Drops every record graph the meta graph attributes to `source`, with its description there;
        returns the graphs dropped."""
        rows = self.select(f"SELECT ?g WHERE {{ GRAPH {meta} {{ ?g a <{HUB}RecordGraph> ; "
                           f"<{DCTERMS}source> {source} }} }}")
        graphs = sorted({row["g"] for row in rows if isinstance(row["g"], NamedNode)}, key=lambda graph: graph.value)
        for start in range(0, len(graphs), chunk):
            self.drop_graphs(graphs[start:start + chunk])
            self.remove_descriptions(graphs[start:start + chunk], meta)
        return graphs

    def remove_descriptions(self, subjects: Sequence[NamedNode], graph: NamedNode, chunk: int = 5000) -> None:
        """DELETE every statement about these subjects in one graph (one SPARQL Update per chunk)."""
        for start in range(0, len(subjects), chunk):
            values = " ".join(str(subject) for subject in subjects[start:start + chunk])
            self._store.update(f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                               f"WHERE {{ VALUES ?s {{ {values} }} GRAPH {graph} {{ ?s ?p ?o }} }}")

    def flush(self) -> None:
        """Writes what RocksDB holds in memory to disk (memory, not durability: generations give that)."""
        self._store.flush()

    def needs_compaction(self, threshold: int | None = None) -> bool:
        """Whether `threshold` statements or more were loaded or deleted in bulk since the store opened.
        Bulk loads leave many overlapping files behind: a generation checkpointed from them reads
        about half as fast (point queries, scans, the gateway's index), and whoever opens the store
        next finds RocksDB compacting them on both cores (about 6 s of CPU after 100k records)."""
        return self.bulk_written >= (COMPACT_AFTER if threshold is None else threshold)

    def compact(self) -> None:
        """RocksDB's full compaction (about 5 s at 100k records); it lets go of the GIL."""
        self._store.optimize()
        self.bulk_written = 0

    def checkpoint(self, target: Path) -> None:
        """A RocksDB checkpoint (hard links) of the store into a folder that must not exist."""
        self._store.flush()
        self._store.backup(str(target))

    def release_checkpoint(self, checkpoint: Path) -> None:
        """The checkpoint's hard links would keep replaced files on disk."""
        shutil.rmtree(checkpoint, ignore_errors=True)

    def roll_back_to(self, checkpoint: Path) -> None:
        """Makes a checkpoint taken with `checkpoint` the working store again: whatever was written
        since is undone (a failed source's writes). The store reopens at its next use."""
        self._opened = None
        gc.collect()  # pyoxigraph lets go of RocksDB (and its lock) with the last reference to the store
        shutil.rmtree(self.path)
        os.replace(checkpoint, self.path)
        (self.path / "LOCK").unlink(missing_ok=True)  # RocksDB makes its own

    def close(self) -> None:
        # pyoxigraph releases the RocksDB lock when the object is collected.
        self._opened = None
        self._closed = True


class ReadOnlyStore(_Queryable):
    """A published generation, opened read-only; no process ever writes it again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store = Store.read_only(str(path))


class MemoryStore:
    """An in-memory store, gone with the object: the charter's store of one batch of records
    (hub/charter/validation.py). Its default graph is its own (no union), as the compiled shapes expect."""

    def __init__(self) -> None:
        self._store = Store()

    def load_ntriples(self, data: bytes) -> None:
        """N-Triples into the default graph; lenient: the hub's own lines come from pyoxigraph's serialiser,
        already checked (15% faster)."""
        self._store.load(data, format=RdfFormat.N_TRIPLES, lenient=True)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        self._store.extend(quads)

    def query(self, sparql: str, custom_functions: dict[NamedNode, Callable[..., Any]] | None = None,
              substitutions: dict[Any, Any] | None = None) -> QueryResult:
        """`custom_functions`: extension functions the query may call (the charter's area functions);
        `substitutions`: variables bound before the query runs (the area's inner box)."""
        options: dict[str, Any] = {}
        if custom_functions:
            options["custom_functions"] = custom_functions
        if substitutions:
            options["substitutions"] = substitutions
        return self._store.query(sparql, **options)
