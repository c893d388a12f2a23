"""The bounds of `/sparql` and `/healthz` through the application (ISSUE-17): body and query-string
caps, the per-client and global queues, the fair hand-out of workers, and the counts of /healthz.

The queries here only run long (a cross join counted to its deadline): the memory-hungry ones run
against a server under an address-space limit, in tests/test_server_bounds.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.archive.datadir import DataDir
from hub.cli import main
from hub.core.config import Settings
from hub.pipeline.harvest import HarvestSummary
from hub.sparql.pool import QueryPool
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from tests.conftest import BASE, embedded_only
from tests.test_sparql_endpoint import CARTESIAN, proxied_client, workers_up

CAP = 4096


def client_header(name: str) -> dict[str, str]:
    """Requests come from 127.0.0.1, a trusted proxy: the header names the client."""
    return {"X-Forwarded-For": name}


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        result["response"] = call()
        result["seconds"] = time.monotonic() - started
        result["ended"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.fixture(scope="module")
def capped(harvested: tuple[Settings, HarvestSummary]) -> Iterator[TestClient]:
    with proxied_client(harvested[0], deadline=2.0, max_query_bytes=CAP, client_queries=2, max_waiting=2) as client:
        workers_up(client)
        yield client


# ---------------------------------------------------------------- bodies and query strings

def test_a_body_over_the_cap_is_413_whatever_content_length_says(capped: TestClient) -> None:
    padded = "ASK {} #" + "x" * (CAP - 20)
    assert capped.post("/sparql", content=padded, headers={"Content-Type": "application/sparql-query"}) \
        .json()["boolean"] is True
    over = "ASK {} #" + "x" * CAP
    for headers in ({"Content-Type": "application/sparql-query"},
                    {"Content-Type": "application/sparql-query", "Content-Length": "10"}):
        response = capped.post("/sparql", content=over.encode(), headers=headers)
        assert response.status_code == 413, headers
        assert response.json()["title"] == "Query too large"
        assert f"over {CAP} bytes" in response.json()["detail"] and "--max-query-bytes" in response.json()["detail"]
        assert response.headers["connection"] == "close"

    def chunks() -> Iterator[bytes]:  # no Content-Length at all: chunked, and far more than the cap
        for _ in range(10_000):
            yield b"#" + b"x" * 1023

    chunked = capped.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert chunked.status_code == 413
    form = capped.post("/sparql", data={"query": over})
    assert form.status_code == 413


def test_a_query_string_over_the_cap_is_414(capped: TestClient) -> None:
    assert capped.get("/sparql", params={"query": "ASK {} #" + "x" * (CAP - 100)}).status_code == 200
    response = capped.get("/sparql", params={"query": "ASK {} #" + "x" * CAP})
    assert response.status_code == 414
    assert "POST" in response.json()["detail"] and str(CAP) in response.json()["detail"]
    posted = capped.post(f"/sparql?query=ASK%20%7B%7D%20%23{'x' * CAP}", content=b"",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 414


# ---------------------------------------------------------------- queues

def test_one_client_never_holds_every_worker_and_gets_429_past_its_budget(capped: TestClient) -> None:
    first, first_result = in_background(lambda: capped.get("/sparql", params={"query": CARTESIAN},
                                                           headers=client_header("192.0.2.1")))
    time.sleep(0.3)  # it runs on one of the two workers
    own, own_result = in_background(lambda: capped.get("/sparql", params={"query": "ASK {}"},
                                                       headers=client_header("192.0.2.1")))
    time.sleep(0.3)  # the client's second query waits: one client runs at most workers - 1 at once
    over = capped.get("/sparql", params={"query": "ASK {}"}, headers=client_header("192.0.2.1"))
    assert over.status_code == 429
    assert over.json()["title"] == "Too many queries" and "2 queries running or waiting" in over.json()["detail"]
    assert int(over.headers["retry-after"]) >= 1
    started = time.monotonic()
    other = capped.get("/sparql", params={"query": "ASK {}"}, headers=client_header("192.0.2.2"))
    assert other.status_code == 200 and time.monotonic() - started < 1.0  # the other worker is free for others
    first.join(10)
    own.join(10)
    assert first_result["response"].status_code == 503  # the runaway met its deadline
    assert own_result["response"].status_code == 200
    assert own_result["ended"] >= first_result["ended"] - 0.2  # it ran once the runaway had gone
    # The budget is given back: the client may query again.
    assert capped.get("/sparql", params={"query": "ASK {}"}, headers=client_header("192.0.2.1")).status_code == 200


def test_past_the_global_queue_queries_get_503_with_retry_after(capped: TestClient) -> None:
    runaways = [in_background(lambda n=n: capped.get("/sparql", params={"query": CARTESIAN},
                                                     headers=client_header(f"192.0.2.{10 + n}")))
                for n in range(2)]
    time.sleep(0.4)  # both workers run a runaway, from two clients
    waiting = [in_background(lambda n=n: capped.get("/sparql", params={"query": "ASK {}"},
                                                    headers=client_header(f"192.0.2.{20 + n}")))
               for n in range(2)]
    time.sleep(0.3)  # two queries wait: the queue is full
    full = capped.get("/sparql", params={"query": "ASK {}"}, headers=client_header("192.0.2.30"))
    assert full.status_code == 503 and full.json()["title"] == "Query queue full"
    assert int(full.headers["retry-after"]) >= 1
    for thread, _ in [*runaways, *waiting]:
        thread.join(10)
    assert [result["response"].status_code for _, result in runaways] == [503, 503]
    assert [result["response"].status_code for _, result in waiting] == [200, 200]


@embedded_only
def test_a_free_worker_goes_to_the_client_running_the_fewest(harvested: tuple[Settings, HarvestSummary]) -> None:
    async def scenario() -> dict[str, float]:
        pool = QueryPool(harvested[0].data_dir, workers=3, deadline=2.0)
        ended: dict[str, float] = {}

        async def run(name: str, client: str, query: str) -> None:
            answer = await pool.execute(query, client=client)
            ended[name] = time.monotonic()
            ended[name + ".status"] = answer.status

        try:
            await run("warm", "w", "ASK {}")
            while len(pool.pids()) < 3:
                await asyncio.sleep(0.05)
            # x's runaways end half a second apart, so that workers come free one at a time.
            tasks = [asyncio.create_task(run("x1", "x", CARTESIAN))]
            await asyncio.sleep(0.5)
            tasks.append(asyncio.create_task(run("x2", "x", CARTESIAN)))
            await asyncio.sleep(0.2)
            tasks.append(asyncio.create_task(run("y1", "y", CARTESIAN)))  # every worker busy
            await asyncio.sleep(0.2)
            tasks.append(asyncio.create_task(run("y2", "y", "ASK {}")))  # waits first…
            await asyncio.sleep(0.1)
            tasks.append(asyncio.create_task(run("z", "z", "ASK {}")))  # …but z runs nothing: it goes first
            await asyncio.gather(*tasks)
        finally:
            pool.close()
        return ended

    ended = asyncio.run(scenario())
    assert ended["z.status"] == ended["y2.status"] == 200
    # The first worker to come free (x1's replacement) went to z although y2 had waited longer; y2 had
    # it next (when z was done, or x2's replacement). In arrival order y2 would have been first.
    assert ended["z"] < ended["y2"]
    assert ended["z"] < ended["x2"] and ended["y2"] < ended["y1"]


@embedded_only
def test_closing_the_pool_kills_its_workers_and_answers_the_waiting(harvested: tuple[Settings, HarvestSummary]) -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        pool = QueryPool(harvested[0].data_dir, workers=2, deadline=5.0)
        await pool.execute("ASK {}")
        while len(pool.pids()) < 2:
            await asyncio.sleep(0.05)
        pids = pool.pids()
        running = [asyncio.create_task(pool.execute(CARTESIAN, client=f"c{n}")) for n in range(2)]
        await asyncio.sleep(0.3)
        waiting = asyncio.create_task(pool.execute("ASK {}", client="late"))
        await asyncio.sleep(0.1)
        pool.close()
        answers = await asyncio.wait_for(asyncio.gather(waiting, *running), 2)
        return pids, [answer.status for answer in answers]

    pids, statuses = asyncio.run(scenario())
    assert statuses == [503, 503, 503]  # the waiting query and both running ones are told at once
    time.sleep(0.3)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()
                and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]


# ---------------------------------------------------------------- /healthz

@embedded_only
def test_counts_are_written_at_publication_and_served_by_healthz(harvested: tuple[Settings, HarvestSummary],
                                                                 client: TestClient) -> None:
    data = DataDir(harvested[0].data_dir)
    generation = generations.current(data)
    assert generation is not None
    written = json.loads((data.generations / f"{generation.number}.counts.json").read_text())
    store = ReadOnlyStore(generation.path)
    assert written == {"quads": store.count_quads(), "graphs": sum(1 for _ in store.named_graphs())}
    health = client.get("/healthz").json()
    assert health["generation"] == generation.number and health["counts"] == written


def test_a_generation_published_without_counts_is_counted_once_in_the_background(tmp_path: Path) -> None:
    settings = Settings(sources_path=Path("examples/sources.toml"), data_dir=tmp_path / "data", base_iri=BASE)
    triples = tmp_path / "a.nt"
    triples.write_text("".join(f"<https://a.example/s{n}> <https://a.example/p> \"{n}\" .\n" for n in range(5)),
                       encoding="utf-8")
    assert main(["--data", str(settings.data_dir), "--base-iri", BASE, "load", str(triples),
                 "--graph", "https://a.example/g"]) == 0
    data = DataDir(settings.data_dir)
    generation = generations.current(data)
    assert generation is not None
    counts_file = data.generations / f"{generation.number}.counts.json"
    expected = json.loads(counts_file.read_text())
    counts_file.unlink()  # as a generation published before the counts were written
    from hub.gateway.app import create_app

    with TestClient(create_app(settings)) as client:
        answers = []
        ends = time.monotonic() + 20
        while time.monotonic() < ends:
            health = client.get("/healthz").json()
            answers.append(health["counts"])
            if health["counts"] is not None:
                break
            time.sleep(0.05)
        assert answers[-1] == expected
        assert all(counts in (None, expected) for counts in answers)
        assert client.get("/healthz").json()["counts"] == expected  # kept
    assert not counts_file.exists()  # the server writes nothing into the data folder


def test_old_generations_take_their_counts_with_them(tmp_path: Path) -> None:
    settings = Settings(sources_path=Path("examples/sources.toml"), data_dir=tmp_path / "data", base_iri=BASE)
    triples = tmp_path / "a.nt"
    triples.write_text("<https://a.example/s> <https://a.example/p> <https://a.example/o> .\n", encoding="utf-8")
    load = ["--data", str(settings.data_dir), "--base-iri", BASE, "load", str(triples)]
    for n in range(generations.KEEP_GENERATIONS + 1):
        assert main([*load, "--graph", f"https://a.example/g{n}"]) == 0
    folder = DataDir(settings.data_dir).generations
    kept = sorted(int(p.name) for p in folder.iterdir() if p.is_dir())
    assert len(kept) == generations.KEEP_GENERATIONS
    assert sorted(int(p.name.split(".")[0]) for p in folder.glob("*.counts.json")) == kept
    newest = generations.counts(DataDir(settings.data_dir), kept[-1])
    assert newest is not None and newest["quads"] > generations.KEEP_GENERATIONS + 1  # every graph, and meta


def test_serve_refuses_a_memory_cap_too_small_to_open_a_store(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path), "serve", "--query-memory", "100"]) == 2
    assert "--query-memory must be at least 512 MiB" in capsys.readouterr().err
    for bad in (["--max-query-bytes", "0"], ["--client-queries", "-1"], ["--query-queue", "many"]):
        with pytest.raises(SystemExit) as exited:
            main(["--data", str(tmp_path), "serve", *bad])
        assert exited.value.code == 2


def test_a_body_trickled_slower_than_its_deadline_is_dropped() -> None:
    from starlette.requests import Request

    from hub.gateway.request_body import BodyTooLarge, BodyTooSlow, read_capped

    def request(pause: float, chunk: bytes) -> Request:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(pause)
            return {"type": "http.request", "body": chunk, "more_body": True}

        return Request({"type": "http", "method": "POST", "headers": [], "path": "/sparql"}, receive)

    started = time.monotonic()
    with pytest.raises(BodyTooSlow):
        asyncio.run(read_capped(request(0.1, b"x"), cap=1000, seconds=0.5))
    assert time.monotonic() - started < 2
    with pytest.raises(BodyTooLarge):  # an endless body stops at the cap
        asyncio.run(read_capped(request(0, b"x" * 100), cap=1000, seconds=5))
