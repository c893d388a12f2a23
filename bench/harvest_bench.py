"""The harvest benchmark: the full `mutualisons harvest` over loopback HTTP, with the shipped charter.

Every figure is a ratio against `pyoxigraph.Store.bulk_load` of the same file in the same run, so a
noisy machine moves both sides together. Line format:
    BENCH <name> value=<x> target=<op><y> unit=<ratio|MiB> PASS|FAIL
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from bench.common import bench_line, print_lines
from bench.feeds import write_feed, write_reserialised
from bench.measure import Measured, run_measured
from hub.archive.datadir import DataDir
from hub.store import generations

ROOT = Path(__file__).resolve().parent.parent


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


def _bulk_load(feed: Path, work: Path, rdf_format: RdfFormat) -> tuple[float, float]:
    """Wall and CPU seconds (every thread of this process) of `bulk_load` into a new store on disk."""
    target = work / f"bulk-{time.monotonic_ns()}"
    started, cpu = time.perf_counter(), time.process_time()
    store = Store(str(target))
    store.bulk_load(path=str(feed), format=rdf_format)
    store.flush()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    del store
    shutil.rmtree(target, ignore_errors=True)
    return elapsed, cpu


def _write_floor(data: Path, work: Path) -> tuple[int, float, float] | None:
    """What the store's writes alone cost a first harvest: `bulk_load` of exactly the quads it published
    (each record in a named graph of its own, described in the meta graph), dumped as N-Quads.
    Returns the number of quads, and the load's wall and CPU seconds; None when nothing was published."""
    generation = generations.current(DataDir(data))
    if generation is None:
        return None
    dump = work / "published.nq"
    published = Store.read_only(str(generation.path))
    published.dump(str(dump), format=RdfFormat.N_QUADS)
    quads = len(published)
    del published
    seconds, cpu = _bulk_load(dump, work, RdfFormat.N_QUADS)
    dump.unlink()
    return quads, seconds, cpu


def _harvest(toml: Path, data: Path) -> Measured:
    measured = run_measured([sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data),
                             "harvest"], cwd=ROOT)
    if measured.returncode != 0:
        print(f"INFO harvest exited {measured.returncode}: {measured.stderr[-2000:]}", flush=True)
    return measured


def run(count: int) -> list[str]:
    lines: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="mutualisons-bench-"))
    feeds = work / "feeds"
    feeds.mkdir()
    try:
        feed = write_feed(feeds / "feed.ttl", count)
        server, host = _serve(feeds)
        toml = work / "sources.toml"
        toml.write_text(
            '[[source]]\nid = "bench"\nname = "Benchmark network"\n'
            f'url = "http://{host}/feed.ttl"\nformat = "turtle"\n'
            'license = "https://creativecommons.org/publicdomain/zero/1.0/"\n'
            f'publisher = "Bench"\ncontact = "mailto:bench@bench.example"\ntrusted_hosts = ["{host}"]\n'
            # The re-serialised N-Triples of 100k records pass 100 MB: the bench raises the source's cap.
            'max_bytes = 1073741824\n',
            encoding="utf-8")
        data = work / "data"
        print(f"INFO feed organisations={count} bytes={feed.stat().st_size}", flush=True)

        bulk, bulk_cpu = _bulk_load(feed, work, RdfFormat.TURTLE)
        print(f"INFO bulk_load seconds={bulk:.2f} cpu_seconds={bulk_cpu:.2f}", flush=True)
        first = _harvest(toml, data)
        print(f"INFO first_harvest seconds={first.seconds:.2f} cpu_seconds={first.cpu_seconds:.2f} "
              f"peak_rss_mib={first.peak_rss_mib:.0f}", flush=True)
        # The floor under first_harvest, in the same run: loading the published quads alone, and the
        # best ratio this harvest's CPU could give if it kept every core busy all the time.
        floor = _write_floor(data, work)
        cores = os.cpu_count() or 1
        if floor is None:
            print("INFO write_floor skipped: the first harvest published nothing", flush=True)
        else:
            quads, seconds, cpu = floor
            print(f"INFO write_floor quads={quads} seconds={seconds:.2f} cpu_seconds={cpu:.2f} "
                  f"vs_bulk_load={seconds / bulk:.2f} "
                  f"first_harvest_cpu_bound_ratio={bulk * cores / max(first.cpu_seconds, 1e-9):.3f} cores={cores}",
                  flush=True)
        lines.append(bench_line("first_harvest", bulk / first.seconds, ">=", 0.33, "ratio"))

        same = _harvest(toml, data)
        print(f"INFO reharvest_same_bytes seconds={same.seconds:.2f}", flush=True)

        write_feed(feeds / "feed.ttl", count, edit=" (v2)")
        bulk_changed, _ = _bulk_load(feeds / "feed.ttl", work, RdfFormat.TURTLE)
        changed = _harvest(toml, data)
        print(f"INFO changed_harvest seconds={changed.seconds:.2f} cpu_seconds={changed.cpu_seconds:.2f} "
              f"bulk_load={bulk_changed:.2f}", flush=True)
        lines.append(bench_line("changed_harvest", bulk_changed / changed.seconds, ">=", 0.25, "ratio"))

        write_reserialised(feeds / "feed.ttl", feeds / "feed.nt")
        (feeds / "feed.ttl").unlink()
        (feeds / "feed.nt").rename(feeds / "feed.ttl")  # N-Triples is Turtle: same URL, new bytes
        bulk_again, _ = _bulk_load(feeds / "feed.ttl", work, RdfFormat.TURTLE)
        again = _harvest(toml, data)
        # Nothing written, and the run really ran (a failed run writes nothing either).
        wrote = again.returncode == 0 and "bench: succeeded" in again.stdout \
            and "added 0, updated 0" in again.stdout and "removed 0" in again.stdout
        print(f"INFO reharvest seconds={again.seconds:.2f} cpu_seconds={again.cpu_seconds:.2f} "
              f"bulk_load={bulk_again:.2f} wrote_nothing={wrote}", flush=True)
        lines.append(bench_line("reharvest", again.seconds / bulk_again if wrote else float("inf"), "<=", 1.5,
                                "ratio"))
        lines.append(bench_line("reharvest_same_bytes", same.seconds / first.seconds, "<=", 0.05, "ratio"))
        peak = max(first.peak_rss_mib, same.peak_rss_mib, changed.peak_rss_mib, again.peak_rss_mib)
        lines.append(bench_line("peak_rss", peak, "<=", 2048, "MiB"))
        server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lines


def main() -> None:
    print_lines(run)
