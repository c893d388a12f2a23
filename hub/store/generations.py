"""Published generations: the working store becomes a read-only checkpoint, switched in atomically.

Readers only ever open published generations, so a half-done harvest is never visible, and a
harvest killed at any moment leaves the last generation whole (DESIGN.md, "Publish").

`EmbeddedStore` is this backend behind the store interface (hub/store/interface.py): the working store is its
writer, `publish` makes a generation.

Each generation's counts (quads, named graphs) are written beside it, `generations/N.counts.json`,
before readers are pointed at it: `/healthz` reads them there instead of scanning a store.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.archive.datadir import DataDir
from hub.store.embedded import ReadOnlyStore, WorkingStore

if TYPE_CHECKING:
    from hub.store.interface import Reader, Store

KEEP_GENERATIONS = 3


@dataclass(frozen=True)
class Generation:
    number: int
    path: Path | None  # None: a version of the store on a SPARQL server (hub/store/remote.py)
    published_at: float


def current(data: DataDir) -> Generation | None:
    """The generation readers should open, or None before the first publication."""
    try:
        number = int(data.current_pointer.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    path = data.generations / str(number)
    if not path.is_dir():
        return None
    return Generation(number, path, data.current_pointer.stat().st_mtime)


def publish(working: WorkingStore, data: DataDir) -> Generation:
    """Checkpoints the working store as generation N+1 and points readers at it."""
    data.generations.mkdir(parents=True, exist_ok=True)
    numbers = _existing_numbers(data)
    number = (max(numbers) + 1) if numbers else 1
    target = data.generations / str(number)
    _counts_path(data, number).unlink(missing_ok=True)  # never another generation's counts under this number
    store_counts = count(working)  # a scan of the index, ~0.25 s per million quads
    working.checkpoint(target)
    _write_counts(data, number, store_counts)
    pointer_tmp = data.generations / f"CURRENT.{os.getpid()}.tmp"
    pointer_tmp.write_text(f"{number}\n", encoding="ascii")
    with open(pointer_tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, data.current_pointer)
    _prune(data, keep_from=number - KEEP_GENERATIONS + 1)
    return Generation(number, target, time.time())


def count(store: Reader) -> dict[str, int]:
    """What /healthz reports of a generation: its quads and its named graphs."""
    return {"quads": store.count_quads(), "graphs": sum(1 for _ in store.named_graphs())}


def counts(data: DataDir, number: int) -> dict[str, int] | None:
    """The counts written when generation `number` was published; None for one published before them."""
    try:
        written = json.loads(_counts_path(data, number).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(written, dict) or not all(isinstance(written.get(k), int) for k in ("quads", "graphs")):
        return None
    return {"quads": written["quads"], "graphs": written["graphs"]}


def _counts_path(data: DataDir, number: int) -> Path:
    return data.generations / f"{number}.counts.json"


def _write_counts(data: DataDir, number: int, store_counts: dict[str, int]) -> None:
    path = _counts_path(data, number)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(store_counts), encoding="utf-8")
    os.replace(temporary, path)


def restore_working(data: DataDir) -> bool:
    """Rebuilds the working store from the last generation after an interrupted harvest.

    Returns True when it had to: the working store of a killed harvest is half-written.
    """
    if not data.dirty_marker.exists():
        return False
    shutil.rmtree(data.working, ignore_errors=True)
    generation = current(data)
    if generation is not None and generation.path is not None:
        shutil.copytree(generation.path, data.working)
        # A checkpoint has no LOCK file of its own worth keeping: RocksDB recreates it.
        (data.working / "LOCK").unlink(missing_ok=True)
    data.dirty_marker.unlink()
    return True


def discard_unpublished(data: DataDir) -> int:
    """What a publication killed half-way left (call under the writer's lock): pointer files never
    switched in (`CURRENT.<pid>.tmp`) and checkpoints numbered past the current generation, which no
    reader ever opened. Returns how many went."""
    if not data.generations.is_dir():
        return 0
    stale = list(data.generations.glob("CURRENT.*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    published = current(data)
    # Without a readable pointer nothing is known to be newer: every checkpoint stays.
    newer = [number for number in _existing_numbers(data) if published is not None and number > published.number]
    for number in newer:
        shutil.rmtree(data.generations / str(number), ignore_errors=True)
    return len(stale) + len(newer)


def open_current(data: DataDir) -> tuple[Generation, ReadOnlyStore] | None:
    generation = current(data)
    if generation is None or generation.path is None:
        return None
    return generation, ReadOnlyStore(generation.path)


def _existing_numbers(data: DataDir) -> list[int]:
    return [int(p.name) for p in data.generations.iterdir() if p.is_dir() and p.name.isdigit()]


def _prune(data: DataDir, keep_from: int) -> None:
    # Old generations go once readers have had time to move on: a reader that still has one open
    # keeps its files alive (hard links, open descriptors) until it reopens the newest.
    for number in _existing_numbers(data):
        if number < keep_from:
            # Counts first: a generation without them is counted again, never given another's.
            _counts_path(data, number).unlink(missing_ok=True)
            shutil.rmtree(data.generations / str(number), ignore_errors=True)


class EmbeddedStore:
    """The embedded backend: the single writer's working store under `data/working`, published as read-only
    generations under `data/generations`. Used under the writer's lock (hub/core/lock.py), after
    `restore_working` has rebuilt a working store an interrupted writer left half-written."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._writer = WorkingStore(data.working)  # RocksDB opens at its first use: see WorkingStore.open

    @property
    def writer(self) -> WorkingStore:
        return self._writer

    def publish(self) -> int:
        return publish(self._writer, self.data).number

    def published(self) -> ReadOnlyStore | None:
        opened = open_current(self.data)
        return None if opened is None else opened[1]

    def close(self) -> None:
        self._writer.close()


if TYPE_CHECKING:
    def _implements_the_interface(embedded: EmbeddedStore) -> Store:
        return embedded  # mypy checks that the embedded backend is a Store
