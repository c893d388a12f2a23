"""A pool of SPARQL query worker processes, each of which can be killed at its query's deadline.

pyoxigraph has no way to cancel a query, and a thread cannot be killed, so one runaway query would
hold a core and its memory until it ends. Each query instead runs in a worker process
(hub/query_worker.py); when its deadline passes the process is killed and a fresh one takes its place,
while the other workers keep answering. Workers start through `forkserver`: a clean process that
never held the server's threads or open stores, and that forks a replacement in milliseconds.

`execute` is blocking (the API calls it from a thread): it waits for a free worker, sends the job and
returns the head of the answer, whose body is then read chunk by chunk under the same deadline.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from hub import query_worker
from hub.query_worker import Job

DEFAULT_DEADLINE = 10.0
DEFAULT_MAX_ROWS = 100_000


class DeadlinePassed(Exception):
    """The query ran past its deadline; its worker was killed."""


@dataclass
class Answer:
    status: int
    media_type: str = ""
    truncated: bool = False
    title: str = ""
    detail: str = ""
    body: Iterator[bytes] = field(default_factory=lambda: iter(()))
    whole: bytes | None = None  # the full body, when it came in one message


class _Worker:
    def __init__(self, ctx: Any, data_dir: Path) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=query_worker.main, args=(child, str(data_dir)),
                                                name="mutualisons-query-worker", daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def default_workers() -> int:
    return max(2, os.cpu_count() or 2)


class QueryPool:
    def __init__(self, data_dir: Path, workers: int = 2, deadline: float = DEFAULT_DEADLINE,
                 max_rows: int = DEFAULT_MAX_ROWS, base_iri: str | None = None) -> None:
        if workers < 2:
            raise ValueError("the query pool needs at least two workers, so that one slow query never blocks all")
        self.data_dir = data_dir
        self.size = workers
        self.deadline = deadline
        self.max_rows = max_rows
        self.base_iri = base_iri
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["hub.query_worker"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.killed = 0  # workers killed at a deadline, for tests and logs

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            for _ in range(self.size):
                self._spawn()

    def _spawn(self) -> None:
        worker = _Worker(self._ctx, self.data_dir)
        self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            if not self._closed:
                self._spawn()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def execute(self, job_query: str, *, default_graphs: tuple[str, ...] | None = None,
                named_graphs: tuple[str, ...] | None = None, accept: str | None = None) -> Answer:
        """Runs one query under the deadline; the answer's body must be consumed or closed."""
        self.start()
        ends = time.monotonic() + self.deadline
        try:
            worker = self._idle.get(timeout=self.deadline)
        except queue.Empty:
            return Answer(503, title="Query workers busy",
                          detail=f"all {self.size} query workers stayed busy for the whole deadline "
                                 f"({self.deadline:g} s); try again later")
        job = Job(job_query, default_graphs, named_graphs, accept, self.max_rows, self.base_iri)
        try:
            worker.conn.send(job)
            message = self._receive(worker, ends)
        except (DeadlinePassed, EOFError, OSError) as error:
            self._replace(worker)
            return self._failure(error)
        if message[0] == "error":
            self._idle.put(worker)
            return Answer(message[1], title=message[2], detail=message[3])
        if message[0] == "whole":
            self._idle.put(worker)
            return Answer(200, message[1], message[2], whole=message[3])
        _, media_type, truncated = message
        return Answer(200, media_type, truncated, body=self._body(worker, ends))

    def _failure(self, error: Exception) -> Answer:
        if isinstance(error, DeadlinePassed):
            self.killed += 1
            return Answer(503, title="Query deadline passed",
                          detail=f"the query ran longer than the deadline of {self.deadline:g} s and was stopped; "
                                 f"narrow it (a LIMIT, more specific patterns) and try again")
        return Answer(503, title="Query worker failed", detail=f"the query worker stopped unexpectedly: {error}")

    def _receive(self, worker: _Worker, ends: float) -> Any:
        remaining = ends - time.monotonic()
        if remaining <= 0 or not worker.conn.poll(remaining):
            raise DeadlinePassed()
        return worker.conn.recv()

    def _body(self, worker: _Worker, ends: float) -> Iterator[bytes]:
        finished = False
        try:
            while True:
                message = self._receive(worker, ends)
                if message[0] == "end":
                    finished = True
                    return
                if message[0] == "error":
                    # Writing failed after the head was sent: all that is left is to cut the response.
                    raise RuntimeError(f"the answer could not be written: {message[3]}")
                yield message[1]
        except DeadlinePassed:
            # The head is sent: all the client can see is a response that ends early.
            self.killed += 1
            raise
        finally:
            if finished:
                self._idle.put(worker)
            else:
                # Deadline, worker crash or a client gone mid-stream: the worker may still be writing.
                self._replace(worker)
