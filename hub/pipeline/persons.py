"""Persons without consent leave the records before validation (DESIGN.md, "What must always hold").

The charter says who is a person and what a valid consent is (hub/charter/consent.py); this step of the
pipeline applies it to the records of one feed, after the split and before validation, and hashes the
records it changes again:

- a person nested in a record (a founder, an organizer, an untyped employee: hub/charter/personhood.py says who
  is a person) without a consent is removed from it, with everything only it reached, and a warning says where
  and why it is a person (never who); so is a person's name given as text (`schema:employee "Ana Lopes"`),
  which can carry no consent; an untyped person with a consent is typed schema:Person, so that the
  charter checks it as a person and a later withdrawal finds it in every version (hub/pipeline/redaction.py);
- a statement pointing at a person record without a consent (an organisation's `schema:member <person>`)
  is removed from the record that makes it; the person record itself is rejected by the charter.
"""

from __future__ import annotations

from datetime import date

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from hub.charter.consent import (
    PUBLIC_LISTING,
    curie,
    has_valid_consent,
    index_nodes,
    networks_only,
    node_key,
    with_what_only_they_reach,
)
from hub.charter.messages import warning as coded
from hub.charter.personhood import literal_is_a_person, persons_in
from hub.core.namespaces import RDF, SCHEMA
from hub.core.ntriples import split_line, to_lines
from hub.core.records import Record
from hub.core.vocabulary import ClassHierarchy
from hub.pipeline.canonical import LimitExceeded, canonical_hash


def remove_unconsented_persons(record: Record, hierarchy: ClassHierarchy, today: date | None = None) -> list[str]:
    """Removes nested persons without a valid consent from the record, and persons' names given as text; types
    the untyped persons that have a consent schema:Person. Returns one warning per person removed, and one per
    property whose text named a person."""
    today = today or date.today()
    # One parse: every parse of a record's lines gives its blank nodes new labels.
    quads = record.quads
    by_subject, types, referrers = index_nodes(quads)
    subject = record.subject.value
    doomed: set[str] = set()
    typed: list[Quad] = []
    warnings = []
    for node, person in persons_in(subject, by_subject, types, referrers, hierarchy).items():
        if has_valid_consent(node, by_subject, today, frozenset({PUBLIC_LISTING})):
            if not person.typed:
                typed.append(Quad(person.term, _TYPE, _PERSON))
            continue
        doomed.add(node)
        via = sorted({curie(q.predicate.value) for q in referrers.get(node, ())}) or ["(unreferenced)"]
        if networks_only(node, by_subject, today):  # listed for the networks only: never in a public record
            warnings.append(coded("consent.networks-only", record=subject, node=node, via=", ".join(via)))
            continue
        warnings.append(coded("consent.nested-person", record=subject, node=node, why=person.why, via=", ".join(via)))
    # A person's name as text can carry no consent: such statements go, wherever they are in the record.
    named = [q for q in quads if isinstance(q.object, Literal) and literal_is_a_person(q.predicate.value,
                                                                                       q.object.value)]
    for prop in sorted({curie(q.predicate.value) for q in named}):
        warnings.append(coded("consent.person-as-text", record=subject, via=prop))
    if not doomed and not typed and not named:
        return []
    doomed = with_what_only_they_reach(doomed, by_subject, referrers, subject)
    dropped = set(named)
    _set_statements(record, [q for q in quads if q not in dropped
                             and node_key(q.subject) not in doomed and node_key(q.object) not in doomed] + typed)
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
        if hierarchy.is_person(record.types):
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
                dropped.add(curie(predicate[1:-1]))
            else:
                kept.append(line)
        if not dropped:
            continue
        record.triples = kept
        record.content_hash = canonical_hash(kept)
        record.shape = ""  # its digest was of the lines with the reference: it no longer says what is published
        warning = coded("consent.person-reference", record=record.subject.value, via=", ".join(sorted(dropped)))
        record.warnings.append(warning)
        warnings.append(warning)
    return warnings


_TYPE = NamedNode(RDF + "type")
_PERSON = NamedNode(SCHEMA + "Person")


def _set_statements(record: Record, quads: list[Quad]) -> None:
    """The record's statements become `quads` (in no graph), hashed again; beyond a work bound it is refused."""
    record.triples = to_lines(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in quads)
    try:
        record.content_hash = canonical_hash(record.triples)
    except LimitExceeded as error:
        record.refuse(error.messages())
