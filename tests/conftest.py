"""Shared fixtures: the examples harvested once into a temporary data folder, and loopback helpers.

`HUB_TEST_STORE=oxigraph-server` (or `virtuoso`) runs the shared hub on a SPARQL server the session starts on
loopback instead of the embedded store (docs/stores.md): the gateway and SPARQL suites then test the hub on it."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings, StoreConfig
from hub.gateway.app import create_app
from hub.pipeline.harvest import HarvestSummary, harvest
from tests.engines import OxigraphServer, VirtuosoServer, oxigraph_missing, virtuoso_missing
from tests.loopback import Canary

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_FEEDS = ROOT.parent / "shared" / "feeds"
BASE = "http://hub.test/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def quiet(_: str) -> None:
    """Progress lines are not what these tests look at."""


TEST_STORE = os.environ.get("HUB_TEST_STORE", "embedded")
TEST_STORES = ("embedded", "oxigraph-server", "virtuoso")
# A test of the embedded store's own machinery (generation folders, query worker processes) run on the shared hub.
embedded_only = pytest.mark.skipif(TEST_STORE != "embedded", reason=f"HUB_TEST_STORE={TEST_STORE}: tests the embedded "
                                   f"store's own machinery (generation folders, query worker processes)")


@pytest.fixture(scope="session")
def test_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreConfig | None]:
    """Where the shared hub keeps its public data: None (the embedded store) unless HUB_TEST_STORE names a server,
    which the session starts on loopback and stops."""
    if TEST_STORE not in TEST_STORES:
        raise pytest.UsageError(f"HUB_TEST_STORE={TEST_STORE!r}: give one of {', '.join(TEST_STORES)}")
    if TEST_STORE == "embedded":
        yield None
        return
    missing = oxigraph_missing() if TEST_STORE == "oxigraph-server" else virtuoso_missing()
    if missing:
        raise pytest.UsageError(f"HUB_TEST_STORE={TEST_STORE}: {missing}")
    folder = tmp_path_factory.mktemp(TEST_STORE)
    server = OxigraphServer(folder) if TEST_STORE == "oxigraph-server" else VirtuosoServer(folder)
    try:
        yield server.config
    finally:
        server.stop()


@pytest.fixture(scope="session")
def harvested(tmp_path_factory: pytest.TempPathFactory,
              test_store: StoreConfig | None) -> tuple[Settings, HarvestSummary]:
    """The three example networks, harvested once for the whole session (read-only for tests)."""
    data = tmp_path_factory.mktemp("examples-data")
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=data, base_iri=BASE, store=test_store)
    return settings, harvest(settings, progress=quiet)


@pytest.fixture(scope="session")
def client(harvested: tuple[Settings, HarvestSummary]) -> Iterator[TestClient]:
    settings, _ = harvested
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture()
def examples_copy(tmp_path: Path) -> Path:
    """A writable copy of examples/, for tests that edit feeds or sources.toml."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture()
def canary() -> Iterator[Canary]:
    """A listening loopback port that must never see a connection (refused fetches, redirects, entities)."""
    probe = Canary()
    yield probe
    probe.close()
