"""What the harvester remembers between runs of a source, under `data/private/state/`.

Per document: its ETag and Last-Modified (for conditional GET), the SHA-256 of its last bytes, and
since when it answers 410 Gone. Per source: the charter it was validated against and when it last
ran. Written only after a generation is published, so a killed harvest never leaves it ahead of the
store: the next run then simply re-reads what it cannot prove unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hub.datadir import DataDir


@dataclass
class DocumentState:
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    gone_since: str | None = None


@dataclass
class SourceState:
    charter: str | None = None
    last_run_end: str | None = None
    documents: dict[str, DocumentState] = field(default_factory=dict)
    last_status: str | None = None
    last_rejected: int = 0
    # The source's published record graphs (graph IRI -> [content hash, document, subject, timestamp
    # of the run whose history file holds the current version or "", shape digest or ""]; older states
    # have fewer), valid for the generation named: with any other generation the pipeline asks the
    # store instead.
    generation: int | None = None
    records: dict[str, list[str]] | None = None


def _path(data: DataDir, source_id: str) -> Path:
    return data.private / "state" / f"{source_id}.json"


def load(data: DataDir, source_id: str) -> SourceState:
    try:
        raw = json.loads(_path(data, source_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SourceState()
    documents = {url: DocumentState(**values) for url, values in raw.get("documents", {}).items()}
    return SourceState(raw.get("charter"), raw.get("last_run_end"), documents, raw.get("last_status"),
                       int(raw.get("last_rejected", 0)), raw.get("generation"), raw.get("records"))


def sources_with_state(data: DataDir) -> list[str]:
    return sorted(path.stem for path in (data.private / "state").glob("*.json"))


def remove(data: DataDir, source_id: str) -> None:
    _path(data, source_id).unlink(missing_ok=True)


def save(data: DataDir, source_id: str, state: SourceState) -> None:
    path = _path(data, source_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    # Built by hand: dataclasses.asdict deep-copies the 100k-entry record index, which took seconds.
    raw = {"charter": state.charter, "last_run_end": state.last_run_end,
           "documents": {url: asdict(document) for url, document in state.documents.items()},
           "last_status": state.last_status, "last_rejected": state.last_rejected,
           "generation": state.generation, "records": state.records}
    tmp.write_text(json.dumps(raw, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)
