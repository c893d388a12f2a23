"""The linker's private files: people's decisions on pairs, and the linker's own state between harvests.

    data/private/links/decisions.json   who confirmed or rejected which pair, when (and a note): they win over the
                                        score, on every harvest, until someone decides otherwise
    data/private/links/state.pickle     the facts of every linked record graph, their entities, the scored pairs
                                        and the links graph as written, for the generation it names: the next
                                        harvest re-links only the records it changed (a small head first says
                                        for which generation, rules and decisions, so a harvest that changed
                                        nothing reads and rewrites only that)

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
STATE_VERSION = 2  # bumped when the state's shape changes: an older state is rebuilt from the store


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


def _read_head(handle: Any) -> dict[str, Any] | None:
    # Written only by this hub's harvest, in its private folder, like the working store itself.
    head = pickle.load(handle)  # noqa: S301
    return head if isinstance(head, dict) and head.get("version") == STATE_VERSION else None


def load_state_head(data: DataDir) -> dict[str, Any] | None:
    """What the state was written for (generation, fingerprint, decisions), read without the state itself: a
    harvest that changed no linked record needs no more (None when there is no state, or one of an older shape)."""
    try:
        with (folder(data) / "state.pickle").open("rb") as handle:
            return _read_head(handle)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        return None


def load_state(data: DataDir) -> Any | None:
    """The linker's state, or None when there is none (or one of an older shape)."""
    path = folder(data) / "state.pickle"
    try:
        with path.open("rb") as handle:
            head = _read_head(handle)
            if head is None:
                return None
            state = pickle.load(handle)  # noqa: S301 - see _read_head
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        return None
    if getattr(state, "version", None) != STATE_VERSION:
        return None
    state.generation = head["generation"]  # the head says it: a restamped state keeps its body as it was
    return state


def _head(state: Any) -> dict[str, Any]:
    return {"version": STATE_VERSION, "generation": state.generation, "fingerprint": state.fingerprint,
            "decisions": state.decisions}


def save_state(data: DataDir, state: Any) -> None:
    """The state, after a small head saying what it was written for (load_state_head reads only that)."""
    path = folder(data) / "state.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(_head(state), handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def restamp_state(data: DataDir, generation: int) -> bool:
    """The state, unchanged, now belongs to `generation`: its head is written anew and its body copied as bytes
    (pickling 100k records' facts and entities again would cost seconds a harvest that changed nothing need not
    pay). False when there is no state to restamp."""
    path = folder(data) / "state.pickle"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with path.open("rb") as handle:
            head = _read_head(handle)
            if head is None:
                return False
            head["generation"] = generation
            with tmp.open("wb") as out:
                pickle.dump(head, out, protocol=pickle.HIGHEST_PROTOCOL)
                while chunk := handle.read(1 << 20):
                    out.write(chunk)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        tmp.unlink(missing_ok=True)
        return False
    os.replace(tmp, path)
    return True
