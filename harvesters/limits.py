"""Parse-time bounds, checked before a parser does the work.

A parser that recurses dies of RecursionError on a deeply nested document (Python's json does at about
a thousand levels), and one that nests elements in a stack may take quadratic time (pyoxigraph's RDF/XML
took over a minute at 100,000 levels). These scans are cheap (regular expressions and byte translation
in C, or libxml2 without building a tree) and say where the document goes too deep, so the document
fails alone with a clear message instead of taking the harvest or the server down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree

MAX_JSON_DEPTH = 128  # levels of JSON arrays and objects; a JSON-LD feed rarely needs 10
MAX_XML_DEPTH = 512  # levels of XML elements in RDF/XML (two per level of nested RDF nodes)
MAX_LITERAL_CHARS = 1 << 20  # characters in one literal (a description, a text): 1 Mi


@dataclass
class TooDeep(Exception):
    """A document nested deeper than allowed: where (line and column, from 1) and how deep."""

    what: str
    limit: int
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return (f"{self.what} nest more than {self.limit} levels deep; the hub reads at most {self.limit} "
                f"(flatten the document, or give nested nodes their own IRI)")


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_PAIR = re.compile(rb"\[\]|\{\}")
_OPENERS = re.compile(rb"[\[{]+")
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def check_json_depth(body: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises TooDeep when JSON arrays and objects nest deeper than `limit`.

    Strings are blanked out (a bracket in a string does not nest), the brackets kept, and the innermost
    pairs removed pass after pass: well-formed JSON empties in as many passes as it is deep. What a
    broken document leaves (`[[[[` never closed) counts by its longest run of openers."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if data.count(b"[") + data.count(b"{") <= limit:
        return  # cannot be deeper than its brackets
    brackets = _STRING.sub(b'""', data).translate(None, _NOT_BRACKETS)
    for _ in range(limit + 1):
        if not brackets:
            return
        brackets, removed = _PAIR.subn(b"", brackets)
        if not removed:
            if max((len(run) for run in _OPENERS.findall(brackets)), default=0) <= limit:
                return  # not JSON: its parser says where
            break
    raise TooDeep("JSON arrays and objects", limit, *_json_place(data, limit))


def _json_place(data: bytes, limit: int) -> tuple[int | None, int | None]:
    """Line and column of the bracket that goes one level too deep (only run once it is known to)."""
    depth = 0
    for token in _TOKEN.finditer(data):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            if depth > limit:
                offset = token.start()
                return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        elif mark in (b"]", b"}"):
            depth -= 1
    return None, None


class _Depth:
    """An lxml parser target that only counts nesting (no tree is built)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.limit:
            raise TooDeep("XML elements", self.limit)

    def end(self, tag: str) -> None:
        self.depth -= 1

    def close(self) -> None:
        return None


def check_xml_depth(body: bytes, limit: int = MAX_XML_DEPTH) -> None:
    """Raises TooDeep when XML elements nest deeper than `limit`. libxml2 reads the bytes with entities,
    DTDs and the network off; a document it cannot read is left to the RDF/XML parser to report."""
    if body.count(b"<") <= limit:
        return
    target = _Depth(limit)
    parser = lxml.etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False,
                                  huge_tree=True)
    try:
        parser.feed(body)
        parser.close()
    except lxml.etree.XMLSyntaxError as error:
        if isinstance(error.__context__, TooDeep):
            raise error.__context__ from None
        return  # not well-formed: the RDF/XML parser reports it with its place


def literal_too_long(lines: list[str], limit: int = MAX_LITERAL_CHARS) -> tuple[str, int] | None:
    """The first N-Triples/N-Quads line holding a literal longer than `limit` characters, and that
    literal's length; None when there is none (one `max` over the lengths when all is well)."""
    if not lines or max(map(len, lines)) <= limit:
        return None
    for line in lines:
        if len(line) > limit:
            start = line.find('"')
            end = line.rfind('"')
            if start >= 0 and end - start - 1 > limit:
                return line, end - start - 1
    return None
