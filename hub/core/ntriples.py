"""N-Triples / N-Quads lines as the pipeline's working form.

pyoxigraph parses and serialises in Rust; touching millions of Python term objects is what made the
skeleton slow. So the pipeline keeps each statement as the line pyoxigraph wrote (`S P O [G] .`) and
works on its tokens: an IRI or blank node token never holds a space, and a literal always ends with
`"`, `"@lang` or `"^^<datatype>`, which is enough to cut a line without a full parser.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import Quad, RdfFormat, parse, serialize

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


def to_quads(lines: Iterable[str]) -> list[Quad]:
    """Back to pyoxigraph terms (the slow path: for the few places that need terms)."""
    text = "\n".join(lines)
    return list(parse(text.encode("utf-8"), format=RdfFormat.N_QUADS)) if text else []
