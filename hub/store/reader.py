"""The readers' side: the newest published generation, opened read-only, reopened when it changes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.lock import running_pid
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from hub.store.generations import Generation


class NotPublished(Exception):
    """No generation has been published yet."""


@dataclass
class Published:
    generation: Generation
    store: ReadOnlyStore


class PublishedReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = DataDir(settings.data_dir)
        self.minter = Minter(settings.base_iri)
        self._current: Published | None = None
        self._lock = threading.Lock()

    def published(self) -> Published:
        """The newest generation; a query already running keeps the store it started on."""
        generation = generations.current(self.data)
        if generation is None:
            raise NotPublished("no generation has been published yet: run `mutualisons harvest`")
        with self._lock:
            if self._current is None or self._current.generation.number != generation.number:
                self._current = Published(generation, ReadOnlyStore(generation.path))
            return self._current

    def harvest_running(self) -> int | None:
        return running_pid(self.data.lock_file)

    def age_seconds(self) -> float | None:
        generation = generations.current(self.data)
        return None if generation is None else time.time() - generation.published_at
