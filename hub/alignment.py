"""Alignment of known vocabularies, so identical data is judged identically whatever its dialect.

For now: schema.org terms are stored as `https://schema.org/` (schema.org's own JSON-LD context
produces `http://schema.org/`). The charter issue adds DFC, ESSGLOBAL and vCard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from hub.namespaces import SCHEMA, SCHEMA_HTTP

# Byte strings whose presence in a document's N-Quads means some term needs aligning.
ALIGNMENT_MARKERS: tuple[bytes, ...] = (SCHEMA_HTTP.encode("ascii"),)


@dataclass
class AlignmentReport:
    rewritten_schema_terms: int = 0


def _https(node: NamedNode, report: AlignmentReport) -> NamedNode:
    if node.value.startswith(SCHEMA_HTTP):
        report.rewritten_schema_terms += 1
        return NamedNode(SCHEMA + node.value[len(SCHEMA_HTTP):])
    return node


def align(quads: Iterable[Quad]) -> tuple[list[Quad], AlignmentReport]:
    report = AlignmentReport()
    aligned: list[Quad] = []
    for quad in quads:
        subject, predicate, obj = quad.subject, quad.predicate, quad.object
        if isinstance(subject, NamedNode):
            subject = _https(subject, report)
        predicate = _https(predicate, report)
        if isinstance(obj, NamedNode):
            obj = _https(obj, report)
        elif isinstance(obj, Literal) and obj.datatype.value.startswith(SCHEMA_HTTP):
            obj = Literal(obj.value, datatype=_https(obj.datatype, report))
        aligned.append(Quad(subject, predicate, obj, quad.graph_name))
    return aligned, report
