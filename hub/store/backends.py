"""Which backend holds the public data (hub/core/store_config.py): the embedded store with its generations, or a
SPARQL 1.1 server (hub/store/remote.py). The harvest, the admin's load and the readers open theirs here."""

from __future__ import annotations

from pyoxigraph import NamedNode

from hub.archive.datadir import DataDir
from hub.core.config import StoreConfig
from hub.store import generations
from hub.store.generations import EmbeddedStore
from hub.store.remote import RemoteStore

Backend = EmbeddedStore | RemoteStore


def open_writer(data: DataDir, config: StoreConfig | None, meta: NamedNode) -> tuple[Backend, bool]:
    """The single writer's backend (under the writer's lock), and whether an interrupted writer's half-written
    working store had to be rebuilt first (the embedded store only: a server never received half a request)."""
    if config is not None:
        return RemoteStore(config, meta), False
    restored = generations.restore_working(data)
    return EmbeddedStore(data), restored


def published_number(backend: Backend) -> int | None:
    """The version readers see now, or None before the first publication."""
    if isinstance(backend, RemoteStore):
        found = backend.version()
        return None if found is None else found[0]
    current = generations.current(backend.data)
    return None if current is None else current.number
