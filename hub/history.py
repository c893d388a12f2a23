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
    removed (no triples: removed). Each version starts with a `# version <graph>` line and is followed
    by the N-Quads the run wrote about the graph in the meta graph: the next change of the record then
    removes exactly what this run wrote (see `written`)."""
    graphs = list(graphs)
    if not graphs:
        return  # a run that changed nothing leaves no file
    target = folder(data, source_id)
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{run_timestamp}.nq").open("w", encoding="utf-8") as handle:
        for graph, triples, descriptions in graphs:
            if not triples:
                handle.write(f"# removed <{graph}>\n")
                continue
            handle.write(f"{_VERSION}<{graph}>\n")
            handle.writelines(f"{line[:-2]} <{graph}> .\n" for line in triples)
            handle.writelines(line + "\n" for line in descriptions)


_VERSION = "# version "


def written(data: DataDir, source_id: str, wanted: dict[str, set[str]],
            read_size: int = 8 << 20) -> Iterator[tuple[str, list[str]]]:
    """What runs wrote about some graphs, graph by graph: `wanted` maps a run timestamp to the graph
    IRIs whose current version that run wrote; yields (graph IRI, its N-Quads lines: statements and
    description). A graph not yielded (history pruned, or written before versions were marked) must
    be replaced whole."""
    for stamp, graphs in wanted.items():
        try:
            for block in _blocks(folder(data, source_id) / f"{stamp}.nq", read_size):
                head, _, body = block.partition("\n")
                graph = head[1:-1]
                if graph in graphs:
                    yield graph, [line for line in body.split("\n") if line and line[0] != "#"]
        except (OSError, ValueError):  # unreadable (or not UTF-8): its graphs are replaced whole
            continue


def _blocks(path: Path, size: int) -> Iterator[str]:
    """The versions of a history file (each from its graph's IRI on), read `size` characters at a time and cut at
    the marks in C, not line by line: a 100k-record file is 3 million lines and half a gigabyte."""
    mark = "\n" + _VERSION
    buffer = "\n"
    preamble = True  # what comes before the first mark (removals) is no version
    with path.open(encoding="utf-8") as handle:
        while chunk := handle.read(size):
            pieces = (buffer + chunk).split(mark)
            buffer = pieces.pop()  # may end in the middle of a version
            for piece in pieces:
                if preamble:
                    preamble = False
                    continue
                yield piece
    if not preamble:
        yield buffer


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
