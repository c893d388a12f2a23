"""The readers' side: the newest published generation, opened read-only, reopened when it changes; or, with the
store on a SPARQL 1.1 server (docs/stores.md), the server's current version (its counter in the meta graph)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import cast

from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.lock import running_pid
from hub.core.store_config import store_of
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from hub.store.generations import Generation
from hub.store.remote import RemoteReader, ServerClient


class NotPublished(Exception):
    """No generation has been published yet."""


@dataclass
class Published:
    generation: Generation  # on a server: its version, with no path
    store: ReadOnlyStore | RemoteReader


class PublishedReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = DataDir(settings.data_dir)
        self.minter = Minter(settings.base_iri)
        self._current: Published | None = None
        self._lock = threading.Lock()
        config = store_of(settings)
        self.server = ServerClient(config) if config is not None else None

    def current(self) -> Generation | None:
        """The generation (the server's version) readers see now, or None before the first publication."""
        if self.server is None:
            return generations.current(self.data)
        found = RemoteReader(self.server).version(self.minter.meta_graph())
        return None if found is None else Generation(found[0], None, found[1])

    def published(self) -> Published:
        """The newest generation; a query already running keeps the store it started on."""
        generation = self.current()
        if generation is None:
            raise NotPublished("no generation has been published yet: run `mutualisons harvest`")
        with self._lock:
            if self._current is None or self._current.generation.number != generation.number:
                store = ReadOnlyStore(generation.path) if generation.path is not None else \
                    RemoteReader(cast(ServerClient, self.server), self.minter.meta_graph())
                self._current = Published(generation, store)
            return self._current

    def harvest_running(self) -> int | None:
        return running_pid(self.data.lock_file)

    def age_seconds(self) -> float | None:
        generation = self.current()
        return None if generation is None else time.time() - generation.published_at
