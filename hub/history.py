"""Earlier versions of records, kept privately: each run writes the new versions of the graphs it
changed to `data/private/versions/{source}/{run timestamp}.nq`, so a graph's history is the sequence
of those files that mention it, and "what changed" is the difference between two of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hub.datadir import DataDir
from hub.ntriples import split_line


@dataclass
class Version:
    run_timestamp: str
    triples: list[str]  # empty: the graph was removed in that run


def folder(data: DataDir, source_id: str) -> Path:
    return data.private / "versions" / source_id


def write(data: DataDir, source_id: str, run_timestamp: str, graphs: Iterable[tuple[str, list[str]]]) -> None:
    """`graphs`: (graph IRI, triple lines) of each graph the run added, changed or removed."""
    target = folder(data, source_id)
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{run_timestamp}.nq").open("w", encoding="utf-8") as handle:
        for graph, triples in graphs:
            if not triples:
                handle.write(f"# removed <{graph}>\n")
            for line in triples:
                handle.write(f"{line[:-2]} <{graph}> .\n")


def versions(data: DataDir, source_id: str, graph: str) -> list[Version]:
    token = f"<{graph}>"
    found: list[Version] = []
    for path in sorted(folder(data, source_id).glob("*.nq")):
        triples: list[str] = []
        removed = False
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if line == f"# removed {token}":
                    removed = True
                elif line.endswith(f" {token} ."):
                    subject, predicate, obj, _ = split_line(line)
                    triples.append(f"{subject} {predicate} {obj} .")
        if triples or removed:
            found.append(Version(path.stem, triples))
    return found
