"""What the harvester remembers between runs of a source, under `data/private/state/`.

Per document: its ETag and Last-Modified (for conditional GET), the SHA-256 of its last bytes, and
since when it answers 410 Gone. Per source: the charter it was validated against and when it last
ran; the errors of its last run, so that the same bytes report them again; after a failed or held
run, the SHA-256 of the bytes that failed (`Failure`), so that the same bytes fail again instead of
passing for "unchanged"; and an administrator's one-shot confirmation of a held removal. Written only
after a generation is published, so a killed harvest never leaves it ahead of the store: the next
run then simply re-reads what it cannot prove unchanged. `confirm_removal` writes it under the
writer's lock, so no harvest overwrites a confirmation it never read.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from hub.archive.datadir import DataDir
from hub.core.durations import now_iso
from hub.core.lock import WriterLock


@dataclass
class DocumentState:
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    gone_since: str | None = None
    # Its server said it never changes (`Cache-Control: immutable`, an event stream's older pages): a walk reads
    # it again from its payload, without asking (hub/pipeline/documents.py).
    immutable: bool = False


@dataclass
class Failure:
    """A run that failed on what it fetched (held runs included): the same bytes fail again with the
    same errors, under the same charter, until they change or an administrator confirms."""

    documents: dict[str, str]  # document URL -> SHA-256 of the bytes that failed
    errors: list[str]
    charter: str | None  # the charter it failed under
    run: str  # the run's IRI
    held: int | None = None  # for a held run: how many records it would have removed
    setup: str | None = None  # the source's sources.toml entry, its mapping and the hub's version, hashed


class RecordEntry(NamedTuple):
    """One published record graph of a source, in the source's record index. A tuple, so the state file
    keeps it as it always did: a JSON list `[content hash, document, subject, run, shape digest, provenance
    digest]` (older states have fewer; the missing ones read as "")."""

    content_hash: str
    document: str  # the URL of the document it was lifted from
    subject: str
    written_by: str = ""  # the timestamp of the run whose history file holds its current version, or ""
    shape: str = ""  # its shape digest (hub/pipeline/split.py), or ""
    provenance: str = ""  # the digest of its own licence and upstream sources (Record.provenance), or ""


@dataclass
class SourceState:
    charter: str | None = None
    last_run_end: str | None = None
    documents: dict[str, DocumentState] = field(default_factory=dict)
    last_status: str | None = None
    last_rejected: int = 0
    # The source's published record graphs (graph IRI -> its entry), valid for the generation named:
    # with any other generation the pipeline asks the store instead.
    generation: int | None = None
    records: dict[str, RecordEntry] | None = None
    last_errors: list[str] = field(default_factory=list)
    failure: Failure | None = None
    # An administrator's confirmation ({"at": time, "by": who, "run": the held run}) that the source's
    # next run may remove what its held run would have removed; that run uses it up, whatever it does.
    removal_confirmed: dict[str, str] | None = None


def _path(data: DataDir, source_id: str) -> Path:
    return data.private / "state" / f"{source_id}.json"


def load(data: DataDir, source_id: str) -> SourceState:
    try:
        raw = json.loads(_path(data, source_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SourceState()
    documents = {url: DocumentState(**values) for url, values in raw.get("documents", {}).items()}
    failure = Failure(**raw["failure"]) if isinstance(raw.get("failure"), dict) else None
    records = raw.get("records")
    if records is not None:
        records = {graph: RecordEntry(*values[:len(RecordEntry._fields)]) for graph, values in records.items()}
    return SourceState(raw.get("charter"), raw.get("last_run_end"), documents, raw.get("last_status"),
                       int(raw.get("last_rejected", 0)), raw.get("generation"), records,
                       list(raw.get("last_errors") or []), failure, raw.get("removal_confirmed"))


def sources_with_state(data: DataDir) -> list[str]:
    return sorted(path.stem for path in (data.private / "state").glob("*.json"))


def remove(data: DataDir, source_id: str) -> None:
    _path(data, source_id).unlink(missing_ok=True)


def save(data: DataDir, source_id: str, state: SourceState) -> None:
    path = _path(data, source_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    # Built by hand: dataclasses.asdict deep-copies the 100k-entry record index, which took seconds. The
    # entries are tuples: JSON writes them as the lists it always did.
    raw = {"charter": state.charter, "last_run_end": state.last_run_end,
           "documents": {url: asdict(document) for url, document in state.documents.items()},
           "last_status": state.last_status, "last_rejected": state.last_rejected,
           "generation": state.generation, "records": _records(state.records), "last_errors": state.last_errors,
           "failure": asdict(state.failure) if state.failure else None,
           "removal_confirmed": state.removal_confirmed}
    tmp.write_text(json.dumps(raw, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def _records(records: dict[str, RecordEntry] | None) -> dict[str, tuple[str, ...]] | None:
    """The record index as saved: a record with no provenance digest of its own (most) is saved as before, with
    five items (some 20 ms for 100k records)."""
    if records is None:
        return None
    return {graph: entry if entry.provenance else entry[:5] for graph, entry in records.items()}


class NothingHeld(Exception):
    """confirm_removal for a source whose last run was not held."""


def confirm_removal(data: DataDir, source_id: str, by: str) -> Failure:
    """Records an administrator's one-shot confirmation that the source's next run may remove the
    records its last run was held for; returns that held run. Raises NothingHeld when the source's
    last run was not held, and lock.HarvestRunning while a harvest runs (it would not see the
    confirmation and could write the state over it)."""
    with WriterLock(data.lock_file):
        state = load(data, source_id)
        if state.failure is None or state.failure.held is None:
            raise NothingHeld(f"nothing to confirm for source {source_id!r}: its last published run "
                              f"({state.last_status or 'none yet'}) was not held for removing records")
        state.removal_confirmed = {"at": now_iso(), "by": by, "run": state.failure.run}
        save(data, source_id, state)
        return state.failure
