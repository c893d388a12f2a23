"""Validate records against the charter (SHACL, `shapes/`) in batches, one verdict per record.

pyshacl runs on an in-memory rdflib graph per batch (on a pyoxigraph store it does not finish:
DESIGN.md, "Known traps"). Each result is mapped back to the record that holds its focus node, so
one bad record never rejects its neighbours. A record no shape targets is rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode
from pyshacl import validate as shacl_validate
from rdflib.namespace import RDF as RDFNS
from rdflib.namespace import SH as SHNS

from hub.namespaces import SKOS
from hub.records import Record
from hub.sparql_constraints import SparqlConstraint, sparql_constraints, without_sparql
from hub.sparql_constraints import run as run_sparql
from hub.vocabulary import SHAPES_DIR, Vocabulary, default_vocabulary

BATCH_SIZE = 2000
NO_SHAPE_MESSAGE = {
    "fr": "aucune forme de la charte ne s'applique à {type}",
    "nl": "geen vorm van het charter is van toepassing op {type}",
    "en": "no charter shape applies to {type}",
}


@dataclass
class ValidationResult:
    shape: str
    path: str | None
    severity: str  # "Violation", "Warning" or "Info"
    message: dict[str, str]
    focus: str
    value: str | None = None  # the offending value: private, the publisher's own data
    component: str | None = None  # the SHACL constraint component, e.g. "MinCountConstraintComponent"

    def public(self) -> dict[str, object]:
        """What anyone may see: what is wrong, never the value."""
        return {"shape": self.shape, "path": self.path, "severity": self.severity, "message": self.message,
                "component": self.component}

    def private(self) -> dict[str, object]:
        """What the publisher sees of their own data: the value too."""
        return {**self.public(), "focus": self.focus, "value": self.value}


@dataclass
class Verdict:
    record: Record
    results: list[ValidationResult] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]


class Charter:
    """The shapes and the vocabulary validation sees (class hierarchy included)."""

    def __init__(self, shapes_dir: Path = SHAPES_DIR, vocabulary: Vocabulary | None = None,
                 sparql: str = "batch") -> None:
        """`sparql="batch"` runs SHACL-SPARQL constraints once per batch (hub/sparql_constraints.py);
        `"pyshacl"` leaves them to pyshacl, once per focus node: the slow reference the tests compare to."""
        if sparql not in ("batch", "pyshacl"):
            raise ValueError(f"sparql must be 'batch' or 'pyshacl', not {sparql!r}")
        self.shapes_dir = shapes_dir
        self.vocabulary = vocabulary or default_vocabulary()
        self.sparql = sparql

    @cached_property
    def shapes_graph(self) -> rdflib.Graph:
        graph = rdflib.Graph()
        for path in self.shape_files():
            graph.parse(path, format="turtle")
        return graph

    @cached_property
    def core_shapes_graph(self) -> rdflib.Graph:
        return self.shapes_graph if self.sparql == "pyshacl" else without_sparql(self.shapes_graph)

    @cached_property
    def sparql_constraints(self) -> list[SparqlConstraint]:
        return [] if self.sparql == "pyshacl" else sparql_constraints(self.shapes_graph)

    def shape_files(self) -> list[Path]:
        return sorted(self.shapes_dir.glob("*.ttl"))

    @cached_property
    def ontology_graph(self) -> rdflib.Graph:
        graph = rdflib.Graph()
        for quad in self.vocabulary.quads:
            graph.add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object)))
        return graph

    @cached_property
    def scheme_triples(self) -> list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]:
        """The SKOS schemes, mixed into every batch: pyshacl copies only RDFS/OWL axioms from the
        ontology graph, and the scheme checks (SHACL-SPARQL on skos:inScheme) need the concepts."""
        skos = rdflib.Namespace(SKOS)
        schemed = {s for s in self.ontology_graph.subjects(RDFNS.type, skos.Concept)}
        schemed |= {s for s in self.ontology_graph.subjects(RDFNS.type, skos.ConceptScheme)}
        return [t for s in schemed for t in self.ontology_graph.triples((s, None, None))]

    @cached_property
    def target_classes(self) -> frozenset[str]:
        targets = {str(o) for o in self.shapes_graph.objects(None, SHNS.targetClass)}
        # Implicit class targets: a shape that is also an rdfs:Class.
        targets |= {str(s) for s in self.shapes_graph.subjects(RDFNS.type, SHNS.NodeShape)
                    if (s, RDFNS.type, rdflib.RDFS.Class) in self.shapes_graph}
        return frozenset(targets)

    def is_targeted(self, record: Record) -> bool:
        hierarchy = self.vocabulary.hierarchy
        return any(hierarchy.superclasses(t) & self.target_classes for t in record.types)

    def validate(self, records: Sequence[Record]) -> list[Verdict]:
        verdicts = [Verdict(record) for record in records]
        targeted = []
        for verdict in verdicts:
            if self.is_targeted(verdict.record):
                targeted.append(verdict)
            else:
                shown = ", ".join(verdict.record.types) or "(untyped)"
                verdict.results.append(ValidationResult(
                    shape="no-shape", path=None, severity="Violation",
                    message={lang: text.format(type=shown) for lang, text in NO_SHAPE_MESSAGE.items()},
                    focus=verdict.record.subject.value,
                ))
        for start in range(0, len(targeted), BATCH_SIZE):
            self._validate_batch(targeted[start:start + BATCH_SIZE])
        return verdicts

    def _validate_batch(self, verdicts: list[Verdict]) -> None:
        data = rdflib.Graph()
        owners: dict[rdflib.term.Node, set[int]] = defaultdict(set)
        for index, verdict in enumerate(verdicts):
            # Blank nodes are relabelled per record, so a node copied into two records stays two nodes
            # and each result lands on the record it came from.
            for quad in verdict.record.quads:
                subject = _to_rdflib(quad.subject, index)
                data.add((subject, _to_rdflib(quad.predicate), _to_rdflib(quad.object, index)))
                owners[subject].add(index)
        for triple in self.scheme_triples:
            data.add(triple)
        _, report, _ = shacl_validate(
            data,
            shacl_graph=self.core_shapes_graph,
            ont_graph=self.ontology_graph,
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            allow_infos=True,
            advanced=True,
        )
        for constraint in self.sparql_constraints:
            for sparql_focus, value in run_sparql(constraint, data, self.vocabulary.hierarchy):
                found = ValidationResult(
                    shape=constraint.shape, path=None, severity=constraint.severity, message=dict(constraint.message),
                    focus=_from_rdflib_focus(sparql_focus), value=None if value is None else (
                        _from_rdflib_focus(value) if isinstance(value, rdflib.BNode) else str(value)),
                    component="SPARQLConstraintComponent")
                for index in owners.get(sparql_focus, set()):
                    verdicts[index].results.append(found)
        # No early return on `conforms`: with allow_warnings/allow_infos, a batch that only has warnings
        # and hints "conforms", and those results must still reach their records.
        assert isinstance(report, rdflib.Graph)
        for result in report.subjects(RDFNS.type, SHNS.ValidationResult):
            focus = report.value(result, SHNS.focusNode)
            parsed = _parse_result(report, result, self.shapes_graph)
            for index in owners.get(focus, set()) if focus is not None else set():
                verdicts[index].results.append(parsed)


def _parse_result(report: rdflib.Graph, result: rdflib.term.Node, shapes: rdflib.Graph) -> ValidationResult:
    shape = report.value(result, SHNS.sourceShape)
    path = report.value(result, SHNS.resultPath)
    severity = report.value(result, SHNS.resultSeverity)
    focus = report.value(result, SHNS.focusNode)
    value = report.value(result, SHNS.value)
    component = report.value(result, SHNS.sourceConstraintComponent)
    messages: dict[str, str] = {}
    for message in report.objects(result, SHNS.resultMessage):
        if isinstance(message, rdflib.Literal) and message.language:
            messages[message.language] = str(message)
    if shape is not None and set(messages) != {"fr", "nl", "en"}:
        # pyshacl reports the shape's own sh:message when it has one (untagged for SHACL-SPARQL
        # constraints): take the tagged ones from the shape, or from its sh:sparql constraint.
        holders = [shape, *shapes.objects(shape, SHNS.sparql)]
        for holder in holders:
            for message in shapes.objects(holder, SHNS.message):
                if isinstance(message, rdflib.Literal) and message.language:
                    messages[message.language] = str(message)
    for lang in ("fr", "nl", "en"):
        messages.setdefault(lang, messages.get("en", "constraint violated"))
    return ValidationResult(
        shape=str(shape) if isinstance(shape, rdflib.URIRef) else "(anonymous shape)",
        path=str(path) if isinstance(path, rdflib.URIRef) else None,
        severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        message={lang: messages[lang] for lang in ("fr", "nl", "en")},
        focus=_from_rdflib_focus(focus),
        value=(_from_rdflib_focus(value) if isinstance(value, rdflib.BNode) else str(value))
        if value is not None else None,
        component=str(component).rsplit("#", 1)[-1] if component is not None else None,
    )


def _from_rdflib_focus(node: object) -> str:
    if isinstance(node, rdflib.BNode):
        # Per-record labels look like r3x<label>: give back the feed-level label.
        return "_:" + str(node).split("x", 1)[-1]
    return str(node)


def _to_rdflib(term: object, record_index: int | None = None) -> rdflib.term.Node:
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(f"r{record_index}x{term.value}" if record_index is not None else term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")
