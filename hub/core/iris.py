"""The one place that mints the IRIs of instance data under the configured base IRI.

Every IRI minted here dereferences on the hub (DESIGN.md, "Names and IRIs").
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from pyoxigraph import NamedNode

_SAFE_KEY = re.compile(r"^[A-Za-z0-9._~-]+$")


class Minter:
    """Mints `{base}source/{id}`, `{base}run/{source}/{ts}`, `{base}fetch/{source}/{ts}/{key}`,
    `{base}graph/{source}/{key}`, `{base}link/{key}`, …"""

    def __init__(self, base: str) -> None:
        if not base.endswith("/"):
            base += "/"
        self.base = base

    def source(self, source_id: str) -> NamedNode:
        return NamedNode(f"{self.base}source/{source_id}")

    def run(self, source_id: str, timestamp: str) -> NamedNode:
        return NamedNode(f"{self.base}run/{source_id}/{timestamp}")

    def graph(self, source_id: str, key: str) -> NamedNode:
        return NamedNode(f"{self.base}graph/{source_id}/{_segment(key)}")

    def version(self, run: NamedNode, graph: NamedNode) -> NamedNode:
        """The version of a record graph a run wrote: the run's IRI with the graph's path as fragment, so
        it dereferences to the run that made it."""
        return NamedNode(f"{run.value}#{graph.value.removeprefix(self.base)}")

    def meta_graph(self) -> NamedNode:
        return NamedNode(f"{self.base}graph/meta")

    def sources_graph(self) -> NamedNode:
        return NamedNode(f"{self.base}graph/sources")

    def hub_graph(self, name: str) -> NamedNode:
        """Graphs the hub writes itself (vocabulary, shapes, …)."""
        return NamedNode(f"{self.base}graph/{_segment(name)}")

    def payload(self, sha256_hex: str) -> NamedNode:
        return NamedNode(f"{self.base}payload/{sha256_hex}")

    def fetch(self, source_id: str, timestamp: str, document: str) -> NamedNode:
        """One document as one run of a source fetched it (its URL, time, bytes and licence then)."""
        return NamedNode(f"{self.base}fetch/{source_id}/{timestamp}/{short_hash(document_iri(document))}")

    def pushed_document(self, source_id: str, name: str) -> NamedNode:
        """A document its network pushed to the source (hub/archive/pushed.py): the API path it was pushed to,
        which describes it (its bytes go to the source's token only)."""
        return NamedNode(f"{self.pushed_prefix(source_id)}{_segment(name)}")

    def pushed_prefix(self, source_id: str) -> str:
        return f"{self.base}api/sources/{source_id}/documents/"

    def migration(self, timestamp: str) -> NamedNode:
        """A migration of the data folder's provenance to the hub's current model (docs/provenance.md)."""
        return NamedNode(f"{self.base}migration/{timestamp}")

    def links_graph(self) -> NamedNode:
        """The graph the hub's linker computes: `owl:sameAs` between IRIs of one alternative (docs/provenance.md)."""
        return self.hub_graph("links")

    def link(self, first: str, second: str) -> NamedNode:
        """The link resource of a pair of IRIs (its rule, score, evidence, status, decision), whichever way round."""
        return NamedNode(f"{self.base}link/{link_key(first, second)}")

    def entity(self, kind: str, key: str) -> NamedNode:
        return NamedNode(f"{self.base}id/{_segment(kind)}/{_segment(key)}")

    def hub(self) -> NamedNode:
        """The hub itself, as an agent in provenance."""
        return NamedNode(self.base)

    def graph_key_for_subject(self, subject_iri: str) -> str:
        """A stable, short key for the graph of a record whose subject is an IRI."""
        return short_hash(subject_iri)


# What an IRI may not hold outside its host: controls, space, <>"{}|\^` and the brackets [ ] (RFC 3987),
# and a % that does not start an escape. Kept as they are: letters of any script, and valid escapes.
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\[\]\x7f-\x9f]|%(?![0-9A-Fa-f]{2})')
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def document_iri(url: str) -> str:
    """A feed's URL as an IRI the store accepts: `https://x.example/feed?page[size]=10` becomes
    `…?page%5Bsize%5D=10`. Servers read both the same; the URL itself is fetched as configured.
    Idempotent, and a URL that already is an IRI comes back unchanged (so its published IRIs stay)."""
    authority = _AUTHORITY.match(url)
    head = authority.group(0) if authority else ""  # an IPv6 host keeps its brackets
    rest = _NOT_IRI.sub(lambda match: quote(match.group(0), safe=""), url[len(head):])
    before, hash_, fragment = rest.partition("#")
    iri = head + before + hash_ + fragment.replace("#", "%23")  # one fragment: a second # is text
    try:
        NamedNode(iri)
    except ValueError:  # an authority no IRI can hold (a space in a host name…): every odd character escaped
        iri = quote(url, safe=":/?&=@!$'()*+,;~%")
    return iri


def link_key(first: str, second: str) -> str:
    """The key of a pair of IRIs, the same whichever comes first: 20 hex digits of the SHA-256 of both, sorted."""
    return short_hash(" ".join(sorted((first, second))))


def is_link_key(value: str) -> bool:
    """Whether a text could be a key `link_key` made, e.g. a path segment of the API."""
    return re.fullmatch(r"[0-9a-f]{20}", value) is not None


def short_hash(text: str, length: int = 20) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _segment(value: str) -> str:
    return value if _SAFE_KEY.match(value) else quote(value, safe="")


_RUN_TIMESTAMP = re.compile(r"[0-9]{8}T[0-9]{6,12}Z")


def is_run_timestamp(value: str) -> bool:
    """Whether a text could be a segment `run_timestamp` made, e.g. a path segment of the API."""
    return _RUN_TIMESTAMP.fullmatch(value) is not None


def run_timestamp(iso_time: str) -> str:
    """`2026-11-29T04:50:51.123456+00:00` -> `20261129T045051123456Z`: a path segment that sorts."""
    digits = re.sub(r"[^0-9T]", "", iso_time.split("+")[0].replace("Z", ""))
    return digits + "Z"
