"""What a record says that linking compares, read from its statements: names, a point, postal codes and streets,
web addresses, e-mail, telephone, identifiers and the `sameAs` its feed gives.

Plain strings, as the feed said them (normalising is `entities.py`'s job, with the profile's rules), so that the
private index of them (hub/archive/links.py) stays valid when the rules change. Read from a record's N-Triples
lines during a harvest, or from a published store (one query for every record graph) when no index is at hand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.core.namespaces import RDF, SCHEMA
from hub.core.ntriples import split_line

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
_S = SCHEMA
PREDICATES = {f"<{iri}>": name for iri, name in (
    (RDF + "type", "type"), (_S + "name", "name"), (_S + "url", "url"), (_S + "email", "email"),
    (_S + "telephone", "telephone"), (_S + "identifier", "identifier"), (_S + "vatID", "vatID"),
    (_S + "taxID", "taxID"), (_S + "sameAs", "sameAs"), (OWL_SAME_AS, "sameAs"), (_S + "geo", "geo"),
    (_S + "latitude", "latitude"), (_S + "longitude", "longitude"), (_S + "address", "address"),
    (_S + "postalCode", "postalCode"), (_S + "streetAddress", "streetAddress"), (_S + "location", "location"),
    (_S + "contactPoint", "contactPoint"), (_S + "propertyID", "propertyID"), (_S + "value", "value"),
)}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass(slots=True)
class Facts:
    """One record graph's facts (the unit of the private index: a record graph changes or leaves alone)."""

    subject: str
    graph: str
    source: str  # the source's id
    names: list[tuple[str, str | None]] = field(default_factory=list)  # (name, language)
    point: tuple[float, float] | None = None  # (latitude, longitude)
    postal: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    ids: list[tuple[str, str]] = field(default_factory=list)  # (scheme or "", value); vatID/taxID as schemes
    same_as: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        return [self.subject, self.graph, self.source, [list(n) for n in self.names],
                list(self.point) if self.point else None, self.postal, self.streets, self.urls, self.emails,
                self.phones, [list(i) for i in self.ids], self.same_as]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Facts:
        return cls(raw[0], raw[1], raw[2], [(n[0], n[1]) for n in raw[3]], tuple(raw[4]) if raw[4] else None,
                   raw[5], raw[6], raw[7], raw[8], raw[9], [(i[0], i[1]) for i in raw[10]], raw[11])


def literal(token: str) -> tuple[str, str | None] | None:
    """(value, language) of an N-Triples literal token; None for an IRI or a blank node."""
    if not token.startswith('"'):
        return None
    close = token.rfind('"')
    value = token[1:close]
    if "\\" in value:
        value = _ESCAPE.sub(_unescape, value)
    language = token[close + 2:] if token[close + 1:close + 2] == "@" else None
    return value, language


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "uU" and len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)


def _iri(token: str) -> str | None:
    return token[1:-1] if token.startswith("<") else None


def _text(token: str) -> str | None:
    """A literal's value, or an IRI (a web address given as an IRI)."""
    found = literal(token)
    return found[0] if found is not None else _iri(token)


def from_statements(subject: str, graph: str, source: str, statements: Iterable[tuple[str, str, str]]) -> Facts:
    """The facts of one record: `statements` are (subject, predicate, object) N-Triples tokens, any of them (those
    of other predicates are skipped)."""
    by_node: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s, p, o in statements:
        name = PREDICATES.get(p)
        if name is not None:
            by_node[s].append((name, o))

    def values(node: str, name: str) -> list[str]:
        return [o for n, o in by_node.get(node, ()) if n == name]

    root = f"<{subject}>"
    facts = Facts(subject, graph, source)
    for token in values(root, "name"):
        found = literal(token)
        if found is not None and found[0].strip():
            facts.names.append((found[0].strip(), found[1]))
    holders = [root, *values(root, "location")]
    for holder in holders:
        for node in (holder, *values(holder, "geo")):
            lat, lon = values(node, "latitude"), values(node, "longitude")
            if lat and lon and facts.point is None:
                try:
                    facts.point = (float(_text(lat[0]) or ""), float(_text(lon[0]) or ""))
                except ValueError:
                    pass
        for address in values(holder, "address"):
            street = _text(address)
            if street is not None and not address.startswith("<"):  # an address given as text
                facts.streets.append(street)
                continue
            facts.postal += [t for t in (_text(o) for o in values(address, "postalCode")) if t]
            facts.streets += [t for t in (_text(o) for o in values(address, "streetAddress")) if t]
    contacts = [root, *values(root, "contactPoint")]
    for node in contacts:
        facts.emails += [t for t in (_text(o) for o in values(node, "email")) if t]
        facts.phones += [t for t in (_text(o) for o in values(node, "telephone")) if t]
    facts.urls = [t for t in (_text(o) for o in values(root, "url")) if t]
    for scheme in ("identifier", "vatID", "taxID"):
        for token in values(root, scheme):
            given = _text(token)
            if given is not None and not token.startswith("_:"):
                facts.ids.append(("" if scheme == "identifier" else scheme, given))
            elif token.startswith(("_:", "<")):  # a PropertyValue: its scheme and value
                property_id = next((_text(o) for o in values(token, "propertyID")), None)
                for value in values(token, "value"):
                    text = _text(value)
                    if text:
                        facts.ids.append((property_id or "", text))
    facts.same_as = sorted({iri for iri in (_iri(o) for o in values(root, "sameAs")) if iri and iri != subject})
    facts.postal = sorted(set(facts.postal))
    return facts


def from_lines(subject: str, graph: str, source: str, lines: Iterable[str]) -> Facts:
    """The facts of a record from its N-Triples lines (`S P O .`, as the split writes them)."""
    statements = []
    for line in lines:
        first = line.find(" ")
        second = line.find(" ", first + 1)
        if line[first + 1:second] in PREDICATES:
            s, p, o, _ = split_line(line)
            statements.append((s, p, o))
    return from_statements(subject, graph, source, statements)


def from_rows(rows: Iterable[dict[str, Any]], source_of: dict[str, str]) -> list[tuple[Facts, list[str]]]:
    """The facts of every record graph, with its subject's types, from the rows of `sparql/link-facts.rq` (graph,
    subject, source, s, p, o)."""
    statements: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for row in rows:
        key = (row["g"].value, row["subject"].value, source_of.get(row["source"].value, row["source"].value))
        statements[key].append((str(row["s"]), str(row["p"]), str(row["o"])))
    found = []
    for (graph, subject, source), said in sorted(statements.items()):
        root = f"<{subject}>"
        types = [o[1:-1] for s, p, o in said if s == root and p == TYPE and o.startswith("<")]
        found.append((from_statements(subject, graph, source, said), types))
    return found


TYPE = f"<{RDF}type>"

