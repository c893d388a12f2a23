"""The store on an existing engine (docs/stores.md), measured beside the embedded store: the first harvest of N
organisations (BENCH_ORGANISATIONS) and the SPARQL mix of bench/sparql_bench.py through the hub's /sparql, once
with the embedded store and once with an Oxigraph server (the `oxigraph` wheel, started here on loopback) as the
store, `harvest --store` and `serve --store`. Same feed, same client, same concurrency:

    INFO remote_store first_harvest=<s> sparql_mix=<s> embedded_first_harvest=<s> embedded_sparql_mix=<s> …

seconds each, with the ratios (remote over embedded). No target: the figures say what a server costs or saves.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import print_lines, stop, wait_up
from bench.feeds import write_feed
from bench.harvest_bench import ROOT, _serve
from bench.measure import Measured, run_measured
from bench.sparql_bench import CONCURRENCY, LICENSE, MIX, _free_port, drive


def _harvest(toml: Path, data: Path, store: str | None) -> Measured:
    command = [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "harvest"]
    measured = run_measured(command + (["--store", store] if store else []), cwd=ROOT)
    if measured.returncode != 0:
        print(f"INFO remote_store harvest exited {measured.returncode}: {measured.stderr[-2000:]}", flush=True)
    return measured


def _mix(toml: Path, data: Path, store: str | None, count: int) -> tuple[float, list[int]]:
    """The SPARQL mix through the hub's /sparql: seconds, rows per query."""
    port = _free_port()
    command = [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--query-deadline", "60", "--trusted-proxy", "127.0.0.1"]
    process = subprocess.Popen(command + (["--store", store] if store else []), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        wait_up(url, process, params={"query": "ASK {}"})
        total, rows = 0.0, []
        for kind in MIX:
            rng = random.Random(kind.name)
            queries = [kind.make(rng, count) for _ in range(kind.requests)]
            drive(url, queries[:CONCURRENCY])  # warm
            seconds, counted = drive(url, queries)
            total += seconds
            rows += counted
        return total, rows
    finally:
        stop([process])


def run(count: int) -> list[str]:
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if oxigraph is None:
        print("INFO remote_store skipped: the oxigraph server is not installed (pip install oxigraph)", flush=True)
        return []
    work = Path(tempfile.mkdtemp(prefix="mutualisons-remote-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        feeds = work / "feeds"
        feeds.mkdir()
        write_feed(feeds / "feed.ttl", count)
        server, host = _serve(feeds)
        toml = work / "sources.toml"
        toml.write_text(
            '[[source]]\nid = "bench"\nname = "Benchmark network"\n'
            f'url = "http://{host}/feed.ttl"\nformat = "turtle"\nlicense = "{LICENSE}"\n'
            f'publisher = "Bench"\ncontact = "mailto:bench@bench.example"\ntrusted_hosts = ["{host}"]\n'
            'max_bytes = 1073741824\n', encoding="utf-8")
        port = _free_port()
        processes.append(subprocess.Popen(
            [oxigraph, "serve", "--location", str(work / "oxigraph"), "--bind", f"127.0.0.1:{port}",
             "--timeout-s", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        store = f"http://127.0.0.1:{port}"
        wait_up(f"{store}/query", processes[0], params={"query": "ASK {}"})

        embedded = _harvest(toml, work / "data-embedded", None)
        remote = _harvest(toml, work / "data-remote", store)
        server.shutdown()
        if embedded.returncode != 0 or remote.returncode != 0:
            return []
        embedded_mix, embedded_rows = _mix(toml, work / "data-embedded", None, count)
        remote_mix, remote_rows = _mix(toml, work / "data-remote", store, count)
        print(f"INFO remote_store first_harvest={remote.seconds:.2f} sparql_mix={remote_mix:.2f} "
              f"embedded_first_harvest={embedded.seconds:.2f} embedded_sparql_mix={embedded_mix:.2f} "
              f"harvest_ratio={remote.seconds / embedded.seconds:.3f} mix_ratio={remote_mix / embedded_mix:.3f} "
              f"organisations={count} same_answers={remote_rows == embedded_rows} unit=seconds", flush=True)
        return []
    finally:
        stop(processes)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print_lines(run)
