"""Lift RDF documents to quads: Turtle, TriG, N-Triples, N-Quads, RDF/XML and JSON-LD with pyoxigraph;
HTML pages (embedded JSON-LD, RDFa, microdata) through harvesters.html."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import lxml.etree
from pyoxigraph import Quad, RdfFormat, parse, serialize

from harvesters.limits import TooDeep, check_json_depth, check_xml_depth

FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "trig": RdfFormat.TRIG,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "rdfxml": RdfFormat.RDF_XML,
    "jsonld": RdfFormat.JSON_LD,
}
HTML = "html"  # not a pyoxigraph syntax: lifted by harvesters.html
_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/trig": "trig",
    "application/x-trig": "trig",
    "application/n-triples": "ntriples",
    "application/n-quads": "nquads",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "text/html": HTML,
    "application/xhtml+xml": HTML,
}
_EXTENSIONS = {
    ".ttl": "turtle", ".trig": "trig", ".nt": "ntriples", ".nq": "nquads", ".rdf": "rdfxml",
    ".owl": "rdfxml", ".jsonld": "jsonld", ".json": "jsonld", ".html": HTML, ".htm": HTML, ".xhtml": HTML,
}

# Rewrites a JSON-LD document before parsing (the hub plugs in harvesters.jsonld's context inlining,
# backed by hub.pipeline.fetch.fetch_context): pyoxigraph never loads a remote @context itself.
PrepareJsonLd = Callable[[bytes], bytes]


class LiftError(Exception):
    """A document that could not be lifted: names the format, the place and the reason."""

    def __init__(self, document: str, format_name: str, reason: str, line: int | None = None,
                 column: int | None = None) -> None:
        where = f" line {line}" + (f" column {column}" if column else "") if line else ""
        super().__init__(f"{document}: {format_name}{where}: {reason}")
        self.document = document
        self.format_name = format_name
        self.reason = reason
        self.line = line
        self.column = column


def detect_format(configured: str | None, content_type: str | None, url: str, body: bytes) -> str:
    """The source's config first, then the Content-Type, then the file extension, then sniffing."""
    if configured:
        return configured
    if content_type:
        media = content_type.split(";")[0].strip().lower()
        if media in _MEDIA_TYPES:
            return _MEDIA_TYPES[media]
    for extension, name in _EXTENSIONS.items():
        if url.lower().split("?")[0].split("#")[0].endswith(extension):
            return name
    return sniff(body)


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
_JSON_START = re.compile(rb'^(?:\{\s*(?:"|\})|\[\s*(?:\{|\]\s*\Z))')  # not TriG `{ <s>`, Turtle `[] a`
_HTML_START = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
                         re.IGNORECASE | re.DOTALL)


def sniff(body: bytes) -> str:
    """Guesses the syntax from the first bytes. Turtle is the fallback: it also reads N-Triples."""
    head = body[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _JSON_START.match(head):
        return "jsonld"
    if _HTML_START.match(head):
        return HTML
    if head.startswith((b"<?xml", b"<rdf:RDF")):
        return "rdfxml"
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(body) > len(head) and len(lines) > 1:
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


def lift_rdf(body: bytes, format_name: str, base_iri: str, document: str,
             prepare_jsonld: PrepareJsonLd | None = None) -> list[Quad]:
    """Parses a whole document; a syntax error raises LiftError with its line and column."""
    return _lift(body, format_name, base_iri, document, prepare_jsonld, list)


def lift_rdf_nquads(body: bytes, format_name: str, base_iri: str, document: str,
                    prepare_jsonld: PrepareJsonLd | None = None) -> bytes:
    """Like lift_rdf, but straight to N-Quads bytes: the parsed terms never become Python objects
    one by one, which is what a 100k-record feed cannot afford."""
    return _lift(body, format_name, base_iri, document, prepare_jsonld,
                 lambda quads: serialize(quads, format=RdfFormat.N_QUADS) or b"")


Lifted = TypeVar("Lifted")


def _lift(body: bytes, format_name: str, base_iri: str, document: str, prepare_jsonld: PrepareJsonLd | None,
          consume: Callable[..., Lifted]) -> Lifted:
    if format_name == HTML:
        # Imported here: extruct pulls in rdflib and pyRdfa, which only HTML feeds need.
        from harvesters.html import lift_html

        return consume(lift_html(body, base_iri, document, prepare_jsonld))
    rdf_format = FORMATS.get(format_name)
    if rdf_format is None:
        raise LiftError(document, format_name, f"unsupported RDF format {format_name!r}")
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
        # Parsing is lazy: syntax errors surface while the quads are consumed.
        return consume(parse(body, format=rdf_format, base_iri=base_iri))
    except SyntaxError as error:
        if rdf_format == RdfFormat.RDF_XML and error.lineno is None:
            raise _located_xml_error(body, document, error) from error
        raise LiftError(document, format_name, syntax_reason(error), error.lineno, error.offset) from error
    except (ValueError, OSError) as error:
        raise LiftError(document, format_name, str(error)) from error
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
    return message.split(": ", 1)[1] if message.startswith("Parser error") and ": " in message else message


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
