"""Earlier versions of records, kept privately: each run writes the new versions of the graphs it
changed to `data/private/versions/{source}/{run timestamp}.nq`, so a graph's history is the sequence
of those files that mention it, and "what changed" is the difference between two of them.

Retention (`prune`): a source's last runs keep every version whole; older files keep whole only the
versions that are still current (the next change of the record is patched from them) and, of the
others, the `# version <graph>` mark alone, so the change feed keeps every entry and its sequence.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.archive.datadir import DataDir
from hub.core.ntriples import split_line


@dataclass
class Version:
    run_timestamp: str
    triples: list[str] | None  # empty: the graph was removed in that run; None: content pruned
    redacted: bool = False  # persons whose consent ended were taken out of it (hub/pipeline/redaction.py)


@dataclass
class Pruning:
    files: int = 0  # files pruned
    bytes_before: int = 0
    bytes_after: int = 0


def folder(data: DataDir, source_id: str) -> Path:
    return data.private / "versions" / source_id


def file(data: DataDir, source_id: str, run_timestamp: str) -> Path:
    """The history file of a source's run (as `write` names it)."""
    return folder(data, source_id) / f"{run_timestamp}.nq"


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
_PRUNED = "# pruned\n"  # the first line of a pruned file: it is not pruned again
_REDACTED = "# redacted "  # followed by the graph: statements of that version were taken out


def written(data: DataDir, source_id: str, wanted: dict[str, set[str]],
            read_size: int = 8 << 20) -> Iterator[tuple[str, list[str]]]:
    """What runs wrote about some graphs, graph by graph: `wanted` maps a run timestamp to the graph
    IRIs whose current version that run wrote; yields (graph IRI, its N-Quads lines: statements and
    description). A graph not yielded (history pruned, or written before versions were marked) must
    be replaced whole: patching it against a version that is not whole would leave stale statements."""
    for stamp, graphs in wanted.items():
        try:
            for block in _blocks(folder(data, source_id) / f"{stamp}.nq", read_size):
                head, _, body = block.partition("\n")
                graph = head[1:-1]
                if graph in graphs:
                    lines = [line for line in body.split("\n") if line and line[0] != "#"]
                    if lines:  # else retention kept only its mark
                        yield graph, lines
        except (OSError, ValueError):  # unreadable (or not UTF-8): its graphs are replaced whole
            continue


def written_in(data: DataDir, source_id: str, stamp: str, read_size: int = 8 << 20) -> Iterator[tuple[str, list[str]]]:
    """Every version one run wrote: (graph IRI, its N-Quads lines), as `written` gives them."""
    try:
        for block in _blocks(folder(data, source_id) / f"{stamp}.nq", read_size):
            head, _, body = block.partition("\n")
            lines = [line for line in body.split("\n") if line and line[0] != "#"]
            if lines:
                yield head[1:-1], lines
    except (OSError, ValueError):
        return


def version_offsets(path: Path) -> dict[str, tuple[int, int]]:
    """Where each version of a history file lies, in bytes: graph IRI -> (start, end) of its block, from its
    `# version <graph>` mark to the next one. Found with one scan of the file mapped in memory, so a reader that
    wants a few versions of a half-gigabyte file (a page of the event stream) reads only those (`read_version`).
    The offsets hold while the file is the same one (`os.stat`'s inode, size and time): retention, redaction and
    migration replace it whole."""
    found: dict[str, tuple[int, int]] = {}
    mark = _VERSION.encode() + b"<"
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return found
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            starts: list[int] = []
            following = 0 if view[:len(mark)] == mark else view.find(b"\n" + mark) + 1
            while following >= 0 and (following > 0 or not starts):
                starts.append(following)
                found_at = view.find(b"\n" + mark, following + 1)
                following = found_at + 1 if found_at >= 0 else -1
            if starts == [0] and view[:len(mark)] != mark:
                return found  # no version mark at all
            for number, start in enumerate(starts):
                end = starts[number + 1] if number + 1 < len(starts) else size
                line_end = view.find(b"\n", start, end)
                head = view[start:line_end if line_end >= 0 else end]
                found[head[len(mark):].decode("utf-8").rstrip(">")] = (start, end)
    return found


def read_version(path: Path, graph: str, where: tuple[int, int]) -> list[str]:
    """The N-Quads lines (statements, then description) of the version of `graph` at `where` (`version_offsets`).
    Raises ValueError when the block there is not that graph's (the file was replaced since: find them again)."""
    start, end = where
    with path.open("rb") as handle:
        handle.seek(start)
        block = handle.read(end - start).decode("utf-8")
    head, _, body = block.partition("\n")
    if head != f"{_VERSION}<{graph}>":
        raise ValueError(f"{path}: the version of {graph} is no longer at byte {start}")
    return [line for line in body.split("\n") if line and line[0] != "#"]


def _blocks(path: Path, size: int) -> Iterator[str]:
    """The versions of a history file (each from its graph's IRI on)."""
    for preamble, block in _marked_blocks(path, size):
        if not preamble:
            yield block


def _marked_blocks(path: Path, size: int) -> Iterator[tuple[bool, str]]:
    """A history file cut at its version marks, read `size` characters at a time and cut in C, not line
    by line (a 100k-record file is 3 million lines and half a gigabyte): (True, what comes before the
    first mark), then (False, each version from its graph's IRI on, lines ending in a newline)."""
    mark = "\n" + _VERSION
    buffer = "\n"
    preamble = True
    with path.open(encoding="utf-8") as handle:
        while chunk := handle.read(size):
            pieces = (buffer + chunk).split(mark)
            buffer = pieces.pop()  # may end in the middle of a version
            for piece in pieces:
                if preamble:
                    preamble = False
                    yield True, piece[1:] + "\n" if len(piece) > 1 else ""
                    continue
                yield False, piece + "\n"
    if preamble:
        yield True, buffer[1:]
    else:
        yield False, buffer


def versions(data: DataDir, source_id: str, graph: str) -> list[Version]:
    """Every version of a graph in the history, oldest first; a version that retention pruned is
    there with `triples=None`."""
    token = f"<{graph}>"
    found: list[Version] = []
    for path in sorted(folder(data, source_id).glob("*.nq")):
        triples: list[str] = []
        removed = marked = redacted = False
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if line == f"# removed {token}":
                    removed = True
                elif line == f"{_VERSION}{token}":
                    marked = True
                elif line == f"{_REDACTED}{token}":
                    redacted = True
                elif line.endswith(f" {token} ."):
                    subject, predicate, obj, _ = split_line(line)
                    triples.append(f"{subject} {predicate} {obj} .")
        if triples or removed or (marked and redacted):
            found.append(Version(path.stem, triples, redacted))
        elif marked:  # a record always has a statement: its version was pruned
            found.append(Version(path.stem, None))
    return found


def rewrite(data: DataDir, source_id: str, before: str, graphs: set[str],
            change: Callable[[str, list[str]], list[str] | None], read_size: int = 8 << 20) -> int:
    """Rewrites the versions of `graphs` in the source's files older than run `before`: `change` gets a
    graph and the lines of its version (statements, then description) and gives the lines to keep, or None
    to keep them all. A changed version is marked redacted. Each file is written beside itself as it is
    read (a file may be half a gigabyte) and swapped in only if something changed, so a reader or a crash
    sees the old file or the new one. Returns how many files changed."""
    def redacting(graph: str, lines: list[str]) -> list[str] | None:
        return None if graph not in graphs else change(graph, lines)

    paths = [path for path in sorted(folder(data, source_id).glob("*.nq")) if path.stem < before]
    return sum(_rewrite_versions(path, redacting, read_size, mark_redacted=True) for path in paths)


def restate(data: DataDir, source_id: str, stamps: set[str], change: Callable[[str, list[str]], list[str] | None],
            read_size: int = 8 << 20) -> int:
    """Rewrites versions in the files of the runs `stamps` the way the store now holds them, without any
    version or removal being added or taken away (the change feed reads these files): `change` gets a graph
    and the lines of its version (statements, then description) and gives the lines to keep, or None to keep
    them as they are. A migration of the provenance model restates the current versions this way, so the
    next patch of a record removes exactly what the store holds (hub/pipeline/migration.py). Each file is
    written beside itself and swapped in. Returns how many files changed."""
    paths = [path for path in (file(data, source_id, stamp) for stamp in sorted(stamps)) if path.is_file()]
    return sum(_rewrite_versions(path, change, read_size, mark_redacted=False) for path in paths)


def _rewrite_versions(path: Path, change: Callable[[str, list[str]], list[str] | None], read_size: int,
                      mark_redacted: bool) -> bool:
    """One history file's versions passed through `change` (None: the version as it is), written beside the
    file and swapped in only if a version changed; a changed version is marked redacted when asked. Whether
    the file changed."""
    temporary = path.with_name(path.name + ".tmp")
    changed = False
    try:
        with temporary.open("w", encoding="utf-8") as out:
            for preamble, block in _marked_blocks(path, read_size):
                if preamble:
                    out.write(block)
                    continue
                head, _, body = block.partition("\n")
                lines = body.split("\n")
                kept = change(head[1:-1], [line for line in lines if line and line[0] != "#"])
                if kept is None:
                    out.write(_VERSION + block)
                    continue
                changed = True
                # An earlier redaction mark is not repeated: a redacted version is marked once.
                notes = [line for line in lines if line.startswith("# ")
                         and not (mark_redacted and line.startswith(_REDACTED))]
                marks = [_VERSION + head, _REDACTED + head] if mark_redacted else [_VERSION + head]
                out.writelines(f"{line}\n" for line in [*marks, *notes, *kept])
            out.flush()
            os.fsync(out.fileno())
    except ValueError:  # not UTF-8: not a file this hub wrote, left as it is
        changed = False
    if changed:
        os.replace(temporary, path)
    else:
        temporary.unlink(missing_ok=True)
    return changed


def prune(data: DataDir, source_id: str, current: dict[str, str | None], keep_runs: int,
          read_size: int = 8 << 20) -> Pruning:
    """Prunes the history of a source's older runs (all but the last `keep_runs` files): a version
    stays whole where `current` (graph IRI -> timestamp of the run that wrote its current version,
    None when unknown) says it is current, or may be; the others keep their mark only. Each file is
    rewritten beside itself and swapped in, so a reader sees the old file or the new one."""
    done = Pruning()
    for unfinished in folder(data, source_id).glob("*.nq.tmp"):  # a killed harvest's
        unfinished.unlink()
    files = sorted(folder(data, source_id).glob("*.nq"))
    for path in files[:max(len(files) - keep_runs, 0)]:
        with path.open(encoding="utf-8") as handle:
            if handle.readline() == _PRUNED:
                continue
        stamp = path.stem
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            out.write(_PRUNED)
            for preamble, block in _marked_blocks(path, read_size):
                if preamble:
                    out.write(block)
                    continue
                head, _, body = block.partition("\n")
                graph = head[1:-1]
                out.write(_VERSION + head + "\n")
                if graph in current and current[graph] in (stamp, None):
                    out.write(body)
                else:  # superseded: what stays is the mark, and the removals that follow it
                    out.writelines(line + "\n" for line in body.split("\n") if line.startswith("# removed "))
        done.files += 1
        done.bytes_before += path.stat().st_size
        done.bytes_after += temporary.stat().st_size
        os.replace(temporary, path)
    return done
