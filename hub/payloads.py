"""Raw payloads of recent runs, content-addressed by SHA-256 under `data/private/payloads/`."""

from __future__ import annotations

import os

from hub.datadir import DataDir


def keep(data: DataDir, sha256_hex: str, body: bytes) -> None:
    folder = data.payloads / sha256_hex[:2]
    path = folder / sha256_hex
    if path.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)
