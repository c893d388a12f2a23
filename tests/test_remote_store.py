"""The hub on a SPARQL 1.1 server (hub/store/remote.py, docs/stores.md), with Oxigraph server started on loopback:
harvests and serves there, a source's publication is one Update request, and a harvest killed (SIGKILL) while it
sends an update leaves every source whole, old or new. The configuration (`--store`, `[store]`) is checked too.

The store contract on Oxigraph server and Virtuoso is tests/test_store_contract.py's; the whole gateway and SPARQL
suites run on Oxigraph server with HUB_TEST_STORE=oxigraph-server (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bench.feeds import PREFIXES, organisation
from hub.core.config import Settings, StoreConfig
from hub.core.iris import Minter
from hub.core.store_config import StoreConfigError, from_profile, from_url, store_of
from hub.gateway.app import create_app
from hub.pipeline.harvest import harvest
from hub.pipeline.scheduler import start_harvest
from hub.sparql.remote_pool import RemoteQueryPool
from hub.store.reader import PublishedReader
from hub.store.remote import RemoteReader, ServerClient
from tests.conftest import ROOT, quiet
from tests.engines import OxigraphServer, oxigraph_missing

BASE = "http://hub.test/"
SOURCES = ("alpha", "beta", "gamma")
RECORDS = 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    missing = oxigraph_missing()
    if missing:
        pytest.skip(missing)
    started = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
    yield started
    started.stop()


@pytest.fixture()
def empty(server: OxigraphServer) -> OxigraphServer:
    server.clear()
    return server


def write_feeds(folder: Path, version: int) -> Path:
    """Three Turtle sources of RECORDS organisations each; version 2 renames every one, drops the first and adds one."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for number, source_id in enumerate(SOURCES):
        first = number * 1000 + (1 if version == 2 else 0)
        indexes = range(first, number * 1000 + RECORDS + (1 if version == 2 else 0))
        edit = f" v{version}"
        (folder / f"{source_id}.ttl").write_text(PREFIXES + "".join(organisation(i, edit) for i in indexes),
                                                 encoding="utf-8")
        entries.append(f'[[source]]\nid = "{source_id}"\nname = "{source_id}"\nurl = "file:{source_id}.ttl"\n'
                       f'format = "turtle"\nlicense = "https://creativecommons.org/publicdomain/zero/1.0/"\n'
                       f'publisher = "{source_id}"\ncontact = "mailto:map@{source_id}.example"\nlanguage = "fr"\n')
    toml = folder / "sources.toml"
    toml.write_text("\n".join(entries), encoding="utf-8")
    return toml


def expected_names(version: int) -> dict[str, set[str]]:
    """source -> the names its records have in that version (fr)."""
    names = {}
    for number, source_id in enumerate(SOURCES):
        shift = 1 if version == 2 else 0
        names[source_id] = {f"Initiative {i} v{version}"
                            for i in range(number * 1000 + shift, number * 1000 + RECORDS + shift)}
    return names


def source_state(config: StoreConfig, source_id: str) -> dict[str, object]:
    """What the server holds of one source: the names in its record graphs, and whether the meta graph describes
    exactly the graphs that hold them."""
    client = ServerClient(config)
    try:
        reader = RemoteReader(client)
        meta = Minter(BASE).meta_graph()
        described = {row["g"].value for row in reader.select(
            f"SELECT ?g WHERE {{ GRAPH {meta} {{ ?g a <https://w3id.org/mutualisons/ns#RecordGraph> ; "
            f"<http://purl.org/dc/terms/source> <{BASE}source/{source_id}> }} }}")}
        rows = reader.select(f"SELECT ?g ?name WHERE {{ GRAPH {meta} {{ ?g <http://purl.org/dc/terms/source> "
                             f"<{BASE}source/{source_id}> }} GRAPH ?g {{ ?s <https://schema.org/name> ?name "
                             f"FILTER(LANG(?name) = 'fr') }} }}")
        holding = {row["g"].value for row in rows}
        return {"names": {row["name"].value for row in rows}, "described": described == holding,
                "graphs": len(described)}
    finally:
        client.close()


def version_of(config: StoreConfig, source_id: str) -> str:
    state = source_state(config, source_id)
    assert state["described"], f"{source_id}: the meta graph describes other graphs than those holding records"
    for version in (1, 2):
        if state["names"] == expected_names(version)[source_id]:
            return f"v{version}"
    raise AssertionError(f"{source_id} is neither its old nor its new version: {sorted(state['names'])[:5]}…")


# -- the harvest and the gateway on the server

def test_a_harvest_publishes_on_the_server_and_the_gateway_serves_it(empty: OxigraphServer, tmp_path: Path) -> None:
    toml = write_feeds(tmp_path / "feeds", 1)
    settings = Settings(sources_path=toml, data_dir=tmp_path / "data", base_iri=BASE, store=empty.config)
    summary = harvest(settings, progress=quiet)
    assert [run.status for run in summary.runs] == ["succeeded"] * 3
    assert {source_id: version_of(empty.config, source_id) for source_id in SOURCES} == dict.fromkeys(SOURCES, "v1")
    # Nothing public in the data folder: no generation, no working store; the private data stays there.
    assert not (tmp_path / "data" / "generations").exists() and not (tmp_path / "data" / "working").exists()
    assert any((tmp_path / "data").rglob("*.json"))
    reader = PublishedReader(settings)
    current = reader.current()
    assert current is not None and current.number == summary.generation and current.path is None
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
        assert health["generation"] == summary.generation and health["counts"]["quads"] > 3 * RECORDS * 18
        items = client.get("/api/organizations", params={"limit": 100}).json()
        assert items["totalItems"] == len(items["member"]) == 3 * RECORDS
        answer = client.get("/sparql", params={"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { "
                                                        "?s a <https://schema.org/Organization> } }"},
                            headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(3 * RECORDS)
        refused = client.get("/sparql", params={"query": 'DEFINE input:grab-all "yes" SELECT * { ?s ?p ?o }'})
        assert refused.status_code == 400 and "DEFINE is refused" in refused.json()["detail"]
        # The next harvest of changed feeds: the gateway's index follows the server's version.
        write_feeds(tmp_path / "feeds", 2)
        again = harvest(settings, progress=quiet)
        assert again.generation is not None and again.generation > summary.generation
        assert client.get("/healthz").json()["generation"] == again.generation
        members = client.get("/api/organizations", params={"limit": 100}).json()["member"]
        names = {name["@value"] for member in members for name in member["name"]}
        assert "Initiative 1 v2" in names and not any(name.endswith(" v1") for name in names)
    assert {source_id: version_of(empty.config, source_id) for source_id in SOURCES} == dict.fromkeys(SOURCES, "v2")


def test_each_source_travels_in_one_update_request(empty: OxigraphServer, tmp_path: Path) -> None:
    """Between two updates the server holds whole sources only: counted by a proxy that records each request."""
    toml = write_feeds(tmp_path / "feeds", 1)
    with UpdateProxy(empty.url) as proxy:
        settings = Settings(sources_path=toml, data_dir=tmp_path / "data", base_iri=BASE, store=from_url(proxy.url))
        harvest(settings, progress=quiet)
        write_feeds(tmp_path / "feeds", 2)
        proxy.after_each = lambda: proxy.seen.append(
            tuple(version_of(empty.config, source_id) for source_id in SOURCES))
        harvest(settings, progress=quiet)
    # Each source went from v1 to v2 in one request, one source after the other.
    assert proxy.seen[0] == ("v2", "v1", "v1") and proxy.seen[-1] == ("v2", "v2", "v2")
    assert all(states in {("v2", "v1", "v1"), ("v2", "v2", "v1"), ("v2", "v2", "v2")} for states in proxy.seen)


# -- a harvest killed while it sends an update

class UpdateProxy:
    """A loopback proxy before the server that counts update requests; `on_update(n, body)` decides whether the
    n-th reaches the server (it may kill the harvest first); `after_each` runs after each update forwarded."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.updates = 0
        self.seen: list[tuple[str, ...]] = []
        self.on_update = lambda number, body: True
        self.after_each = lambda: None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                if self.path.startswith("/update"):
                    proxy.updates += 1
                    if not proxy.on_update(proxy.updates, body):
                        self.close_connection = True
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                answer = httpx.request(method, proxy.target + self.path, content=body, headers=headers, timeout=60,
                                       trust_env=False)
                if self.path.startswith("/update"):
                    proxy.after_each()
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> UpdateProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("kill_at", "reaches_server"), [(2, True), (2, False), (3, False)])
def test_a_harvest_killed_during_an_update_leaves_each_source_whole(empty: OxigraphServer, tmp_path: Path,
                                                                    kill_at: int, reaches_server: bool) -> None:
    toml = write_feeds(tmp_path / "feeds", 1)
    data = tmp_path / "data"
    settings = Settings(sources_path=toml, data_dir=data, base_iri=BASE, store=empty.config)
    harvest(settings, progress=quiet)
    write_feeds(tmp_path / "feeds", 2)
    killed: list[int] = []

    with UpdateProxy(empty.url) as proxy:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "--base-iri", BASE,
             "harvest", "--store", proxy.url],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

        def kill_during(number: int, body: bytes) -> bool:
            if number != kill_at:
                return True
            # The harvest has sent its update whole (`reaches_server`: the server applies it as the process
            # dies) or not at all (the connection drops with it): SIGKILL, and nothing of the harvest runs again.
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            killed.append(number)
            return reaches_server

        proxy.on_update = kill_during
        try:
            process.wait(120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert killed == [kill_at], "the harvest was not killed during an update"
    assert process.returncode == -signal.SIGKILL
    states = {source_id: version_of(empty.config, source_id) for source_id in SOURCES}
    # Every source is whole; the kill landed between sources: some are new, some old.
    assert set(states.values()) == {"v1", "v2"}, states
    # The next harvest finds the data folder of a killed harvest and brings every source to its new version.
    again = harvest(settings, progress=quiet)
    assert all(run.status == "succeeded" for run in again.runs), [run.errors for run in again.runs]
    assert {source_id: version_of(empty.config, source_id) for source_id in SOURCES} == dict.fromkeys(SOURCES, "v2")


# -- configuration

def test_the_store_is_chosen_by_flag_or_by_the_profile(tmp_path: Path) -> None:
    flag = from_url("http://127.0.0.1:7878/")
    assert (flag.engine, flag.query, flag.update, flag.graph_store) == (
        "oxigraph", "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store")
    with pytest.raises(StoreConfigError, match="not an http"):
        from_url("file:///tmp/store")
    profile = tmp_path / "hub.toml"
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    settings = Settings(sources_path=tmp_path / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    assert store_of(settings) is None  # no hub.toml: the shipped profile, the embedded store
    profile.write_text('[area]\nboundary = "x.geojson"\n\n[store]\nengine = "virtuoso"\n'
                       'url = "http://127.0.0.1:8890"\ntimeout = 30\nuser = "hub"\n'
                       'password_env = "HUB_STORE_PASSWORD"\nauth = "digest"\n', encoding="utf-8")
    config = store_of(settings)
    assert config is not None
    assert (config.engine, config.query, config.update, config.graph_store, config.timeout, config.auth) == (
        "virtuoso", "http://127.0.0.1:8890/sparql", "http://127.0.0.1:8890/sparql", None, 30.0, "digest")
    assert store_of(Settings(settings.sources_path, settings.data_dir, BASE, store=flag)) == flag  # the flag wins
    for table, said in [('url = "http://h"\nengine = "blazegraph"', "'engine' must be one of"),
                        ('engine = "oxigraph"', "needs 'url'"),
                        ('url = "http://h"\npassword_env = "s3cret pass"', "never the password itself"),
                        ('url = "http://h"\nquery_url = "http://h/q"', "unknown key 'query_url'"),
                        ('url = "http://h"\ntimeout = -1', "positive number of seconds")]:
        profile.write_text(f"[store]\n{table}\n", encoding="utf-8")
        with pytest.raises(StoreConfigError, match=said):
            from_profile(profile)


def test_a_server_that_does_not_answer_is_a_clear_503(tmp_path: Path) -> None:
    from tests.engines import free_port

    port = free_port()  # nobody listens there
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    settings = Settings(sources_path=tmp_path / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE,
                        store=from_url(f"http://127.0.0.1:{port}"))
    started = time.monotonic()
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/sources")
        assert response.status_code == 503
        assert "could not be reached" in response.json()["detail"] and "docs/stores.md" in response.json()["detail"]
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 503
    assert time.monotonic() - started < 30


def test_an_answer_past_the_memory_bound_is_dropped_as_it_comes(empty: OxigraphServer) -> None:
    """The server's answer is read up to the endpoint's memory bound (--query-memory), never whole past it."""
    numbers = " ".join(str(n) for n in range(400))
    big = f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} }}"  # 160k rows, ~10 MB

    async def ask(memory_mib: int) -> tuple[int, str, int]:
        client = ServerClient(empty.config)
        pool = RemoteQueryPool(client, workers=2, deadline=20, max_rows=10, memory_mib=memory_mib)
        try:
            answer = await pool.execute(big, accept="application/sparql-results+json")
            return answer.status, answer.title, len(answer.whole or b"")
        finally:
            pool.close()
            client.close()

    status, title, _ = asyncio.run(ask(1))
    assert (status, title) == (503, "Query needed too much memory")
    status, _, size = asyncio.run(ask(64))
    assert status == 200 and 0 < size < 10_000  # capped at max_rows by the hub, as the embedded endpoint does


def test_a_background_harvest_of_serve_store_writes_to_the_same_server(empty: OxigraphServer, tmp_path: Path) -> None:
    """`serve --store URL --schedule` (and the admin's trigger) start harvests in child processes: into the server."""
    toml = write_feeds(tmp_path / "feeds", 1)
    settings = Settings(sources_path=toml, data_dir=tmp_path / "data", base_iri=BASE, store=from_url(empty.url))
    pid = start_harvest(settings)
    ends = time.monotonic() + 120
    while time.monotonic() < ends:
        try:
            os.kill(pid, 0)  # the scheduler's thread reaps it: gone once it has ended
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the background harvest did not end within 120 s")
    assert {source_id: version_of(empty.config, source_id) for source_id in SOURCES} == dict.fromkeys(SOURCES, "v1")
    assert not (tmp_path / "data" / "generations").exists()
