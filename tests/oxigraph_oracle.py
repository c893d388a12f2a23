"""Oxigraph as the oracle of the SERVICE guard: does the engine itself, left alone, reach the canary?

The guard (hub/sparql/guard.py) must refuse every query with which pyoxigraph would fetch something.
Rather than guess how the engine reads a query, the differential tests ask it: a child process with
an in-memory store, and no sandbox (the point is to see what the engine would do), runs one query at
a time while the parent's loopback canary counts the requests it gets. The child lives under an
address-space limit and each query under a timeout: a query that runs away kills the child, a fresh
one takes its place, and the query counts for whatever the canary saw.

The store holds one statement `ex:s ex:p T` for each term T of `GLUE_TERMS`, the terms that the
tests glue in front of a SERVICE keyword: a SERVICE joined with a pattern that matches nothing is
never called, which would make the oracle blind.
"""

from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any

from tests.loopback import SparqlCanary

# The terms of the triple before the keyword. `h:` is `<http://h.invalid:>`, a valid IRI that no local
# name extends into a valid one (a port made of letters): Oxigraph then reads `h:SERVICE` as `h:` SERVICE.
GLUE_TERMS = ["1", "1.0", "1e1", ".5", "1.e1", "+1", "-1", "true", "false", '"a"', "'a'", '"""a"""', "'''a'''",
              '"a"@en', '"a\\""', "ex:o", "ex:a.b", "h:", "<http://example.invalid/o>", "c:x", '"1"^^ex:t']
# And statements for the other patterns the corpus puts in front: `?s a ?t`, `?s h: true`.
MORE_STATEMENTS = ("ex:s a ex:T . ex:s h: true . ex:s ex:q ex:o . ex:o ex:r ex:o . "
                   "ex:s ex:p <http://example.invalid/o#frag>, \"#\", \"a'\" .")
PROLOGUE = ("PREFIX ex: <http://example.invalid/> PREFIX h: <http://h.invalid:> "
            "PREFIX c: <http://127.0.0.1:{port}/> PREFIX : <http://127.0.0.1:{port}/> ")
MEMORY = 1 << 30
TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    contacted: bool  # the canary got at least one request while the query ran
    result: str  # "ok", "syntax error: …", "error: …", "timeout"


class Oracle:
    def __init__(self, canary: SparqlCanary) -> None:
        self.canary = canary
        statements = " ".join(f"ex:s ex:p {term} ." for term in GLUE_TERMS) + " " + MORE_STATEMENTS
        self.data = f"{PROLOGUE.format(port=canary.port)}\n{statements}\n".encode()  # Turtle takes PREFIX too
        self._ctx = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self._ctx.Pipe()
        self.process = self._ctx.Process(target=_serve, args=(child, self.data, MEMORY), daemon=True)
        self.process.start()
        child.close()

    def run(self, query: str, base_iri: str | None = None) -> Outcome:
        before = len(self.canary.requests)
        try:
            self.conn.send((query, base_iri))
            if self.conn.poll(TIMEOUT):
                result: str = self.conn.recv()
            else:
                result = "timeout"
                self._restart()
        except (EOFError, OSError):
            result = "error: the oracle process died"
            self._restart()
        return Outcome(len(self.canary.requests) > before, result)

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


def _serve(conn: Connection, data: bytes, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from pyoxigraph import QueryBoolean, RdfFormat, Store

    store = Store()
    store.load(data, format=RdfFormat.TURTLE)
    while True:
        try:
            query, base_iri = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: Any = store.query(query, base_iri=base_iri)
            if isinstance(result, QueryBoolean):
                bool(result)
            else:
                for _ in islice(result, 1000):
                    pass
            conn.send("ok")
        except SyntaxError as error:
            conn.send(f"syntax error: {error}")
        except Exception as error:  # noqa: BLE001 (any other failure is an answer too)
            conn.send(f"error: {type(error).__name__}: {error}")
