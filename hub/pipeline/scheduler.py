"""Harvests started on the hub's behalf, always in a child process so requests are never blocked.

`serve --schedule` checks every minute whether a source's `period` has passed and, if no harvest is
running, starts `mutualisons harvest --due`; `POST /api/sources/{id}/harvest` (admin) starts one.
The child takes the writer's lock itself, so a second writer is refused as usual.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.lock import running_pid

CHECK_EVERY_SECONDS = 60.0


def start_harvest(settings: Settings, source_ids: list[str] | None = None, due_only: bool = False) -> int:
    """Starts a harvest child process and returns its pid (output goes to data/harvest.log)."""
    command = [sys.executable, "-m", "hub.cli", "--sources", str(settings.sources_path),
               "--data", str(settings.data_dir), "--base-iri", settings.base_iri, "harvest",
               "--compact"]  # nobody waits for a background harvest: it leaves the store compacted
    if due_only:
        command.append("--due")
    if settings.store is not None and settings.store.engine == "oxigraph":
        # `serve --store URL`: the child harvests into the same server (a [store] table, it reads itself).
        command += ["--store", settings.store.url]
    command += source_ids or []
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / "harvest.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    # Reap it when it ends, so it never lingers as a zombie of the server.
    threading.Thread(target=process.wait, daemon=True).start()
    return process.pid


class Scheduler:
    """A daemon thread of the server that starts `harvest --due` when nothing else writes."""

    def __init__(self, settings: Settings, every: float = CHECK_EVERY_SECONDS) -> None:
        self.settings = settings
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="harvest-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if running_pid(DataDir(self.settings.data_dir).lock_file) is None:
                start_harvest(self.settings, due_only=True)
