"""Earlier versions of records, kept privately: each run writes the new versions of the graphs it
changed to `data/private/versions/{source}/{run timestamp}.nq`, so a graph's history is the sequence
of those files that mention it, and "what changed" is the difference between two of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def write(data: DataDir, source_id: str, run_timestamp: str,
          graphs: Iterable[tuple[str, list[str], list[str]]]) -> None:
    """`graphs`: (graph IRI, triple lines, description lines) of each graph the run added, changed or
    removed (no triples: removed). The description lines are the N-Quads the run wrote about the
    graph in the meta graph, right after its statements: the next change of the record then removes
    exactly what this run wrote (see `changes`)."""
    target = folder(data, source_id)
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{run_timestamp}.nq").open("w", encoding="utf-8") as handle:
        for graph, triples, descriptions in graphs:
            if not triples:
                handle.write(f"# removed <{graph}>\n")
            handle.writelines(f"{line[:-2]} <{graph}> .\n" for line in triples)
            handle.writelines(line + "\n" for line in descriptions)


def written(data: DataDir, source_id: str, wanted: dict[str, set[str]],
            meta_graph: str) -> Iterator[tuple[str, list[str]]]:
    """What runs wrote about some graphs, graph by graph: `wanted` maps a run timestamp to the graph
    IRIs whose current version that run wrote; yields (graph IRI, its N-Quads lines: statements and
    description). Only whole versions are yielded (statements followed by a description); a graph
    not yielded (history pruned, or written before descriptions were kept) must be replaced whole."""
    meta_token = f"<{meta_graph}>"
    for stamp, graphs in wanted.items():
        tokens = {f"<{graph}>" for graph in graphs}
        try:
            handle = (folder(data, source_id) / f"{stamp}.nq").open(encoding="utf-8")
        except OSError:
            continue
        seen: set[str] = set()
        owner, statements, described = "", False, False
        group: list[str] = []
        with handle:
            for line in handle:
                if line[0] == "#" or not line.endswith(" .\n"):
                    continue
                statement, graph_token = line[:-3].rsplit(" ", 1)
                is_description = graph_token == meta_token
                current = statement.split(" ", 1)[0] if is_description else graph_token
                if current != owner:
                    if statements and described and owner not in seen:
                        yield owner[1:-1], group
                    seen.add(owner)
                    owner, group, statements, described = current, [], not is_description, False
                if current in tokens:
                    group.append(line[:-1])
                    described = described or is_description
            if statements and described and owner not in seen:
                yield owner[1:-1], group


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
