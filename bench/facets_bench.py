"""The facets benchmark: counts per value from the gateway's per-generation index against a SPARQL GROUP BY.

N organisations (BENCH_ORGANISATIONS, default 100000) are bulk-loaded and published the way sparql_bench does it;
the gateway's index of that generation counts them per postal code (`facets=postal_code`), in 20 random boxes as a
map's filters would ask (each about 1% of the places) and once for the whole collection (from a cold cache: the
first count reads the facet's values), and pyoxigraph answers the same counts as the GROUP BY query a map site would
otherwise send, on the same generation. The counts must agree; per query, the figure is the index's time over
SPARQL's:
    BENCH facets_p50 value=<ratio> target=<=0.1 unit=ratio PASS|FAIL
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import bench_line, print_lines
from bench.feeds import write_feed
from bench.gateway_bench import boxes
from bench.sparql_bench import PREFIXES, bulk_store
from hub.archive.datadir import DataDir
from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from hub.gateway.collection_index import CollectionIndex, Filters
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from hub.store.reader import Published

BOXES = 20


def sparql_group_by(box: tuple[float, float, float, float] | None) -> str:
    where = ""
    if box is not None:
        min_lon, min_lat, max_lon, max_lat = box
        where = (" ?s schema:geo ?geo . ?geo schema:latitude ?lat ; schema:longitude ?lon ."
                 f" FILTER(?lon >= {min_lon} && ?lon <= {max_lon} && ?lat >= {min_lat} && ?lat <= {max_lat})")
    return PREFIXES + ("SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a schema:Organization ; "
                       f"schema:address/schema:postalCode ?code .{where} }} GROUP BY ?code")


def run(count: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="mutualisons-facets-bench-"))
    failed = [bench_line("facets_p50", 1.0, "<=", 0.1, "ratio")]
    try:
        feed = write_feed(work / "feed.ttl", count)
        data = work / "data"
        bulk_store(feed, "http://127.0.0.1/feed.ttl", data)
        folder = DataDir(data)
        generation = generations.current(folder)
        if generation is None:
            return [line + "  # no store was published" for line in failed]
        published = Published(generation, ReadOnlyStore(generation.path))
        base = (folder.root / "base-iri").read_text(encoding="utf-8").strip()
        started = time.perf_counter()
        index = CollectionIndex(published, Minter(base), default_vocabulary().hierarchy)
        print(f"INFO facets index_build_seconds={time.perf_counter() - started:.1f} places={count}", flush=True)
        store = published.store
        ratios: list[float] = []
        for box in [None, *boxes("facets")[:BOXES]]:
            filters = Filters(kinds=("organization",), bbox=box)
            started = time.perf_counter()
            facet = index.facets(filters, ["postal_code"])["postal_code"]
            facet_seconds = time.perf_counter() - started
            started = time.perf_counter()
            rows = store.select(sparql_group_by(box))
            sparql_seconds = time.perf_counter() - started
            expected = {row["code"].value: int(row["n"].value) for row in rows}
            if {e["value"]: e["count"] for e in facet["results"]} != expected:
                return [line + "  # the index and SPARQL disagree on the counts" for line in failed]
            ratios.append(facet_seconds / sparql_seconds)
        print(f"INFO facets boxes={BOXES} ratio_whole_collection={ratios[0]:.3f} "
              f"ratio_max={max(ratios):.3f}", flush=True)
        return [bench_line("facets_p50", statistics.median(ratios), "<=", 0.1, "ratio")]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print_lines(run)


if __name__ == "__main__":
    main()
