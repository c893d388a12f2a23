"""Rejected records, kept under `data/private/` with their report: nothing is lost.

The full file holds the record's values (they may be personal data, for administrators only);
`public_view` gives what anyone may see: what is wrong, never the values, and of a person record not even
its IRI or graph (a person who did not consent is not to be named, nor their listing guessed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hub.archive.datadir import DataDir
from hub.core.records import Verdict
from hub.core.vocabulary import ClassHierarchy, default_vocabulary


def write(data: DataDir, source_id: str, run_timestamp: str, run_iri: str, rejected: list[Verdict],
          graph_of: dict[str, str]) -> Path:
    folder = data.quarantine / source_id
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for verdict in rejected:
        record = verdict.record
        entries.append({
            "subject": record.subject.value,
            "type": record.types,
            "graph": graph_of[record.subject.value],
            "document": record.document,
            "results": [
                result.private() for result in verdict.results
            ],
            "nquads": "".join(line + "\n" for line in record.triples),
        })
    document = {"source": source_id, "run": run_iri, "records": entries}
    path = folder / f"{run_timestamp}.json"
    _atomic_write(path, json.dumps(document, ensure_ascii=False, indent=1))
    _atomic_write(folder / "latest", path.name)
    return path


def read_latest(data: DataDir, source_id: str, published_runs: set[str]) -> dict[str, Any] | None:
    """The quarantine of the source's last published run. A harvest writes its quarantine before it
    publishes; a harvest killed in between leaves a file for a run nobody can see, which is skipped."""
    folder = data.quarantine / source_id
    for path in sorted(folder.glob("*.json"), reverse=True):  # run timestamps sort
        try:
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if loaded.get("run") in published_runs:
            return loaded
    return None


def prune(data: DataDir, source_id: str, keep_runs: int) -> int:
    """Keeps the quarantines of the source's last `keep_runs` runs; returns how many went."""
    files = sorted((data.quarantine / source_id).glob("*.json"))  # run timestamps sort
    old = files[:max(len(files) - keep_runs, 0)]
    for path in old:
        path.unlink()
    return len(old)


PERSON_RECORD = "a person record"


def public_view(document: dict[str, Any] | None, hierarchy: ClassHierarchy | None = None) -> dict[str, Any]:
    """`{"records": [{"subject", "type", "graph", "results": [{"shape", "path", "severity", "message"}]}]}`;
    a person record's subject is "a person record" and its graph null."""
    if document is None:
        return {"records": []}
    hierarchy = hierarchy or default_vocabulary().hierarchy
    records = []
    for entry in document.get("records", []):
        person = hierarchy.is_person(list(entry.get("type") or []))
        records.append({
            "subject": PERSON_RECORD if person else entry["subject"],
            "type": entry["type"],
            "graph": None if person else entry["graph"],
            "results": [
                {key: result[key] for key in ("shape", "path", "severity", "message")}
                for result in entry["results"]
            ],
        })
    return {"records": records}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
