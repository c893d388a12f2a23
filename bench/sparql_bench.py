"""The SPARQL benchmark: `/sparql` throughput on a mixed query set against Oxigraph's own server.

N organisations (BENCH_ORGANISATIONS, default 100000) become a published store of record graphs: by default
the harvest's own lifting (hub.pipeline.lifting: parse, split into records, canonical hashes) and provenance
(hub.pipeline.provenance) bulk-loaded and published as a generation, i.e. a harvest without the SHACL step, which
would take minutes at 100k and is measured by the harvest benchmark; with BENCH_SPARQL_HARVEST=1, a real
`mutualisons harvest` over loopback HTTP. Then, in the same run, the same client drives at the same
concurrency:
- the hub: `mutualisons serve` (FastAPI, worker pool with deadlines, SERVICE guard), behind a trusted
  proxy (127.0.0.1) so that each client thread, naming itself in X-Forwarded-For, is a client of its own:
  the per-client limits give one client at most workers - 1 workers, and the figure is the engine's;
- `oxigraph serve-read-only --union-default-graph` (pip package `oxigraph`, the Rust server) on the
  published generation, which is a `Store.backup` of the working store.
The figure is the hub's throughput over Oxigraph's on the whole mix:
    BENCH sparql_mix value=<ratio> target=>=0.5 unit=ratio PASS|FAIL
with one INFO line per query kind.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx
from pyoxigraph import Quad, RdfFormat, serialize

from bench.common import bench_line, print_lines, stop, wait_up
from bench.feeds import write_feed
from bench.harvest_bench import ROOT, _harvest, _serve
from hub.archive.datadir import DataDir
from hub.core.config import DEFAULT_BASE_IRI
from hub.core.iris import Minter, run_timestamp
from hub.pipeline.fetch import Fetched, now_iso
from hub.pipeline.lifting import LiftOptions, lift_document
from hub.pipeline.provenance import (
    META_TITLE,
    FetchFacts,
    GraphFacts,
    PayloadFacts,
    ProvenanceWriter,
    RunFacts,
)
from hub.store import generations
from hub.store.embedded import WorkingStore

LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"

CONCURRENCY = 4
PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX hub: <https://w3id.org/mutualisons/ns#>
"""


@dataclass(frozen=True)
class QueryKind:
    name: str
    requests: int
    make: Callable[[random.Random, int], str]


def _lookup(rng: random.Random, count: int) -> str:
    return f"SELECT ?p ?o WHERE {{ <https://bench.example/org/{rng.randrange(count)}> ?p ?o }}"


def _bbox(rng: random.Random, count: int) -> str:
    lat, lon = 50.78 + rng.random() * 0.1, 4.26 + rng.random() * 0.18
    return PREFIXES + f"""SELECT ?s ?lat ?lon WHERE {{
  ?s schema:geo ?geo . ?geo schema:latitude ?lat ; schema:longitude ?lon .
  FILTER(?lat > {lat:.4f} && ?lat < {lat + 0.01:.4f} && ?lon > {lon:.4f} && ?lon < {lon + 0.015:.4f})
}}"""


def _aggregation(rng: random.Random, count: int) -> str:
    return PREFIXES + """SELECT ?postal (COUNT(?s) AS ?organisations) WHERE {
  ?s a schema:Organization ; schema:address/schema:postalCode ?postal } GROUP BY ?postal ORDER BY ?postal"""


def _provenance(rng: random.Random, count: int) -> str:
    return PREFIXES + f"""SELECT ?name ?g ?source ?run ?document WHERE {{
  GRAPH ?g {{ <https://bench.example/org/{rng.randrange(count)}> schema:name ?name }}
  GRAPH ?meta {{ ?g dcterms:source ?source ; prov:wasGeneratedBy ?run ; hub:fetch ?fetch .
                 ?fetch hub:document ?document }}
}}"""


MIX = [
    QueryKind("lookup", 400, _lookup),
    QueryKind("bbox", 8, _bbox),
    QueryKind("aggregation", 4, _aggregation),
    QueryKind("provenance", 400, _provenance),
]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def drive(endpoint: str, queries: list[str]) -> tuple[float, list[int]]:
    """Sends every query at CONCURRENCY; returns the wall time and the row count of each answer.

    Each thread is a client of its own (X-Forwarded-For, which the hub honours from its trusted proxy
    127.0.0.1; Oxigraph ignores it): the hub gives one client at most workers - 1 workers at once, and
    this bench measures the engine, not that limit."""
    clients = itertools.count(1)
    own = threading.local()

    def client() -> str:
        if not hasattr(own, "address"):
            own.address = f"198.18.0.{next(clients)}"  # benchmarking addresses (RFC 2544), a header only
        address: str = own.address
        return address

    with httpx.Client(timeout=120, trust_env=False,
                      limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

        def one(query: str) -> int:
            response = http.post(endpoint, data={"query": query},
                                 headers={"Accept": "application/sparql-results+json", "X-Forwarded-For": client()})
            response.raise_for_status()
            return len(response.json()["results"]["bindings"])

        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            rows = list(pool.map(one, queries))
        return time.perf_counter() - started, rows


def bulk_store(feed: Path, url: str, data: Path) -> float:
    """Record graphs and their provenance as a harvest writes them, bulk-loaded and published."""
    started_at = time.perf_counter()
    base = os.environ.get("MUTUALISONS_BASE_IRI") or DEFAULT_BASE_IRI
    minter, body, started = Minter(base), feed.read_bytes(), now_iso()
    prov = ProvenanceWriter(minter)
    fetched = Fetched(url, body, "text/turtle", started)
    lifted = lift_document(fetched, LiftOptions(minter=minter, source_id="bench", base_iri=url,
                                                configured_format="turtle"))
    run = minter.run("bench", run_timestamp(started))
    payload = minter.payload(fetched.sha256)
    fetch = minter.fetch("bench", run_timestamp(started), url)
    ended = now_iso()
    # Record graphs and their descriptions as N-Quads lines, the way the harvest writes them (provenance model 2:
    # what a document's fetch says, said once on its fetch node).
    lines: list[str] = []
    for record in lifted.records:
        graph = minter.graph("bench", record.graph_key)
        lines += [f"{triple[:-2]} <{graph.value}> ." for triple in record.triples]
        lines += prov.record_graph_lines(GraphFacts(
            graph=graph, subject=record.subject, source_id="bench", run=run, fetch=fetch,
            content_hash=record.content_hash))
    quads: list[Quad] = prov.fetch(FetchFacts(fetch, run, url, started, LICENSE, payload))
    quads += prov.run(RunFacts("bench", run, started, ended, payloads=[payload],
                               counts={"accepted": len(lifted.records), "added": len(lifted.records)}))
    quads += prov.payload(PayloadFacts(payload, url, started, len(body), "text/turtle"))
    quads += prov.hub_graph(minter.meta_graph(), META_TITLE, ended)
    folder = DataDir(data)
    folder.record_base_iri(base)
    store = WorkingStore(folder.working)
    store.bulk_load_nquads("\n".join(lines).encode("utf-8") + b"\n"
                           + (serialize(quads, format=RdfFormat.N_QUADS) or b""))
    generations.publish(store, folder)
    store.close()
    return time.perf_counter() - started_at


def run(count: int) -> list[str]:
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if oxigraph is None:
        return [bench_line("sparql_mix", 0.0, ">=", 0.5, "ratio") + "  # oxigraph server not installed"]
    versions = {name: metadata.version(name) for name in ("pyoxigraph", "oxigraph")}
    print(f"INFO sparql versions pyoxigraph={versions['pyoxigraph']} oxigraph={versions['oxigraph']}"
          + ("" if len(set(versions.values())) == 1 else " MISMATCH"), flush=True)
    work = Path(tempfile.mkdtemp(prefix="mutualisons-sparql-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        feeds = work / "feeds"
        feeds.mkdir()
        write_feed(feeds / "feed.ttl", count)
        server, host = _serve(feeds)
        toml = work / "sources.toml"
        toml.write_text(
            '[[source]]\nid = "bench"\nname = "Benchmark network"\n'
            f'url = "http://{host}/feed.ttl"\nformat = "turtle"\n'
            f'license = "{LICENSE}"\n'
            f'publisher = "Bench"\ncontact = "mailto:bench@bench.example"\ntrusted_hosts = ["{host}"]\n',
            encoding="utf-8")
        data = work / "data"
        if os.environ.get("BENCH_SPARQL_HARVEST") == "1":
            harvested = _harvest(toml, data)
            how, seconds_to_build = "harvest", harvested.seconds
        else:
            how, seconds_to_build = "bulk", bulk_store(feeds / "feed.ttl", f"http://{host}/feed.ttl", data)
        server.shutdown()
        generation = generations.current(DataDir(data))
        if generation is None:
            return [bench_line("sparql_mix", 0.0, ">=", 0.5, "ratio") + "  # no store was published"]
        print(f"INFO sparql store organisations={count} built_by={how} seconds={seconds_to_build:.1f}", flush=True)

        hub_port, oxi_port = _free_port(), _free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "serve",
             "--host", "127.0.0.1", "--port", str(hub_port), "--query-deadline", "60",
             "--trusted-proxy", "127.0.0.1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen(
            [oxigraph, "serve-read-only", "--location", str(generation.path), "--union-default-graph",
             "--bind", f"127.0.0.1:{oxi_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        endpoints = {"hub": f"http://127.0.0.1:{hub_port}/sparql", "oxigraph": f"http://127.0.0.1:{oxi_port}/query"}
        for url, process in zip(endpoints.values(), processes, strict=True):
            wait_up(url, process, params={"query": "ASK {}"})

        totals = {"hub": 0.0, "oxigraph": 0.0}
        requests = 0
        for kind in MIX:
            rng = random.Random(kind.name)
            queries = [kind.make(rng, count) for _ in range(kind.requests)]
            seconds: dict[str, float] = {}
            rows: dict[str, list[int]] = {}
            for name, url in endpoints.items():
                drive(url, queries[:CONCURRENCY])  # warm both the same way
                seconds[name], rows[name] = drive(url, queries)
                totals[name] += seconds[name]
            requests += kind.requests
            same = rows["hub"] == rows["oxigraph"]
            hub_qps, oxigraph_qps = kind.requests / seconds["hub"], kind.requests / seconds["oxigraph"]
            print(f"INFO sparql query={kind.name} requests={kind.requests} concurrency={CONCURRENCY} "
                  f"hub_qps={hub_qps:.1f} oxigraph_qps={oxigraph_qps:.1f} "
                  f"ratio={seconds['oxigraph'] / seconds['hub']:.3f} rows={sum(rows['hub'])} same_answers={same}",
                  flush=True)
            if not same:
                return [bench_line("sparql_mix", 0.0, ">=", 0.5, "ratio") + "  # answers differ"]
        print(f"INFO sparql mix requests={requests} hub_seconds={totals['hub']:.2f} "
              f"oxigraph_seconds={totals['oxigraph']:.2f}", flush=True)
        return [bench_line("sparql_mix", totals["oxigraph"] / totals["hub"], ">=", 0.5, "ratio")]
    finally:
        stop(processes)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print_lines(run)
