"""The store interface (DESIGN.md, "The store"): what the hub asks of wherever its public data lives.

It speaks SPARQL text, pyoxigraph terms and N-Quads lines, and each operation is one a SPARQL 1.1 server can do
with one Update or one Graph Store Protocol request, so a server (Oxigraph server, Fuseki, QLever, Virtuoso) can
take the embedded store's place: a backend implements these protocols and passes the contract tests
(tests/store_contract.py). Two backends do: the embedded Oxigraph (hub/store/embedded.py, published as
generations by hub/store/generations.py, `EmbeddedStore`) and a SPARQL 1.1 server (hub/store/remote.py,
`RemoteStore`: docs/stores.md).

- **Publish a source version**: the single writer (the harvest, the admin's load) makes its writes on the
  `Writer` (the record graphs of a source's run loaded as N-Quads, a changed record patched statement by
  statement, removed records dropped with their descriptions in the meta graph), then `Store.publish` makes
  everything written the version readers see, at once: before it, readers see the last published version whole.
- **Drop a source**: `Writer.drop_source`, every record graph the meta graph attributes to the source and its
  description there (a source removed from sources.toml; its tombstones are the pipeline's to write).
- **Read a graph**: `Reader.graph_quads` (Graph Store GET), and the other reads of a published version.
- **Query with a deadline**: the endpoint runs each query on the published version where it can be stopped at
  its deadline: for the embedded store, a worker process killed past it (hub/sparql/pool.py); for a server,
  its own timeout. In-process `select`/`ask` are for the hub's own named queries, whose cost it knows.

Kept outside the protocols, as the embedded backend's own: the savepoint a failed source's run rolls back to
(`WorkingStore.checkpoint` / `roll_back_to`), bulk loading and compaction (the harvest's fast paths).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from pyoxigraph import BlankNode, NamedNode, Quad, QueryBoolean, QuerySolutions, QueryTriples

QueryResult = QuerySolutions | QueryBoolean | QueryTriples


class Reader(Protocol):
    """A published version, read-only: what the gateway, the entity views and the dump read."""

    def query(self, sparql: str, *, default_graphs: Sequence[NamedNode] | None = None,
              named_graphs: Sequence[NamedNode] | None = None, base_iri: str | None = None,
              own_dataset: bool = False) -> QueryResult:
        """SPARQL Protocol query: with no dataset given, the default graph is the union of the named graphs."""
        ...

    def select(self, sparql: str) -> list[dict[str, Any]]:
        """A SELECT as a list of {variable: term} rows (unbound variables left out)."""
        ...

    def ask(self, sparql: str) -> bool: ...

    def graph_quads(self, graph: NamedNode) -> list[Quad]:
        """Graph Store GET."""
        ...

    def graphs_quads(self, graphs: Sequence[NamedNode]) -> dict[str, list[Quad]]:
        """Several graphs read whole (graph IRI -> its quads): one request per thousand graphs on a server."""
        ...

    def subject_quads(self, subject: NamedNode | BlankNode, graph: NamedNode | None = None) -> list[Quad]: ...

    def object_quads(self, obj: NamedNode, predicate: NamedNode | None = None) -> list[Quad]: ...

    def has_graph(self, graph: NamedNode) -> bool: ...

    def named_graphs(self) -> Iterator[NamedNode]: ...

    def count_quads(self) -> int: ...

    def dump_nquads(self) -> bytes: ...


class Writer(Reader, Protocol):
    """The single writer's version, published only by `Store.publish`."""

    def update(self, sparql: str) -> None:
        """A SPARQL 1.1 Update."""
        ...

    def load_nquads(self, data: bytes) -> None:
        """Graph Store POST of N-Quads (every line names its graph)."""
        ...

    def delete_nquads(self, lines: Sequence[str]) -> None:
        """DELETE DATA of N-Quads lines without blank nodes."""
        ...

    def add_quads(self, quads: Iterable[Quad]) -> None: ...

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        """Graph Store PUT."""
        ...

    def drop_graph(self, graph: NamedNode) -> None:
        """Graph Store DELETE."""
        ...

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None: ...

    def remove_descriptions(self, subjects: Sequence[NamedNode], graph: NamedNode) -> None:
        """Every statement about these subjects in one graph (DELETE WHERE with VALUES)."""
        ...

    def remove_matching(self, subject: NamedNode | None, predicate: NamedNode | None, graph: NamedNode) -> int: ...

    def drop_source(self, source: NamedNode, meta: NamedNode) -> list[NamedNode]:
        """Drops every record graph the meta graph attributes to `source` (`dcterms:source`), with its
        description in the meta graph; returns the graphs dropped."""
        ...

    def flush(self) -> None:
        """Whatever the backend buffers goes where it keeps it (no visibility change: `publish` does that)."""
        ...


class HarvestWriter(Writer, Protocol):
    """What the harvest asks of a writer beyond the protocols: a savepoint before each source's writes, taken back
    if the source fails (the embedded store: a checkpoint of hard links; a server: the operations held since, never
    sent), and the embedded store's compaction (a server compacts on its own)."""

    bulk_written: int

    def open(self) -> None: ...

    def checkpoint(self, target: Path) -> None: ...

    def roll_back_to(self, checkpoint: Path) -> None: ...

    def release_checkpoint(self, checkpoint: Path) -> None:
        """The source's run stands: its savepoint is let go (its writes are published with the next version)."""
        ...

    def needs_compaction(self, threshold: int | None = None) -> bool: ...

    def compact(self) -> None: ...

    def close(self) -> None: ...


class Store(Protocol):
    """A backend: one writer, and the published version readers see."""

    @property
    def writer(self) -> HarvestWriter: ...

    def publish(self) -> int:
        """Everything written becomes the published version, at once; returns its number."""
        ...

    def published(self) -> Reader | None:
        """The newest published version, or None before the first publication."""
        ...

    def close(self) -> None: ...
