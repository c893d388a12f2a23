"""Documents a network pushed to its source (docs/publishers.md), under `data/private/pushed/{source}/`.

Each document has a name the network chose (`feed.csv`), its bytes in a file of that name, and a line in the
folder's `index.json`: its SHA-256, size, media type, when it was pushed and by which token. A harvest of the
source reads them as it reads its fetched documents, under their own stable document URL
(`{base}api/sources/{id}/documents/{name}`, hub/core/iris.py), and keeps their bytes as payloads like any other.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.archive import jsonfile
from hub.archive.datadir import DataDir
from hub.core.durations import now_iso

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def is_document_name(name: str) -> bool:
    """Letters, digits, `.`, `_`, `-`, at most 64, not starting with a dot (never a path)."""
    return _NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class Pushed:
    name: str
    sha256: str
    bytes: int
    media_type: str | None
    pushed: str
    by: str  # the id of the token that pushed it, or "admin"


def _folder(data: DataDir, source_id: str) -> Path:
    return data.private / "pushed" / source_id


def _index(data: DataDir, source_id: str) -> Path:
    return _folder(data, source_id) / "index.json"


def listed(data: DataDir, source_id: str) -> list[Pushed]:
    """The source's pushed documents, by name."""
    raw = jsonfile.read(_index(data, source_id), {})
    found = []
    for name, entry in sorted(raw.items() if isinstance(raw, dict) else []):
        try:
            found.append(Pushed(name=name, **entry))
        except TypeError:
            continue
    return found


def store(data: DataDir, source_id: str, name: str, body: bytes, media_type: str | None, by: str) -> Pushed:
    """Keeps (or replaces) the document `name` of the source."""
    folder = _folder(data, source_id)
    folder.mkdir(parents=True, exist_ok=True)
    entry = Pushed(name, hashlib.sha256(body).hexdigest(), len(body), media_type, now_iso(), by)
    with jsonfile.locked(_index(data, source_id)):
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(body)
        os.replace(tmp, folder / name)
        index = jsonfile.read(_index(data, source_id), {})
        index[name] = {key: value for key, value in asdict(entry).items() if key != "name"}
        jsonfile.write(_index(data, source_id), index)
    return entry


def remove(data: DataDir, source_id: str, name: str) -> bool:
    """Forgets the document (its records leave the source at its next harvest); False when there was none."""
    with jsonfile.locked(_index(data, source_id)):
        index = jsonfile.read(_index(data, source_id), {})
        if name not in index:
            return False
        del index[name]
        jsonfile.write(_index(data, source_id), index)
        (_folder(data, source_id) / name).unlink(missing_ok=True)
    return True


def read(data: DataDir, source_id: str, name: str) -> tuple[Pushed, bytes] | None:
    """The document and its bytes, or None when it is not (or no longer) there."""
    entry = next((pushed for pushed in listed(data, source_id) if pushed.name == name), None)
    if entry is None:
        return None
    try:
        body = (_folder(data, source_id) / name).read_bytes()
    except OSError:
        return None
    return entry, body
