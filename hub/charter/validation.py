"""Validate records against the charter (SHACL, `shapes/`) in batches, one verdict per record.

Two engines give the same verdicts. The default compiles the shapes to SPARQL (hub/charter/shacl_compiler.py)
and runs them with Oxigraph over an in-memory store of the batch (`MemoryStore`, hub/store/embedded.py): fast
enough for 100k-record feeds.
pyshacl on an rdflib graph per batch is the reference (DESIGN.md, "Known traps": on a pyoxigraph
store it does not finish), used by the tests and whenever a shape needs a feature the compiler does
not translate. Each result is mapped back to the record it belongs to, so one bad record never
rejects its neighbours; a record no shape targets is rejected.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pyoxigraph import BlankNode, NamedNode, Quad, QuerySolutions, RdfFormat, parse
from pyoxigraph import Literal as RdfLiteral

from hub.charter.shacl_compiler import CompiledCheck, Compiler, UnsupportedShape
from hub.core.namespaces import HUB, RDF, SH, SKOS
from hub.core.records import Record, ValidationResult, Verdict
from hub.core.vocabulary import SHAPES_DIR, Vocabulary, default_vocabulary
from hub.store.embedded import MemoryStore

if TYPE_CHECKING:
    import rdflib

    from hub.charter.sparql_constraints import SparqlConstraint

log = logging.getLogger(__name__)

BATCH_SIZE = 5_000  # records per validation store: memory stays small, queries stay few
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
Engine = Literal["compiled", "pyshacl"]
# A record beyond the work bound of hub/pipeline/canonical.py: rejected alone, with the limit's message.
LIMITS_SHAPE = HUB + "RecordLimits"
NO_SHAPE_MESSAGE = {
    "fr": "aucune forme de la charte ne s'applique à {type}",
    "nl": "geen vorm van het charter is van toepassing op {type}",
    "en": "no charter shape applies to {type}",
}


class Charter:
    """The shapes and the vocabulary validation sees (class hierarchy included)."""

    def __init__(self, shapes_dir: Path = SHAPES_DIR, vocabulary: Vocabulary | None = None,
                 engine: Engine = "compiled", sparql: str = "batch") -> None:
        """`engine="compiled"` runs the shapes compiled to SPARQL; `"pyshacl"` runs pyshacl, with
        SHACL-SPARQL constraints once per batch (`sparql="batch"`, hub/charter/sparql_constraints.py) or left
        to pyshacl once per focus node (`sparql="pyshacl"`: the pure reference the tests compare to)."""
        if sparql not in ("batch", "pyshacl"):
            raise ValueError(f"sparql must be 'batch' or 'pyshacl', not {sparql!r}")
        self.shapes_dir = shapes_dir
        self.vocabulary = vocabulary or default_vocabulary()
        self.sparql = sparql
        self.engine: Engine = "pyshacl" if sparql == "pyshacl" else engine

    def shape_files(self) -> list[Path]:
        return sorted(self.shapes_dir.glob("*.ttl"))

    @cached_property
    def shape_quads(self) -> list[Quad]:
        quads: list[Quad] = []
        for path in self.shape_files():
            quads.extend(parse(path=str(path), format=RdfFormat.TURTLE))
        return quads

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever the shapes or the vocabulary change: records then are validated anew."""
        digest = hashlib.sha256()
        for path in [*self.shape_files(), *self.vocabulary.turtle_files()]:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    @cached_property
    def target_classes(self) -> frozenset[str]:
        return frozenset(q.object.value for q in self.shape_quads
                         if q.predicate.value == SH + "targetClass" and isinstance(q.object, NamedNode))

    @cached_property
    def compiled(self) -> list[CompiledCheck] | None:
        """The shapes as SPARQL checks, or None when one uses a feature the compiler lacks."""
        try:
            return Compiler(self.shape_quads, self.vocabulary.hierarchy.subclasses).compile()
        except UnsupportedShape as error:
            self.fallback_reason = str(error)
            log.warning("charter: %s; validating with pyshacl (slower)", error)
            return None

    def prepare(self) -> None:
        """Compiles the charter now, in the calling thread (validation may then run in another)."""
        _ = self.target_classes
        _ = self.compiled if self.engine == "compiled" else self.shapes_graph

    def is_targeted(self, record: Record) -> bool:
        hierarchy = self.vocabulary.hierarchy
        return any(hierarchy.superclasses(t) & self.target_classes for t in record.types)

    def validate(self, records: Sequence[Record]) -> list[Verdict]:
        verdicts = [Verdict(record) for record in records]
        targeted = []
        for verdict in verdicts:
            if verdict.record.refused:
                verdict.results.append(ValidationResult(
                    shape=LIMITS_SHAPE, path=None, severity="Violation", message=dict(verdict.record.refused),
                    focus=verdict.record.subject.value))
            elif self.is_targeted(verdict.record):
                targeted.append(verdict)
            else:
                shown = ", ".join(verdict.record.types) or "(untyped)"
                verdict.results.append(ValidationResult(
                    shape="no-shape", path=None, severity="Violation",
                    message={lang: text.format(type=shown) for lang, text in NO_SHAPE_MESSAGE.items()},
                    focus=verdict.record.subject.value,
                ))
        compiled = self.compiled if self.engine == "compiled" else None
        for start in range(0, len(targeted), BATCH_SIZE):
            batch = targeted[start:start + BATCH_SIZE]
            if compiled is not None:
                self._validate_compiled(batch, compiled)
            else:
                self._validate_pyshacl(batch)
        return verdicts

    # -- compiled SPARQL ---------------------------------------------------------------------------

    def _validate_compiled(self, verdicts: list[Verdict], checks: list[CompiledCheck]) -> None:
        store = MemoryStore()
        store.load_ntriples("\n".join(line for v in verdicts for line in v.record.triples).encode("utf-8"))
        # SHACL-SPARQL constraints may look up the vocabulary (SKOS schemes, labels).
        store.add_quads(Quad(q.subject, q.predicate, q.object) for q in self.vocabulary.quads)
        by_subject = {v.record.subject.value: v for v in verdicts}
        failed_shapes: set[str] = set()
        for check in checks:
            if check.detail_of is not None and check.detail_of not in failed_shapes:
                continue  # details only explain a failed sh:node
            found = False
            rows = store.query(check.query)
            assert isinstance(rows, QuerySolutions)
            for row in rows:
                root = row["root"]
                verdict = by_subject.get(root.value) if isinstance(root, NamedNode) else None
                if verdict is None:
                    continue
                found = True
                verdict.results.append(ValidationResult(
                    shape=check.shape, path=check.path, severity=check.severity, message=dict(check.message),
                    focus=_shown(row["focusNode"]), value=_shown(row["value"]) if row["value"] is not None else None,
                    component=check.component,
                ))
            if found:
                failed_shapes.add(check.shape)

    # -- pyshacl, the reference --------------------------------------------------------------------

    @cached_property
    def shapes_graph(self) -> rdflib.Graph:
        import rdflib

        graph = rdflib.Graph()
        for path in self.shape_files():
            graph.parse(path, format="turtle")
        return graph

    @cached_property
    def core_shapes_graph(self) -> rdflib.Graph:
        from hub.charter.sparql_constraints import without_sparql

        return self.shapes_graph if self.sparql == "pyshacl" else without_sparql(self.shapes_graph)

    @cached_property
    def sparql_constraints(self) -> list[SparqlConstraint]:
        from hub.charter.sparql_constraints import sparql_constraints

        return [] if self.sparql == "pyshacl" else sparql_constraints(self.shapes_graph)

    @cached_property
    def scheme_triples(self) -> list[Any]:
        """The SKOS schemes, mixed into every pyshacl batch: pyshacl copies only RDFS/OWL axioms from
        the ontology graph, and the scheme checks (SHACL-SPARQL on skos:inScheme) need the concepts."""
        import rdflib

        skos = rdflib.Namespace(SKOS)
        rdf_type = rdflib.URIRef(RDF + "type")
        schemed = set(self.ontology_graph.subjects(rdf_type, skos.Concept))
        schemed |= set(self.ontology_graph.subjects(rdf_type, skos.ConceptScheme))
        return [t for s in schemed for t in self.ontology_graph.triples((s, None, None))]

    @cached_property
    def ontology_graph(self) -> rdflib.Graph:
        import rdflib

        graph = rdflib.Graph()
        for quad in self.vocabulary.quads:
            graph.add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object)))
        return graph

    def _validate_pyshacl(self, verdicts: list[Verdict]) -> None:
        import rdflib
        from pyshacl import validate as shacl_validate

        data = rdflib.Graph()
        owners: dict[Any, set[int]] = defaultdict(set)
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
            data, shacl_graph=self.core_shapes_graph, ont_graph=self.ontology_graph, inference="none",
            abort_on_first=False, allow_warnings=True, allow_infos=True, advanced=True,
        )
        from hub.charter.sparql_constraints import run as run_sparql

        for constraint in self.sparql_constraints:
            for sparql_focus, value in run_sparql(constraint, data, self.vocabulary.hierarchy):
                found = ValidationResult(
                    shape=constraint.shape, path=None, severity=constraint.severity, message=dict(constraint.message),
                    focus=_from_rdflib_node(sparql_focus),
                    value=None if value is None else _from_rdflib_node(value),
                    component="SPARQLConstraintComponent")
                for index in owners.get(sparql_focus, set()):
                    verdicts[index].results.append(found)
        # No early return on `conforms`: with allow_warnings/allow_infos, a batch that only has warnings
        # and hints "conforms", and those results must still reach their records.
        sh = rdflib.Namespace(SH)
        rdf_type = rdflib.URIRef(RDF + "type")
        for result in report.subjects(rdf_type, sh.ValidationResult):
            focus = report.value(result, sh.focusNode)
            parsed = _parse_result(report, result, self.shapes_graph)
            for index in owners.get(focus, set()) if focus is not None else set():
                verdicts[index].results.append(parsed)


def _shown(term: object) -> str:
    if isinstance(term, BlankNode):
        return "_:" + term.value
    if isinstance(term, NamedNode | RdfLiteral):
        return term.value
    return str(term)


def _parse_result(report: Any, result: Any, shapes: Any) -> ValidationResult:
    import rdflib

    sh = rdflib.Namespace(SH)
    shape = report.value(result, sh.sourceShape)
    path = report.value(result, sh.resultPath)
    severity = report.value(result, sh.resultSeverity)
    focus = report.value(result, sh.focusNode)
    value = report.value(result, sh.value)
    component = report.value(result, sh.sourceConstraintComponent)
    messages: dict[str, str] = {}
    for message in report.objects(result, sh.resultMessage):
        if isinstance(message, rdflib.Literal) and message.language:
            messages[message.language] = str(message)
    if shape is not None and set(messages) != {"fr", "nl", "en"}:
        # pyshacl reports the shape's own sh:message when it has one (untagged for SHACL-SPARQL
        # constraints): take the tagged ones from the shape, or from its sh:sparql constraint.
        for holder in [shape, *shapes.objects(shape, sh.sparql)]:
            for message in shapes.objects(holder, sh.message):
                if isinstance(message, rdflib.Literal) and message.language:
                    messages[message.language] = str(message)
    for lang in ("fr", "nl", "en"):
        messages.setdefault(lang, messages.get("en", "constraint violated"))
    return ValidationResult(
        shape=str(shape) if isinstance(shape, rdflib.URIRef) else "(anonymous shape)",
        path=str(path) if isinstance(path, rdflib.URIRef) else None,
        severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        message={lang: messages[lang] for lang in ("fr", "nl", "en")},
        focus=_from_rdflib_node(focus),
        value=_from_rdflib_node(value) if value is not None else None,
        component=str(component).rsplit("#", 1)[-1] if component is not None else None,
    )


def _from_rdflib_node(node: object) -> str:
    import rdflib

    if isinstance(node, rdflib.BNode):
        # Per-record labels look like r3x<label>: give back the feed-level label.
        return "_:" + str(node).split("x", 1)[-1]
    return str(node)


def _to_rdflib(term: object, record_index: int | None = None) -> Any:
    import rdflib

    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(f"r{record_index}x{term.value}" if record_index is not None else term.value)
    if isinstance(term, RdfLiteral):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return rdflib.Literal(term.value)  # rdflib tells "x" and "x"^^xsd:string apart; RDF 1.1 does not
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")
