"""Raw payloads of recent runs, content-addressed by SHA-256 under `data/private/payloads/`."""

from __future__ import annotations

import os

from hub.archive.datadir import DataDir


def read(data: DataDir, sha256_hex: str) -> bytes | None:
    try:
        return (data.payloads / sha256_hex[:2] / sha256_hex).read_bytes()
    except OSError:
        return None


def prune(data: DataDir, keep: set[str]) -> int:
    """Deletes the payloads no recent run used, and the unfinished writes of a killed harvest (only
    the harvest writes payloads, under the writer's lock, and it prunes once its own are written);
    returns how many went."""
    removed = 0
    for path in data.payloads.glob("*/*"):
        if path.is_file() and path.name not in keep:
            path.unlink()
            removed += 1
    return removed


def keep(data: DataDir, sha256_hex: str, body: bytes) -> None:
    folder = data.payloads / sha256_hex[:2]
    path = folder / sha256_hex
    if path.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)
