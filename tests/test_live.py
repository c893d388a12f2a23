"""End to end over real sockets: a feed served over HTTP on loopback, harvested by the CLI, and the hub
served by uvicorn on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES, ROOT, free_port
from tests.test_api import Canary


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".ttl": "text/turtle",
                      ".jsonld": "application/ld+json"}

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def feed_server() -> Iterator[str]:
    """Serves examples/feeds over HTTP on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(EXAMPLES / "feeds")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_sources(folder: Path, host: str, trusted: bool) -> Path:
    toml = folder / "sources.toml"
    trusted_line = f'trusted_hosts = ["{host}"]\n' if trusted else ""
    toml.write_text(
        '[[source]]\nid = "transition-http"\nname = "Quartiers en Transition (HTTP)"\n'
        f'url = "http://{host}/quartiers-en-transition.jsonld"\n'
        'license = "https://creativecommons.org/publicdomain/zero/1.0/"\n'
        'publisher = "Quartiers en Transition"\ncontact = "https://quartiers-en-transition.example/contact"\n'
        + trusted_line, encoding="utf-8")
    return toml


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_untrusted_loopback_feed_is_refused(tmp_path: Path, feed_server: str) -> None:
    toml = write_sources(tmp_path, feed_server, trusted=False)
    result = run_cli("--sources", str(toml), "--data", str(tmp_path / "data"), "harvest")
    assert result.returncode == 1
    assert "non-public address 127.0.0.1" in result.stderr and "trusted_hosts" in result.stderr


def test_harvest_over_http_and_serve_with_uvicorn(tmp_path: Path, feed_server: str) -> None:
    toml = write_sources(tmp_path, feed_server, trusted=True)
    data = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    harvested = run_cli("--sources", str(toml), "--data", str(data), "--base-iri", base, "harvest")
    assert harvested.returncode == 0, harvested.stderr
    assert "transition-http: partial" in harvested.stdout

    server = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "--base-iri", base,
         "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "uvicorn did not come up"
                time.sleep(0.2)
            assert http.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True
            geo = http.get("/api/organizations", params={"format": "geojson"}).json()
            assert len(geo["features"]) == 12
            feature = geo["features"][0]
            provenance = http.get(feature["properties"]["provenance"]).json()
            documents = {s["document"] for s in provenance["statements"]}
            assert documents == {f"http://{feed_server}/quartiers-en-transition.jsonld"}
            assert all(s["fetched"] for s in provenance["statements"])
            payload = provenance["statements"][0]["payload"]
            assert payload.startswith(f"{base}payload/")

            canary = Canary()
            try:
                query = f"SELECT * {{ SERVICE <http://127.0.0.1:{canary.port}/> {{ ?s ?p ?o }} }}"
                assert http.get("/sparql", params={"query": query}).status_code == 400
                time.sleep(0.3)
                assert canary.connections == 0
            finally:
                canary.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
