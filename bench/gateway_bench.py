"""The map benchmark: bounding boxes through the gateway's spatial index against a SPARQL FILTER.

N places (BENCH_ORGANISATIONS, default 100000) are bulk-loaded and published the way sparql_bench does it;
`mutualisons serve` (a real uvicorn on loopback) answers 50 random boxes, each holding about 1% of the
places, as GeoJSON with limit=100; the same boxes go to pyoxigraph, in the same run, as the SPARQL FILTER
query a map site would otherwise send (same first 100 places by IRI). Per box, the figure is the API's
wall time over the SPARQL query's:
    BENCH bbox_p50 value=<ratio> target=<=0.05 unit=ratio PASS|FAIL
    BENCH bbox_p95 value=<ratio> target=<=0.1 unit=ratio PASS|FAIL
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import bench_line, print_lines, stop, wait_up
from bench.feeds import write_feed
from bench.harvest_bench import ROOT
from bench.sparql_bench import LICENSE, PREFIXES, _free_port, bulk_store
from hub.archive.datadir import DataDir
from hub.store import generations
from hub.store.embedded import ReadOnlyStore

BOXES = 50
# bench/feeds.py spreads places uniformly over this rectangle; a box a tenth of each side holds ~1% of them.
LAT0, LAT_SPAN = 50.77, 0.14
LON0, LON_SPAN = 4.25, 0.23


def boxes(seed: str = "bbox") -> list[tuple[float, float, float, float]]:
    rng = random.Random(seed)
    found = []
    for _ in range(BOXES):
        lon = LON0 + rng.random() * LON_SPAN * 0.9
        lat = LAT0 + rng.random() * LAT_SPAN * 0.9
        found.append((round(lon, 5), round(lat, 5), round(lon + LON_SPAN / 10, 5), round(lat + LAT_SPAN / 10, 5)))
    return found


def sparql_box(box: tuple[float, float, float, float], first_page: bool = False) -> str:
    """The SPARQL FILTER query for a box: every place in it, or (first_page) the API's page, the first 100 by IRI."""
    min_lon, min_lat, max_lon, max_lat = box
    return PREFIXES + f"""SELECT ?s ?lat ?lon WHERE {{
  ?s schema:geo ?geo . ?geo schema:latitude ?lat ; schema:longitude ?lon .
  FILTER(?lon >= {min_lon} && ?lon <= {max_lon} && ?lat >= {min_lat} && ?lat <= {max_lat})
}}""" + (" ORDER BY ?s LIMIT 100" if first_page else "")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(count: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="mutualisons-gateway-bench-"))
    failed = [bench_line("bbox_p50", 1.0, "<=", 0.05, "ratio"), bench_line("bbox_p95", 1.0, "<=", 0.1, "ratio")]
    process: subprocess.Popen[bytes] | None = None
    try:
        feed = write_feed(work / "feed.ttl", count)
        data = work / "data"
        seconds_to_build = bulk_store(feed, "http://127.0.0.1/feed.ttl", data)
        toml = work / "sources.toml"
        toml.write_text('[[source]]\nid = "bench"\nname = "Benchmark network"\nurl = "http://127.0.0.1/feed.ttl"\n'
                        f'format = "turtle"\nlicense = "{LICENSE}"\npublisher = "Bench"\n'
                        'contact = "mailto:bench@bench.example"\n', encoding="utf-8")
        generation = generations.current(DataDir(data))
        if generation is None:
            return [line + "  # no store was published" for line in failed]
        print(f"INFO gateway store places={count} seconds={seconds_to_build:.1f}", flush=True)
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data", str(data), "serve",
             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/healthz", process)
        store = ReadOnlyStore(generation.path)
        api_times: list[float] = []
        sparql_times: list[float] = []
        with httpx.Client(base_url=base, timeout=600, trust_env=False) as http:
            started = time.perf_counter()
            http.get("/api/organizations", params={"format": "geojson", "limit": 1}).raise_for_status()
            print(f"INFO gateway index_build_seconds={time.perf_counter() - started:.1f} (first request)",
                  flush=True)
            store.select(sparql_box(boxes("warm")[0]))
            matched: list[int] = []
            paged_times: list[float] = []
            for box in boxes():
                started = time.perf_counter()
                response = http.get("/api/organizations", params={
                    "format": "geojson", "limit": 100, "bbox": ",".join(map(str, box))})
                response.raise_for_status()
                document = response.json()
                api_times.append(time.perf_counter() - started)
                # The plain FILTER query a map site would send (every place in the box) is the reference.
                started = time.perf_counter()
                rows = store.select(sparql_box(box))
                sparql_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                page = store.select(sparql_box(box, first_page=True))
                paged_times.append(time.perf_counter() - started)
                matched.append(document["numberMatched"])
                same = (document["numberMatched"] == len(rows)
                        and [f["id"] for f in document["features"]] == [row["s"].value for row in page])
                if not same:
                    return [line + "  # the API and SPARQL disagree on a box" for line in failed]
        print(f"INFO gateway sparql_first_page_ms_p50={_percentile(paged_times, .5) * 1000:.1f} "
              "(the same FILTER with ORDER BY ?s LIMIT 100, for comparison)", flush=True)
        ratios = [api / sparql for api, sparql in zip(api_times, sparql_times, strict=True)]
        print(f"INFO gateway boxes={BOXES} places_per_box_median={statistics.median(matched):.0f} "
              f"({statistics.median(matched) / count:.2%}) api_ms_p50={_percentile(api_times, .5) * 1000:.1f} "
              f"api_ms_p95={_percentile(api_times, .95) * 1000:.1f} "
              f"sparql_ms_p50={_percentile(sparql_times, .5) * 1000:.1f} "
              f"sparql_ms_p95={_percentile(sparql_times, .95) * 1000:.1f}", flush=True)
        return [bench_line("bbox_p50", _percentile(ratios, .5), "<=", 0.05, "ratio"),
                bench_line("bbox_p95", _percentile(ratios, .95), "<=", 0.1, "ratio")]
    finally:
        stop([process])
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print_lines(run)


if __name__ == "__main__":
    main()
