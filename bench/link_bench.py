"""The linker, measured: precision and recall on the labelled evaluation set (bench/link_eval.py, with the example
networks harvested), and the time to link BENCH_LINK_RECORDS generated records (100000 by default) as a first
harvest does (facts read from the records' lines, candidates, scores, decisions, the links graph written), then to
re-link after 1% of them changed.

    BENCH link_precision value=… target=>=0.95
    BENCH link_recall value=… target=>=0.9
    INFO link_seconds records=100000 seconds=… target=<300 …
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from pyoxigraph import NamedNode

from bench.common import bench_line
from bench.link_eval import Alternative, evaluate, generate, with_examples
from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.profile import DEFAULT_PROFILE, load_profile
from hub.core.records import Record
from hub.pipeline.harvest import harvest
from hub.pipeline.linking import facts as read
from hub.pipeline.linking.linker import LINKED_KINDS, Linker
from hub.sparql import queries
from hub.store import generations
from hub.store.embedded import ReadOnlyStore, WorkingStore

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_SIZE = int(os.environ.get("BENCH_LINK_EVALUATION", "4000"))
TARGET_SECONDS = 300.0


def records() -> int:
    return int(os.environ.get("BENCH_LINK_RECORDS", "100000"))


def example_facts(work: Path) -> list[read.Facts]:
    """The example networks, harvested under http://hub.test/ (the labels' IRIs), as the linker reads them."""
    settings = Settings(sources_path=ROOT / "examples" / "sources.toml", data_dir=work / "examples",
                        base_iri="http://hub.test/")
    harvest(settings, progress=lambda _: None)
    generation = generations.current(DataDir(settings.data_dir))
    assert generation is not None
    store = ReadOnlyStore(generation.path)
    minter = Minter(settings.base_iri)
    rows = store.select(queries.render("link-facts", meta=minter.meta_graph()))
    prefix = minter.source("").value
    found = read.from_rows(rows, {row["source"].value: row["source"].value.removeprefix(prefix) for row in rows})
    from hub.core.vocabulary import default_vocabulary

    hierarchy = default_vocabulary().hierarchy
    return [one for one, types in found if hierarchy.kind_of(types) in LINKED_KINDS]


def _record(alternative: Alternative) -> tuple[Record, str]:
    key = alternative.iri.rsplit("/", 1)[-1]
    record = Record(NamedNode(alternative.iri), "organization", ["https://schema.org/Organization"],
                    alternative.lines(), f"https://{alternative.source}.example/feed", key)
    return record, f"http://bench.test/graph/{alternative.source}/{key}"


def timed_linking(count: int, work: Path) -> list[str]:
    labelled = generate(count, seed=11)
    rules = load_profile(DEFAULT_PROFILE).linking
    data = DataDir(work / "data")
    store = WorkingStore(data.working)
    linker = Linker(data, Minter("http://bench.test/"), rules)
    by_source: dict[str, list[tuple[Record, str]]] = {}
    for alternative in labelled.alternatives:
        by_source.setdefault(alternative.source, []).append(_record(alternative))
    clock = time.perf_counter()
    for source, found in by_source.items():
        linker.note(source, found, [])
    outcome = linker.run(store, None)
    first = time.perf_counter() - clock
    assert outcome is not None
    linker.save(1)
    # 1% of the records change (a name spelt again), as a later harvest brings them.
    rng = random.Random(3)
    changed = rng.sample(labelled.alternatives, max(1, len(labelled.alternatives) // 100))
    for alternative in changed:
        alternative.names = [(name + " asbl", lang) for name, lang in alternative.names]
    again = Linker(data, Minter("http://bench.test/"), rules)
    clock = time.perf_counter()
    for alternative in changed:
        again.note(alternative.source, [_record(alternative)], [])
    second_outcome = again.run(store, 1)
    second = time.perf_counter() - clock
    assert second_outcome is not None
    store.close()
    links = ", ".join(f"{status}={count}" for status, count in sorted(outcome.links.items()))
    return [f"INFO link_seconds records={len(labelled.alternatives)} seconds={first:.1f} target=<{TARGET_SECONDS:g} "
            f"{'PASS' if first < TARGET_SECONDS else 'FAIL'} pairs_scored={outcome.scored} {links}",
            f"INFO link_incremental_seconds records={len(labelled.alternatives)} changed={len(changed)} "
            f"seconds={second:.1f} pairs_scored={second_outcome.scored}"]


def run(count: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="link-bench-"))
    try:
        rules = load_profile(DEFAULT_PROFILE).linking
        labelled = with_examples(generate(EVALUATION_SIZE, seed=7), example_facts(work))
        result = evaluate(labelled, rules)
        lines = [bench_line("link_precision", result.precision, ">=", 0.95, "ratio"),
                 bench_line("link_recall", result.recall, ">=", 0.90, "ratio"),
                 f"INFO link_evaluation pairs_true={len(labelled.positives)} pairs_false={len(labelled.negatives)} "
                 f"linked={result.predicted} pending_true={result.pending} missed={result.missed} "
                 f"wrongly_linked={result.wrongly_linked}"]
        return lines + timed_linking(count, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    for line in run(records()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
