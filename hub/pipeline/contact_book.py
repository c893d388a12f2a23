"""Persons listed for the networks only leave the public pipeline (docs/publishers.md, "The contact book").

A person record whose valid consents are all `hub:scope-contact-book` (none `hub:scope-public-listing`) is judged
by the charter like any record, but never written to the public store: the harvest keeps it in the contact book
(hub/archive/contact_book.py), which publisher tokens read. Another record of the same feed that names the person (a
recommendation's `hub:recommender`) names them in public by a pseudonym the hub mints, `{base}id/contact/{hash}`:
the same for the same person, so that the verification rule still counts distinct recommenders, and saying nothing
of them (not their IRI, which may spell their name). The networks find the pseudonym beside the person in the
contact book.
"""

from __future__ import annotations

from datetime import date

from hub.charter.consent import index_nodes, networks_only
from hub.core.iris import Minter, short_hash
from hub.core.namespaces import RDFS
from hub.core.ntriples import split_line
from hub.core.records import Record
from hub.core.vocabulary import ClassHierarchy
from hub.pipeline.canonical import canonical_hash

_SAID = {"fr": '"Une personne du carnet d\'adresses des réseaux (hub:scope-contact-book) : listée pour les réseaux '
               'seulement."',
         "nl": '"Een persoon uit het adresboek van de netwerken (hub:scope-contact-book): enkel voor de netwerken '
               'vermeld."',
         "en": '"A person of the networks\' contact book (hub:scope-contact-book): listed for the networks only."'}


def pseudonym(minter: Minter, person: str) -> str:
    return minter.entity("contact", short_hash(person)).value


def take_out(records: dict[str, Record], hierarchy: ClassHierarchy, minter: Minter,
             today: date | None = None) -> dict[str, Record]:
    """Pops the networks-only person records out of `records` (subject -> record) and returns them; the records
    left that name one of them name its pseudonym instead (hashed again)."""
    today = today or date.today()
    private: dict[str, Record] = {}
    for subject, record in list(records.items()):
        if record.kind != "person" and not hierarchy.is_person(record.types):
            continue
        by_subject, _, _ = index_nodes(record.quads)
        if networks_only(subject, by_subject, today):
            private[subject] = records.pop(subject)
    if not private:
        return private
    names = {f"<{subject}>": f"<{pseudonym(minter, subject)}>" for subject in private}
    for record in records.values():
        lines, named = [], set()
        for line in record.triples:
            subject_token, predicate, obj, _ = split_line(line)
            if obj in names:
                line = f"{subject_token} {predicate} {names[obj]} ."
                named.add(names[obj])
            lines.append(line)
        if named:
            # Said where it is used, so that the pseudonym dereferences on the hub like every IRI it mints.
            lines += [f"{name} <{RDFS}comment> {_SAID[lang]}@{lang} ." for name in sorted(named) for lang in _SAID]
            record.triples = lines
            record.content_hash = canonical_hash(lines)
            record.shape = ""  # its digest was of the lines that named the person
    return private


def entries(accepted: list[Record], minter: Minter, run: str) -> list[dict[str, object]]:
    """The contact book's entries of a run's accepted networks-only persons."""
    return [{"subject": record.subject.value, "pseudonym": pseudonym(minter, record.subject.value),
             "document": record.document, "run": run, "nquads": "".join(line + "\n" for line in record.triples)}
            for record in sorted(accepted, key=lambda r: r.subject.value)]
