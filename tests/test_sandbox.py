"""Query workers have no network, whatever the guard decided (hub/core/sandbox.py, hub/sparql/worker.py).

The guard is bypassed here by calling the query pool directly, as the endpoint would after the guard:
a SERVICE call to a loopback canary then runs in a real sandboxed worker, and the canary must never be
contacted, while the same query in an unsandboxed engine does contact it (so the test proves something).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import socket
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from hub.cli import main as cli_main
from hub.core import sandbox
from hub.sparql.pool import QueryPool
from hub.sparql.worker import Job
from tests.conftest import BASE
from tests.loopback import Canary, SparqlCanary
from tests.oxigraph_oracle import Oracle

MEMORY = 1 << 30
NOBODY = 65534


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with one published generation: a graph whose statements the queries below match."""
    data = tmp_path_factory.mktemp("sandbox-data")
    feed = data / "feed.nt"
    feed.write_text('<https://a.example/s> <https://a.example/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
                    encoding="utf-8")
    assert cli_main(["--data", str(data / "hub"), "--base-iri", BASE, "load", str(feed),
                     "--graph", "https://a.example/g", "--by", "sandbox test"]) == 0
    return data / "hub"


@pytest.fixture()
def canary() -> Iterator[SparqlCanary]:
    endpoint = SparqlCanary()
    yield endpoint
    endpoint.close()


def service_queries(canary: SparqlCanary) -> list[str]:
    target = canary.url("/sparql")
    return [f"SELECT * WHERE {{ SERVICE <{target}> {{ ?a ?b ?c }} }}",
            f"SELECT * WHERE {{ ?s ?p 1.SERVICE <{target}> {{ ?a ?b ?c }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o SERVICE SILENT <{target}> {{ ?a ?b ?c }} }}"]


def test_without_the_guard_a_sandboxed_worker_reaches_nothing(published: Path, canary: SparqlCanary) -> None:
    # The control: the engine itself, unsandboxed, does call the canary with these queries.
    oracle = Oracle(canary)
    try:
        assert oracle.run(service_queries(canary)[0]).contacted
    finally:
        oracle.close()
    before = len(canary.requests)
    pool = QueryPool(published, workers=2, deadline=10.0, base_iri=f"{BASE}sparql")

    async def ask_all() -> None:
        answers = [await pool.execute(query) for query in service_queries(canary)]
        assert [a.status for a in answers[:2]] == [400, 400]
        assert all("never fetches" in a.detail for a in answers[:2])
        assert answers[2].status == 200  # SILENT: the call failed quietly, and the rest of the query ran
        for answer in answers:
            if answer.whole is None:
                async for _ in answer.body:
                    pass
        assert (await pool.execute("ASK { ?s ?p ?o }")).whole is not None  # and the workers still answer

    try:
        asyncio.run(ask_all())
    finally:
        pool.close()
    assert len(canary.requests) == before


def _sandboxed_child(conn: Connection, port: int) -> None:
    """Connects to the listener, takes the network away (as an unprivileged user when started as root),
    tries again, and reports through the pipe made before the filter."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    import pyseccomp  # noqa: F401 (loaded while the files are readable: the user below may not read them)

    report: dict[str, object] = {}
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    report["uid"] = os.getuid()
    sandbox.deny_network()
    for family, address in ((socket.AF_INET, ("127.0.0.1", port)), (socket.AF_INET6, ("::1", port))):
        try:
            socket.create_connection(address, timeout=5).close()
            report[family.name] = "connected"
        except OSError as error:
            report[family.name] = type(error).__name__
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        report["AF_PACKET"] = "made"
    except OSError as error:
        report["AF_PACKET"] = type(error).__name__
    left, right = socket.socketpair()  # AF_UNIX, made after the filter
    left.sendall(b"unix")
    report["AF_UNIX"] = right.recv(4).decode()
    conn.send(report)  # the pipe made before the filter


def test_a_sandboxed_process_cannot_connect_but_keeps_af_unix() -> None:
    listener = Canary()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_sandboxed_child, args=(child, listener.port))
    try:
        process.start()
        assert parent.poll(30), "the sandboxed child sent no report"
        report = parent.recv()
        process.join(10)
        assert report["uid"] != 0  # no root needed
        assert report["AF_INET"] == "PermissionError" and report["AF_INET6"] == "PermissionError"
        assert report["AF_PACKET"] == "PermissionError"
        assert report["AF_UNIX"] == "unix"
        assert listener.connections() == 1  # the one connection made before the filter, none after
        assert process.exitcode == 0
    finally:
        process.kill()
        listener.close()


def _worker_without_sandbox(conn: Connection, data_dir: str) -> None:
    """A real query worker on a machine where the filter cannot be installed."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    from hub.sparql import worker as query_worker

    def unavailable() -> None:
        raise sandbox.SandboxUnavailable("libseccomp could not be loaded (test)")

    sandbox.deny_network = unavailable
    query_worker.main(conn, data_dir)


def test_a_worker_without_its_sandbox_refuses_every_query(published: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_worker_without_sandbox, args=(child, str(published)), daemon=True)
    try:
        process.start()
        for _ in range(2):
            parent.send(Job("ASK { ?s ?p ?o }", None, None, None, 10))
            assert parent.poll(30)
            status, code, title, detail = parent.recv()
            assert (status, code, title) == ("error", 503, "Query sandbox unavailable")
            assert "could not take its own network away" in detail and "libseccomp" in detail
    finally:
        parent.close()
        process.join(10)
        process.kill()
