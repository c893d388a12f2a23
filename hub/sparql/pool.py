"""A pool of SPARQL query worker processes, each of which can be killed at its query's deadline.

pyoxigraph has no way to cancel a query, and a thread cannot be killed, so one runaway query would
hold a core and its memory until it ends. Each query instead runs in a worker process
(hub/sparql/worker.py); when its deadline passes the process is killed and a fresh one takes its place,
while the other workers keep answering. Each worker caps its own address space (`memory_mib`): a query
that needs more ends its worker, and the client is told so. Workers start through `forkserver`: a clean
process that never held the server's threads or open stores, and that forks a replacement in
milliseconds; it ends when the server does, and the workers with it (hub/core/process_limits.py).

Everything here is asynchronous: a request waiting for a worker holds no thread (a thread per waiting
request once took all of the server's threads, and every other endpoint stalled behind 50 slow
queries), and the answer is read from the worker's socket by the event loop. Workers are handed out
fairly: a client address has at most `client_queries` queries running and waiting (more get 429), runs
at most `share` of them at once (one worker fewer than the pool, so one client never takes every
worker), and a free worker goes to the waiting client that runs the fewest queries. At most
`max_waiting` queries wait in all (more get 503).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import threading
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from hub.core.process_limits import physical_memory
from hub.sparql import worker as query_worker
from hub.sparql.worker import EXIT_OUT_OF_MEMORY, Job

log = logging.getLogger(__name__)

DEFAULT_DEADLINE = 10.0
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_QUERY_BYTES = 1024 * 1024  # the largest request body or query string /sparql reads
MIN_QUERY_MEMORY_MIB = 512  # a worker takes about 500 MiB of address space before its first query


class DeadlinePassed(Exception):
    """The query ran past its deadline; its worker was killed."""


@dataclass
class Answer:
    status: int
    media_type: str = ""
    truncated: bool = False
    title: str = ""
    detail: str = ""
    body: AsyncIterator[bytes] = field(default_factory=lambda: _Empty())
    whole: bytes | None = None  # the full body, when it came in one message
    retry_after: int | None = None  # seconds, for a 429 or 503 that asks the client to come back


def default_workers() -> int:
    return max(2, os.cpu_count() or 2)


def default_query_memory_mib(workers: int) -> int:
    """2 GiB per worker, less on a machine where the workers together would take over half its RAM."""
    ram = physical_memory()
    if ram is None:
        return 2048
    return max(1024, min(2048, ram // (2 * workers) // (1 << 20)))


def default_client_queries(workers: int) -> int:
    return 2 * workers


def default_max_waiting(workers: int) -> int:
    return 16 * workers


# ---------------------------------------------------------------- the worker's socket

# The worker speaks through a multiprocessing Connection; its frames are a 4-byte big-endian signed
# length (-1 then an 8-byte length above 2 GiB) and a pickle. The pool reads and writes the same frames
# on its end of the socket pair with the event loop, so that no thread waits on a worker.

async def _read_exactly(sock: socket.socket, size: int) -> bytearray:
    loop = asyncio.get_running_loop()
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        read = await loop.sock_recv_into(sock, view[got:])
        if read == 0:
            raise EOFError("the query worker closed its socket")
        got += read
    return buffer


async def _receive(sock: socket.socket) -> Any:
    (size,) = struct.unpack("!i", await _read_exactly(sock, 4))
    if size == -1:
        (size,) = struct.unpack("!Q", await _read_exactly(sock, 8))
    return pickle.loads(await _read_exactly(sock, size))


async def _send(sock: socket.socket, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    await asyncio.get_running_loop().sock_sendall(sock, struct.pack("!i", len(payload)) + payload)


class _Worker:
    def __init__(self, ctx: Any, data_dir: Path, memory_limit: int | None) -> None:
        ours, theirs = socket.socketpair()
        child = Connection(theirs.detach())
        self.process: BaseProcess = ctx.Process(target=query_worker.main,
                                                args=(child, str(data_dir), memory_limit),
                                                name="mutualisons-query-worker", daemon=True)
        try:
            self.process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            child.close()
        ours.setblocking(False)
        self.sock = ours

    def stop(self) -> None:
        """SIGKILL, without waiting: the forkserver, the worker's parent, reaps it.

        A query reading this worker's socket then reads its end (closing the socket under it instead
        would leave that read waiting forever).
        """
        try:
            self.process.kill()
        except (OSError, ValueError, AttributeError):
            pass  # already gone, or never started

    def kill(self) -> None:
        """Stops the worker and closes the pool's end of its socket: for a worker nobody reads."""
        self.stop()
        self.sock.close()

    async def exit_code(self, wait: float = 1.0) -> int | None:
        """The worker's exit status once it has died (None if it is still alive after `wait` s)."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + wait
        while True:
            code = self.process.exitcode  # non-blocking: polls the forkserver's status pipe
            if code is not None or loop.time() >= ends:
                return code
            await asyncio.sleep(0.02)


class _Empty:
    def __aiter__(self) -> _Empty:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


# ---------------------------------------------------------------- fair hand-out of workers

@dataclass(eq=False)
class _Ticket:
    """One query's claim on a worker: waiting until `worker` is set, running until released."""

    client: str
    order: int
    loop: asyncio.AbstractEventLoop
    woken: asyncio.Future[None]
    worker: _Worker | None = None
    released: bool = False


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class QueryPool:
    def __init__(self, data_dir: Path, workers: int = 2, deadline: float = DEFAULT_DEADLINE,
                 max_rows: int = DEFAULT_MAX_ROWS, base_iri: str | None = None, memory_mib: int | None = None,
                 client_queries: int | None = None, max_waiting: int | None = None) -> None:
        if workers < 2:
            raise ValueError("the query pool needs at least two workers, so that one slow query never blocks all")
        self.data_dir = data_dir
        self.size = workers
        self.deadline = deadline
        self.max_rows = max_rows
        self.base_iri = base_iri
        self.memory_mib = memory_mib if memory_mib is not None else default_query_memory_mib(workers)
        self.client_queries = client_queries if client_queries is not None else default_client_queries(workers)
        self.share = workers - 1
        self.max_waiting = max_waiting if max_waiting is not None else default_max_waiting(workers)
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["hub.sparql.worker"])
        # Spawning goes through the forkserver, a blocking exchange: one thread of the pool's own does it.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-pool")
        # Reentrant: a stream dropped by the garbage collector releases its worker from wherever it runs.
        self._lock = threading.RLock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._waiting: list[_Ticket] = []
        self._running: Counter[str] = Counter()
        self._admitted: Counter[str] = Counter()  # running and waiting, per client
        self._order = itertools.count()
        self._started = False
        self._closed = False
        self.killed = 0  # workers killed at a deadline, for tests and logs
        self.out_of_memory = 0  # workers that died of the memory cap

    # -- lifetime

    def start(self) -> None:
        """Starts the workers in the background; queries wait for the first free one."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            for _ in range(self.size):
                self._spawner.submit(self._spawn)

    def _spawn(self) -> None:
        try:
            worker = _Worker(self._ctx, self.data_dir, self.memory_mib << 20)
        except Exception:
            # In the pool's thread, an exception would be lost with its future: say it in the log.
            log.exception("a query worker could not be started")
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
            self._idle.append(worker)
            self._dispatch()

    def close(self) -> None:
        """Kills every worker now; waiting queries get 503. The pool cannot be started again."""
        with self._lock:
            self._closed = True
            idle, busy = list(self._idle), list(self._all - set(self._idle))
            self._all.clear()
            self._idle.clear()
            waiting, self._waiting = self._waiting, []
            for ticket in waiting:
                self._forget(ticket)
                self._wake_soon(ticket)
        for worker in idle:
            worker.kill()
        for worker in busy:
            worker.stop()  # its query reads the end of the socket, answers, and closes it
        self._spawner.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    # -- hand-out

    def _wake_soon(self, ticket: _Ticket) -> None:
        try:
            ticket.loop.call_soon_threadsafe(_wake, ticket.woken)
        except RuntimeError:
            pass  # its event loop is closed: nobody waits there any more

    def _dispatch(self) -> None:
        """Gives idle workers to waiting tickets, fairly (under the lock)."""
        while self._idle and self._waiting:
            eligible = [t for t in self._waiting if self._running[t.client] < self.share]
            if not eligible:
                return
            ticket = min(eligible, key=lambda t: (self._running[t.client], t.order))
            self._waiting.remove(ticket)
            ticket.worker = self._idle.pop()
            self._running[ticket.client] += 1
            self._wake_soon(ticket)

    async def _acquire(self, client: str) -> _Ticket | Answer:
        loop = asyncio.get_running_loop()
        wait = max(1, math.ceil(self.deadline))
        with self._lock:
            if self._closed:
                return Answer(503, title="Server shutting down", detail="the server is stopping; try again shortly",
                              retry_after=wait)
            if self._admitted[client] >= self.client_queries:
                return Answer(429, title="Too many queries",
                              detail=f"this address already has {self.client_queries} queries running or waiting, "
                                     f"the most one address may have; wait for an answer before sending more",
                              retry_after=wait)
            ticket = _Ticket(client, next(self._order), loop, loop.create_future())
            self._admitted[client] += 1
            self._waiting.append(ticket)
            self._dispatch()
            # Only a query that has to wait counts against the queue: one that a free worker takes runs.
            if ticket.worker is None and len(self._waiting) > self.max_waiting:
                self._waiting.remove(ticket)
                self._forget(ticket)
                return Answer(503, title="Query queue full", retry_after=wait,
                              detail=f"{self.max_waiting} queries are already waiting for a query worker; "
                                     f"try again in {wait} s")
        if ticket.worker is None:
            try:
                await asyncio.wait({ticket.woken}, timeout=self.deadline)
            except asyncio.CancelledError:
                self._abandon(ticket)
                raise
        with self._lock:
            if ticket.worker is not None:
                return ticket
            self._abandon(ticket)
        if self._closed:
            return Answer(503, title="Server shutting down", detail="the server is stopping; try again shortly")
        return Answer(503, title="Query workers busy", retry_after=max(1, math.ceil(self.deadline)),
                      detail=f"no query worker came free within the deadline ({self.deadline:g} s); "
                             f"try again later")

    def _abandon(self, ticket: _Ticket) -> None:
        """A waiting ticket gives up (timeout, cancelled); one that got a worker meanwhile gives it back."""
        with self._lock:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
                self._forget(ticket)
        if ticket.worker is not None:
            self._release(ticket, healthy=True)

    def _forget(self, ticket: _Ticket) -> None:
        ticket.released = True
        self._admitted[ticket.client] -= 1
        if self._admitted[ticket.client] <= 0:
            del self._admitted[ticket.client]

    def _release(self, ticket: _Ticket, healthy: bool) -> None:
        """The query is over: its worker goes back to the pool, or is killed and replaced."""
        with self._lock:
            if ticket.released:
                return
            worker, ticket.worker = ticket.worker, None
            self._forget(ticket)
            self._running[ticket.client] -= 1
            if self._running[ticket.client] <= 0:
                del self._running[ticket.client]
            if worker is None:
                return
            if healthy and not self._closed:
                self._idle.append(worker)
                self._dispatch()
                return
            self._all.discard(worker)
            replace = not self._closed
            self._dispatch()  # the client's share went down: a query of its own may take an idle worker
        worker.kill()
        if replace:
            try:
                self._spawner.submit(self._spawn)
            except RuntimeError:
                pass  # closed meanwhile

    # -- queries

    async def execute(self, job_query: str, *, client: str = "", default_graphs: tuple[str, ...] | None = None,
                      named_graphs: tuple[str, ...] | None = None, accept: str | None = None) -> Answer:
        """Runs one query under the deadline for `client` (an address); a streamed body must be consumed."""
        self.start()
        got = await self._acquire(client)
        if isinstance(got, Answer):
            return got
        ticket = got
        worker = ticket.worker
        assert worker is not None
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.deadline
        job = Job(job_query, default_graphs, named_graphs, accept, self.max_rows, self.base_iri)
        try:
            async with asyncio.timeout_at(ends):
                await _send(worker.sock, job)
                message = await _receive(worker.sock)
        except TimeoutError:
            self.killed += 1
            self._release(ticket, healthy=False)
            log.info("a query ran past the deadline of %g s; its worker was replaced", self.deadline)
            return Answer(503, title="Query deadline passed",
                          detail=f"the query ran longer than the deadline of {self.deadline:g} s and was stopped; "
                                 f"narrow it (a LIMIT, more specific patterns) and try again")
        except (EOFError, OSError):
            code = await worker.exit_code()
            self._release(ticket, healthy=False)
            if self._closed:
                return Answer(503, title="Server shutting down", detail="the server is stopping; try again shortly")
            return self._died(code)
        except BaseException:
            self._release(ticket, healthy=False)
            raise
        if message[0] == "error":
            self._release(ticket, healthy=True)
            return Answer(message[1], title=message[2], detail=message[3])
        if message[0] == "whole":
            self._release(ticket, healthy=True)
            return Answer(200, message[1], message[2], whole=message[3])
        _, media_type, truncated = message
        return Answer(200, media_type, truncated, body=_Stream(self, ticket, ends))

    def _died(self, code: int | None) -> Answer:
        if code in (-signal.SIGABRT, EXIT_OUT_OF_MEMORY):
            self.out_of_memory += 1
            log.warning("a query needed more than %s MiB (--query-memory); its worker was replaced", self.memory_mib)
            return Answer(503, title="Query needed too much memory",
                          detail=f"the query needed more memory than the limit of {self.memory_mib} MiB per query "
                                 f"allows, and was stopped; narrow it (a LIMIT, fewer variables to sort, more "
                                 f"specific patterns) and try again")
        log.warning("a query worker stopped unexpectedly (exit status %s); it was replaced", code)
        return Answer(503, title="Query worker failed",
                      detail="the process running the query stopped unexpectedly; a new one has taken its place, "
                             "so try again, and report it if it happens again")


class _Stream:
    """The rest of a large answer, read chunk by chunk under the query's deadline.

    Its worker is released when the answer ends; a stream left unfinished (deadline, a client gone,
    a response never sent) costs its worker, which might still be writing.
    """

    def __init__(self, pool: QueryPool, ticket: _Ticket, ends: float) -> None:
        self.pool = pool
        self.ticket = ticket
        self.ends = ends
        self.finished = False

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> bytes:
        worker = self.ticket.worker
        if self.finished or worker is None:
            raise StopAsyncIteration
        try:
            async with asyncio.timeout_at(self.ends):
                message = await _receive(worker.sock)
        except TimeoutError:
            # The head is sent: all the client can see is a response that ends early.
            self.pool.killed += 1
            self._finish(healthy=False)
            raise DeadlinePassed() from None
        except BaseException:
            self._finish(healthy=False)
            raise
        if message[0] == "end":
            self._finish(healthy=True)
            raise StopAsyncIteration
        if message[0] == "error":
            self._finish(healthy=False)
            # Writing failed after the head was sent: all that is left is to cut the response.
            raise RuntimeError(f"the answer could not be written: {message[3]}")
        data: bytes = message[1]
        return data

    def _finish(self, healthy: bool) -> None:
        if not self.finished:
            self.finished = True
            self.pool._release(self.ticket, healthy)

    async def aclose(self) -> None:
        self._finish(healthy=False)

    def __del__(self) -> None:
        self._finish(healthy=False)
