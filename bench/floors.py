"""The write floors under a harvest: what the store's writes alone cost, measured in the bench's own run.

A harvest cannot be faster than writing what it publishes. The first harvest's floor is `bulk_load` of
exactly the N-Quads it published into a new store; a changed harvest's floor is its differences applied
as one bulk operation to a copy of the store it started from: `DELETE DATA` of the quads it removed, then
`bulk_load` of those it added. `harvest seconds ÷ floor seconds` is then the pipeline's own cost (fetch,
lift, split, hash, validation, history, linking, publication) as a multiple of its writes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat, Store, parse

from hub.archive.datadir import DataDir
from hub.store import generations

DELETE_CHUNK = 20_000  # statements per DELETE DATA: one SPARQL Update of 100k lines costs memory, not speed


@dataclass
class Floor:
    quads: int  # written (first harvest), or removed + added (changed harvest)
    seconds: float
    cpu_seconds: float  # every thread of this process
    removed: int = 0
    added: int = 0


def bulk_load(feed: Path, work: Path, rdf_format: RdfFormat) -> tuple[float, float]:
    """Wall and CPU seconds of `bulk_load` of a file into a new store on disk."""
    target = work / f"bulk-{time.monotonic_ns()}"
    started, cpu = time.perf_counter(), time.process_time()
    store = Store(str(target))
    store.bulk_load(path=str(feed), format=rdf_format)
    store.flush()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    del store
    shutil.rmtree(target, ignore_errors=True)
    return elapsed, cpu


def published(data: Path) -> Path | None:
    """The folder of the data folder's published generation, None when there is none."""
    generation = generations.current(DataDir(data))
    return None if generation is None else generation.path


def _dump(store_path: Path, target: Path) -> int:
    store = Store.read_only(str(store_path))
    store.dump(str(target), format=RdfFormat.N_QUADS)
    count = len(store)
    del store
    return count


def first_floor(data: Path, work: Path) -> Floor | None:
    """`bulk_load` of exactly the quads the published generation holds; None when nothing was published."""
    generation = published(data)
    if generation is None:
        return None
    dump = work / "published.nq"
    quads = _dump(generation, dump)
    seconds, cpu = bulk_load(dump, work, RdfFormat.N_QUADS)
    dump.unlink()
    return Floor(quads, seconds, cpu)


def keep_copy(data: Path, target: Path) -> bool:
    """Copies the published generation (the store a harvest starts from) aside; False when there is none."""
    generation = published(data)
    if generation is None:
        return False
    shutil.copytree(generation, target)
    (target / "LOCK").unlink(missing_ok=True)
    return True


def changed_floor(before: Path, data: Path, work: Path) -> Floor | None:
    """The writes of the harvest that turned the store copied at `before` into the data folder's published
    generation, as one bulk operation on that copy: DELETE DATA of the removed quads, then bulk_load of the
    added ones. The copy's blank nodes keep their stored labels, so a statement about one is removed with
    `Store.remove` (DELETE DATA takes no blank node). None when nothing was published."""
    after = published(data)
    return None if after is None else apply_differences(before, after, work)


def apply_differences(before: Path, after: Path, work: Path) -> Floor:
    """Turns the store at `before` into one holding what the store at `after` holds, as one bulk operation
    (DELETE DATA of the quads only `before` has, then bulk_load of those only `after` has), and times that."""
    old, new = work / "before.nq", work / "after.nq"
    _dump(before, old)
    _dump(after, new)
    with old.open("rb") as handle:
        lines_before = set(handle)
    added: list[bytes] = []
    with new.open("rb") as handle:
        for line in handle:
            if line in lines_before:
                lines_before.discard(line)
            else:
                added.append(line)
    removed = list(lines_before)
    del lines_before
    old.unlink()
    new.unlink()
    with_blank = [line for line in removed if b"_:" in line]
    plain = [line.decode("utf-8").rstrip("\n") for line in removed if b"_:" not in line]
    blocks = []
    for line in plain:
        statement, graph = line[:-2].rsplit(" ", 1)
        blocks.append(f"GRAPH {graph} {{ {statement} }}")
    blank_quads = list(parse(b"".join(with_blank), format=RdfFormat.N_QUADS)) if with_blank else []
    addition = b"".join(added)

    started, cpu = time.perf_counter(), time.process_time()
    store = Store(str(before))
    for start in range(0, len(blocks), DELETE_CHUNK):
        store.update("DELETE DATA { " + "\n".join(blocks[start:start + DELETE_CHUNK]) + " }")
    for quad in blank_quads:  # parsed with the dump's labels, which are the store's own
        store.remove(quad)
    store.bulk_load(addition, format=RdfFormat.N_QUADS)
    store.flush()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    del store
    return Floor(len(removed) + len(added), elapsed, cpu, removed=len(removed), added=len(added))

