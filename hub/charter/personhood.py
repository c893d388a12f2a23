"""Who is a person for the consent rule, typed or not (DESIGN.md, "What must always hold"; docs/charter.md, "Consent").

A feed does not have to say `a schema:Person` for its data to be a person's: an employee given as a name and a
phone number, a founder with a first and last name, a contact point that names someone are persons too, and
need a consent like any typed person. A node of a record (never the record's own subject) is a person when:

1. it is typed as a person: a person class or a subclass (hub/core/vocabulary.py, `PERSON_CLASSES`);
2. it is a vCard contact of kind individual (`vcard:kind "individual"`);
3. it is untyped and reached through a property whose values are persons (`PERSON_PROPERTIES`: schema:employee,
   accountablePerson, DFC's main contact…);
4. it is untyped and carries what only a person has (`PERSONAL_PROPERTIES`: a given or family name, a birth date,
   a job title);
5. it is untyped, reached through a property whose values are persons or organisations (`AGENT_PROPERTIES`:
   schema:member, founder, author, organizer…), and carries none of an organisation's marks (below);
6. it is a contact point (reached through schema:contactPoint or dcat:contactPoint, untyped or typed as a contact
   point) with a personal name (4), or with a name and none of an organisation's marks.

A node typed as anything else (an organisation, a place, a role) is judged by its type.

A person's name given as text (`schema:employee "Ana Lopes"`, `schema:author "Jean Dupont"`) can carry no consent:
such a statement is a person's (`literal_is_a_person`) when its property's values are persons (3), or persons or
organisations (5) and its text has none of an organisation's marks in a name (a legal form, an organisation's word).

**An organisation's marks** (`organisation_marks`), the one list the rule reads: an organisation type (schema:
Organization and its subclasses, foaf:, vCard and DFC organisations, W3C ORG); a property only organisations have
(`ORGANISATION_PROPERTIES`: legal name, VAT, tax, LEI or DUNS number, founding or dissolution date, number of
employees, departments, members, opening hours, logo…); an enterprise number as its identifier (Belgian
`0123.456.789`, `BE0123456789`); a web address together with a postal address; a legal form or an organisation's
word in its name (asbl, vzw, SRL, BV, coopérative, vereniging, collectif…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.charter.consent import curie
from hub.core.namespaces import DFC, DFC_POD, FOAF, SCHEMA, VCARD
from hub.core.vocabulary import (
    AGENT_PROPERTIES,
    CONTACT_PROPERTIES,
    PERSON_PROPERTIES,
    PERSONAL_PROPERTIES,
    ClassHierarchy,
)

ORG = "http://www.w3.org/ns/org#"
ORGANISATION_CLASSES = frozenset({SCHEMA + "Organization", FOAF + "Organization", VCARD + "Organization",
                                  VCARD + "Group", DFC + "Enterprise", DFC_POD + "Enterprise", ORG + "Organization",
                                  ORG + "FormalOrganization"})
ORGANISATION_PROPERTIES = frozenset({SCHEMA + name for name in (
    "legalName", "vatID", "taxID", "leiCode", "duns", "iso6523Code", "naics", "isicV4", "globalLocationNumber",
    "foundingDate", "foundingLocation", "dissolutionDate", "numberOfEmployees", "parentOrganization",
    "subOrganization", "department", "employee", "employees", "member", "members", "founder", "founders",
    "openingHours", "openingHoursSpecification", "logo", "hasOfferCatalog", "makesOffer", "nonprofitStatus")}
    | {VCARD + "organization-name", ORG + "identifier", ORG + "hasMember", ORG + "hasSite"})
CONTACT_TYPES = frozenset({SCHEMA + "ContactPoint", VCARD + "Kind"})
NAMES = frozenset({SCHEMA + "name", FOAF + "name", VCARD + "fn"})
# Legal forms (Belgium, France, the Netherlands, Germany, the UK) and organisations' words, as whole words. The
# two-letter forms (SA, NV, BV…) only in capitals or with dots: "Sa" or "Ev" may be part of a person's name.
_LEGAL_FORM = re.compile(
    r"(?<![\w.])(?:a\.?s\.?b\.?l|i?v\.?z\.?w|a\.?i\.?s\.?b\.?l|s\.?p\.?r\.?l|s\.?r\.?l|s\.?c\.?r\.?l|s\.?c\.?s|"
    r"s\.?n\.?c|b\.?v\.?b\.?a|c\.?v\.?b\.?a|v\.?o\.?f|comm\.?v|gmbh|ltd|inc|llc|sarl|scop|coop|co-op)\.?(?![\w.])",
    re.IGNORECASE)
_SHORT_LEGAL_FORM = re.compile(r"(?<![\w.])(?:SA|SC|BV|NV|CV|EV|[sSbBnNcCeE]\.[aAcCvV]\.?)(?![\w.])")
_ORGANISATION_WORDS = re.compile(
    r"\b(?:associations?|collecti(?:f|ve)|coop[ée]rative|co[öo]peratie|fondation|foundation|stichting|vereniging|"
    r"verein|r[ée]seau|netwerk|network|f[ée]d[ée]ration|federatie|groupe|groep|centre|center|centrum|service|"
    r"dienst|[ée]cole|school|club|comit[ée]|mutualit[ée]|ziekenfonds|cpas|ocmw|r[ée]gion|regio|gewest|province|"
    r"provincie|minist[èe]re|ministerie|administration|administratie|agence|agentschap|cocof|vgc|sprb|gob)\b",
    re.IGNORECASE)
_ENTERPRISE_NUMBER = re.compile(r"^(?:BE)?\s?[01]\d{3}[.\s]?\d{3}[.\s]?\d{3}$", re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    """A node of a record that is a person for the consent rule, and why."""

    term: NamedNode | BlankNode
    typed: bool  # typed with a person class already (else the hub types it schema:Person when it consents)
    why: str  # for the warning: how the rule knew (never who)


def persons_in(subject: str, by_subject: dict[str, list[Quad]], types: dict[str, list[str]],
               referrers: dict[str, list[Quad]], hierarchy: ClassHierarchy) -> dict[str, Person]:
    """The persons among a record's nodes (by node key, see hub/charter/consent.py's index_nodes), the record's
    own subject left out: a person record is the charter's business (shapes/person.ttl)."""
    found: dict[str, Person] = {}
    for node, statements in by_subject.items():
        if node == subject or not statements:
            continue
        why = why_a_person(node, statements, types.get(node, []), referrers.get(node, []), hierarchy)
        if why is not None:
            term = statements[0].subject
            assert isinstance(term, NamedNode | BlankNode)
            found[node] = Person(term, hierarchy.is_person(types.get(node, [])), why)
    return found


def why_a_person(node: str, statements: list[Quad], node_types: list[str], incoming: list[Quad],
                 hierarchy: ClassHierarchy) -> str | None:
    """Why the node is a person (the rule of the module's docstring), or None when it is not one."""
    if hierarchy.is_person(node_types):
        return "typed as a person"
    if any(q.predicate.value == VCARD + "kind" and isinstance(q.object, Literal)
           and q.object.value.strip().lower() == "individual" for q in statements):
        return "a vCard contact of kind individual"
    if _organisation_type(node_types, hierarchy):
        return None
    via = {q.predicate.value for q in incoming}
    personal = sorted({q.predicate.value for q in statements if q.predicate.value in PERSONAL_PROPERTIES})
    if not node_types:
        person_only = sorted(via & PERSON_PROPERTIES)
        if person_only:
            return f"untyped, reached through {curie(person_only[0])}, whose values are persons"
        if personal:
            return f"untyped, with a person's {curie(personal[0])}"
        agent = sorted(via & AGENT_PROPERTIES)
        if agent and not organisation_marks(statements, node_types, hierarchy):
            return f"untyped, reached through {curie(agent[0])}, without an organisation's marks"
    contact = sorted(via & CONTACT_PROPERTIES)
    if contact and all(hierarchy.superclasses(t) & CONTACT_TYPES for t in node_types):
        if personal:
            return f"a contact point ({curie(contact[0])}) with a person's {curie(personal[0])}"
        if any(q.predicate.value in NAMES for q in statements) and not organisation_marks(statements, node_types,
                                                                                              hierarchy):
            return f"a contact point ({curie(contact[0])}) with a name and without an organisation's marks"
    return None


def literal_is_a_person(predicate: str, text: str) -> bool:
    """Whether a statement with a text value names a person (the module's docstring)."""
    if predicate in PERSON_PROPERTIES:
        return True
    return predicate in AGENT_PROPERTIES and not _organisation_name(text)


def organisation_marks(statements: list[Quad], node_types: list[str], hierarchy: ClassHierarchy) -> list[str]:
    """The organisation's marks a node carries (the module's docstring lists them), as short labels."""
    marks = []
    if _organisation_type(node_types, hierarchy):
        marks.append("an organisation type")
    predicates = {q.predicate.value for q in statements}
    marks += [curie(p) for p in sorted(predicates & ORGANISATION_PROPERTIES)]
    if SCHEMA + "url" in predicates and SCHEMA + "address" in predicates:
        marks.append("a web address and a postal address")
    for quad in statements:
        if not isinstance(quad.object, Literal):
            continue
        if quad.predicate.value == SCHEMA + "identifier" and _ENTERPRISE_NUMBER.match(quad.object.value.strip()):
            marks.append("an enterprise number")
        elif quad.predicate.value in NAMES and _organisation_name(quad.object.value):
            marks.append("a legal form or an organisation's word in its name")
    return marks


def _organisation_name(text: str) -> bool:
    return any(pattern.search(text) for pattern in (_LEGAL_FORM, _SHORT_LEGAL_FORM, _ORGANISATION_WORDS))


def _organisation_type(node_types: list[str], hierarchy: ClassHierarchy) -> bool:
    return any(hierarchy.superclasses(t) & ORGANISATION_CLASSES for t in node_types)


