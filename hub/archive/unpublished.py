"""Files a harvest writes before it publishes, and what a killed harvest left of them.

A run writes its history file (`data/private/versions/{source}/{run}.nq`) and its quarantine before the
generation that shows it is published: killed in between, the harvest would leave versions of a run
nobody ever saw, counted by retention as one of the source's last runs. So the harvest first notes
each such file in a journal, `data/private/unpublished.json`, and deletes the journal once its
generation is published. The next harvest, under the writer's lock, finds a journal only when the
last one did not end: a file whose run the published generation does not describe is removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from hub.archive.datadir import DataDir


def _path(data: DataDir) -> Path:
    return data.private / "unpublished.json"


class Journal:
    """The files of this harvest's runs, by run IRI, until its generation is published."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self.runs: dict[str, list[str]] = {}

    def add(self, run: str, files: list[Path]) -> None:
        """Notes files before they are written (a file noted but never written is simply not found)."""
        self.runs.setdefault(run, []).extend(str(path.relative_to(self.data.root)) for path in files)
        path = _path(self.data)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(self.runs), encoding="utf-8")
        os.replace(temporary, path)

    def published(self) -> None:
        """The harvest's generation is published: its files are everyone's now."""
        _path(self.data).unlink(missing_ok=True)


def discard(data: DataDir, is_published: Callable[[str], bool]) -> int:
    """Removes the files a harvest that never ended wrote for runs that were not published (asked of
    the published generation: `is_published(run IRI)`); returns how many went."""
    path = _path(data)
    try:
        runs: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        runs = {}  # unreadable (it is replaced whole, so only a damaged disk does that): nothing to go by
    removed = 0
    for run, files in runs.items():
        if is_published(run):
            continue  # killed after publishing, before the journal went
        for name in files:
            target = data.root / name
            if target.is_file():
                target.unlink()
                removed += 1
    path.unlink(missing_ok=True)
    return removed
