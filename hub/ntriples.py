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

from pyoxigraph import (
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Quad,
    RdfFormat,
    parse,
    serialize,
)

RDF_TYPE_TOKEN = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def to_lines(quads: Iterable[Quad]) -> list[str]:
    """pyoxigraph's own N-Quads serialisation, one statement per line (without the newline)."""
    data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    return data.decode("utf-8").splitlines()


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


def canonical_hash(triples: list[str]) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of a set of triple lines.

    Blank-node labels and order never count. When every blank node has a distinct first-degree
    hash (the usual tree of addresses and coordinates), RDFC-1.0 labels them in the order of those
    hashes, which is computed here directly; otherwise pyoxigraph's full RDFC-1.0 does it.
    """
    unique = sorted(set(triples))
    blanks = {token for line in unique for token in _blank_tokens(line)}
    if not blanks:
        return _digest(unique)
    mentions: dict[str, list[str]] = defaultdict(list)
    for line in unique:
        for token in set(_blank_tokens(line)):
            mentions[token].append(line)
    first_degree: dict[str, str] = {}
    for blank in blanks:
        rendered = sorted(_relabel(line, lambda t, b=blank: "_:a" if t == b else "_:z") for line in mentions[blank])
        first_degree[blank] = hashlib.sha256("".join(r + "\n" for r in rendered).encode("utf-8")).hexdigest()
    if len(set(first_degree.values())) != len(first_degree):
        return _digest_by_pyoxigraph(unique)
    labels = {blank: f"_:c14n{index}" for index, blank in enumerate(sorted(blanks, key=first_degree.__getitem__))}
    return _digest(sorted(_relabel(line, labels.__getitem__) for line in unique))


def _digest(sorted_lines: list[str]) -> str:
    return "sha256:" + hashlib.sha256("".join(line + "\n" for line in sorted_lines).encode("utf-8")).hexdigest()


def _digest_by_pyoxigraph(lines: list[str]) -> str:
    dataset = Dataset(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in to_quads(lines))
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return _digest(sorted(to_lines(dataset)))


def _blank_tokens(line: str) -> list[str]:
    subject, _, obj, _ = split_line(line)
    return [token for token in (subject, obj) if token.startswith("_:")]


def _relabel(line: str, rename: object) -> str:
    subject, predicate, obj, _ = split_line(line)
    new_subject = rename(subject) if subject.startswith("_:") else subject  # type: ignore[operator]
    new_object = rename(obj) if obj.startswith("_:") else obj  # type: ignore[operator]
    return f"{new_subject} {predicate} {new_object} ."
