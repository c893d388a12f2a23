"""One SPARQL query worker: a separate process that answers one query at a time.

pyoxigraph cannot cancel a running query, so queries run in worker processes that the pool can kill
at a deadline (hub/sparql/pool.py). Each worker opens the newest published generation read-only and
moves to the next one between queries; it caps its own address space before it opens a store, and
dies with the forkserver that forked it. It negotiates the result format with the client's Accept
header, caps the rows at `max_rows`, and sends the response back as serialized bytes, chunk by chunk:

    ("error", status, title, detail)           the query got no answer
    ("whole", media_type, truncated, bytes)    an answer smaller than one chunk, in one message
    ("head", media_type, truncated)            then ("data", bytes)* and ("end",)

Before its first job a worker takes its own network away (hub/core/sandbox.py): pyoxigraph executes SERVICE
calls itself, and the guard in front (hub/sparql/guard.py) is one wall, this is the second. A worker
that cannot do it answers every job with a 503 that says why, rather than run queries with a network.
"""

from __future__ import annotations

import logging
import os
import re
import signal
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, cast

from pyoxigraph import DefaultGraph, NamedNode, Quad, QueryBoolean, QuerySolutions, RdfFormat, serialize

from harvesters.wording import because
from hub.archive.datadir import DataDir
from hub.core import sandbox
from hub.core.namespaces import PREFIXES
from hub.core.process_limits import cap_address_space, die_with_parent, let_forkserver_end
from hub.sparql.formats import choose_graph_format, choose_solutions_format
from hub.sparql.guard import names_own_dataset
from hub.sparql.results import write_solutions
from hub.store import generations
from hub.store.embedded import ReadOnlyStore

CHUNK = 64 * 1024
# The exit status of a worker whose query hit the memory cap in Python code; in pyoxigraph's Rust code
# the same failure aborts the process (SIGABRT). The pool tells the client either way.
EXIT_OUT_OF_MEMORY = 3
log = logging.getLogger(__name__)
_POSITION = re.compile(r"^error at (?P<line>\d+):(?P<column>\d+): (?P<reason>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Job:
    query: str
    default_graphs: tuple[str, ...] | None  # None: no dataset given, the union of the named graphs
    named_graphs: tuple[str, ...] | None
    accept: str | None
    max_rows: int
    base_iri: str | None = None  # resolves relative IRIs; the protocol lets it be the endpoint's own


def syntax_message(message: str) -> str:
    """pyoxigraph says `error at 1:25: …`; say line and column in words."""
    match = _POSITION.match(message)
    if match:
        return f"line {match['line']}, column {match['column']}: {match['reason']}"
    return message


class ChunkWriter:
    """A binary file-like object that sends what it is given in chunks of about 64 KiB.

    Most answers are small: one that ends before its first chunk is full leaves in a single message,
    which saves the server two round trips through the pipe.
    """

    def __init__(self, conn: Connection, media_type: str, truncated: bool) -> None:
        self.conn = conn
        self.head = ("head", media_type, truncated)
        self.head_sent = False
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self._send_chunk()
        return len(data)

    def flush(self) -> None:
        """Only `close` sends a last partial chunk: pyoxigraph may flush after every few triples."""

    def _send_chunk(self) -> None:
        if not self.head_sent:
            self.conn.send(self.head)
            self.head_sent = True
        self.conn.send(("data", bytes(self.buffer)))
        self.buffer.clear()

    def close(self) -> None:
        if not self.head_sent:
            self.conn.send(("whole", self.head[1], self.head[2], bytes(self.buffer)))
            return
        if self.buffer:
            self._send_chunk()
        self.conn.send(("end",))


def answer(store: ReadOnlyStore, job: Job, conn: Connection) -> None:
    dataset = job.default_graphs is not None or job.named_graphs is not None
    try:
        result = store.query(
            job.query,
            default_graphs=[NamedNode(i) for i in job.default_graphs or ()] if dataset else None,
            named_graphs=[NamedNode(i) for i in job.named_graphs or ()] if dataset else None,
            base_iri=job.base_iri,
            # The protocol's parameters win over the query's FROM; without them, its FROM applies.
            own_dataset=not dataset and names_own_dataset(job.query),
        )
        if isinstance(result, QueryBoolean | QuerySolutions):
            _solutions(result, job, conn)
        else:
            _graph(result, job, conn)
    except SyntaxError as error:
        conn.send(("error", 400, "SPARQL syntax error", syntax_message(str(error))))
    except PermissionError:
        # The sandbox at work: the engine tried to open a network socket (a SERVICE call).
        conn.send(("error", 400, "Query refused", "the query tried to reach the network, which query workers "
                                                 "cannot: this hub never fetches anything on a query's behalf"))
    except (ValueError, OSError, RuntimeError, TypeError) as error:
        conn.send(("error", 400, "Query failed", "the engine could not evaluate the query: " + because(
            error, "it applies an operation to values it does not take; check its functions and their arguments")))


def _not_acceptable(conn: Connection, kind: str, offers: str) -> None:
    conn.send(("error", 406, "Not acceptable", f"{kind} results are offered as {offers}; the Accept header "
                                                  f"allows none of them"))


def _solutions(result: QueryBoolean | QuerySolutions, job: Job, conn: Connection) -> None:
    chosen = choose_solutions_format(job.accept)
    if chosen is None:
        kind = "ASK" if isinstance(result, QueryBoolean) else "SELECT"
        return _not_acceptable(conn, kind, "application/sparql-results+json, application/sparql-results+xml, "
                                           "text/csv, text/tab-separated-values")
    media_type, fmt = chosen
    if isinstance(result, QueryBoolean):
        conn.send(("whole", media_type, False, result.serialize(format=fmt) or b""))
        return
    variables = [v.value for v in result.variables]
    width = range(len(variables))
    rows: list[list[Any]] = [[solution[i] for i in width] for solution in islice(result, job.max_rows + 1)]
    truncated = len(rows) > job.max_rows
    writer = ChunkWriter(conn, media_type, truncated)
    write_solutions(fmt, variables, rows[:job.max_rows], writer.write)
    writer.close()


def _graph(result: Any, job: Job, conn: Connection) -> None:
    chosen = choose_graph_format(job.accept)
    if chosen is None:
        return _not_acceptable(conn, "CONSTRUCT and DESCRIBE", "text/turtle, application/n-triples, "
                                  "application/rdf+xml, application/ld+json, application/n-quads, application/trig")
    media_type, fmt = chosen
    triples: list[Any] = list(islice(result, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    triples = triples[:job.max_rows]
    items: list[Any] = triples
    if fmt in (RdfFormat.N_QUADS, RdfFormat.TRIG):
        items = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples]
    writer = ChunkWriter(conn, media_type, truncated)
    prefixes = PREFIXES if fmt in (RdfFormat.TURTLE, RdfFormat.TRIG, RdfFormat.RDF_XML) else None
    serialize(items, cast(IO[bytes], writer), fmt, prefixes=prefixes)
    writer.close()


def _without_network() -> str | None:
    """Takes the network away from this worker before any job; None when done, else why it could not."""
    try:
        sandbox.deny_network()
    except sandbox.SandboxUnavailable as error:
        log.error("query worker %d refuses every query: %s", os.getpid(), error)
        return (f"the query worker could not take its own network away, so it runs no query: {error}. "
                "Ask the hub's operator")
    return None


def main(conn: Connection, data_dir: str, memory_limit: int | None = None) -> None:
    """The worker's loop: one job in, one answer out, until the pool closes the pipe.

    `memory_limit` caps the worker's address space (bytes) before it opens a store.
    """
    # A worker forked by the forkserver dies with it, and the forkserver ends with the server: a
    # server killed with SIGKILL leaves no worker running a query for nobody.
    die_with_parent()
    let_forkserver_end()
    # Ctrl-C goes to the whole process group: the server shuts the pool down, not each worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit is not None:
        cap_address_space(memory_limit)
    # Then, before any job: no network (the pipe to the server is an AF_UNIX pair, made already).
    refusal = _without_network()
    data = DataDir(Path(data_dir))
    opened: tuple[int, ReadOnlyStore] | None = None
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        if refusal is not None:  # fail closed
            conn.send(("error", 503, "Query sandbox unavailable", refusal))
            continue
        generation = generations.current(data)
        if generation is None:
            conn.send(("error", 503, "No data published yet",
                       "no generation has been published yet: run `mutualisons harvest`"))
            continue
        if opened is None or opened[0] != generation.number:
            opened = None  # let go of the older generation before opening the newer one
            assert generation.path is not None  # a generation of the data folder (not a server's version)
            try:
                opened = (generation.number, ReadOnlyStore(generation.path))
            except OSError as error:
                conn.send(("error", 503, "Store unavailable", f"generation {generation.number}: {error}"))
                continue
        try:
            answer(opened[1], job, conn)
        except MemoryError:
            # The query needed more than the cap: no answer can be sent reliably now, so the worker
            # ends and the pool says why (hub/sparql/pool.py), as it does when Rust code aborts.
            os._exit(EXIT_OUT_OF_MEMORY)
