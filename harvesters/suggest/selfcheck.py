"""Before a suggestion is printed, it lifts its own document: how many records, which rows fail and why.

The lift is the format's own (the one a harvest runs), with the suggested mapping, so what the self-check says is
what a harvest's lift would say. The charter comes after (`mutualisons validate FILE --mapping MAPPING`): the
self-check cannot know the hub's area or shapes, only what the mapping makes of the rows. Persons are counted
from the lifted statements: the nodes typed schema:Person, with or without a consent scope.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from urllib.parse import quote

from pyoxigraph import NamedNode, RdfFormat, parse

from harvesters.formats import DocumentContext, Format, LiftError
from harvesters.mapping import MappingError, parse_mapping

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PERSON = "https://schema.org/Person"
CONSENT = "https://w3id.org/mutualisons/ns#consent"
SCOPE = "https://w3id.org/mutualisons/ns#consentScope"
SHOWN = 5  # failures and warnings listed one by one; the rest are counted


@dataclass
class SelfCheck:
    records: int = 0
    failures: list[str] = field(default_factory=list)  # the rows that fail, with where and why
    warnings: list[str] = field(default_factory=list)
    persons: int = 0
    consenting: int = 0
    error: str | None = None  # the suggestion could not be read, or the document not lifted with it

    def lines(self, file_name: str) -> list[str]:
        """The check in a few lines (TOML comments without their `# `, and the CLI's stderr)."""
        if self.error:
            return [f"Self-check: {file_name} could not be lifted with this mapping: {self.error}"]
        out = [f"Self-check: lifted with this mapping, {file_name} gives {self.records} record(s); "
               f"{len(self.failures)} row(s) fail" + (":" if self.failures else ".")]
        out += [f"  {failure}" for failure in self.failures[:SHOWN]]
        if len(self.failures) > SHOWN:
            out.append(f"  … and {len(self.failures) - SHOWN} more")
        if self.warnings:
            out.append(f"{len(self.warnings)} warning(s) at the harvest:")
            out += [f"  {warning}" for warning in self.warnings[:SHOWN]]
            if len(self.warnings) > SHOWN:
                out.append(f"  … and {len(self.warnings) - SHOWN} more")
        if self.persons:
            out.append(f"Persons: {self.persons}, of whom {self.consenting} with a consent scope; the hub removes "
                       f"the {self.persons - self.consenting} without one (and any whose consent is not dated) "
                       "before publication.")
        return out


def self_check(fmt: Format, body: bytes, document: str, text: str) -> SelfCheck:
    """Lifts the document with the suggested mapping `text`, as a harvest's lift would."""
    try:
        mapping = parse_mapping(tomllib.loads(text), "the suggested mapping")
    except (tomllib.TOMLDecodeError, MappingError) as error:
        return SelfCheck(error=f"the suggestion is not a valid mapping ({error}); please report it")
    types = {t.value for table in mapping.tables.values() for t in table.types}

    def mint(kind: str, key: str) -> NamedNode:
        return NamedNode(f"urn:mutualisons:suggest:{quote(kind)}:{quote(key, safe='')}")

    # The self-check knows no class hierarchy: the mapping's types are its record classes.
    context = DocumentContext(document, None, "suggest", mint,
                              lambda found: "record" if types.intersection(found) else None, mapping=mapping)
    try:
        lifted = fmt.lift(body, context)
    except LiftError as error:
        return SelfCheck(error=error.reason)
    records: set[str] = set()
    persons: set[str] = set()
    consents: dict[str, str] = {}
    scoped: set[str] = set()
    for quad in parse(lifted.nquads, format=RdfFormat.N_QUADS):
        subject, predicate, obj = str(quad.subject), quad.predicate.value, quad.object
        if predicate == RDF_TYPE and obj.value in types:
            records.add(subject)
        elif predicate == RDF_TYPE and obj.value == PERSON:
            persons.add(subject)
        elif predicate == CONSENT:
            consents[subject] = str(obj)
        elif predicate == SCOPE:
            scoped.add(subject)
    prefix = f"{document}: "
    return SelfCheck(records=len(records), failures=[e.removeprefix(prefix) for e in lifted.row_errors],
                     warnings=[w.removeprefix(prefix) for w in lifted.warnings], persons=len(persons),
                     consenting=sum(1 for person in persons if consents.get(person) in scoped))
