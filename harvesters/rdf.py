"""The RDF syntaxes pyoxigraph parses, as formats of the table (harvesters/formats.py): Turtle, TriG,
N-Triples, N-Quads, RDF/XML and JSON-LD, each with its media types, extensions and the marks that recognise it.

Parsing is bounded before a parser recurses (harvesters/limits.py), RDF/XML entities are checked before
pyoxigraph expands them, and every syntax error names its line and column. HTML markup is harvesters/html.py,
which reads its JSON-LD blocks with the helpers here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import lxml.etree
from pyoxigraph import RdfFormat, parse, serialize

from harvesters.formats import (
    SNIFF_BYTES,
    SURE,
    DocumentContext,
    Format,
    LiftError,
    LiftResult,
    PrepareJsonLd,
    looks_like_json,
    names_jsonld_keywords,
    opening,
)
from harvesters.limits import TooDeep, check_json_depth, check_xml_depth
from harvesters.wording import because, readable

__all__ = ["JSONLD", "NQUADS", "NTRIPLES", "RDFXML", "TOKEN_TOO_LONG", "TRIG", "TURTLE", "LiftError",
           "syntax_reason"]


def lift_syntax(body: bytes, format_name: str, rdf_format: RdfFormat, base_iri: str | None, document: str,
                prepare_jsonld: PrepareJsonLd | None = None) -> bytes:
    """A whole document as N-Quads bytes: the parsed terms never become Python objects one by one, which is
    what a 100k-record feed cannot afford. A syntax error raises LiftError with its line and column."""
    try:
        # Nesting is bounded before any parser recurses on it (harvesters/limits.py); the hub's
        # prepare_jsonld (harvesters.jsonld.inline_contexts) checks it itself, before json.loads.
        if rdf_format == RdfFormat.JSON_LD and prepare_jsonld is not None:
            body = prepare_jsonld(body)
        elif rdf_format == RdfFormat.JSON_LD:
            check_json_depth(body)
        elif rdf_format == RdfFormat.RDF_XML:
            check_xml_depth(body)
    except TooDeep as error:
        raise LiftError(document, format_name, str(error), error.line, error.column) from error
    if rdf_format == RdfFormat.RDF_XML and b"<!ENTITY" in body:
        _check_entities(body, document)
    try:
        # Parsing is lazy: syntax errors surface while the quads are serialised.
        return serialize(parse(body, format=rdf_format, base_iri=base_iri), format=RdfFormat.N_QUADS) or b""
    except SyntaxError as error:
        if rdf_format == RdfFormat.RDF_XML and error.lineno is None:
            raise _located_xml_error(body, document, error) from error
        raise LiftError(document, format_name, syntax_reason(error), error.lineno, error.offset) from error
    except (ValueError, OSError) as error:
        raise LiftError(document, format_name, because(error, f"the bytes cannot be read as {format_name}")) from error
    except MemoryError as error:  # pyoxigraph's "Reached the buffer maximal size": one token of 16 MiB
        raise LiftError(document, format_name, TOKEN_TOO_LONG) from error


# pyoxigraph refuses a single token (a literal, an IRI) longer than its 16 MiB buffer with MemoryError.
TOKEN_TOO_LONG = ("a literal or IRI longer than 16 MiB, more than the parser reads (the hub takes literals up to "
                  "1 MiB): shorten it or link to it")


def syntax_reason(error: SyntaxError) -> str:
    message = str(error.msg) if error.msg else str(error)
    if "LoadDocumentCallback" in message:
        return "names a remote @context that was not loaded (the hub loads contexts only through its fetcher)"
    # pyoxigraph prefixes "Parser error between line L column C and …: reason"; keep the reason.
    reason = message.split(": ", 1)[1] if message.startswith("Parser error") and ": " in message else message
    return readable(reason) or "a syntax error"


_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*[\w.:-]+\s+(?:SYSTEM|PUBLIC)\b")
_INTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([\w.:-]+)\s+(\"[^\"]*\"|'[^']*')\s*>")
_ENTITY_REFERENCE = re.compile(rb"[&%]([\w.:-]+);")
MAX_ENTITY_EXPANSION = 16 * 2**20  # bytes that entity references may add to an RDF/XML document


def _check_entities(body: bytes, document: str) -> None:
    """Refuses external entities, and internal ones whose expansion would explode.

    pyoxigraph expands internal entities (OWL files use them for namespaces: `&owl;Class`) without
    a limit, and aborts the whole process when memory runs out ("billion laughs"), so the expanded
    size is computed from the declarations before the parser sees the document.
    """
    external = _EXTERNAL_ENTITY.search(body)
    if external:
        line, column = _position(body, external.start())
        raise LiftError(document, "rdfxml", "external entities are refused (the hub never resolves them)",
                        line, column)
    values = {m.group(2): m.group(3)[1:-1] for m in _INTERNAL_ENTITY.finditer(body)}
    sizes: dict[bytes, int] = {}

    def size(name: bytes, seen: tuple[bytes, ...]) -> int:
        if name in seen:
            raise LiftError(document, "rdfxml", f"entity {name.decode(errors='replace')!r} refers to itself")
        if name not in sizes:
            value = values.get(name, b"")
            nested = [ref.group(1) for ref in _ENTITY_REFERENCE.finditer(value) if ref.group(1) in values]
            sizes[name] = len(value) + sum(min(size(n, (*seen, name)), MAX_ENTITY_EXPANSION + 1) for n in nested)
        return sizes[name]

    total = sum(size(ref.group(1), ()) for ref in _ENTITY_REFERENCE.finditer(body) if ref.group(1) in values)
    if total > MAX_ENTITY_EXPANSION:
        raise LiftError(document, "rdfxml", f"entity references would expand to more than "
                                            f"{MAX_ENTITY_EXPANSION} bytes: refused (an entity expansion bomb?)")


def _position(body: bytes, offset: int) -> tuple[int, int]:
    line = body.count(b"\n", 0, offset) + 1
    return line, offset - (body.rfind(b"\n", 0, offset) + 1) + 1


def _located_xml_error(body: bytes, document: str, error: SyntaxError) -> LiftError:
    """pyoxigraph's RDF/XML errors carry no position: find one for the reader.

    libxml2, with entities, DTDs and the network all off, re-reads the bytes only to
    place a well-formedness error; an RDF-level error keeps pyoxigraph's reason without a place.
    """
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        lxml.etree.fromstring(body, parser)
    except lxml.etree.XMLSyntaxError as xml_error:
        line, column = xml_error.position
        return LiftError(document, "rdfxml", syntax_reason(error), line or None, column or None)
    return LiftError(document, "rdfxml", syntax_reason(error))


# --- recognising a syntax by its first bytes ---------------------------------------------------------

# One statement of N-Triples / N-Quads on one line: subject, predicate, object, optional graph, dot.
_IRI = r"<[^<>\"{}|^`\\\s]*>"
_BNODE = r"_:[A-Za-z0-9_][\w.-]*"
_LITERAL = r'"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^' + _IRI + ")?"
_NQUAD_LINE = re.compile(
    rf"^\s*(?:{_IRI}|{_BNODE})\s*{_IRI}\s*(?:{_IRI}|{_BNODE}|{_LITERAL})\s*(?P<graph>{_IRI}|{_BNODE})?\s*\.\s*(?:#.*)?$"
)
# A TriG graph block opening: `{`, `<g> {`, `ex:g {`, `_:g {` or `GRAPH <g> {` at the start of a line.
_TRIG_BLOCK = re.compile(
    rf"^\s*(?:GRAPH\s+)?(?:{_IRI}|[A-Za-z_][\w.-]*:[\w.-]*|{_BNODE})?\s*\{{", re.MULTILINE | re.IGNORECASE
)


@functools.lru_cache(maxsize=16)
def _text_syntax(head: bytes) -> str:
    """What a text document's first bytes are written in: `nquads` or `ntriples` when every line is one
    statement (N-Quads when one names a graph), `trig` with a graph block, else `turtle`."""
    text = opening(head).decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    statements = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if statements:
        matches = [_NQUAD_LINE.match(line) for line in statements]
        if all(matches):
            return "nquads" if any(m and m.group("graph") for m in matches) else "ntriples"
    # TriG is a superset of Turtle, so mistaking Turtle for TriG still parses it.
    return "trig" if _TRIG_BLOCK.search(_strip_strings(text)) else "turtle"


def _strip_strings(text: str) -> str:
    """Turtle text without its string literals, so that a `{` inside a string does not look like TriG."""
    return re.sub(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', '""', text)


def _sniff_text(name: str, score: int) -> Callable[[bytes], int]:
    def sniff(head: bytes) -> int:
        return score if not looks_like_json(head) and _text_syntax(head) == name else 0

    return sniff


def _sniff_turtle(head: bytes) -> int:
    return 10  # anything else is read as Turtle, which says where it is wrong


def _sniff_rdfxml(head: bytes) -> int:
    start = opening(head)
    return SURE if start.startswith(b"<rdf:RDF") else 50 if start.startswith(b"<?xml") else 0  # XHTML: html's


def _sniff_jsonld(head: bytes) -> int:
    if not looks_like_json(head):
        return 0
    # Any other JSON is read as JSON-LD too, unless another JSON kind recognises it.
    return 60 if names_jsonld_keywords(head) else 20


def _lifter(name: str, rdf_format: RdfFormat) -> Callable[[bytes, DocumentContext], LiftResult]:
    def lift(body: bytes, context: DocumentContext) -> LiftResult:
        return LiftResult(lift_syntax(body, name, rdf_format, context.base_iri, context.document,
                                      context.prepare_jsonld))

    return lift


TURTLE = Format("turtle", _lifter("turtle", RdfFormat.TURTLE), media_types=("text/turtle", "application/x-turtle"),
                extensions=(".ttl",), sniff=_sniff_turtle, reads=("ntriples",))
TRIG = Format("trig", _lifter("trig", RdfFormat.TRIG), media_types=("application/trig", "application/x-trig"),
              extensions=(".trig",), graphs=True, sniff=_sniff_text("trig", 40), reads=("turtle", "ntriples"))
NTRIPLES = Format("ntriples", _lifter("ntriples", RdfFormat.N_TRIPLES), media_types=("application/n-triples",),
                  extensions=(".nt",), line_based=True, sniff=_sniff_text("ntriples", 90))
NQUADS = Format("nquads", _lifter("nquads", RdfFormat.N_QUADS), media_types=("application/n-quads",),
                extensions=(".nq",), graphs=True, line_based=True, sniff=_sniff_text("nquads", 90))
RDFXML = Format("rdfxml", _lifter("rdfxml", RdfFormat.RDF_XML), media_types=("application/rdf+xml",),
                extensions=(".rdf", ".owl"), sniff=_sniff_rdfxml)
# `application/json` and `.json` are no format's: they say nothing of which JSON (docs/formats.md, "Detection").
JSONLD = Format("jsonld", _lifter("jsonld", RdfFormat.JSON_LD), media_types=("application/ld+json",),
                extensions=(".jsonld",), graphs=True, json=True, sniff=_sniff_jsonld)
