"""Split a feed's statements into records (DESIGN.md, "Split").

A record is a subject of a record class plus everything reachable from it through blank nodes and
through IRI nodes that are not records themselves (address, geo, opening hours…). A non-record
node shared by several records is copied into each; references to other records stay IRIs.
A blank-node record subject gets an IRI minted from the source and a stable key. A blank-node person
that another node refers to (a founder, an organizer) stays inside that record, where hub/consent.py
judges it, instead of becoming a record of its own.

Records are kept as N-Triples lines (hub/ntriples.py): splitting and hashing a 100k-record feed
then costs string operations, not millions of Python term objects.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import DefaultGraph, NamedNode, Quad

from hub.iris import Minter, short_hash
from hub.namespaces import SCHEMA
from hub.ntriples import RDF_TYPE_TOKEN, canonical_hash, canonical_hash_of_tokens, split_line, to_lines, to_quads
from hub.vocabulary import ClassHierarchy

# Properties whose value identifies a thing across edits, in order of preference.
_STABLE_KEY_PROPERTIES = tuple(f"<{SCHEMA}{name}>" for name in ("identifier", "url", "sameAs"))
_NAME = f"<{SCHEMA}name>"
_ADDRESS = f"<{SCHEMA}address>"
_POSTAL_CODE = f"<{SCHEMA}postalCode>"
# Kinds whose blank nodes stay inside the record that refers to them (a founder, an organizer): a
# person is a record of its own only when named by an IRI or when nothing in the document refers to it.
NESTED_KINDS = frozenset({"person"})


@dataclass
class Record:
    subject: NamedNode
    kind: str
    types: list[str]
    triples: list[str]  # N-Triples lines "S P O ." in no graph; the pipeline places them in the record's graph
    document: str
    graph_key: str
    content_hash: str = ""
    upstream_graphs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    payload: NamedNode | None = None  # the fetched bytes it was lifted from
    notes: list[str] = field(default_factory=list)  # how it was aligned: said in its description

    @property
    def quads(self) -> list[Quad]:
        """The record as pyoxigraph quads in the default graph (parsed on demand: the slow path)."""
        return to_quads(self.triples)

    @quads.setter
    def quads(self, quads: Iterable[Quad]) -> None:
        self.triples = to_lines(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in quads)
        self.content_hash = canonical_hash(self.triples)



@dataclass
class SplitResult:
    records: list[Record]
    orphan_subjects: int  # subjects that belong to no record: not published
    warnings: list[str]
    # What the feed says about its own named graphs (a hub harvesting another hub: the upstream
    # provenance of each graph), kept so the chain of provenance is not broken.
    upstream_descriptions: list[str] = field(default_factory=list)


def split_records(
    quads: Iterable[Quad] | None = None,
    *,
    lines: list[str] | None = None,
    hierarchy: ClassHierarchy,
    minter: Minter,
    source_id: str,
    document: str,
    document_of: dict[str, str] | None = None,
) -> SplitResult:
    """Records from quads, or (faster) from N-Quads lines as pyoxigraph serialises them. `document_of`
    names the document of each subject when several documents are split together."""
    if lines is None:
        lines = to_lines(quads or [])
    by_subject: dict[str, list[tuple[str, str]]] = defaultdict(list)
    types: dict[str, list[str]] = defaultdict(list)
    upstream: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        subject, predicate, obj, graph = split_line(line)
        # A feed has a few dozen predicates and millions of statements: one string each.
        predicate = sys.intern(predicate)
        by_subject[subject].append((predicate, obj))
        if predicate == RDF_TYPE_TOKEN and obj[0] == "<":
            types[subject].append(obj[1:-1])
        if graph is not None and graph[0] == "<":
            upstream[subject].add(graph[1:-1])

    referenced = {obj for statements in by_subject.values() for _, obj in statements if obj.startswith("_:")}
    kinds = {subject: kind for subject, t in types.items() if (kind := hierarchy.kind_of(t)) is not None
             and not (kind in NESTED_KINDS and subject.startswith("_:") and subject in referenced)}
    warnings: list[str] = []
    # Blank-node record subjects get minted IRIs; references to them are rewritten everywhere.
    renamed: dict[str, str] = {}
    for subject, kind in kinds.items():
        if subject.startswith("_:"):
            stable, fell_back = _stable_key(subject, by_subject, kinds)
            minted = minter.entity(kind, f"{source_id}-{short_hash(stable)}")
            renamed[subject] = f"<{minted.value}>"
            if fell_back:
                warnings.append(
                    f"{document}: a {kind} without identifier, url, sameAs or name and postal code got "
                    f"the IRI {minted.value} from its content; it cannot be followed across edits"
                )

    records: list[Record] = []
    reached: set[str] = set()
    for subject, kind in kinds.items():
        statements, nodes = _closure(subject, by_subject, kinds, renamed)
        reached |= nodes
        upstream_graphs: set[str] = set()
        for node in nodes:
            upstream_graphs |= upstream.get(node, set())
        subject_token = renamed.get(subject, subject)
        record = Record(
            subject=NamedNode(subject_token[1:-1]),
            kind=kind,
            types=sorted(set(types[subject])),
            triples=[f"{s} {p} {o} ." for s, p, o in statements],
            document=(document_of or {}).get(subject, document),
            graph_key=minter.graph_key_for_subject(subject_token[1:-1]),
            upstream_graphs=sorted(upstream_graphs),
        )
        record.content_hash = canonical_hash_of_tokens(statements)
        records.append(record)
    graph_names = {f"<{name}>" for names in upstream.values() for name in names}
    descriptions = [f"{subject} {predicate} {obj} ." for subject in graph_names - reached
                    for predicate, obj in by_subject.get(subject, ())]
    orphans = sum(1 for subject in by_subject if subject not in reached and subject not in graph_names)
    return SplitResult(records=records, orphan_subjects=orphans, warnings=warnings,
                       upstream_descriptions=descriptions)


def _closure(root: str, by_subject: dict[str, list[tuple[str, str]]], kinds: dict[str, str],
             renamed: dict[str, str]) -> tuple[list[tuple[str, str, str]], set[str]]:
    """The record's statements: the root's and those of the non-record nodes it reaches."""
    statements: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    visited = {root}
    stack = [root]
    while stack:
        current = stack.pop()
        current_token = renamed.get(current, current)
        for predicate, obj in by_subject.get(current, ()):
            statement = (current_token, predicate, renamed.get(obj, obj))
            if statement not in seen:
                seen.add(statement)
                statements.append(statement)
            if obj[0] in "<_" and obj not in kinds and obj not in visited and obj in by_subject:
                visited.add(obj)
                stack.append(obj)
    return statements, visited


def _stable_key(subject: str, by_subject: dict[str, list[tuple[str, str]]], kinds: dict[str, str]) -> tuple[str, bool]:
    """identifier, url, sameAs, or name + postal code; else the canonical hash (and a warning)."""
    own = by_subject[subject]
    for prop in _STABLE_KEY_PROPERTIES:
        values = sorted(obj for predicate, obj in own if predicate == prop)
        if values:
            return f"{prop}={values[0]}", False
    names = sorted(obj for predicate, obj in own if predicate == _NAME)
    postal = _postal_code(own, by_subject)
    if names and postal:
        return f"name={names[0]}|postalCode={postal}", False
    statements, _ = _closure(subject, by_subject, kinds, {})
    return canonical_hash_of_tokens(statements), True


def _postal_code(own: list[tuple[str, str]], by_subject: dict[str, list[tuple[str, str]]]) -> str | None:
    for predicate, obj in own:
        if predicate == _POSTAL_CODE:
            return obj
        if predicate == _ADDRESS and obj[0] in "<_":
            for inner_predicate, inner_obj in by_subject.get(obj, ()):
                if inner_predicate == _POSTAL_CODE:
                    return inner_obj
    return None
