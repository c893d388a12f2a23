"""The change feed: every version a harvest wrote, in commit order, as Create, Update or Delete of a record graph.

It is read from the private history (hub/archive/history.py: one file per run, naming each graph it added, changed
or removed), kept to the runs the published generation knows, so the feed never runs ahead of what
readers see. Sequence numbers are positions in that order: runs only ever append to it. An entry names a
graph, never a value: a person whose consent ended keeps their entries (the sequence must not shift), and
what they point at (the history, the graph) no longer holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode

from hub.archive.datadir import DataDir
from hub.core.config import is_source_id
from hub.core.iris import Minter, is_run_timestamp
from hub.store.interface import Reader

RUNS = """PREFIX hub: <https://w3id.org/mutualisons/ns#>
SELECT ?run WHERE { GRAPH $meta { ?run a hub:HarvestRun } }"""
AS = "https://www.w3.org/ns/activitystreams#"


@dataclass(frozen=True)
class Change:
    sequence: int
    type: str  # as:Create, as:Update or as:Delete
    graph: str
    run: str
    version: str
    source: str


def changes(data: DataDir, store: Reader, minter: Minter) -> list[Change]:
    published_runs = {row["run"].value for row in store.select(RUNS.replace("$meta", str(minter.meta_graph())))}
    # Only the files a run wrote: anything else in the folder names no run (and no IRI could be made of it).
    files = sorted((path.stem, path.parent.name, path) for path in (data.private / "versions").glob("*/*.nq")
                   if is_run_timestamp(path.stem) and is_source_id(path.parent.name))
    meta = minter.meta_graph().value
    found: list[Change] = []
    alive: set[str] = set()
    for stamp, source_id, path in files:
        run = minter.run(source_id, stamp)
        if run.value not in published_runs:
            continue
        seen_in_run: dict[str, bool] = {}  # graph -> removed
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("# removed <"):
                    seen_in_run[line.strip()[len("# removed <"):-1]] = True
                elif line.startswith("# version <"):  # all that retention keeps of a superseded version
                    seen_in_run.setdefault(line.strip()[len("# version <"):-1], False)
                elif line.endswith("> .\n"):
                    graph = line[line.rindex(" <", 0, len(line) - 4) + 2:-4]
                    if graph != meta:  # a changed graph's description, written after its statements
                        seen_in_run.setdefault(graph, False)
        for graph, removed in seen_in_run.items():
            if removed:
                kind = "Delete"
                alive.discard(graph)
            else:
                kind = "Update" if graph in alive else "Create"
                alive.add(graph)
            found.append(Change(len(found) + 1, f"as:{kind}", graph, run.value,
                                minter.version(run, NamedNode(graph)).value, minter.source(source_id).value))
    return found
