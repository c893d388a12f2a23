"""Small JSON files of the data folder that the server and the command line both change (tokens, reports,
pushed documents' descriptions): written whole through a temporary file and a rename, so a reader never sees
half a file, and changed under an exclusive lock, so two writers never lose each other's change."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def read(path: Path, default: Any) -> Any:
    """The file's JSON, or `default` when it is missing or unreadable (a fresh data folder)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(tmp, 0o600)  # private data: tokens' hashes, reporters' contacts
    os.replace(tmp, path)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds `path`'s lock file (`path.lock`) for a read-modify-write of `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
