"""The harvest benchmark: the full `mutualisons harvest` over loopback HTTP, with the shipped charter.

Every figure is a ratio against `pyoxigraph.Store.bulk_load` of the same file in the same run, so a
noisy machine moves both sides together, and the first and changed harvests are also measured against their
write floors (bench/floors.py): `*_vs_floor` is the harvest's seconds over the seconds of its writes alone, with
the same ratio of CPU seconds beside it, and `INFO scaling_exponent` compares the first harvest of the feed
with that of a third of it (BENCH_SCALING=0 leaves that out). Line format:
    BENCH <name> value=<x> target=<op><y> unit=<ratio|MiB> PASS|FAIL
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyoxigraph import RdfFormat

from bench.common import bench_line, print_lines
from bench.feeds import write_feed, write_reserialised
from bench.floors import bulk_load, changed_floor, first_floor, keep_copy
from bench.measure import Measured, run_measured

ROOT = Path(__file__).resolve().parent.parent


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


def _harvest(toml: Path, data: Path) -> Measured:
    measured = run_measured([sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data),
                             "harvest"], cwd=ROOT)
    if measured.returncode != 0:
        print(f"INFO harvest exited {measured.returncode}: {measured.stderr[-2000:]}", flush=True)
    return measured


def _source_toml(work: Path, host: str, name: str) -> Path:
    toml = work / f"{name}.toml"
    toml.write_text(
        '[[source]]\nid = "bench"\nname = "Benchmark network"\n'
        f'url = "http://{host}/{name}.ttl"\nformat = "turtle"\n'
        'license = "https://creativecommons.org/publicdomain/zero/1.0/"\n'
        f'publisher = "Bench"\ncontact = "mailto:bench@bench.example"\ntrusted_hosts = ["{host}"]\n'
        # The re-serialised N-Triples of 100k records pass 100 MB: the bench raises the source's cap.
        'max_bytes = 1073741824\n',
        encoding="utf-8")
    return toml


def scaling_sizes(count: int) -> tuple[int, int] | None:
    """The two sizes of `INFO scaling_exponent`: a third of the feed, and the feed (33k and 100k by default).
    BENCH_SCALING=0 leaves it out (quick runs)."""
    if os.environ.get("BENCH_SCALING", "1") == "0" or count < 3:
        return None
    return count // 3, count


def run(count: int) -> list[str]:
    lines: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="mutualisons-bench-"))
    feeds = work / "feeds"
    feeds.mkdir()
    try:
        feed = write_feed(feeds / "feed.ttl", count)
        server, host = _serve(feeds)
        toml = _source_toml(work, host, "feed")
        data = work / "data"
        print(f"INFO feed organisations={count} bytes={feed.stat().st_size}", flush=True)

        bulk, bulk_cpu = bulk_load(feed, work, RdfFormat.TURTLE)
        print(f"INFO bulk_load seconds={bulk:.2f} cpu_seconds={bulk_cpu:.2f}", flush=True)
        first = _harvest(toml, data)
        print(f"INFO first_harvest seconds={first.seconds:.2f} cpu_seconds={first.cpu_seconds:.2f} "
              f"peak_rss_mib={first.peak_rss_mib:.0f}", flush=True)
        # The floor under first_harvest, in the same run: loading the published quads alone. Its CPU
        # ratio says what the harvest costs when the machine's cores are shared (the wall-clock one
        # hides a second core the floor may not use).
        floor = first_floor(data, work)
        cores = os.cpu_count() or 1
        lines.append(bench_line("first_harvest", bulk / first.seconds, ">=", 0.33, "ratio"))
        if floor is None:
            print("INFO write_floor skipped: the first harvest published nothing", flush=True)
            lines.append(bench_line("first_harvest_vs_floor", float("inf"), "<=", 1.3, "ratio"))
        else:
            print(f"INFO write_floor quads={floor.quads} seconds={floor.seconds:.2f} "
                  f"cpu_seconds={floor.cpu_seconds:.2f} vs_bulk_load={floor.seconds / bulk:.2f} "
                  # bulk_load runs on one core: its CPU seconds are its time on a machine nobody else uses.
                  f"first_harvest_cpu_bound_ratio={bulk_cpu * cores / max(first.cpu_seconds, 1e-9):.3f} "
                  f"cores={cores}",
                  flush=True)
            lines.append(bench_line("first_harvest_vs_floor", first.seconds / floor.seconds, "<=", 1.3, "ratio"))
            print(f"INFO first_harvest_vs_floor_cpu value={first.cpu_seconds / max(floor.cpu_seconds, 1e-9):.3f} "
                  f"harvest_cpu_seconds={first.cpu_seconds:.2f} floor_cpu_seconds={floor.cpu_seconds:.2f}",
                  flush=True)

        same = _harvest(toml, data)
        print(f"INFO reharvest_same_bytes seconds={same.seconds:.2f}", flush=True)

        before = work / "before-changed"
        kept = keep_copy(data, before)
        write_feed(feeds / "feed.ttl", count, edit=" (v2)")
        bulk_changed, _ = bulk_load(feeds / "feed.ttl", work, RdfFormat.TURTLE)
        changed = _harvest(toml, data)
        print(f"INFO changed_harvest seconds={changed.seconds:.2f} cpu_seconds={changed.cpu_seconds:.2f} "
              f"bulk_load={bulk_changed:.2f}", flush=True)
        lines.append(bench_line("changed_harvest", bulk_changed / changed.seconds, ">=", 0.25, "ratio"))
        changed_write = changed_floor(before, data, work) if kept else None
        shutil.rmtree(before, ignore_errors=True)
        if changed_write is None:
            print("INFO changed_write_floor skipped: nothing was published", flush=True)
            lines.append(bench_line("changed_harvest_vs_floor", float("inf"), "<=", 2.0, "ratio"))
        else:
            print(f"INFO changed_write_floor removed={changed_write.removed} added={changed_write.added} "
                  f"seconds={changed_write.seconds:.2f} cpu_seconds={changed_write.cpu_seconds:.2f}", flush=True)
            lines.append(bench_line("changed_harvest_vs_floor", changed.seconds / changed_write.seconds, "<=", 2.0,
                                    "ratio"))
            print(f"INFO changed_harvest_vs_floor_cpu "
                  f"value={changed.cpu_seconds / max(changed_write.cpu_seconds, 1e-9):.3f}", flush=True)

        write_reserialised(feeds / "feed.ttl", feeds / "feed.nt")
        (feeds / "feed.ttl").unlink()
        (feeds / "feed.nt").rename(feeds / "feed.ttl")  # N-Triples is Turtle: same URL, new bytes
        bulk_again, _ = bulk_load(feeds / "feed.ttl", work, RdfFormat.TURTLE)
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

        sizes = scaling_sizes(count)
        if sizes is not None:
            # The first harvest of a third of the feed, beside the one above: t(3N) = 3^k t(N) gives k.
            small, _ = sizes
            write_feed(feeds / "third.ttl", small)
            third = _harvest(_source_toml(work, host, "third"), work / "data-third")
            exponent = math.log(first.seconds / third.seconds) / math.log(count / small)
            # The same from CPU seconds: the two harvests run minutes apart, and a shared machine's load
            # may change in between (wall seconds stretch with it, CPU seconds much less).
            cpu_exponent = math.log(first.cpu_seconds / max(third.cpu_seconds, 1e-9)) / math.log(count / small)
            print(f"INFO scaling_exponent value={exponent:.3f} target=<=1.1 cpu_value={cpu_exponent:.3f} "
                  f"sizes={small},{count} seconds={third.seconds:.2f},{first.seconds:.2f} "
                  f"cpu_seconds={third.cpu_seconds:.2f},{first.cpu_seconds:.2f}", flush=True)
        server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lines


def main() -> None:
    print_lines(run)
