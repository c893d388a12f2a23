"""Paths into JSON documents: where a platform's records are, and where each field of a record is.

A path is the field names from the outside in, separated by dots: `address.postalCode`, `geo.latitude`,
`openHours.Mo`. An array is entered with `[*]` (every item), `[0]` (one item) or `[key=value]` (the items
whose `key` is `value`: `links[rel=next].href`); an array reached without a step of its own gives its items,
so `categories` and `categories[*]` read the same values, and `[*]` on a single value reads that value (platforms
give one where they may give several). The empty path (or `$`) is the document itself.

Reading never fails: a path that leads nowhere gives no value. Paths are parsed once (`parse_path`, cached),
and a path that cannot be parsed raises PathError, which the mapping and sources.toml readers report with
their file and key. Nesting is bounded before any document is parsed (harvesters/limits.py), so the walks here
recurse no deeper than the document does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_STEP = re.compile(r"(?P<key>[^.\[\]]*[^.\[\]\s][^.\[\]]*)"  # a member's name
                   r"|\[\s*(?P<index>\*|-?\d+|(?P<field>[^=\]]+)=(?P<value>[^\]]*))\s*\]")  # [*], [0], [k=v]
# Where a platform's API usually puts the records of a page, in the order `find_records` tries them.
RECORD_KEYS = ("data", "items", "results", "records", "entries", "elements", "features", "visible", "nodes",
               "organizations", "services", "locations", "rows", "content", "hits")


class PathError(ValueError):
    """A path that cannot be read: says where it goes wrong."""


@dataclass(frozen=True)
class Step:
    key: str | None = None  # an object's member
    index: int | None = None  # one item of an array
    every: bool = False  # every item of an array
    where: tuple[str, str] | None = None  # the items whose member `key` is `value`


@functools.cache
def parse_path(path: str) -> tuple[Step, ...]:
    """`address.postalCode` -> its steps; raises PathError for a path that cannot be read."""
    text = path.strip()
    if text in ("", "$"):
        return ()
    text = text.removeprefix("$.").removeprefix("$")
    steps: list[Step] = []
    position = 0
    while position < len(text):
        if steps and text[position] == ".":
            position += 1
        found = _STEP.match(text, position)
        if found is None or found.end() == position:
            raise PathError(f"path {path!r}: cannot read it at {text[position:]!r} (write a.b, a[*].b, a[0] or "
                            f"a[key=value])")
        if found.group("key") is not None:
            steps.append(Step(key=found.group("key").strip()))
        elif found.group("index") == "*":
            steps.append(Step(every=True))
        elif found.group("field") is not None:
            steps.append(Step(where=(found.group("field").strip(), found.group("value").strip())))
        else:
            steps.append(Step(index=int(found.group("index"))))
        position = found.end()
        if position < len(text) and text[position] not in ".[":
            raise PathError(f"path {path!r}: expected '.' or '[' at {text[position:]!r}")
    return tuple(steps)


def values_at(document: Any, path: str) -> list[Any]:
    """Every value the path reaches, arrays on the way opened (an array at the end gives its items)."""
    found = list(_walk(document, parse_path(path)))
    out: list[Any] = []
    for value in found:
        if isinstance(value, list):
            out += [item for item in value if item is not None]
        elif value is not None:
            out.append(value)
    return out


def value_at(document: Any, path: str) -> Any:
    """What the path reaches, as the document has it: one value, an array when it reaches several, or None."""
    found = [value for value in _walk(document, parse_path(path)) if value is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def _walk(value: Any, steps: tuple[Step, ...]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step.key is not None:
        if isinstance(value, dict):
            if step.key in value:
                yield from _walk(value[step.key], rest)
        elif isinstance(value, list):  # an array on the way: its items, as if `[*]` were written
            for item in value:
                yield from _walk(item, steps)
        return
    if not isinstance(value, list):
        if step.every and value is not None:  # `[*]` on one value: a platform that gives one where it may give many
            yield from _walk(value, rest)
        return
    if step.every:
        for item in value:
            yield from _walk(item, rest)
    elif step.index is not None:
        if -len(value) <= step.index < len(value):
            yield from _walk(value[step.index], rest)
    elif step.where is not None:
        field, wanted = step.where
        for item in value:
            if isinstance(item, dict) and str(item.get(field)) == wanted:
                yield from _walk(item, rest)


def plain_path(path: str) -> str:
    """A path without its array steps: `urls[*].url` -> `urls.url` (what field names are compared by)."""
    return ".".join(step.key for step in parse_path(path) if step.key is not None)


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(plain path, value) of every scalar in a record, arrays opened: what a mapping may map."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, prefix)
    elif value is not None and value != "":
        yield prefix, value


def find_records(document: Any) -> tuple[str, list[Any]] | None:
    """Where a document's records are when nobody said: the document itself when it is an array of objects,
    else the first of RECORD_KEYS (then any member, then one level down) that holds an array of objects."""
    if _objects(document):
        return "", document
    if not isinstance(document, dict):
        return None
    candidates = [key for key in RECORD_KEYS if key in document] + [key for key in document if key not in RECORD_KEYS]
    for key in candidates:
        if _objects(document[key]):
            return key, document[key]
    for key in candidates:
        inner = document[key]
        if isinstance(inner, dict):
            for name in [n for n in RECORD_KEYS if n in inner] + [n for n in inner if n not in RECORD_KEYS]:
                if _objects(inner[name]):
                    return f"{key}.{name}", inner[name]
    return None


def _objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def describe(document: Any) -> str:
    """What a document holds, in a few words, for a message that says why it gave no record."""
    if isinstance(document, list):
        kinds = sorted({type(item).__name__ for item in document})
        return f"an array of {len(document)} item(s) ({', '.join(_json_kind(k) for k in kinds) or 'empty'})"
    if isinstance(document, dict):
        keys = list(document)[:12]
        more = " …" if len(document) > 12 else ""
        return "an object with the members " + ", ".join(repr(k) for k in keys) + more if keys else "an empty object"
    return f"a single {_json_kind(type(document).__name__)}"


def _json_kind(python_type: str) -> str:
    return {"dict": "objects", "list": "arrays", "str": "strings", "int": "numbers", "float": "numbers",
            "bool": "booleans", "NoneType": "nulls"}.get(python_type, python_type)
