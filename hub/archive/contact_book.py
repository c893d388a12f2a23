"""The networks' contact book: person records whose consent is for the networks only (`hub:scope-contact-book`),
kept under `data/private/contacts/{source}.json` and never in the public store (docs/publishers.md, "The contact
book"). Any publisher token (and the admin token) reads them; nothing else does.

Each entry: the person's subject, the pseudonym other records of the source name them by in public (hub/pipeline/
contact_book.py), the document it came from, the run that last wrote it, and its statements as N-Triples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.archive import jsonfile
from hub.archive.datadir import DataDir


def _folder(data: DataDir) -> Path:
    return data.private / "contacts"


def path(data: DataDir, source_id: str) -> Path:
    return _folder(data) / f"{source_id}.json"


def write(data: DataDir, source_id: str, run: str, entries: list[dict[str, Any]]) -> None:
    jsonfile.write(path(data, source_id), {"source": source_id, "run": run, "persons": entries})


def read(data: DataDir, source_id: str) -> list[dict[str, Any]]:
    raw = jsonfile.read(path(data, source_id), None)
    return list(raw.get("persons") or []) if isinstance(raw, dict) else []


def read_all(data: DataDir) -> list[dict[str, Any]]:
    """Every source's networks-only persons, each with its `source`."""
    return [{"source": file.stem, **entry} for file in sorted(_folder(data).glob("*.json"))
            for entry in read(data, file.stem)]


def remove(data: DataDir, source_id: str) -> None:
    path(data, source_id).unlink(missing_ok=True)
