"""`/dump.nq.gz`: every public quad of a generation, the meta graph included, gzipped N-Quads.

Written once per generation, lazily, to `data/dumps/{N}.nq.gz` (atomically: a temporary file renamed),
and older dumps removed: the dump always matches the generation it is named after.
"""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

from hub.datadir import DataDir
from hub.reader import Published

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
        for old in folder.glob("*.nq.gz"):
            if old != target:
                old.unlink(missing_ok=True)
        return target
