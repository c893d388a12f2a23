"""The load benchmark: 20 clients for 30 s against a real `mutualisons serve` on loopback, during a harvest.

N organisations (BENCH_LOAD_ORGANISATIONS, default 20000: a first harvest of the generated feed takes
about 10 s here, and the one in the window must publish within it) are harvested for real into a data
folder; `mutualisons serve --trusted-proxy 127.0.0.1` serves it. Then, at the start of the window, a
second harvest of the same data folder begins (a tenth of the organisations renamed) and publishes a
new generation while BENCH_LOAD_CLIENTS client threads (default 20) send, for BENCH_LOAD_SECONDS
(default 30), a map site's and a developer's mix: /healthz, collections in a bounding box (GeoJSON),
entity pages (HTML) and small SPARQL SELECTs. Each thread names its own client in X-Forwarded-For
(documentation-only benchmarking addresses, 198.18.0.0/15), so the per-client SPARQL limits see as many
clients as there are threads. One line sums it up:
    INFO load rps=<n> p50=<ms> p95=<ms> p99=<ms> errors=<n> throttled=<n> other_4xx=<n> …
where an error is a 5xx answer or a failed connection (no answer within the 10 s client timeout
included), `throttled` counts 429s (a client over its budget, told to come back: not an error), and
the latencies are those of every answer received; then one INFO line per kind of request, and one
for the harvest (its seconds, whether its generation was published and seen by the clients within
the window). No BENCH line: the figures depend on the machine; the reliability suite
(tests/test_reliability.py) holds the thresholds.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import stop, wait_up
from bench.feeds import PREFIXES, organisation, write_feed
from bench.gateway_bench import LAT0, LAT_SPAN, LON0, LON_SPAN, _percentile
from bench.harvest_bench import ROOT, _harvest
from bench.sparql_bench import LICENSE, _free_port
from hub.archive.datadir import DataDir
from hub.store import generations

CLIENT_TIMEOUT = 10.0
HARVEST_GRACE = 120.0  # how long the harvest may run past the window before it is stopped


def organisations() -> int:
    return int(os.environ.get("BENCH_LOAD_ORGANISATIONS", "20000"))


def clients() -> int:
    return int(os.environ.get("BENCH_LOAD_CLIENTS", "20"))


def seconds() -> float:
    return float(os.environ.get("BENCH_LOAD_SECONDS", "30"))


@dataclass
class Tally:
    """What the clients saw, per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    generations: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, outcome: str, seconds: float | None) -> None:
        with self.lock:
            self.statuses.setdefault(kind, Counter())[outcome] += 1
            if seconds is not None:
                self.latencies.setdefault(kind, []).append(seconds)


def _outcome(status: int) -> str:
    if status >= 500:
        return "error"
    if status == 429:
        return "throttled"
    return "other_4xx" if status >= 400 else "ok"


def _requests(count: int) -> dict[str, Callable[[random.Random], tuple[str, dict[str, str], dict[str, str]]]]:
    """Each kind of request: (path, query parameters, headers) drawn at random."""

    def healthz(rng: random.Random) -> tuple[str, dict[str, str], dict[str, str]]:
        return "/healthz", {}, {}

    def bbox(rng: random.Random) -> tuple[str, dict[str, str], dict[str, str]]:
        # A map view: a tenth of the feed's rectangle on each side, about 1% of the places.
        lon, lat = LON0 + rng.random() * LON_SPAN * 0.9, LAT0 + rng.random() * LAT_SPAN * 0.9
        box = f"{lon:.5f},{lat:.5f},{lon + LON_SPAN / 10:.5f},{lat + LAT_SPAN / 10:.5f}"
        return "/api/organizations", {"bbox": box, "limit": "50", "format": "geojson"}, {}

    def entity(rng: random.Random) -> tuple[str, dict[str, str], dict[str, str]]:
        return "/id", {"iri": f"https://bench.example/org/{rng.randrange(count)}"}, {"Accept": "text/html"}

    def sparql(rng: random.Random) -> tuple[str, dict[str, str], dict[str, str]]:
        org = f"<https://bench.example/org/{rng.randrange(count)}>"
        query = rng.choice([
            f"SELECT ?p ?o WHERE {{ {org} ?p ?o }}",
            f"PREFIX schema: <https://schema.org/> SELECT ?name WHERE {{ {org} schema:name ?name }}",
            "PREFIX schema: <https://schema.org/> SELECT ?s WHERE { ?s schema:address/schema:postalCode "
            f'"{rng.choice(["1000", "1050", "1060", "1190"])}" }} LIMIT 10',
        ])
        return "/sparql", {"query": query}, {"Accept": "application/sparql-results+json"}

    return {"healthz": healthz, "bbox": bbox, "entity": entity, "sparql": sparql}


MIX = {"healthz": 0.15, "bbox": 0.30, "entity": 0.25, "sparql": 0.30}


def _client(base: str, number: int, count: int, ends: float, tally: Tally) -> None:
    rng = random.Random(number)
    kinds = _requests(count)
    names, weights = list(MIX), list(MIX.values())
    # Its own client address, as the trusted proxy (127.0.0.1) would name it.
    forwarded = {"X-Forwarded-For": f"198.18.{number // 250}.{number % 250 + 1}"}
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT, trust_env=False) as http:
        while time.monotonic() < ends:
            kind = rng.choices(names, weights)[0]
            path, params, headers = kinds[kind](rng)
            started = time.perf_counter()
            try:
                response = http.get(path, params=params, headers={**headers, **forwarded})
            except httpx.HTTPError:
                tally.add(kind, "error", None)  # no answer: refused, reset or past the client timeout
                continue
            tally.add(kind, _outcome(response.status_code), time.perf_counter() - started)
            if kind == "healthz" and response.status_code == 200:
                generation = response.json().get("generation")
                if isinstance(generation, int):
                    with tally.lock:
                        tally.generations.add(generation)


def _edited_feed(path: Path, count: int) -> None:
    """A tenth of the organisations renamed: the harvest in the window has something to publish."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(PREFIXES)
        for index in range(count):
            handle.write(organisation(index, " (v2)" if index % 10 == 0 else ""))


def _ms(values: list[float], fraction: float) -> str:
    return f"{_percentile(values, fraction) * 1000:.0f}" if values else "nan"


def _summary(tally: Tally, window: float, prefix: str, kinds: list[str]) -> str:
    latencies = [value for kind in kinds for value in tally.latencies.get(kind, [])]
    outcomes: Counter[str] = Counter()
    for kind in kinds:
        outcomes.update(tally.statuses.get(kind, Counter()))
    answered = sum(outcomes.values())
    return (f"{prefix} rps={answered / window:.1f} p50={_ms(latencies, .5)} p95={_ms(latencies, .95)} "
            f"p99={_ms(latencies, .99)} errors={outcomes['error']} throttled={outcomes['throttled']} "
            f"other_4xx={outcomes['other_4xx']} requests={answered}")


def run(count: int, threads: int, window: float) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="mutualisons-load-bench-"))
    server: subprocess.Popen[bytes] | None = None
    harvest: subprocess.Popen[bytes] | None = None
    try:
        feeds = work / "feeds"
        feeds.mkdir()
        write_feed(feeds / "feed.ttl", count)
        toml = work / "sources.toml"
        toml.write_text('[[source]]\nid = "bench"\nname = "Benchmark network"\nurl = "file:feeds/feed.ttl"\n'
                        f'format = "turtle"\nlicense = "{LICENSE}"\npublisher = "Bench"\n'
                        'contact = "mailto:bench@bench.example"\n', encoding="utf-8")
        data = work / "data"
        first = _harvest(toml, data)
        published = generations.current(DataDir(data))
        if first.returncode != 0 or published is None:
            return [f"INFO load skipped: the first harvest of {count} organisations published nothing"]
        print(f"INFO load store organisations={count} first_harvest_seconds={first.seconds:.1f}", flush=True)

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        # The clients' X-Forwarded-For counts only from a trusted proxy: here, the loopback they come from.
        server = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "serve",
             "--host", "127.0.0.1", "--port", str(port), "--trusted-proxy", "127.0.0.1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(f"{base}/healthz", server)
        with httpx.Client(base_url=base, timeout=600, trust_env=False) as http:
            # The collection index is built by the first request for a generation: not in the window.
            http.get("/api/organizations", params={"limit": "1"}).raise_for_status()

        _edited_feed(feeds / "feed.ttl", count)
        tally = Tally()
        started = time.monotonic()
        with open(work / "harvest.log", "wb") as log:
            harvest = subprocess.Popen([sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data),
                                        "harvest"], cwd=ROOT, stdout=log, stderr=log)
        harvest_ended: list[float] = []

        def wait_harvest(process: subprocess.Popen[bytes]) -> None:
            process.wait()
            harvest_ended.append(time.monotonic())

        waiter = threading.Thread(target=wait_harvest, args=(harvest,), daemon=True)
        waiter.start()
        ends = started + window
        workers = [threading.Thread(target=_client, args=(base, n, count, ends, tally)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(window + CLIENT_TIMEOUT + 5)
        elapsed = time.monotonic() - started
        waiter.join(HARVEST_GRACE)
        kinds = list(MIX)
        lines = [_summary(tally, elapsed, "INFO load", kinds) + f" clients={threads} seconds={elapsed:.1f}"]
        lines += [_summary(tally, elapsed, f"INFO load kind={kind}", [kind]) for kind in kinds]
        after = generations.current(DataDir(data))
        newer = after is not None and after.number > published.number
        if harvest_ended:
            took = harvest_ended[0] - started
            lines.append(f"INFO load harvest seconds={took:.1f} exit={harvest.returncode} "
                         f"generation={after.number if after else None} "
                         f"published_in_window={newer and took <= window} "
                         f"seen_by_clients={max(tally.generations, default=0) > published.number}")
        else:
            lines.append(f"INFO load harvest still running {HARVEST_GRACE:g} s after the window: stopped")
        return lines
    finally:
        stop([server, harvest])
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    for line in run(organisations(), clients(), seconds()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
