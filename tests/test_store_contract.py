"""The embedded store (Oxigraph, published as generations) and the store on a SPARQL 1.1 server (Oxigraph server,
Virtuoso open source: hub/store/remote.py) pass the store contract (tests/store_contract.py).

Its queries with a deadline run as the endpoint runs them: in the query pool's worker processes on the
published generation, a worker killed at the deadline (hub/sparql/pool.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.archive.datadir import DataDir
from hub.sparql.pool import QueryPool
from hub.sparql.remote_pool import RemoteQueryPool
from hub.store.generations import EmbeddedStore
from hub.store.interface import Store
from hub.store.remote import RemoteStore
from tests.engines import OxigraphServer, VirtuosoServer, oxigraph_missing, virtuoso_missing
from tests.store_contract import META, DeadlinePassed, Rows, StoreContract


class TestEmbeddedStore(StoreContract):
    def make_store(self, folder: Path) -> Store:
        return EmbeddedStore(DataDir(folder / "data"))

    def run_queries(self, store: Store, queries: list[str], deadline: float) -> list[Rows | DeadlinePassed]:
        assert isinstance(store, EmbeddedStore)

        async def session() -> list[Rows | DeadlinePassed]:
            pool = QueryPool(store.data.root, workers=2, deadline=deadline)
            try:
                # Workers start in the background on the first query: the deadline is for queries, not for them.
                await pool.execute("ASK {}")
                ends = time.monotonic() + 20
                while len(pool.pids()) < pool.size and time.monotonic() < ends:
                    await asyncio.sleep(0.05)
                answers: list[Rows | DeadlinePassed] = []
                for query in queries:
                    answer = await pool.execute(query, accept="application/sparql-results+json")
                    if answer.status == 503 and "deadline" in answer.title.lower():
                        answers.append(DeadlinePassed(answer.detail))
                        continue
                    assert answer.status == 200, (answer.title, answer.detail)
                    body = answer.whole if answer.whole is not None else b"".join([c async for c in answer.body])
                    bindings = json.loads(body)["results"]["bindings"]
                    answers.append([{name: value["value"] for name, value in row.items()} for row in bindings])
                return answers
            finally:
                pool.close()

        return asyncio.run(session())


def _remote_queries(store: Store, queries: list[str], deadline: float) -> list[Rows | DeadlinePassed]:
    """As the endpoint runs them on a server: forwarded under the deadline (hub/sparql/remote_pool.py)."""
    assert isinstance(store, RemoteStore)

    async def session() -> list[Rows | DeadlinePassed]:
        pool = RemoteQueryPool(store.client, workers=2, deadline=deadline)
        answers: list[Rows | DeadlinePassed] = []
        for query in queries:
            answer = await pool.execute(query, accept="application/sparql-results+json")
            if answer.status == 503 and "deadline" in answer.title.lower():
                answers.append(DeadlinePassed(answer.detail))
                continue
            assert answer.status == 200, (answer.title, answer.detail)
            assert answer.whole is not None
            bindings = json.loads(answer.whole)["results"]["bindings"]
            answers.append([{name: value["value"] for name, value in row.items()} for row in bindings])
        return answers

    return asyncio.run(session())


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    missing = oxigraph_missing()
    if missing:
        pytest.skip(missing)
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    missing = virtuoso_missing()
    if missing:
        pytest.skip(missing)
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


class TestOxigraphServerStore(StoreContract):
    """The store on Oxigraph server, started by the test on loopback (hub/store/remote.py)."""

    @pytest.fixture(autouse=True)
    def _server(self, oxigraph_server: OxigraphServer) -> None:
        oxigraph_server.clear()
        self.engine = oxigraph_server

    def make_store(self, folder: Path) -> Store:
        return RemoteStore(self.engine.config, META)

    def run_queries(self, store: Store, queries: list[str], deadline: float) -> list[Rows | DeadlinePassed]:
        return _remote_queries(store, queries, deadline)


class TestVirtuosoStore(StoreContract):
    """The store on Virtuoso open source, started by hand on loopback ports with a virtuoso.ini of the test's."""

    @pytest.fixture(autouse=True)
    def _server(self, virtuoso_server: VirtuosoServer) -> None:
        virtuoso_server.clear()
        self.engine = virtuoso_server

    def make_store(self, folder: Path) -> Store:
        return RemoteStore(self.engine.config, META)

    def run_queries(self, store: Store, queries: list[str], deadline: float) -> list[Rows | DeadlinePassed]:
        return _remote_queries(store, queries, deadline)
