"""The embedded store (Oxigraph, published as generations) passes the store contract (tests/store_contract.py).

Its queries with a deadline run as the endpoint runs them: in the query pool's worker processes on the
published generation, a worker killed at the deadline (hub/sparql/pool.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from hub.archive.datadir import DataDir
from hub.sparql.pool import QueryPool
from hub.store.generations import EmbeddedStore
from hub.store.interface import Store
from tests.store_contract import DeadlinePassed, Rows, StoreContract


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
