"""The bench's write floors measure what they say: the changed floor's one bulk operation turns the store a
harvest started from into the store it published, blank nodes included (bench/floors.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, Store

from bench.floors import apply_differences

BEFORE = b"""<http://x.test/a> <http://x.test/name> "A" <http://x.test/g/a> .
<http://x.test/a> <http://x.test/address> _:addr <http://x.test/g/a> .
_:addr <http://x.test/street> "Rue 1" <http://x.test/g/a> .
<http://x.test/b> <http://x.test/name> "B" <http://x.test/g/b> .
<http://x.test/g/a> <http://x.test/hash> "1" <http://x.test/meta> .
<http://x.test/g/b> <http://x.test/hash> "2" <http://x.test/meta> .
"""


def _lines(path: Path) -> set[str]:
    """The store's quads, blank nodes labelled canonically (the loader gives a loaded blank node a label of its own)."""
    store = Store.read_only(str(path))
    dataset = Dataset(store)
    del store
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


def test_the_changed_floor_turns_the_store_before_into_the_store_after(tmp_path: Path) -> None:
    before = tmp_path / "before"
    store = Store(str(before))
    store.load(BEFORE, format=RdfFormat.N_QUADS)
    store.flush()
    del store
    after = tmp_path / "after"
    shutil.copytree(before, after)
    store = Store(str(after))
    # A harvest's kinds of change: a statement changed, a blank node's statement gone, a new one with a blank
    # node, a graph gone with its description, a description changed.
    store.update("""DELETE DATA { GRAPH <http://x.test/g/a> { <http://x.test/a> <http://x.test/name> "A" }
                                  GRAPH <http://x.test/g/b> { <http://x.test/b> <http://x.test/name> "B" }
                                  GRAPH <http://x.test/meta> { <http://x.test/g/a> <http://x.test/hash> "1" .
                                                               <http://x.test/g/b> <http://x.test/hash> "2" } }""")
    store.update("""DELETE WHERE { GRAPH <http://x.test/g/a> { ?node <http://x.test/street> "Rue 1" } }""")
    store.load(b"""<http://x.test/a> <http://x.test/name> "A (v2)" <http://x.test/g/a> .
<http://x.test/a> <http://x.test/geo> _:geo <http://x.test/g/a> .
_:geo <http://x.test/latitude> "50.8" <http://x.test/g/a> .
<http://x.test/g/a> <http://x.test/hash> "3" <http://x.test/meta> .
""", format=RdfFormat.N_QUADS)
    store.flush()
    del store
    expected = _lines(after)
    assert expected != _lines(before)
    work = tmp_path / "work"
    work.mkdir()

    floor = apply_differences(before, after, work)

    assert _lines(before) == expected
    assert (floor.removed, floor.added) == (5, 4)
    assert floor.quads == 9 and floor.seconds > 0
