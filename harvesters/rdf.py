"""Lift RDF documents (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD) to quads with pyoxigraph."""

from __future__ import annotations

from pyoxigraph import Quad, RdfFormat, parse, serialize

FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "trig": RdfFormat.TRIG,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "rdfxml": RdfFormat.RDF_XML,
    "jsonld": RdfFormat.JSON_LD,
}
_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/trig": "trig",
    "application/n-triples": "ntriples",
    "application/n-quads": "nquads",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
_EXTENSIONS = {
    ".ttl": "turtle", ".trig": "trig", ".nt": "ntriples", ".nq": "nquads", ".rdf": "rdfxml",
    ".owl": "rdfxml", ".jsonld": "jsonld", ".json": "jsonld",
}


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
        if url.lower().split("?")[0].endswith(extension):
            return name
    return _sniff(body)


def _sniff(body: bytes) -> str:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "jsonld"
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF"):
        return "rdfxml"
    return "turtle"


def lift_rdf(body: bytes, format_name: str, base_iri: str, document: str) -> list[Quad]:
    """Parses a whole document; a syntax error raises LiftError with its line and column."""
    rdf_format = FORMATS.get(format_name)
    if rdf_format is None:
        raise LiftError(document, format_name, f"unsupported RDF format {format_name!r}")
    try:
        return list(parse(body, format=rdf_format, base_iri=base_iri))
    except SyntaxError as error:
        raise LiftError(document, format_name, _reason(error), error.lineno, error.offset) from error
    except (ValueError, OSError) as error:
        raise LiftError(document, format_name, str(error)) from error


def _reason(error: SyntaxError) -> str:
    message = str(error.msg) if error.msg else str(error)
    # pyoxigraph prefixes "Parser error between line L column C and …: reason"; keep the reason.
    return message.split(": ", 1)[1] if message.startswith("Parser error") and ": " in message else message


def lift_rdf_nquads(body: bytes, format_name: str, base_iri: str, document: str) -> bytes:
    """Like lift_rdf, but straight to N-Quads bytes: the parsed terms never become Python objects
    one by one, which is what a 100k-record feed cannot afford."""
    rdf_format = FORMATS.get(format_name)
    if rdf_format is None:
        raise LiftError(document, format_name, f"unsupported RDF format {format_name!r}")
    try:
        return serialize(parse(body, format=rdf_format, base_iri=base_iri), format=RdfFormat.N_QUADS) or b""
    except SyntaxError as error:
        raise LiftError(document, format_name, _reason(error), error.lineno, error.offset) from error
    except (ValueError, OSError) as error:
        raise LiftError(document, format_name, str(error)) from error
