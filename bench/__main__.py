"""`make bench` (or `python -m bench`): every benchmark, each printing its BENCH and INFO lines.

BENCH_ORGANISATIONS sets the size of the generated feed (default 100000); BENCH_MAP_PLACES the places on
the map for its time to interactive (default 2000); BENCH_LOAD_ORGANISATIONS, BENCH_LOAD_CLIENTS and
BENCH_LOAD_SECONDS the load test's feed (default 20000), clients (20) and window (30 s); BENCH_LINK_RECORDS and
BENCH_LINK_EVALUATION the linker's generated records (100000) and labelled alternatives (4000). The remote store's
figures (`INFO remote_store …`, bench/remote_store_bench.py) follow the SPARQL benchmark's.
"""

from bench import (
    facets_bench,
    gateway_bench,
    harvest_bench,
    link_bench,
    load_bench,
    map_bench,
    remote_store_bench,
    sparql_bench,
)

if __name__ == "__main__":
    harvest_bench.main()
    sparql_bench.main()
    remote_store_bench.main()  # the harvest and the SPARQL mix with Oxigraph server as the store
    gateway_bench.main()
    facets_bench.main()
    map_bench.main()
    load_bench.main()
    link_bench.main()
