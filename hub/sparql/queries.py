"""Named queries from `sparql/*.rq`, which the API uses and offers as examples.

A query file is plain SPARQL; its `$name` variables are parameters. `render` replaces them with
terms written in SPARQL syntax (IRIs and literals escaped), token by token, so a value can never
change the shape of the query. Unreplaced `$name`s stay variables, so every file also runs as is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from hub.sparql.guard import tokenize

SPARQL_DIR = Path(__file__).resolve().parents[2] / "sparql"


@cache
def load(name: str) -> str:
    return (SPARQL_DIR / f"{name}.rq").read_text(encoding="utf-8")


def description(name: str) -> str:
    """The leading comment of a query file: what it answers."""
    lines = []
    for line in load(name).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def names() -> list[str]:
    return sorted(path.stem for path in SPARQL_DIR.glob("*.rq"))


def render(name: str, **bindings: NamedNode | Literal) -> str:
    text = load(name)
    pieces: list[str] = []
    position = 0
    for token in tokenize(text):
        if token.kind == "var" and token.text.startswith("$") and token.text[1:] in bindings:
            pieces.append(text[position:token.offset])
            pieces.append(str(bindings[token.text[1:]]))
            position = token.offset + len(token.text)
    pieces.append(text[position:])
    return "".join(pieces)
