"""Consent: people's data only with their consent (DESIGN.md, "What must always hold").

Every node typed as a person — schema:Person, foaf:Person, vcard:Individual, a DFC person, any
subclass such as hub:HealthPractitioner — needs a consent for public listing: a `hub:consent` node
with a `hub:consentScope` of the hub:consentScopes scheme and a `dcterms:date` not in the future.

- A person *record* without it is rejected by the charter (shapes/person.ttl says the same rule).
- A person *nested* in another record (a founder inside an organisation, an organizer inside an
  event) without it is removed from that record before validation, with everything only it reached,
  and a warning names where it was (the property and its node label, never its name: the person did
  not consent to be named).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.core.namespaces import DCTERMS, FOAF, HUB, RDF, SCHEMA, VCARD
from hub.core.ntriples import canonical_hash, split_line
from hub.core.vocabulary import ClassHierarchy
from hub.pipeline.alignment import DFC, DFC_POD
from hub.pipeline.split import Record

PERSON_CLASSES = frozenset({SCHEMA + "Person", FOAF + "Person", VCARD + "Individual", DFC + "Person",
                            DFC_POD + "Person"})
CONSENT_SCOPES = frozenset({HUB + "scope-public-listing", HUB + "scope-contact-book"})
_TYPE = RDF + "type"


def node_key(node: object) -> str:
    """A node as a dictionary key: `_:label` for a blank node, the IRI itself otherwise."""
    return ("_:" + node.value) if isinstance(node, BlankNode) else getattr(node, "value", str(node))


def is_person(types: list[str], hierarchy: ClassHierarchy) -> bool:
    return any(hierarchy.superclasses(t) & PERSON_CLASSES for t in types)


def has_valid_consent(person: str, by_subject: dict[str, list[Quad]], today: date) -> bool:
    """A consent node with an allowed scope and a date (xsd:date or dateTime) not after today."""
    for quad in by_subject.get(person, ()):
        if quad.predicate.value != HUB + "consent":
            continue
        consent = by_subject.get(node_key(quad.object), [])
        scoped = any(q.predicate.value == HUB + "consentScope" and isinstance(q.object, NamedNode)
                     and q.object.value in CONSENT_SCOPES for q in consent)
        dates = [q.object.value for q in consent if q.predicate.value == DCTERMS + "date"
                 and isinstance(q.object, Literal)]
        if scoped and len(dates) == 1 and _not_after(dates[0], today):
            return True
    return False


def _not_after(lexical: str, today: date) -> bool:
    try:
        return date.fromisoformat(lexical[:10]) <= today
    except ValueError:
        return False


def index_nodes(quads: list[Quad]) -> tuple[dict[str, list[Quad]], dict[str, list[str]], dict[str, list[Quad]]]:
    """By node key (see node_key): the statements about each node, its types, the statements that point at it."""
    by_subject: dict[str, list[Quad]] = defaultdict(list)
    types: dict[str, list[str]] = defaultdict(list)
    referrers: dict[str, list[Quad]] = defaultdict(list)
    for quad in quads:
        by_subject[node_key(quad.subject)].append(quad)
        if quad.predicate.value == _TYPE and isinstance(quad.object, NamedNode):
            types[node_key(quad.subject)].append(quad.object.value)
        if isinstance(quad.object, BlankNode | NamedNode):
            referrers[node_key(quad.object)].append(quad)
    return by_subject, types, referrers


def remove_unconsented_persons(record: Record, hierarchy: ClassHierarchy, today: date | None = None) -> list[str]:
    """Removes nested persons without a valid consent from the record; returns one warning per person."""
    today = today or date.today()
    # One parse: every parse of a record's lines gives its blank nodes new labels.
    quads = record.quads
    by_subject, types, referrers = index_nodes(quads)
    subject = record.subject.value
    doomed: set[str] = set()
    warnings = []
    for node, node_types in types.items():
        if node == subject or not is_person(node_types, hierarchy) or has_valid_consent(node, by_subject, today):
            continue
        doomed.add(node)
        via = sorted({_curie(q.predicate.value) for q in referrers.get(node, ())}) or ["(unreferenced)"]
        warnings.append(f"{subject}: removed a nested person ({node}) at {', '.join(via)}: no consent for public "
                        f"listing with a scope and a date not in the future")
    if not doomed:
        return []
    doomed = with_what_only_they_reach(doomed, by_subject, referrers, subject)
    record.quads = [q for q in quads if node_key(q.subject) not in doomed and node_key(q.object) not in doomed]
    record.warnings.extend(warnings)
    return warnings


def remove_references_to_unconsented(records: list[Record], hierarchy: ClassHierarchy,
                                     today: date | None = None) -> list[str]:
    """A person record without a valid consent is rejected by the charter; another record of the same feed
    that points at it (an organisation's `schema:member <person>`) loses that statement, so the person's IRI
    is not published through it either. Returns one warning per record changed (naming the property, not
    the person)."""
    today = today or date.today()
    unconsented = set()
    for record in records:
        if is_person(record.types, hierarchy):
            by_subject, _, _ = index_nodes(record.quads)
            if not has_valid_consent(record.subject.value, by_subject, today):
                unconsented.add(f"<{record.subject.value}>")
    if not unconsented:
        return []
    warnings = []
    for record in records:
        if f"{record.subject}" in unconsented:
            continue
        kept, dropped = [], set()
        for line in record.triples:
            _, predicate, obj, _ = split_line(line)
            if obj in unconsented:
                dropped.add(_curie(predicate[1:-1]))
            else:
                kept.append(line)
        if not dropped:
            continue
        record.triples = kept
        record.content_hash = canonical_hash(kept)
        record.shape = ""  # its digest was of the lines with the reference: it no longer says what is published
        warning = (f"{record.subject.value}: removed a reference to a person record without consent for public "
                   f"listing at {', '.join(sorted(dropped))}")
        record.warnings.append(warning)
        warnings.append(warning)
    return warnings


def with_what_only_they_reach(doomed: set[str], by_subject: dict[str, list[Quad]],
                              referrers: dict[str, list[Quad]], keep: str) -> set[str]:
    """The removed persons and every blank node only they reach (their address, their consent…): those
    go with them. `keep` (the record's subject) never goes."""
    doomed = set(doomed)
    changed = True
    while changed:
        changed = False
        for node in list(by_subject):
            if node in doomed or node == keep or not node.startswith("_:"):
                continue
            refs = referrers.get(node, [])
            if refs and all(node_key(q.subject) in doomed for q in refs):
                doomed.add(node)
                changed = True
    return doomed


def _curie(iri: str) -> str:
    for prefix, namespace in (("schema", SCHEMA), ("hub", HUB), ("foaf", FOAF), ("vcard", VCARD)):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def mentions_persons(nquads: bytes, hierarchy: ClassHierarchy | None = None) -> bool:
    """Whether a document types any node as a person (any subclass included): only then do its records
    pay for the consent check, which works on terms."""
    from hub.core.vocabulary import default_vocabulary

    hierarchy = hierarchy or default_vocabulary().hierarchy
    return any(f"<{iri}>".encode() in nquads for iri in person_classes(hierarchy))


def person_classes(hierarchy: ClassHierarchy) -> frozenset[str]:
    """Every class whose instances are persons: the person classes and all their subclasses."""
    return frozenset(subclass for person in PERSON_CLASSES for subclass in hierarchy.subclasses(person))
