"""Writing a source's changed records into the working store: new ones loaded whole, changed ones
patched statement by statement, graphs dropped with their descriptions.

A record is written as two lists of N-Quads lines: its statements in its own graph, and its
description in the meta graph (the harvest makes both: `Lines`). Dropping 100k graphs whole costs
Oxigraph about a minute (some 17 µs a quad), so a changed record loses only the statements its last
version had and the new one has not; that last version is read back from the history, where the run
that wrote it kept it exactly (hub/archive/history.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from pyoxigraph import NamedNode

from hub.archive import history
from hub.archive.datadir import DataDir
from hub.core.records import Record
from hub.pipeline.literals import MARK as TYPED
from hub.pipeline.literals import normal_line
from hub.store.interface import HarvestWriter

CHUNK = 5_000  # records per N-Quads load or deletion: the bulk loader's memory grows with the chunk
# Statements per load of a patch's additions. Each bulk load flushes what the deletions left in memory,
# so smaller loads cost CPU (150k: 4 CPU-s more on 100k changed records); at 300k the first load runs
# while the rest is computed, for the same CPU as one load at the end (measured, three runs each).
ADDITIONS_CHUNK = 300_000
Lines = Callable[[Record], tuple[list[str], list[str]]]  # a record -> (its statements, its description)


class RecordWriter:
    def __init__(self, store: HarvestWriter, data: DataDir, meta: NamedNode) -> None:
        self.store = store
        self.data = data
        self.meta = meta

    def write(self, source_id: str, changed: list[Record], graph_of: dict[str, str], existing: set[str],
              written_by: dict[str, str], lines_of: Lines) -> dict[str, tuple[list[str], list[str]]]:
        """Writes the changed records; `existing` are the graphs already in the store, `written_by`
        the run timestamp whose history file holds each one's current version. Returns what was
        written for each graph: the record's lines and its description."""
        replaced = {graph_of[r.subject.value]: r for r in changed if graph_of[r.subject.value] in existing}
        patched = self._patch(source_id, replaced, written_by, lines_of)
        self.drop([graph for graph in replaced if graph not in patched])
        written = {graph: (replaced[graph].triples, description) for graph, description in patched.items()}
        whole = [record for record in changed if graph_of[record.subject.value] not in patched]
        # Written in chunks: the N-Quads text of 100k records at once would cost gigabytes of memory.
        # The bulk loader (Rust, off the GIL) loads one chunk in a thread of its own while this one
        # writes out the next; at most two chunks wait, for memory's sake.
        with ThreadPoolExecutor(1, thread_name_prefix="load") as loader:
            loading: list[Future[None]] = []
            for start in range(0, len(whole), CHUNK):
                lines: list[str] = []
                for record in whole[start:start + CHUNK]:
                    statements, description = lines_of(record)
                    lines += statements
                    lines += description
                    written[graph_of[record.subject.value]] = (record.triples, description)
                if len(loading) >= 2:
                    loading.pop(0).result()
                loading.append(loader.submit(self.store.load_nquads, "\n".join(lines).encode("utf-8")))
            for done in loading:
                done.result()
        return written

    def drop(self, graphs: list[str]) -> None:
        """Drops graphs and their descriptions, in chunks."""
        for start in range(0, len(graphs), CHUNK):
            chunk = [NamedNode(graph) for graph in graphs[start:start + CHUNK]]
            self.store.drop_graphs(chunk)
            self.store.remove_descriptions(chunk, self.meta)
            self.store.flush()  # deletions held in memory go to disk chunk by chunk

    def _patch(self, source_id: str, replaced: dict[str, Record], written_by: dict[str, str],
               lines_of: Lines) -> dict[str, list[str]]:
        """Replaces records statement by statement: removes what their last version had and the new
        one has not, adds the rest. Returns the graphs patched, with their new descriptions; the
        others (no whole last version in the history) are for the caller to replace whole."""
        wanted: dict[str, set[str]] = {}
        for graph in replaced:
            if graph in written_by:
                wanted.setdefault(written_by[graph], set()).add(graph)
        patched: dict[str, list[str]] = {}
        removals: list[str] = []
        additions: list[str] = []
        # Deleting and loading are Rust work that lets go of the GIL: a thread of its own deletes and
        # loads chunk after chunk while this one computes the next differences. The order between
        # chunks does not matter: every line names its record's graph (as graph or, in the meta graph,
        # as subject), and a record's removals and additions never share a line.
        with ThreadPoolExecutor(1, thread_name_prefix="write") as writer:
            writing: list[Future[None]] = []
            for graph, old in history.written(self.data, source_id, wanted):
                # A version written before literals were kept as the store serves them ("4.3460"): the
                # store holds "4.346", which is what to compare with.
                old = [normal_line(line) if TYPED in line else line for line in old]
                statements, description = lines_of(replaced[graph])
                before = set(old)
                now = set(statements) | set(description)
                gone = [line for line in old if line not in now]
                new = [line for line in statements + description if line not in before]
                if any("_:" in line for line in gone) or any("_:" in line for line in new):
                    # The store relabels blank nodes as it loads them: a statement about one cannot be
                    # named from outside, so a record whose blank nodes changed is replaced whole.
                    continue
                removals += gone
                additions += new
                patched[graph] = description
                if len(removals) >= CHUNK * 10:
                    writing.append(writer.submit(self._delete, removals))
                    removals = []
                if len(additions) >= ADDITIONS_CHUNK:
                    writing.append(writer.submit(self._load, additions))
                    additions = []
            writing.append(writer.submit(self._delete, removals))
            writing.append(writer.submit(self._load, additions))
            for done in writing:
                done.result()
        return patched

    def _load(self, lines: list[str]) -> None:
        self.store.load_nquads("\n".join(lines).encode("utf-8"))

    def _delete(self, lines: list[str]) -> None:
        self.store.delete_nquads(lines)
        self.store.flush()  # deletions held in memory go to disk chunk by chunk
