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
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pyoxigraph import BlankNode, NamedNode, Quad, QuerySolutions, RdfFormat, parse
from pyoxigraph import Literal as RdfLiteral

from hub.charter import area as service_area
from hub.charter.area import ServiceArea
from hub.charter.messages import render
from hub.charter.shacl_compiler import CompiledCheck, Compiler, UnsupportedShape
from hub.core.namespaces import HUB, RDF, SH, SKOS
from hub.core.profile import DEFAULT_PROFILE
from hub.core.records import Record, ValidationResult, Verdict
from hub.core.vocabulary import PROFILES_DIR, SHAPES_DIR, Vocabulary, default_vocabulary
from hub.store.embedded import MemoryStore

if TYPE_CHECKING:
    import rdflib

    from hub.charter.sparql_constraints import SparqlConstraint

log = logging.getLogger(__name__)

BATCH_SIZE = 5_000  # records per validation store: memory stays small, queries stay few
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
HUBSH = "https://w3id.org/mutualisons/shapes#"
CODE = HUBSH + "code"  # a rule's message code (hub/charter/messages.py): shapes/common.ttl
UNLOCATED_CODE = "area.unlocated"  # its severity is the profile's `unlocated`
SCHEMA_COUNTRY = "https://schema.org/addressCountry"
_POINT = re.compile(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*")  # the area rule's value for a point
Engine = Literal["compiled", "pyshacl"]
# A record beyond the work bound of hub/pipeline/canonical.py: rejected alone, with the limit's message.
LIMITS_SHAPE = HUB + "RecordLimits"
NO_SHAPE_MESSAGE = {
    "fr": "aucune forme de la charte ne s'applique à {type}",
    "nl": "geen vorm van het charter is van toepassing op {type}",
    "en": "no charter shape applies to {type}",
}


class Charter:
    """The shapes, the vocabulary validation sees (class hierarchy included) and the hub's service area."""

    def __init__(self, shapes_dir: Path = SHAPES_DIR, vocabulary: Vocabulary | None = None,
                 engine: Engine = "compiled", sparql: str = "batch", area: ServiceArea | None = None,
                 profiles: Sequence[str] = ()) -> None:
        """`engine="compiled"` runs the shapes compiled to SPARQL; `"pyshacl"` runs pyshacl, with
        SHACL-SPARQL constraints once per batch (`sparql="batch"`, hub/charter/sparql_constraints.py) or left
        to pyshacl once per focus node (`sparql="pyshacl"`: the pure reference the tests compare to).
        `area`: the hub's profile (hub.toml; the shipped default when None). `profiles`: the extra shapes
        of a source (`profiles` in sources.toml: shapes/profiles/NAME.ttl)."""
        if sparql not in ("batch", "pyshacl"):
            raise ValueError(f"sparql must be 'batch' or 'pyshacl', not {sparql!r}")
        self.shapes_dir = shapes_dir
        self.vocabulary = vocabulary or default_vocabulary()
        self.sparql = sparql
        self.engine: Engine = "pyshacl" if sparql == "pyshacl" else engine
        self.area = area or _default_area()
        self.profiles = tuple(profiles)
        self._siblings: dict[tuple[str, ...], Charter] = {self.profiles: self}

    def for_profiles(self, profiles: Sequence[str]) -> Charter:
        """This charter plus a source's extra shapes (the same area, vocabulary and engine); kept, so a
        source's shapes compile once per harvest."""
        key = tuple(profiles)
        if key not in self._siblings:
            sibling = Charter(self.shapes_dir, self.vocabulary, self.engine, self.sparql, self.area, key)
            sibling._siblings = self._siblings
            self._siblings[key] = sibling
        return self._siblings[key]

    def shape_files(self) -> list[Path]:
        return sorted(self.shapes_dir.glob("*.ttl")) + [PROFILES_DIR / f"{name}.ttl" for name in self.profiles]

    @cached_property
    def shape_quads(self) -> list[Quad]:
        quads: list[Quad] = []
        for path in self.shape_files():
            quads.extend(parse(path=str(path), format=RdfFormat.TURTLE))
        return _with_unlocated_policy(quads, self.area.unlocated)

    @cached_property
    def codes(self) -> dict[str, str]:
        """Shape IRI -> its message code, for the coded rules (`hubsh:code`)."""
        return {q.subject.value: q.object.value for q in self.shape_quads
                if q.predicate.value == CODE and isinstance(q.subject, NamedNode) and isinstance(q.object, RdfLiteral)}

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever the shapes, the vocabulary or the hub's profile change: records then are
        validated anew."""
        digest = hashlib.sha256()
        for path in [*self.shape_files(), *self.vocabulary.turtle_files()]:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update(b"\0area\0" + self.area.fingerprint.encode())
        return digest.hexdigest()

    @cached_property
    def target_classes(self) -> frozenset[str]:
        return frozenset(q.object.value for q in self.shape_quads
                         if q.predicate.value == SH + "targetClass" and isinstance(q.object, NamedNode))

    @cached_property
    def compiled(self) -> list[CompiledCheck] | None:
        """The shapes as SPARQL checks, or None when one uses a feature the compiler lacks."""
        try:
            return Compiler(self.shape_quads, self.vocabulary.hierarchy.subclasses,
                            [variable.value for variable in self.area.substitutions()]).compile()
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
                with service_area.active(self.area):
                    self._validate_pyshacl(batch)
        self._render_codes(targeted)
        for verdict in targeted:
            if verdict.record.per_upstream:
                verdict.results = [r for r in verdict.results if not _one_per_upstream(verdict.record, r)]
        return verdicts

    def _render_codes(self, verdicts: list[Verdict]) -> None:
        """Coded rules get their code, parameters and message from hub/charter/messages.py, whichever
        engine found them: the profile's words in the sentence, the record's values in the parameters."""
        if not self.codes:
            return
        words: dict[str, object] = {"area": self.area.name, "countries": ", ".join(self.area.area.countries)}
        for verdict in verdicts:
            for result in verdict.results:
                code = self.codes.get(result.shape)
                if code is None:
                    continue
                if code == "area.outside" and self._swapped(result.value):
                    code = "area.swapped"
                elif code == "area.postcode" and result.value in _countries(verdict.record):
                    code = "area.country"  # the rule's value is the address's country, not its postal code
                result.code = code
                result.params = {**words, **_value_params(code, result.value)}
                result.message = render(code, words)

    def _swapped(self, value: str | None) -> bool:
        """Whether an outside point (the rule's value: `POINT(lon lat)`) is in the area once swapped."""
        found = _POINT.fullmatch(value or "")
        if found is None:
            return False
        try:
            lon, lat = float(found.group(1)), float(found.group(2))
        except ValueError:
            return False
        return self.area.swapped(lon, lat)

    # -- compiled SPARQL ---------------------------------------------------------------------------

    def _validate_compiled(self, verdicts: list[Verdict], checks: list[CompiledCheck]) -> None:
        store = MemoryStore()
        store.load_ntriples("\n".join(line for v in verdicts for line in v.record.triples).encode("utf-8"))
        # SHACL-SPARQL constraints may look up the vocabulary (SKOS schemes, labels).
        store.add_quads(Quad(q.subject, q.predicate, q.object) for q in self.vocabulary.quads)
        by_subject = {v.record.subject.value: v for v in verdicts}
        functions = self.area.oxigraph_functions()
        inner = self.area.substitutions()
        failed_shapes: set[str] = set()
        for check in checks:
            if check.detail_of is not None and check.detail_of not in failed_shapes:
                continue  # details only explain a failed sh:node
            found = False
            # Only the area rules get the functions and the inner box: Oxigraph plans a query that may
            # call Python more cautiously, and every other check would pay for it.
            area_rule = "ServiceArea" in check.query
            rows = store.query(check.query, custom_functions=functions if area_rule else None,
                               substitutions=inner if area_rule and "?innerSouth" in check.query else None)
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
        """The shapes as pyshacl reads them: the same statements as `shape_quads` (the profile's included)."""
        import rdflib

        graph = rdflib.Graph()
        for quad in self.shape_quads:
            graph.add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object)))
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


_DEFAULT_AREA: ServiceArea | None = None


def _one_per_upstream(record: Record, result: ValidationResult) -> bool:
    """A maximum count passed only because several upstream graphs (another hub's records of two networks) each
    gave their value: no more values than graphs that gave them. The charter judges each upstream source's word,
    and the record keeps every source's value, as the upstream hub does."""
    if result.component != "MaxCountConstraintComponent" or result.path is None:
        return False
    key = f"<{result.focus}> <{result.path}>"
    graphs = record.per_upstream.get(key, 0)
    return graphs > 1 and sum(1 for line in record.triples if line.startswith(key + " ")) <= graphs


def _default_area() -> ServiceArea:
    """The shipped default profile's area, read once per process."""
    global _DEFAULT_AREA
    if _DEFAULT_AREA is None:
        _DEFAULT_AREA = ServiceArea.of(DEFAULT_PROFILE)
    return _DEFAULT_AREA


def _with_unlocated_policy(quads: list[Quad], unlocated: str) -> list[Quad]:
    """The profile's `unlocated` as the severity of the rule coded `area.unlocated`: warn (sh:Warning),
    reject (sh:Violation), or accept (the rule deactivated). Said in the shapes, so both engines, the
    published shapes and docs/charter.md agree."""
    shapes = {q.subject for q in quads
              if q.predicate.value == CODE and isinstance(q.object, RdfLiteral) and q.object.value == UNLOCATED_CODE}
    if not shapes:
        return quads
    kept = [q for q in quads if not (q.subject in shapes and q.predicate.value == SH + "severity")]
    for shape in shapes:
        if unlocated == "accept":
            kept.append(Quad(shape, NamedNode(SH + "deactivated"),
                             RdfLiteral("true", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))))
        severity = "Violation" if unlocated == "reject" else "Warning"
        kept.append(Quad(shape, NamedNode(SH + "severity"), NamedNode(SH + severity)))
    return kept


def _countries(record: Record) -> set[str]:
    """The values of the record's schema:addressCountry statements."""
    return {quad.object.value for quad in record.quads
            if quad.predicate.value == SCHEMA_COUNTRY and isinstance(quad.object, RdfLiteral | NamedNode)}


def _value_params(code: str, value: str | None) -> dict[str, object]:
    """The record's own value as a named parameter of a coded message (private: see ValidationResult)."""
    if value is None or value.startswith("_:"):
        return {}
    name = {"area.country": "country", "area.postcode": "postalCode", "area.outside": "location",
            "area.swapped": "location"}.get(code)
    return {name: value} if name else {}


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
