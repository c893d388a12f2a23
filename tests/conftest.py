"""Shared fixtures: the examples harvested once into a temporary data folder, and loopback helpers."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pipeline.harvest import HarvestSummary, harvest
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


@pytest.fixture(scope="session")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, HarvestSummary]:
    """The three example networks, harvested once for the whole session (read-only for tests)."""
    data = tmp_path_factory.mktemp("examples-data")
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=data, base_iri=BASE)
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
