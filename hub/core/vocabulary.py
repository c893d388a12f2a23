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

from hub.core.closure import transitive_closure
from hub.core.namespaces import DCAT, DFC, DFC_POD, FOAF, HUB, RDFS, SCHEMA, VCARD

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
    # An enterprise's catalogue items: DFC supplied products reach hub:Product through vocab/hub.ttl.
    "product": (HUB + "Product",),
}

# Properties that make their subject part of the record they point to. A Data Food Consortium catalogue item
# references the product it sells (its offers and prices hang from it): it is copied into that product's record
# only, and the enterprise that manages it keeps a reference, not a copy of its whole catalogue
# (hub/pipeline/split.py).
PART_OF_PROPERTIES = frozenset({DFC + "references", DFC_POD + "references"})

# The classes whose instances are persons, any subclass included (hub:HealthPractitioner…): their data needs a
# consent (hub/charter/consent.py), and the quarantine and the history never name them without one.
PERSON_CLASSES = frozenset({SCHEMA + "Person", FOAF + "Person", VCARD + "Individual", DFC + "Person",
                            DFC_POD + "Person"})

# Properties whose values are persons whatever their type says, or untyped (hub/charter/personhood.py reads these
# tables; docs/charter.md, "Consent", lists them).
# - range Person only (schema.org; DFC's main contact of an enterprise): an untyped value is a person;
PERSON_PROPERTIES = frozenset({SCHEMA + name for name in (
    "employee", "employees", "accountablePerson", "alumni", "colleague", "colleagues", "knows", "spouse", "parent",
    "parents", "children", "sibling", "siblings", "relatedTo", "follows", "editor", "director", "directors", "actor",
    "actors", "illustrator")} | {DFC + "hasMainContact", DFC_POD + "hasMainContact"})
# - a person or an organisation: an untyped value is a person unless it carries an organisation's marks;
AGENT_PROPERTIES = frozenset({SCHEMA + name for name in (
    "member", "members", "founder", "founders", "author", "contributor", "creator", "organizer", "funder", "sponsor",
    "performer", "performers", "attendee", "attendees", "translator")})
# - a contact point: a person when it carries a personal name (below), or a name without an organisation's marks.
CONTACT_PROPERTIES = frozenset({SCHEMA + "contactPoint", SCHEMA + "contactPoints", DCAT + "contactPoint"})
# What only a person has (a given or family name, a birth date, a job title): an untyped node, or a contact
# point, that carries one is a person wherever it is.
PERSONAL_PROPERTIES = frozenset({SCHEMA + name for name in (
    "givenName", "familyName", "additionalName", "honorificPrefix", "honorificSuffix", "birthDate", "birthPlace",
    "jobTitle")} | {FOAF + name for name in ("givenName", "familyName", "firstName", "lastName", "surname")}
    | {VCARD + name for name in ("given-name", "family-name", "additional-name", "honorific-prefix")}
    | {DFC + "firstName", DFC + "familyName", DFC_POD + "firstName", DFC_POD + "familyName"})


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
        return frozenset(transitive_closure(class_iri, lambda c: self._children.get(c, ())))

    def superclasses(self, class_iri: str) -> frozenset[str]:
        """The class itself and all its ancestors."""
        cached = self._cache.get(class_iri)
        if cached is None:
            cached = frozenset(transitive_closure(class_iri, lambda c: self._parents.get(c, ())))
            self._cache[class_iri] = cached
        return cached

    def is_person(self, types: Iterable[str]) -> bool:
        """Whether a node with these types is a person (typed as one of PERSON_CLASSES or a subclass)."""
        return any(self.superclasses(t) & PERSON_CLASSES for t in types)

    @cached_property
    def person_classes(self) -> frozenset[str]:
        """Every class whose instances are persons: the person classes and all their subclasses."""
        return frozenset(subclass for person in PERSON_CLASSES for subclass in self.subclasses(person))

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
