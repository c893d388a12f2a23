"""Compile the charter's SHACL shapes to SPARQL queries that Oxigraph runs over a batch of records.

pyshacl checked ~4k triples/s here; one SPARQL query per constraint over a whole batch runs at
Oxigraph's speed. pyshacl stays the reference: tests compare both engines' verdicts, and a shape
that uses a feature outside the supported subset makes the charter fall back to pyshacl.

Supported: sh:targetClass (through the class hierarchy); property shapes whose sh:path is an IRI,
sh:inversePath, a sequence, sh:alternativePath or sh:zeroOrMore/oneOrMore/zeroOrOnePath; sh:minCount,
sh:maxCount, sh:datatype, sh:nodeKind, sh:pattern (+sh:flags), sh:minInclusive/maxInclusive/
minExclusive/maxExclusive, sh:minLength/maxLength, sh:in, sh:hasValue, sh:languageIn, sh:uniqueLang,
sh:node, sh:or (of shapes with value constraints), sh:severity, sh:message, sh:deactivated, and
SHACL-SPARQL constraints (sh:sparql with sh:select and sh:prefixes) on node shapes.

Every query returns the violations only: `?root` (the record subject the focus belongs to), `?this`
(the focus node) and `?value`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from hub.core.namespaces import RDF, SH, XSD
from hub.sparql.guard import tokenize

Term = NamedNode | BlankNode | Literal
_CASTS = {XSD + name for name in ("integer", "decimal", "double", "float", "boolean", "dateTime", "date",
                                   "time", "duration", "dayTimeDuration", "yearMonthDuration")}
_KNOWN = {SH + name for name in (
    "targetClass", "property", "path", "minCount", "maxCount", "datatype", "nodeKind", "pattern", "flags",
    "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength", "in",
    "hasValue", "languageIn", "uniqueLang", "node", "or", "severity", "message", "name", "description",
    "deactivated", "sparql", "order", "group", "defaultValue",
)} | {RDF + "type", "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2000/01/rdf-schema#comment"}


class UnsupportedShape(Exception):
    """A shape uses a SHACL feature the compiler does not translate; the charter falls back to pyshacl."""


@dataclass
class CompiledCheck:
    shape: str  # the shape reported as sh:sourceShape
    component: str  # e.g. "MinCountConstraintComponent"
    path: str | None
    severity: str
    message: dict[str, str]
    query: str
    detail_of: str | None = None  # the outer shape when this check explains a failed sh:node
    local: str = ""  # the constraint's pattern without the focus selection, for nesting in sh:node


@dataclass
class _Shapes:
    """The shapes graph as subject -> predicate -> objects, read with pyoxigraph terms."""

    edges: dict[Term, dict[str, list[Term]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    @staticmethod
    def of(quads: Iterable[Quad]) -> _Shapes:
        shapes = _Shapes()
        for quad in quads:
            if isinstance(quad.subject, NamedNode | BlankNode) and not isinstance(quad.object, Triple):
                shapes.edges[quad.subject][quad.predicate.value].append(quad.object)
        return shapes

    def values(self, node: Term, predicate: str) -> list[Term]:
        return self.edges.get(node, {}).get(predicate, [])

    def value(self, node: Term, predicate: str) -> Term | None:
        found = self.values(node, predicate)
        return found[0] if found else None

    def rdf_list(self, head: Term) -> list[Term]:
        items: list[Term] = []
        while not (isinstance(head, NamedNode) and head.value == RDF + "nil"):
            first = self.value(head, RDF + "first")
            rest = self.value(head, RDF + "rest")
            if first is None or rest is None:
                raise UnsupportedShape("malformed RDF list in the shapes")
            items.append(first)
            head = rest
        return items


class Compiler:
    def __init__(self, shape_quads: Iterable[Quad], subclasses_of: Any, parameters: Iterable[str] = ()) -> None:
        """`subclasses_of(class_iri)` gives the class and all its subclasses (the hierarchy). `parameters`:
        variables of SHACL-SPARQL constraints the caller binds with `Store.query(substitutions=…)`; they are
        projected where they occur, since Oxigraph substitutes projected variables only."""
        self.shapes = _Shapes.of(shape_quads)
        self.subclasses_of = subclasses_of
        self.parameters = tuple(parameters)
        self._fresh = count()

    def compile(self) -> list[CompiledCheck]:
        checks: list[CompiledCheck] = []
        for node, edges in list(self.shapes.edges.items()):
            targets = edges.get(SH + "targetClass", [])
            if not targets or self._deactivated(node):
                continue
            classes: set[str] = set()
            for target in targets:
                if not isinstance(target, NamedNode):
                    raise UnsupportedShape("sh:targetClass must be an IRI")
                classes |= set(self.subclasses_of(target.value))
            values = " ".join(f"<{c}>" for c in sorted(classes))
            focus = f"VALUES ?_t {{ {values} }} ?this a ?_t . BIND(?this AS ?root)"
            checks += self._node_shape(node, focus, "?this", outer=None)
        return checks

    # -- shapes ---------------------------------------------------------------------------------

    def _node_shape(self, shape: Term, focus: str, this: str, outer: str | None) -> list[CompiledCheck]:
        self._check_known(shape)
        checks: list[CompiledCheck] = []
        checks += self._value_checks(shape, focus, this, None, outer)
        for property_shape in self.shapes.values(shape, SH + "property"):
            if self._deactivated(property_shape):
                continue
            checks += self._property_shape(property_shape, focus, this, outer)
        for constraint in self.shapes.values(shape, SH + "sparql"):
            if outer is not None:
                raise UnsupportedShape("sh:sparql is supported on targeted node shapes only")
            checks.append(self._sparql_check(shape, constraint, focus))
        return checks

    def _property_shape(self, shape: Term, focus: str, this: str, outer: str | None) -> list[CompiledCheck]:
        self._check_known(shape)
        if self.shapes.values(shape, SH + "sparql"):
            raise UnsupportedShape("sh:sparql on property shapes is not compiled")
        path_node = self.shapes.value(shape, SH + "path")
        if path_node is None:
            raise UnsupportedShape("a property shape without sh:path")
        path = self._path(path_node)
        path_iri = path_node.value if isinstance(path_node, NamedNode) else None
        checks: list[CompiledCheck] = []

        def add(component: str, local: str, value: str | None) -> None:
            checks.append(self._check(shape, component, path_iri, focus, this, local, value, outer))

        min_count = self._int(shape, "minCount")
        if min_count:
            values = [self._var("m") for _ in range(min_count)]
            add("MinCountConstraintComponent",
                f"FILTER NOT EXISTS {{ {self._distinct_values(this, path, values)} }}", None)
        max_count = self._int(shape, "maxCount")
        if max_count is not None:
            values = [self._var("x") for _ in range(max_count + 1)]
            add("MaxCountConstraintComponent", self._distinct_values(this, path, values), None)
        for required in self.shapes.values(shape, SH + "hasValue"):
            add("HasValueConstraintComponent", f"FILTER NOT EXISTS {{ {this} {path} {_sparql_term(required)} }}",
                None)
        if self._bool(shape, "uniqueLang"):
            value, other = self._var("u"), self._var("w")
            add("UniqueLangConstraintComponent", f"{this} {path} {value}, {other} FILTER(!sameTerm({value}, {other})"
                f" && isLiteral({value}) && lang({value}) != \"\" && lang({value}) = lang({other}))", value)
        checks += self._value_checks(shape, focus, this, path, outer, path_iri)
        for nested in self.shapes.values(shape, SH + "node"):
            checks += self._nested(shape, nested, focus, this, path, path_iri, outer)
        return checks

    def _distinct_values(self, this: str, path: str, values: list[str]) -> str:
        """`this` has these values through `path`, pairwise different terms (counting without aggregates,
        so the pattern also nests inside FILTER EXISTS)."""
        reach = " ".join(f"{this} {path} {value} ." for value in values)
        different = [f"!sameTerm({a}, {b})" for i, a in enumerate(values) for b in values[i + 1:]]
        return reach + (f" FILTER({' && '.join(different)})" if different else "")

    def _nested(self, shape: Term, nested: Term, focus: str, this: str, path: str, path_iri: str | None,
                outer: str | None) -> list[CompiledCheck]:
        """sh:node: the outer result, plus the nested shape's own results as its details."""
        value = self._var("n")
        inner_focus = f"{focus} {this} {path} {value} ."
        details = self._node_shape(nested, inner_focus, value, outer=_name(shape))
        if not details:
            return []
        union = " UNION ".join(f"{{ {detail.local} }}" for detail in details)
        outer_check = self._check(shape, "NodeConstraintComponent", path_iri, focus, this,
                                  f"{this} {path} {value} . FILTER EXISTS {{ {union} }}", value, outer)
        for detail in details:
            detail.detail_of = detail.detail_of or _name(shape)
        return [outer_check, *details]

    def _value_checks(self, shape: Term, focus: str, this: str, path: str | None, outer: str | None,
                      path_iri: str | None = None) -> list[CompiledCheck]:
        """Constraints on each value node (the focus itself for a node shape)."""
        checks = []
        value = self._var("v") if path else this
        reach = f"{this} {path} {value} ." if path else ""
        conditions = list(self._conditions(shape, value))
        for alternatives in self.shapes.values(shape, SH + "or"):
            options = []
            for option in self.shapes.rdf_list(alternatives):
                self._check_known(option)
                if self.shapes.values(option, SH + "property") or self.shapes.values(option, SH + "node"):
                    raise UnsupportedShape("sh:or alternatives may only hold value constraints")
                option_conditions = [expr for _, expr in self._conditions(option, value)]
                options.append("(" + (" && ".join(option_conditions) or "true") + ")")
            conditions.append(("OrConstraintComponent", " || ".join(options)))
        for component, expression in conditions:
            checks.append(self._check(shape, component, path_iri, focus, this,
                                      f"{reach} FILTER(!({expression}))", value, outer))
        return checks

    def _conditions(self, shape: Term, v: str) -> list[tuple[str, str]]:
        """(component, SPARQL expression true when the value node conforms) for value-level constraints."""
        found: list[tuple[str, str]] = []
        for datatype in self.shapes.values(shape, SH + "datatype"):
            iri = datatype.value
            expression = f"isLiteral({v}) && datatype({v}) = <{iri}>"
            if iri == RDF + "langString":
                expression = f"isLiteral({v}) && lang({v}) != \"\""
            elif iri in _CASTS:
                expression += f" && COALESCE(IF(<{iri}>(STR({v})) = <{iri}>(STR({v})), true, true), false)"
            found.append(("DatatypeConstraintComponent", expression))
        kinds = {
            SH + "IRI": f"isIRI({v})", SH + "BlankNode": f"isBlank({v})", SH + "Literal": f"isLiteral({v})",
            SH + "BlankNodeOrIRI": f"!isLiteral({v})", SH + "BlankNodeOrLiteral": f"!isIRI({v})",
            SH + "IRIOrLiteral": f"!isBlank({v})",
        }
        for kind in self.shapes.values(shape, SH + "nodeKind"):
            if kind.value not in kinds:
                raise UnsupportedShape(f"unknown sh:nodeKind {kind.value}")
            found.append(("NodeKindConstraintComponent", kinds[kind.value]))
        flags = self.shapes.value(shape, SH + "flags")
        for pattern in self.shapes.values(shape, SH + "pattern"):
            flag_text = f", {_sparql_term(Literal(flags.value))}" if flags is not None else ""
            found.append(("PatternConstraintComponent",
                          f"!isBlank({v}) && REGEX(STR({v}), {_sparql_term(Literal(pattern.value))}{flag_text})"))
        for name, op in (("minInclusive", ">="), ("maxInclusive", "<="), ("minExclusive", ">"), ("maxExclusive", "<")):
            for bound in self.shapes.values(shape, SH + name):
                component = name[0].upper() + name[1:] + "ConstraintComponent"
                found.append((component, f"COALESCE({v} {op} {_sparql_term(bound)}, false)"))
        for name, op in (("minLength", ">="), ("maxLength", "<=")):
            length = self._int(shape, name)
            if length is not None:
                component = name[0].upper() + name[1:] + "ConstraintComponent"
                found.append((component, f"!isBlank({v}) && STRLEN(STR({v})) {op} {length}"))
        for members in self.shapes.values(shape, SH + "in"):
            allowed = self.shapes.rdf_list(members)
            found.append(("InConstraintComponent",
                          " || ".join(f"sameTerm({v}, {_sparql_term(m)})" for m in allowed) or "false"))
        for languages in self.shapes.values(shape, SH + "languageIn"):
            tags = self.shapes.rdf_list(languages)
            matches = " || ".join(f"langMatches(lang({v}), {_sparql_term(Literal(t.value))})" for t in tags)
            found.append(("LanguageInConstraintComponent",
                          f"isLiteral({v}) && lang({v}) != \"\" && ({matches or 'false'})"))
        return found

    def _sparql_check(self, shape: Term, constraint: Term, focus: str) -> CompiledCheck:
        select = self.shapes.value(constraint, SH + "select")
        if select is None:
            raise UnsupportedShape("sh:sparql without sh:select")
        prefixes = []
        for declaration_owner in self.shapes.values(constraint, SH + "prefixes"):
            for declaration in self.shapes.values(declaration_owner, SH + "declare"):
                prefix = self.shapes.value(declaration, SH + "prefix")
                namespace = self.shapes.value(declaration, SH + "namespace")
                if prefix is not None and namespace is not None:
                    prefixes.append(f"PREFIX {prefix.value}: <{namespace.value}>")
        text = _rename_this(select.value)
        for token in tokenize(text):
            if token.kind == "var" and token.text[1:] in ("PATH", "currentShape", "shapesGraph"):
                raise UnsupportedShape(f"pre-bound variable {token.text} in sh:sparql")
        body = _inlinable_body(text)
        # A plain SELECT's pattern is joined with the focus directly, as SHACL pre-binds $this: Oxigraph then
        # evaluates it per focus node (FILTER NOT EXISTS as an anti-join) instead of over the whole batch
        # first, which made a constraint calling a custom function (hub:inServiceArea) run 10x slower.
        where = f"{{ {body} }}" if body is not None else f"{{ {text} }}"
        used = {token.text[1:] for token in tokenize(text) if token.kind == "var"}
        extra = "".join(f" ?{name}" for name in self.parameters if name in used)
        query = "\n".join(prefixes) + (
            f"\nSELECT DISTINCT ?root (?this AS ?focusNode) ?value{extra} WHERE {{ {focus} {where} }}")
        messages = _messages(self.shapes, constraint) or _messages(self.shapes, shape)
        return CompiledCheck(_name(shape), "SPARQLConstraintComponent", None, self._severity(shape),
                             _complete(messages), query)

    # -- helpers ---------------------------------------------------------------------------------

    def _check(self, shape: Term, component: str, path: str | None, focus: str, this: str, local: str,
               value: str | None, outer: str | None) -> CompiledCheck:
        projection = f"?root {_as(this, '?focusNode')} " + (_as(value, "?value") if value else "")
        query = f"SELECT DISTINCT {projection} WHERE {{ {focus} {local} }}"
        return CompiledCheck(_name(shape), component, path, self._severity(shape),
                             _complete(_messages(self.shapes, shape)), query, outer, local)

    def _severity(self, shape: Term) -> str:
        severity = self.shapes.value(shape, SH + "severity")
        return severity.value.rsplit("#", 1)[-1] if severity is not None else "Violation"

    def _path(self, node: Term) -> str:
        if isinstance(node, NamedNode):
            return f"<{node.value}>"
        if self.shapes.value(node, RDF + "first") is not None:
            return "/".join(self._path(step) for step in self.shapes.rdf_list(node))
        for name, suffix in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
            inner = self.shapes.value(node, SH + name)
            if inner is not None:
                return f"({self._path(inner)}){suffix}"
        inverse = self.shapes.value(node, SH + "inversePath")
        if inverse is not None:
            return f"^({self._path(inverse)})"
        alternatives = self.shapes.value(node, SH + "alternativePath")
        if alternatives is not None:
            return "(" + "|".join(self._path(a) for a in self.shapes.rdf_list(alternatives)) + ")"
        raise UnsupportedShape("unsupported sh:path form")

    def _int(self, shape: Term, name: str) -> int | None:
        found = self.shapes.value(shape, SH + name)
        return int(found.value) if found is not None else None

    def _bool(self, shape: Term, name: str) -> bool:
        found = self.shapes.value(shape, SH + name)
        return found is not None and found.value == "true"

    def _deactivated(self, shape: Term) -> bool:
        return self._bool(shape, "deactivated")

    def _check_known(self, shape: Term) -> None:
        for predicate in self.shapes.edges.get(shape, {}):
            if predicate.startswith(SH) and predicate not in _KNOWN and not predicate.startswith(SH + "target"):
                raise UnsupportedShape(f"{predicate} (in {_name(shape)}) is not compiled")
            if predicate.startswith(SH + "target") and predicate != SH + "targetClass":
                raise UnsupportedShape(f"{predicate} is not compiled: use sh:targetClass")

    def _var(self, stem: str) -> str:
        return f"?_{stem}{next(self._fresh)}"


def _as(variable: str, name: str) -> str:
    """A projection: the variable itself, or `(var AS name)` (SPARQL forbids `(?x AS ?x)`)."""
    return name if variable == name else f"({variable} AS {name})"


def _name(shape: Term) -> str:
    return shape.value if isinstance(shape, NamedNode) else "(anonymous shape)"


def _messages(shapes: _Shapes, node: Term) -> dict[str, str]:
    found: dict[str, str] = {}
    for message in shapes.values(node, SH + "message"):
        if isinstance(message, Literal):
            found[message.language or "en"] = message.value
    return found


def _complete(messages: dict[str, str]) -> dict[str, str]:
    fallback = messages.get("en") or next(iter(messages.values()), "constraint violated")
    return {lang: messages.get(lang, fallback) for lang in ("fr", "nl", "en")}


def _sparql_term(term: Term) -> str:
    return str(term)


def _inlinable_body(select: str) -> str | None:
    """The WHERE pattern of `SELECT [DISTINCT] ?this [?value] WHERE { … }` with nothing after it (no GROUP
    BY, ORDER BY, LIMIT, VALUES) and none of the focus's own variables: the pattern the focus may join
    directly. None for any other query."""
    tokens = list(tokenize(select))
    texts = [token.text.upper() if token.kind == "word" else token.text for token in tokens]
    head = ["SELECT", *(["DISTINCT"] if texts[1:2] == ["DISTINCT"] else []), "?this"]
    head += ["?value"] if texts[len(head):len(head) + 1] == ["?value"] else []
    if texts[:len(head)] != head or texts[len(head):len(head) + 2] != ["WHERE", "{"]:
        return None
    opening = tokens[len(head) + 1]
    depth = 0
    for index, token in enumerate(tokens[len(head) + 1:], start=len(head) + 1):
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
            if depth == 0:
                if index != len(tokens) - 1:
                    return None  # something follows the pattern
                body = select[opening.offset + 1:token.offset]
                names = {t.text[1:] for t in tokens if t.kind == "var"}
                return None if names & {"root", "_t", "focusNode"} else body
    return None


def _rename_this(select: str) -> str:
    """`$this` becomes `?this`, token by token (never inside strings or IRIs)."""
    pieces: list[str] = []
    position = 0
    for token in tokenize(select):
        if token.kind == "var" and token.text == "$this":
            pieces.append(select[position:token.offset])
            pieces.append("?this")
            position = token.offset + len(token.text)
    pieces.append(select[position:])
    return "".join(pieces)
