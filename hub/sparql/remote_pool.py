"""The SPARQL endpoint's queries on a SPARQL 1.1 server (hub/store/remote.py; docs/stores.md).

The hub's guard has read the query first (hub/gateway/sparql.py): no SERVICE, no LOAD, and no Virtuoso `DEFINE`
pragma reaches the server. Each query is forwarded under the endpoint's deadline (the client's timeout; the server
stops it on its side too where it is told to: Oxigraph server's `--timeout-s`, docs/stores.md), handed out as the
embedded pool hands out its workers (hub/sparql/pool.py: at most `workers` at once, each address at most
`client_queries` running or waiting and never every slot, `max_waiting` waiting in all). The answer is read back
as pyoxigraph terms and written out by the same code the query workers use, so formats, row caps and the
truncation header are the embedded endpoint's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any, cast

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions

from hub.sparql.guard import names_own_dataset
from hub.sparql.pool import DEFAULT_DEADLINE, DEFAULT_MAX_ROWS, Answer, QueryPool
from hub.sparql.worker import Job, _graph, _solutions
from hub.store.remote import AnswerTooLarge, QueryRejected, QueryTimedOut, RemoteReader, ServerClient, StoreUnavailable

log = logging.getLogger(__name__)
_SYNTAX = re.compile(r"pars|syntax|unexpected|expected", re.IGNORECASE)
_POSITION = re.compile(r"^error at (?P<line>\d+):(?P<column>\d+): (?P<reason>.*)$", re.DOTALL)


def _rejected(said: str, base_line: bool) -> Answer:
    """The server's refusal in the endpoint's words. Oxigraph says `error at L:C: reason`, counted from the line the
    hub put before the query (its BASE, when it gave one): said as the embedded endpoint says it."""
    position = _POSITION.match(said)
    if position is not None:
        line = int(position["line"]) - (1 if base_line else 0)
        return Answer(400, title="SPARQL syntax error",
                      detail=f"line {line}, column {position['column']}: {position['reason']}")
    title = "SPARQL syntax error" if _SYNTAX.search(said) else "Query failed"
    return Answer(400, title=title, detail=f"the SPARQL server refused the query: {said}")


class _Collected:
    """Stands in for a worker's pipe: the messages the answer writers send, kept."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, ...]] = []

    def send(self, message: tuple[Any, ...]) -> None:
        self.messages.append(message)

    def answer(self) -> Answer:
        first = self.messages[0]
        if first[0] == "error":
            return Answer(first[1], title=first[2], detail=first[3])
        if first[0] == "whole":
            return Answer(200, first[1], first[2], whole=first[3])
        body = b"".join(message[1] for message in self.messages if message[0] == "data")
        return Answer(200, first[1], first[2], whole=body)


class _Slot:
    """A place for one query at the server: the embedded pool's worker, with no process of the hub's."""

    process = None

    def stop(self) -> None:
        """The server stops its own queries (its timeout); the hub has nothing to kill."""

    def kill(self) -> None:
        """As `stop`."""


class RemoteQueryPool(QueryPool):
    """The endpoint's side of a server: `execute` as QueryPool's, with its fair hand-out of `workers` slots (one
    client never holds them all, a free slot goes to the client running the fewest), the server running the query."""

    def __init__(self, client: ServerClient, workers: int = 2, deadline: float = DEFAULT_DEADLINE,
                 max_rows: int = DEFAULT_MAX_ROWS, base_iri: str | None = None, client_queries: int | None = None,
                 max_waiting: int | None = None, memory_mib: int | None = None) -> None:
        """`memory_mib`: the most the hub reads of one answer (the embedded workers' memory cap)."""
        super().__init__(Path("."), workers=workers, deadline=deadline, max_rows=max_rows, base_iri=base_iri,
                         memory_mib=memory_mib, client_queries=client_queries, max_waiting=max_waiting)
        self.client = client

    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                return
            slot = cast(Any, _Slot())
            self._all.add(slot)
            self._idle.append(slot)
            self._dispatch()

    def pids(self) -> list[int]:
        return []  # no process of the hub's runs a query

    async def execute(self, job_query: str, *, client: str = "", default_graphs: tuple[str, ...] | None = None,
                      named_graphs: tuple[str, ...] | None = None, accept: str | None = None) -> Answer:
        self.start()
        got = await self._acquire(client)
        if isinstance(got, Answer):
            return got
        try:
            job = Job(job_query, default_graphs, named_graphs, accept, self.max_rows, self.base_iri)
            return await asyncio.to_thread(self._run, job, self.deadline)
        finally:
            self._release(got, healthy=True)  # the server stopped a runaway itself: the slot is free again

    def _run(self, job: Job, timeout: float) -> Answer:
        dataset = job.default_graphs is not None or job.named_graphs is not None
        reader = RemoteReader(self.client)
        try:
            result = reader.query(
                job.query,
                default_graphs=[NamedNode(i) for i in job.default_graphs or ()] if dataset else None,
                named_graphs=[NamedNode(i) for i in job.named_graphs or ()] if dataset else None,
                base_iri=job.base_iri, own_dataset=not dataset and names_own_dataset(job.query), timeout=timeout,
                max_bytes=self.memory_mib << 20)
        except QueryTimedOut:
            self.killed += 1
            log.info("a query ran past the deadline of %g s on the SPARQL server", self.deadline)
            return Answer(503, title="Query deadline passed",
                          detail=f"the query ran longer than the deadline of {self.deadline:g} s and was stopped; "
                                 f"narrow it (a LIMIT, more specific patterns) and try again")
        except AnswerTooLarge:
            return Answer(503, title="Query needed too much memory",
                          detail=f"the query's answer passed {self.memory_mib} MiB, the most the hub reads of one "
                                 f"(--query-memory); narrow it (a LIMIT, fewer variables) and try again")
        except QueryRejected as error:
            return _rejected(str(error), job.base_iri is not None)
        except StoreUnavailable as error:
            log.warning("the SPARQL server failed a query: %s", error)
            return Answer(503, title="Store unavailable", detail=str(error))
        collected = _Collected()
        if isinstance(result, QueryBoolean | QuerySolutions):
            _solutions(result, job, collected)  # type: ignore[arg-type]
        else:
            _graph(result, job, collected)  # type: ignore[arg-type]
        return collected.answer()
