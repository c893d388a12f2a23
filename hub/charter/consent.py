"""Consent: people's data only with their consent (DESIGN.md, "What must always hold").

Every node that is a person needs a consent: a `hub:consent` node with a `hub:consentScope` of the
hub:consentScopes scheme and a `dcterms:date` not in the future. The scope says where they are listed:
`hub:scope-public-listing`, publicly; `hub:scope-contact-book`, for the networks only (the contact book, which
publisher tokens read: docs/publishers.md), never in any public answer. Neither scope is narrower than the other.
A person is a node typed as one (schema:
Person, foaf:Person, vcard:Individual, a DFC person, any subclass such as hub:HealthPractitioner) or, typed or
not, a node that the rule of hub/charter/personhood.py finds to be one: an employee given as a name and a phone
number, a founder or a member without an organisation's marks, a contact point that names someone…

- A person *record* without it is rejected by the charter (shapes/person.ttl says the same rule).
- A person *nested* in another record (a founder inside an organisation, an organizer inside an
  event) without it is removed from that record before validation, with everything only it reached,
  and a warning names where it was (the property and its node label, never its name: the person did
  not consent to be named). An untyped person with a consent is typed schema:Person, so that the charter
  checks it and a later withdrawal finds it in every version. The pipeline does that (hub/pipeline/persons.py)
  with the rules here; which classes are persons and which properties lead to persons is the vocabulary's
  knowledge (hub/core/vocabulary.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.core.namespaces import DCAT, DCTERMS, FOAF, HUB, RDF, SCHEMA, VCARD
from hub.core.vocabulary import (
    AGENT_PROPERTIES,
    CONTACT_PROPERTIES,
    PERSON_PROPERTIES,
    PERSONAL_PROPERTIES,
    ClassHierarchy,
)

PUBLIC_LISTING = HUB + "scope-public-listing"
CONTACT_BOOK = HUB + "scope-contact-book"
CONSENT_SCOPES = frozenset({PUBLIC_LISTING, CONTACT_BOOK})
_TYPE = RDF + "type"


def node_key(node: object) -> str:
    """A node as a dictionary key: `_:label` for a blank node, the IRI itself otherwise."""
    return ("_:" + node.value) if isinstance(node, BlankNode) else getattr(node, "value", str(node))


def has_valid_consent(person: str, by_subject: dict[str, list[Quad]], today: date,
                      scopes: frozenset[str] = CONSENT_SCOPES) -> bool:
    """A consent node with one of `scopes` (any allowed scope by default) and a date (xsd:date or dateTime) not
    after today."""
    return bool(valid_scopes(person, by_subject, today) & scopes)


def valid_scopes(person: str, by_subject: dict[str, list[Quad]], today: date) -> frozenset[str]:
    """The allowed scopes of the person's consents that have one date, not after today."""
    found: set[str] = set()
    for quad in by_subject.get(person, ()):
        if quad.predicate.value != HUB + "consent":
            continue
        consent = by_subject.get(node_key(quad.object), [])
        dates = [q.object.value for q in consent if q.predicate.value == DCTERMS + "date"
                 and isinstance(q.object, Literal)]
        if len(dates) != 1 or not _not_after(dates[0], today):
            continue
        found |= {q.object.value for q in consent if q.predicate.value == HUB + "consentScope"
                  and isinstance(q.object, NamedNode) and q.object.value in CONSENT_SCOPES}
    return frozenset(found)


def networks_only(person: str, by_subject: dict[str, list[Quad]], today: date) -> bool:
    """A valid consent for the networks' contact book, and none for public listing: never public."""
    scopes = valid_scopes(person, by_subject, today)
    return CONTACT_BOOK in scopes and PUBLIC_LISTING not in scopes


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


def curie(iri: str) -> str:
    for prefix, namespace in (("schema", SCHEMA), ("hub", HUB), ("foaf", FOAF), ("vcard", VCARD), ("dcat", DCAT)):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def mentions_persons(nquads: bytes, hierarchy: ClassHierarchy | None = None) -> bool:
    """Whether a document may hold a person (hub/charter/personhood.py): a node typed as one, a person's own
    property, a vCard kind, or a property leading to persons whose value the document describes (a blank node,
    or an IRI with statements of its own). Only then do its records pay for the consent check, which works on
    terms; found on the bytes, without parsing."""
    from hub.core.vocabulary import default_vocabulary

    hierarchy = hierarchy or default_vocabulary().hierarchy
    if any(f"<{iri}>".encode() in nquads for iri in hierarchy.person_classes | PERSONAL_PROPERTIES
           | {VCARD + "kind"}):
        return True
    leading = [f"<{iri}> ".encode() for iri in PERSON_PROPERTIES | AGENT_PROPERTIES | CONTACT_PROPERTIES]
    present = [token for token in leading if token in nquads]
    if not present:
        return False
    described: set[bytes] = set()
    for line in nquads.split(b"\n"):
        for token in present:
            at = line.find(token)
            if at < 0:
                continue
            value = line[at + len(token):].split(b" ", 1)[0]
            if not value.startswith(b"<"):  # a blank node, or a name given as text
                return True
            described.add(value)
    return any(line.split(b" ", 1)[0] in described for line in nquads.split(b"\n"))
