"""The linker's private files: people's decisions on pairs, and the linker's own state between harvests.

    data/private/links/decisions.json   who confirmed or rejected which pair, when (and a note): they win over the
                                        score, on every harvest, until someone decides otherwise
    data/private/links/state.pickle     the facts of every linked record graph, their entities, the scored pairs
                                        and the links graph as written, for the generation it names: the next
                                        harvest re-links only the records it changed

The decisions are written by the API (an administrator, hub/gateway/links.py) while a harvest may run: each write
takes a lock of its own (never the writer's), and replaces the file atomically, so a harvest reads either the old
or the new file whole. The state is written only by the harvest, after it publishes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.archive.datadir import DataDir
from hub.core.durations import now_iso

VERDICTS = ("confirmed", "rejected")
STATE_VERSION = 1  # bumped when the state's shape changes: an older state is rebuilt from the store


@dataclass(frozen=True)
class Decision:
    first: str  # the two IRIs, in code-point order
    second: str
    verdict: str  # "confirmed" | "rejected"
    by: str
    at: str
    note: str = ""


def folder(data: DataDir) -> Path:
    return data.private / "links"


def _decisions_path(data: DataDir) -> Path:
    return folder(data) / "decisions.json"


def load_decisions(data: DataDir) -> dict[str, Decision]:
    """Link key -> the decision on that pair."""
    try:
        raw = json.loads(_decisions_path(data).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {key: Decision(**entry) for key, entry in raw.items()}


def decisions_digest(data: DataDir) -> str:
    """Changes whenever a decision is made or withdrawn (the harvest then publishes the links anew)."""
    try:
        return hashlib.sha256(_decisions_path(data).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def decide(data: DataDir, key: str, first: str, second: str, verdict: str | None, by: str,
           note: str = "") -> Decision | None:
    """Records (or, with `verdict` None, withdraws) a person's decision on a pair; returns it."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"a decision is one of {', '.join(VERDICTS)}, not {verdict!r}")
    first, second = sorted((first, second))
    path = _decisions_path(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = {key: asdict(decision) for key, decision in load_decisions(data).items()}
        decision = Decision(first, second, verdict, by, now_iso(), note) if verdict is not None else None
        if decision is None:
            found.pop(key, None)
        else:
            found[key] = asdict(decision)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    return decision


def load_state(data: DataDir) -> Any | None:
    """The linker's state, or None when there is none (or one of an older shape)."""
    path = folder(data) / "state.pickle"
    try:
        with path.open("rb") as handle:
            # Written only by this hub's harvest, in its private folder, like the working store itself.
            state = pickle.load(handle)  # noqa: S301
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    return state if getattr(state, "version", None) == STATE_VERSION else None


def save_state(data: DataDir, state: Any) -> None:
    path = folder(data) / "state.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
