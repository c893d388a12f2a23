"""A feed re-serialised without changing what it says: the same statements as N-Triples, in another
order, with fresh blank-node labels (pyoxigraph's parser gives every blank node a new one). What the
"nothing rewritten" tests and the bench's `reharvest` feed (bench/feeds.py) need."""

from __future__ import annotations

import random

from pyoxigraph import RdfFormat, parse, serialize


def reserialised(turtle: bytes | str, seed: int) -> bytes:
    """Turtle (or N-Triples, which is Turtle) as shuffled N-Triples with fresh blank-node labels."""
    lines = (serialize(parse(turtle, format=RdfFormat.TURTLE), format=RdfFormat.N_TRIPLES) or b"").splitlines()
    random.Random(seed).shuffle(lines)
    return b"\n".join(lines) + b"\n"
