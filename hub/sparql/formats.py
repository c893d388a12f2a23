"""The result formats the SPARQL endpoint offers, and HTTP content negotiation among them.

Negotiation follows RFC 9110: every media range of the Accept header has a quality (q, default 1);
an offered type takes the quality of the most specific range that matches it (`type/subtype` over
`type/*` over `*/*`); the best quality wins, ties going to the order of the offer; q=0 means "not
this". No Accept header means the first offer. Nothing acceptable means 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat

# SELECT and ASK: (media type, format); the first is the default. Aliases answer with the canonical type.
SOLUTION_FORMATS: list[tuple[str, QueryResultsFormat]] = [
    ("application/sparql-results+json", QueryResultsFormat.JSON),
    ("application/sparql-results+xml", QueryResultsFormat.XML),
    ("text/csv", QueryResultsFormat.CSV),
    ("text/tab-separated-values", QueryResultsFormat.TSV),
]
SOLUTION_ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
}

# CONSTRUCT and DESCRIBE: Turtle first, the default when there is no Accept header.
GRAPH_FORMATS: list[tuple[str, RdfFormat]] = [
    ("text/turtle", RdfFormat.TURTLE),
    ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/rdf+xml", RdfFormat.RDF_XML),
    ("application/ld+json", RdfFormat.JSON_LD),
    ("application/n-quads", RdfFormat.N_QUADS),
    ("application/trig", RdfFormat.TRIG),
]
GRAPH_ALIASES: dict[str, str] = {
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/xml": "application/rdf+xml",
    "application/json": "application/ld+json",
}

# The W3C's IRIs for result formats, for the Service Description.
FORMAT_IRIS: dict[str, str] = {
    "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
    "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
    "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
    "application/n-quads": "http://www.w3.org/ns/formats/N-Quads",
    "application/trig": "http://www.w3.org/ns/formats/TriG",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """-1 if this range does not match `media_type`, else 0 (*/*), 1 (type/*) or 2 (exact)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed pieces are skipped, a bad q counts as 1."""
    ranges = []
    for piece in header.split(","):
        parts = [p.strip() for p in piece.split(";")]
        kind, _, sub = parts[0].lower().partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    best_specificity, best_q = -1, 0.0
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best_specificity:
            best_specificity, best_q = specificity, media_range.q
    return best_q if best_specificity >= 0 else 0.0


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers, the first offer without an Accept header, None if none fits."""
    if accept is None or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for offer in offers:
        q = quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best


def _choose(accept: str | None, formats: list[tuple[str, object]], aliases: dict[str, str]) -> str | None:
    offers = [media for media, _ in formats] + list(aliases)
    chosen = negotiate(accept, offers)
    return aliases.get(chosen, chosen) if chosen is not None else None


def choose_solutions_format(accept: str | None) -> tuple[str, QueryResultsFormat] | None:
    media = _choose(accept, list(SOLUTION_FORMATS), SOLUTION_ALIASES)
    return None if media is None else (media, dict(SOLUTION_FORMATS)[media])


def choose_graph_format(accept: str | None) -> tuple[str, RdfFormat] | None:
    media = _choose(accept, list(GRAPH_FORMATS), GRAPH_ALIASES)
    return None if media is None else (media, dict(GRAPH_FORMATS)[media])


def prefers_html(accept: str | None) -> bool:
    """Whether a browser is asking: text/html is acceptable and at least as wanted as Turtle."""
    if not accept:
        return False
    ranges = parse_accept(accept)
    html = quality(ranges, "text/html")
    return html > 0 and any(r.type == "text" and r.subtype == "html" for r in ranges) and \
        html >= quality(ranges, "text/turtle")
