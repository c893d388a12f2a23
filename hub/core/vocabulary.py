"""The hub's knowledge of classes: which types make a record, of which kind, and their hierarchy.

The hierarchy comes from the Turtle files in `vocab/` (schema.org's classes, the hub's own), so a
`GroceryStore` is recognised as an organisation and a place without listing every subclass here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from hub.core.namespaces import HUB, RDFS, SCHEMA

VOCAB_DIR = Path(__file__).resolve().parents[2] / "vocab"
SHAPES_DIR = Path(__file__).resolve().parents[2] / "shapes"
# Extra shapes a source names in sources.toml (`profiles = ["health"]` -> shapes/profiles/health.ttl).
PROFILES_DIR = SHAPES_DIR / "profiles"

# Kind of record -> the classes whose instances (and their subclasses' instances) are records of it.
# Order matters: a LocalBusiness is an organisation before it is a place.
# Person classes of other vocabularies reach schema:Person through vocab/hub.ttl and alignment.
RECORD_KINDS: dict[str, tuple[str, ...]] = {
    "organization": (SCHEMA + "Organization", SCHEMA + "Place"),
    "event": (SCHEMA + "Event",),
    "resource": (SCHEMA + "DigitalDocument",),
    "knowledge": (HUB + "Knowledge",),
    "publication": (HUB + "Publication", SCHEMA + "ScholarlyArticle", SCHEMA + "Report", SCHEMA + "Book",
                    SCHEMA + "Thesis"),
    "funding": (SCHEMA + "Grant",),
    "person": (SCHEMA + "Person",),
    "recommendation": (HUB + "Recommendation",),
}


class ClassHierarchy:
    """rdfs:subClassOf closure over the vocabulary files."""

    def __init__(self, quads: Iterable[Quad]) -> None:
        self._parents: dict[str, set[str]] = defaultdict(set)
        for quad in quads:
            if (quad.predicate.value == RDFS + "subClassOf" and isinstance(quad.object, NamedNode)
                    and isinstance(quad.subject, NamedNode)):
                self._parents[quad.subject.value].add(quad.object.value)
        self._cache: dict[str, frozenset[str]] = {}
        self._children: dict[str, set[str]] = defaultdict(set)
        for child, parents in self._parents.items():
            for parent in parents:
                self._children[parent].add(child)

    def subclasses(self, class_iri: str) -> frozenset[str]:
        """The class itself and all its descendants: what a shape targeting it reaches."""
        seen = {class_iri}
        stack = [class_iri]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return frozenset(seen)

    def superclasses(self, class_iri: str) -> frozenset[str]:
        """The class itself and all its ancestors."""
        cached = self._cache.get(class_iri)
        if cached is not None:
            return cached
        seen = {class_iri}
        stack = [class_iri]
        while stack:
            for parent in self._parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        result = frozenset(seen)
        self._cache[class_iri] = result
        return result

    def kind_of(self, types: Iterable[str]) -> str | None:
        """The kind of record a node with these types is, or None when it is not a record."""
        ancestors: set[str] = set()
        for type_iri in types:
            ancestors |= self.superclasses(type_iri)
        for kind, classes in RECORD_KINDS.items():
            if ancestors.intersection(classes):
                return kind
        return None


class Vocabulary:
    """The vocabulary files, parsed once per process."""

    def __init__(self, vocab_dir: Path = VOCAB_DIR) -> None:
        self.vocab_dir = vocab_dir

    @cached_property
    def quads(self) -> list[Quad]:
        quads: list[Quad] = []
        for path in sorted(self.vocab_dir.glob("*.ttl")):
            quads.extend(parse(path=str(path), format=RdfFormat.TURTLE))
        return quads

    @cached_property
    def hierarchy(self) -> ClassHierarchy:
        return ClassHierarchy(self.quads)

    def turtle_files(self) -> list[Path]:
        return sorted(self.vocab_dir.glob("*.ttl"))


_default: Vocabulary | None = None


def default_vocabulary() -> Vocabulary:
    global _default
    if _default is None:
        _default = Vocabulary()
    return _default
