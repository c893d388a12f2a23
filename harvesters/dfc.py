"""Data Food Consortium catalogues (format `dfc`): DFC JSON-LD or Turtle, and the containers of a Solid pod walked.

**Lifting.** A document that opens like JSON is JSON-LD: the hub inlines its `@context` (DFC's own is shipped,
vocab/contexts/README.md, so a catalogue parses with no network); any other document is Turtle. The hub then
aligns DFC to its model (hub/pipeline/alignment.py: enterprises, persons, addresses, supplied products). What
hand-written DFC documents get wrong, and a parser accepts without a word, is said as warnings: a DFC term whose
local name is no name (`dfc-b:country:`, a stray colon makes another predicate), an `@base` that makes `<>` name
the same subject in every document of a pod, and IRIs written from the root (`</catalogs/…>`), which leave out
the path of `@base`.

**Walking.** The configured URL is a document, or an LDP container: a Solid pod's folder, or a `file:` folder
(the hub's fetcher lists one as an LDP container). A container's members (`ldp:contains`) are fetched through the
hub's guarded fetcher and containers among them walked in turn, breadth first, at most MAX_DEPTH levels below
the configured one; a member outside its container's URL (another path or host) is not followed, and the
container's lifting says so. Every document fetched is a document of the run (a listing too: its payload shows
what the hub saw); a listing lifts to what it says besides the listing itself. The hub bounds the walk's
fetches and bytes (hub/pipeline/documents.py).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from harvesters.formats import (
    D,
    DocumentContext,
    Format,
    LiftError,
    LiftResult,
    looks_like_json,
    names_jsonld_keywords,
    opening,
)
from harvesters.limits import TooDeep, check_json_depth
from harvesters.rdf import lift_syntax

NAME = "dfc"
LDP = "http://www.w3.org/ns/ldp#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CONTAINERS = frozenset({LDP + "Container", LDP + "BasicContainer", LDP + "DirectContainer", LDP + "IndirectContainer"})
# The DFC business ontology's namespace, and the one DFC's Solid-pod examples use (dfc-b:).
DFC_NAMESPACES = ("https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#",
                  "https://www.datafoodconsortium.org#")
MAX_DEPTH = 8  # levels of containers below the configured one: a pod's catalogue is two or three deep
MAX_SHOWN = 5  # members named in a warning; the count says how many more
_TERM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_IRI_IN_LINE = re.compile(r"<([^>]*)>")
_BASE = re.compile(rb"^\s*(?:@base|BASE)\s*<([^>]*)>", re.MULTILINE | re.IGNORECASE)
_THIS_DOCUMENT = re.compile(rb"(?<![\w>])<>")
_FROM_THE_ROOT = re.compile(rb"<(/[^/>][^>]*)>")


# --- lifting ----------------------------------------------------------------------------------------

def lift(body: bytes, context: DocumentContext) -> LiftResult:
    listing = read_listing(context.document, body)
    if listing is not None:
        return _lift_listing(listing, context)
    if looks_like_json(body):
        nquads = lift_syntax(body, NAME, RdfFormat.JSON_LD, context.base_iri, context.document,
                             context.prepare_jsonld)
        return LiftResult(nquads, _term_warnings(nquads, context.document))
    nquads = lift_syntax(body, NAME, RdfFormat.TURTLE, context.base_iri, context.document)
    return LiftResult(nquads, _term_warnings(nquads, context.document) + _base_warnings(body, context.document))


def _term_warnings(nquads: bytes, document: str) -> list[str]:
    """DFC terms whose local name is no name: a parser takes `dfc-b:country:` as a predicate of its own."""
    found: set[str] = set()
    text = nquads.decode("utf-8", errors="replace")
    for namespace in DFC_NAMESPACES:
        if namespace not in text:
            continue
        for line in text.splitlines():
            for iri in _IRI_IN_LINE.findall(line):
                if iri.startswith(namespace) and not _TERM_NAME.match(iri[len(namespace):]):
                    found.add(iri)
    warnings = []
    for iri in sorted(found):
        local = next(iri[len(ns):] for ns in DFC_NAMESPACES if iri.startswith(ns))
        meant = re.sub(r"[^A-Za-z0-9_.-]", "", local)
        warnings.append(f"{document}: <{iri}> is no DFC term: its name {local!r} has a character a name cannot "
                        f"have (did you mean {meant!r}?); its statements are kept as written, but the hub reads "
                        "nothing from them")
    return warnings


def _base_warnings(body: bytes, document: str) -> list[str]:
    """What a Turtle document's @base does that its author may not have meant."""
    match = _BASE.search(body)
    if match is None:
        return []
    base = urljoin(document, match.group(1).decode("utf-8", errors="replace"))
    warnings = []
    if base != document and _THIS_DOCUMENT.search(body):
        warnings.append(f"{document}: its @base <{base}> makes <> name <{base}>, not this document: every "
                        "document with this @base that says <> describes that one subject; give each document "
                        "its own IRI (drop @base, or write <#it>)")
    path = urlsplit(base).path
    rooted = _FROM_THE_ROOT.search(body)
    if rooted is not None and path.strip("/"):
        written = rooted.group(1).decode("utf-8", errors="replace")
        warnings.append(f"{document}: IRIs written from the root, such as <{written}>, resolve to "
                        f"<{urljoin(base, written)}>, without the path {path} of @base <{base}>: write them "
                        f"relative to it (<{written.lstrip('/')}>) if they are the pod's")
    return warnings


# --- containers -------------------------------------------------------------------------------------

@dataclass
class Listing:
    """An LDP container's listing: the members the walk follows and those it leaves, and what else it says."""

    container: str
    members: list[str] = field(default_factory=list)  # inside the container, sorted
    outside: list[str] = field(default_factory=list)  # named but outside the container's URL: not followed
    other: list[Quad] = field(default_factory=list)  # statements about anything but the container and its members


def read_listing(url: str, body: bytes) -> Listing | None:
    """The listing when the document at `url` is an LDP container (it says `<url> ldp:contains …` or types
    itself as a container), else None. A document that cannot be read is no listing: its lifting says why."""
    if LDP.encode("ascii") not in body:
        return None  # a container listing names the LDP vocabulary: most documents are ruled out unparsed
    is_json = looks_like_json(body)
    try:
        if is_json:
            check_json_depth(body)
        quads = list(parse(body, format=RdfFormat.JSON_LD if is_json else RdfFormat.TURTLE, base_iri=url))
    except (SyntaxError, ValueError, OSError, TooDeep):
        return None
    contained: set[str] = set()
    typed = False
    about_listing: set[str] = {url}
    for quad in quads:
        if not isinstance(quad.subject, NamedNode) or quad.subject.value != url:
            continue
        if quad.predicate.value == LDP + "contains" and isinstance(quad.object, NamedNode):
            contained.add(quad.object.value)
        elif quad.predicate.value == RDF_TYPE and isinstance(quad.object, NamedNode) \
                and quad.object.value in CONTAINERS:
            typed = True
    if not contained and not typed:
        return None
    listing = Listing(url)
    prefix = url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"
    for member in sorted(contained):
        about_listing.add(member)
        document = member.split("#", 1)[0]
        if document.startswith(prefix) and document != url:
            if document not in listing.members:
                listing.members.append(document)
        else:
            listing.outside.append(member)
    listing.other = [q for q in quads if not (isinstance(q.subject, NamedNode) and q.subject.value in about_listing)]
    return listing


def _lift_listing(listing: Listing, context: DocumentContext) -> LiftResult:
    warnings = []
    if listing.outside:
        shown = ", ".join(f"<{m}>" for m in listing.outside[:MAX_SHOWN])
        more = f" and {len(listing.outside) - MAX_SHOWN} more" if len(listing.outside) > MAX_SHOWN else ""
        warnings.append(f"{context.document}: {len(listing.outside)} member(s) of this container lie outside it "
                        f"and were not followed: {shown}{more} (a container's members are under its URL)")
    return LiftResult.of(listing.other, warnings)


def documents(url: str, fetch: Callable[[str], D]) -> Iterator[D]:
    """The configured document, or every document of the configured container and the containers below it,
    breadth first (the module's docstring). Raises LiftError when containers nest deeper than MAX_DEPTH."""
    queue: deque[tuple[str, int]] = deque([(url, 0)])
    queued = {url}
    while queue:
        target, depth = queue.popleft()
        document = fetch(target)
        listing = read_listing(document.url, document.body)
        if listing is not None and depth > MAX_DEPTH:
            raise LiftError(document.url, NAME, f"containers nest more than {MAX_DEPTH} levels below {url}: the "
                                                "walk stops here (the documents read so far are kept)")
        yield document
        for member in listing.members if listing is not None else ():
            if member not in queued:
                queued.add(member)
                queue.append((member, depth + 1))


def _sniff(head: bytes) -> int:
    """JSON-LD that names the Data Food Consortium (its context, its terms): surer than plain JSON-LD's 60."""
    start = opening(head)
    return 70 if looks_like_json(start) and names_jsonld_keywords(start) and b"datafoodconsortium" in start else 0


DFC = Format(NAME, lift, graphs=True, json=True, sniff=_sniff, documents=documents)
