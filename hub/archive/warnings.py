"""A run's warnings, each with its record, under `data/private/warnings/{source}/{run timestamp}.json`.

A warning is kept with what it is about (the record's subject and graph, or only the document) and, where its
message is coded (hub/charter/messages.py), its code and parameters, so that it can be said in any language. The
parameters and the text may quote the feed's values (a key two rows share, a person's node): the whole entry is
for the source's network and the administrator; `public_view` keeps what quotes no value (docs/publishers.md,
"Warnings"). A warning of a record that did not change is carried over from the run before (`carried`), so that
it stays listed until the record is fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.archive import jsonfile
from hub.archive.datadir import DataDir

WITHHELD = "withheld"  # a public entry whose text may quote a value


def _folder(data: DataDir, source_id: str) -> Path:
    return data.private / "warnings" / source_id


def path(data: DataDir, source_id: str, run_timestamp: str) -> Path:
    return _folder(data, source_id) / f"{run_timestamp}.json"


def write(data: DataDir, source_id: str, run_timestamp: str, run: str, status: str,
          entries: list[dict[str, Any]]) -> Path:
    target = path(data, source_id, run_timestamp)
    jsonfile.write(target, {"source": source_id, "run": run, "status": status, "warnings": entries})
    return target


def read(data: DataDir, source_id: str, run_timestamp: str) -> list[dict[str, Any]] | None:
    """The run's warnings, or None when the hub kept none for it (a run from before warnings were kept, or pruned)."""
    raw = jsonfile.read(path(data, source_id, run_timestamp), None)
    if not isinstance(raw, dict) or not isinstance(raw.get("warnings"), list):
        return None
    return list(raw["warnings"])


def last_committed(data: DataDir, source_id: str,
                   published_runs: set[str] | None = None) -> tuple[str | None, list[dict[str, Any]]]:
    """The source's last run that committed (not failed), of those published when given, and its warnings: what a
    run that changes nothing carries over."""
    for candidate in sorted(_folder(data, source_id).glob("*.json"), reverse=True):  # run timestamps sort
        raw = jsonfile.read(candidate, None)
        if not isinstance(raw, dict) or raw.get("status") == "failed":
            continue
        if published_runs is not None and raw.get("run") not in published_runs:
            continue
        return raw.get("run"), list(raw.get("warnings") or [])
    return None, []


def prune(data: DataDir, source_id: str, keep_runs: int) -> None:
    files = sorted(_folder(data, source_id).glob("*.json"))
    for old in files[:max(len(files) - keep_runs, 0)]:
        old.unlink(missing_ok=True)


def public_view(entry: dict[str, Any]) -> dict[str, Any]:
    """What anyone may see of a warning: its code, and its message only where it quotes no value (a charter
    warning says the shape's words); a person record's warning names no subject."""
    person = bool(entry.get("person"))
    shown: dict[str, Any] = {"code": entry.get("code"), "kind": entry.get("kind"),
                             "record": None if person else entry.get("record"),
                             "graph": None if person else entry.get("graph"),
                             "carried": bool(entry.get("carried"))}
    shown["message"] = entry.get("message") if entry.get("public") else WITHHELD
    return shown
