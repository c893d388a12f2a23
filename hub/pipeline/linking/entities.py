"""What the linker compares: one entity per subject IRI (the facts of all its record graphs, normalised by the
profile's rules). Two sources that already share an IRI (the examples' Potager des Marolles) are one entity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.core.profile import LinkingRules
from hub.pipeline.linking.contacts import EnterpriseNumbers, Phones, email, platform_id, website
from hub.pipeline.linking.facts import Facts
from hub.pipeline.linking.names import NameKey, NameRules, words


@dataclass(slots=True)
class Entity:
    iri: str
    sources: set[str] = field(default_factory=set)
    names: list[NameKey] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the names as given, for the evidence
    point: tuple[float, float] | None = None  # (latitude, longitude)
    postal: set[str] = field(default_factory=set)
    streets: set[str] = field(default_factory=set)  # folded words of the street address, number included
    pages: set[str] = field(default_factory=set)  # web pages (host and path)
    sites: set[str] = field(default_factory=set)  # web sites (host)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    enterprise: set[str] = field(default_factory=set)  # `be.vat:0403170701`
    ids: set[str] = field(default_factory=set)  # platform ids
    same_as: set[str] = field(default_factory=set)  # what its feeds say it is the same as


class Rules:
    """The profile's linking rules, ready to normalise facts (name lists read, schemes imported once)."""

    def __init__(self, linking: LinkingRules) -> None:
        self.linking = linking
        self.names = NameRules(linking.name_lists)
        self.phones = Phones(linking.phone_region)
        self.enterprise = EnterpriseNumbers(linking.enterprise_numbers)

    def entity(self, iri: str, facts: Iterable[Facts]) -> Entity:
        entity = Entity(iri)
        name_pairs: dict[tuple[str, str | None], None] = {}
        for one in facts:
            entity.sources.add(one.source)
            for pair in one.names:
                name_pairs.setdefault(pair, None)
            if entity.point is None and one.point is not None:
                entity.point = one.point
            entity.postal |= {code.strip().upper() for code in one.postal if code.strip()}
            entity.streets |= {" ".join(found) for found in (words(street) for street in one.streets) if found}
            for url in one.urls:
                keys = website(url)
                if keys is not None:
                    entity.pages.add(keys[0])
                    entity.sites.add(keys[1])
            entity.emails |= {found for found in (email(value) for value in one.emails) if found}
            entity.phones |= {found for found in (self.phones.normal(value) for value in one.phones) if found}
            for scheme, value in one.ids:
                number = self.enterprise.normal(value)
                if number is not None:
                    entity.enterprise.add(number)
                elif scheme not in ("vatID", "taxID"):
                    key = platform_id(value, scheme or None)
                    if key is not None:
                        entity.ids.add(key)
            entity.same_as |= set(one.same_as)
        entity.names = self.names.keys(name_pairs)
        entity.shown = sorted({name for name, _ in name_pairs})
        return entity


def entities(facts: Iterable[Facts], rules: Rules) -> dict[str, Entity]:
    """One entity per subject, from its record graphs' facts."""
    by_subject: dict[str, list[Facts]] = defaultdict(list)
    for one in facts:
        by_subject[one.subject].append(one)
    return {subject: rules.entity(subject, found) for subject, found in by_subject.items()}
