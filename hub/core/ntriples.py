"""N-Triples / N-Quads lines as the pipeline's working form.

pyoxigraph parses and serialises in Rust; touching millions of Python term objects is what made the
skeleton slow. So the pipeline keeps each statement as the line pyoxigraph wrote (`S P O [G] .`) and
works on its tokens: an IRI or blank node token never holds a space, and a literal always ends with
`"`, `"@lang` or `"^^<datatype>`, which is enough to cut a line without a full parser.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import Quad, RdfFormat, parse, serialize

from hub.pipeline.canonical import LIMITS, Limits
from hub.pipeline.canonical import digest as bounded_digest

RDF_TYPE_TOKEN = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def to_lines(quads: Iterable[Quad]) -> list[str]:
    """pyoxigraph's own N-Quads serialisation, one statement per line (without the newline)."""
    data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    return lines_of(data)


def lines_of(nquads: bytes) -> list[str]:
    """N-Quads bytes as lines. Not `splitlines()`: pyoxigraph leaves U+2028, U+0085 and their kind
    unescaped inside literals, and `splitlines()` would cut a statement there."""
    lines = nquads.decode("utf-8").split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def split_line(line: str) -> tuple[str, str, str, str | None]:
    """`S P O [G] .` -> (S, P, O, G or None)."""
    subject, predicate, rest = line[:-2].split(" ", 2)
    if rest[0] != '"':
        if " " in rest:
            obj, graph = rest.split(" ", 1)
            return subject, predicate, obj, graph
        return subject, predicate, rest, None
    # A literal: any suffix that starts inside it contains its closing quote; a graph name never does.
    cut = rest.rfind(" ")
    if cut > 0 and '"' not in rest[cut + 1:] and rest[cut + 1] in "<_":
        return subject, predicate, rest[:cut], rest[cut + 1:]
    return subject, predicate, rest, None


def is_node(token: str) -> bool:
    return token[0] in "<_"


def is_blank(token: str) -> bool:
    return token.startswith("_:")


def to_quads(lines: Iterable[str]) -> list[Quad]:
    """Back to pyoxigraph terms (the slow path: for the few places that need terms)."""
    text = "\n".join(lines)
    return list(parse(text.encode("utf-8"), format=RdfFormat.N_QUADS)) if text else []


def canonical_hash(triples: list[str], limits: Limits = LIMITS) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of a set of triple lines."""
    return canonical_hash_of_tokens([split_line(line)[:3] for line in triples], limits)


def canonical_hash_of_tokens(statements: list[tuple[str, str, str]], limits: Limits = LIMITS) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of (subject, predicate, object) tokens.

    Blank-node labels and order never count. When every blank node has a distinct first-degree
    hash (the usual tree of addresses and coordinates), RDFC-1.0 labels them in the order of those
    hashes, which is computed here directly; otherwise pyoxigraph's full RDFC-1.0 does it, within the
    work bound of hub/pipeline/canonical.py (which raises hub.pipeline.canonical.LimitExceeded beyond it).
    """
    unique = set(statements)
    mentions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for statement in unique:
        subject, _, obj = statement
        if subject[0] == "_":
            mentions[subject].append(statement)
        if obj[0] == "_" and obj != subject:
            mentions[obj].append(statement)
    if not mentions:
        return _digest(sorted(f"{s} {p} {o} ." for s, p, o in unique))
    first_degree: dict[str, str] = {}
    for blank, mentioned in mentions.items():
        rendered = sorted(
            f"{_mark(s, blank)} {p} {_mark(o, blank)} .\n" for s, p, o in mentioned
        )
        first_degree[blank] = hashlib.sha256("".join(rendered).encode("utf-8")).hexdigest()
    if len(set(first_degree.values())) != len(first_degree):
        return bounded_digest(sorted(f"{s} {p} {o} ." for s, p, o in unique), unique, first_degree, limits)
    labels = {blank: f"_:c14n{index}" for index, blank in enumerate(sorted(mentions, key=first_degree.__getitem__))}
    return _digest(sorted(f"{labels.get(s, s)} {p} {labels.get(o, o)} ." for s, p, o in unique))


def _mark(token: str, blank: str) -> str:
    """RDFC-1.0 first-degree form: the blank node in question is _:a, every other one _:z."""
    if token[0] != "_":
        return token
    return "_:a" if token == blank else "_:z"


def _digest(sorted_lines: list[str]) -> str:
    return "sha256:" + hashlib.sha256("".join(line + "\n" for line in sorted_lines).encode("utf-8")).hexdigest()
