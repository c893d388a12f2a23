"""`/dump.nq.gz`: every public quad of a generation, the meta graph included, gzipped N-Quads.

Written once per generation, lazily, to `data/dumps/{N}.nq.gz` (atomically: a temporary file renamed).
A harvest removes every other generation's dump as it publishes (`remove_stale`): a person whose consent
ended leaves the dumps with the generation that left them out, not at the next download.
"""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

from hub.archive.datadir import DataDir
from hub.store.reader import Published

_lock = threading.Lock()


def dump_path(data: DataDir, published: Published) -> Path:
    folder = data.root / "dumps"
    target = folder / f"{published.generation.number}.nq.gz"
    with _lock:
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{published.generation.number}.{os.getpid()}.tmp"
        with gzip.open(temporary, "wb", compresslevel=6) as handle:
            handle.write(published.store.dump_nquads())
        os.replace(temporary, target)
        _remove(folder, keep=published.generation.number, older_only=True)
        return target


def remove_stale(data: DataDir, generation: int) -> int:
    """Removes the dumps (and half-written ones) of every generation but `generation`; returns how many."""
    with _lock:
        return _remove(data.root / "dumps", keep=generation, older_only=False)


def _remove(folder: Path, keep: int, older_only: bool) -> int:
    """A request still serving an older generation may write that generation's dump after a harvest
    removed the others: it removes only older ones, never a newer generation's."""
    removed = 0
    for path in folder.glob("*.nq.gz"):
        number = path.name.split(".", 1)[0]
        if number.isdigit() and int(number) != keep and not (older_only and int(number) > keep):
            path.unlink(missing_ok=True)
            removed += 1
    for path in folder.glob(".*.tmp"):  # `.{generation}.{pid}.tmp`: a dump being written, or a killed writer's
        _, _, pid, _ = (path.name.split(".") + ["", "", "", ""])[:4]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
