"""Split a feed's quads into records (DESIGN.md, "Split").

A record is a subject of a record class plus everything reachable from it through blank nodes and
through IRI nodes that are not records themselves (address, geo, opening hours…). A non-record
node shared by several records is copied into each; references to other records stay IRIs.
A blank-node record subject gets an IRI minted from the source and a stable key. A blank-node person
that another node refers to (a founder, an organizer) stays inside that record, where hub/consent.py
judges it, instead of becoming a record of its own.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    serialize,
)

from hub.iris import Minter, short_hash
from hub.namespaces import RDF, SCHEMA
from hub.vocabulary import ClassHierarchy

Node = NamedNode | BlankNode
RDF_TYPE = RDF + "type"
# Properties whose value identifies a thing across edits, in order of preference.
_STABLE_KEY_PROPERTIES = (SCHEMA + "identifier", SCHEMA + "url", SCHEMA + "sameAs")
# Kinds whose blank nodes stay inside the record that refers to them (a founder, an organizer): a
# person is a record of its own only when named by an IRI or when nothing in the document refers to it.
NESTED_KINDS = frozenset({"person"})


@dataclass
class Record:
    subject: NamedNode
    kind: str
    types: list[str]
    quads: list[Quad]  # in the default graph; the pipeline places them in the record's graph
    document: str
    graph_key: str
    content_hash: str = ""
    upstream_graphs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    payload: NamedNode | None = None  # the fetched bytes it was lifted from
    notes: list[str] = field(default_factory=list)  # how it was aligned: said in its description


@dataclass
class SplitResult:
    records: list[Record]
    orphan_subjects: int  # subjects that belong to no record: not published
    warnings: list[str]


def split_records(
    quads: Iterable[Quad],
    *,
    hierarchy: ClassHierarchy,
    minter: Minter,
    source_id: str,
    document: str,
) -> SplitResult:
    by_subject: dict[str, list[Quad]] = defaultdict(list)
    types: dict[str, list[str]] = defaultdict(list)
    upstream: dict[str, set[str]] = defaultdict(set)
    node_of: dict[str, Node] = {}
    for quad in quads:
        key = _node_id(quad.subject)
        node_of[key] = quad.subject  # type: ignore[assignment]
        by_subject[key].append(quad)
        if quad.predicate.value == RDF_TYPE and isinstance(quad.object, NamedNode):
            types[key].append(quad.object.value)
        if isinstance(quad.graph_name, NamedNode):
            upstream[key].add(quad.graph_name.value)

    referenced = {_node_id(q.object) for q in _all_quads(by_subject) if isinstance(q.object, BlankNode)}
    kinds = {subject: kind for subject, t in types.items() if (kind := hierarchy.kind_of(t)) is not None
             and not (kind in NESTED_KINDS and subject.startswith("_:") and subject in referenced)}
    warnings: list[str] = []
    # Blank-node record subjects get minted IRIs; references to them are rewritten everywhere.
    renamed: dict[str, NamedNode] = {}
    for subject, kind in kinds.items():
        node = node_of[subject]
        if isinstance(node, BlankNode):
            stable, fell_back = _stable_key(by_subject[subject], subject, by_subject)
            minted = minter.entity(kind, f"{source_id}-{short_hash(stable)}")
            renamed[subject] = minted
            if fell_back:
                warnings.append(
                    f"{document}: a {kind} without identifier, url, sameAs or name and postal code got "
                    f"the IRI {minted.value} from its content; it cannot be followed across edits"
                )

    records: list[Record] = []
    reached: set[str] = set()
    for subject, kind in kinds.items():
        subject_node = renamed.get(subject) or node_of[subject]
        assert isinstance(subject_node, NamedNode)
        record_quads: list[Quad] = []
        upstream_graphs: set[str] = set(upstream.get(subject, ()))
        stack = [subject]
        visited = {subject}
        while stack:
            current = stack.pop()
            reached.add(current)
            for quad in by_subject.get(current, ()):
                obj = quad.object
                record_quads.append(
                    Quad(_rename(quad.subject, renamed), quad.predicate, _rename(obj, renamed), DefaultGraph())
                )
                if isinstance(obj, BlankNode | NamedNode):
                    obj_id = _node_id(obj)
                    if obj_id in kinds or obj_id in visited or obj_id not in by_subject:
                        continue
                    visited.add(obj_id)
                    upstream_graphs |= upstream.get(obj_id, set())
                    stack.append(obj_id)
        record = Record(
            subject=subject_node,
            kind=kind,
            types=sorted(set(types[subject])),
            quads=_dedupe(record_quads),
            document=document,
            graph_key=minter.graph_key_for_subject(subject_node.value),
            upstream_graphs=sorted(upstream_graphs),
        )
        record.content_hash = content_hash(record.quads)
        records.append(record)
    orphans = sum(1 for subject in by_subject if subject not in reached)
    return SplitResult(records=records, orphan_subjects=orphans, warnings=warnings)


def _all_quads(by_subject: dict[str, list[Quad]]) -> Iterable[Quad]:
    for quads in by_subject.values():
        yield from quads


def content_hash(quads: Iterable[Quad]) -> str:
    """SHA-256 of the RDFC-1.0 canonical N-Quads: blank-node labels and order never count."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    lines = (serialize(dataset, format=RdfFormat.N_QUADS) or b"").splitlines(keepends=True)
    return "sha256:" + hashlib.sha256(b"".join(sorted(lines))).hexdigest()


def _node_id(node: object) -> str:
    if isinstance(node, BlankNode):
        return "_:" + node.value
    assert isinstance(node, NamedNode)
    return node.value


def _rename(node: Any, renamed: dict[str, NamedNode]) -> Any:
    if isinstance(node, BlankNode):
        return renamed.get("_:" + node.value, node)
    return node


def _dedupe(quads: list[Quad]) -> list[Quad]:
    seen: set[Quad] = set()
    unique = []
    for quad in quads:
        if quad not in seen:
            seen.add(quad)
            unique.append(quad)
    return unique


def _stable_key(own: list[Quad], subject: str, by_subject: dict[str, list[Quad]]) -> tuple[str, bool]:
    """identifier, url, sameAs, or name + postal code; else the canonical hash (and a warning)."""
    for prop in _STABLE_KEY_PROPERTIES:
        values = sorted(_plain(q.object) for q in own if q.predicate.value == prop)
        if values:
            return f"{prop}={values[0]}", False
    names = sorted(_plain(q.object) for q in own if q.predicate.value == SCHEMA + "name")
    postal = _postal_code(own, by_subject)
    if names and postal:
        return f"name={names[0]}|postalCode={postal}", False
    return content_hash([Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in own]), True


def _postal_code(own: list[Quad], by_subject: dict[str, list[Quad]]) -> str | None:
    for quad in own:
        if quad.predicate.value == SCHEMA + "address" and not isinstance(quad.object, Literal):
            for inner in by_subject.get(_node_id(quad.object), ()):
                if inner.predicate.value == SCHEMA + "postalCode":
                    return _plain(inner.object)
        if quad.predicate.value == SCHEMA + "postalCode":
            return _plain(quad.object)
    return None


def _plain(term: object) -> str:
    return getattr(term, "value", str(term))
