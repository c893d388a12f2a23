"""The verification rule of the health directory, in one place (docs/charter.md, "Verification").

A health practitioner is **verified** when at least two distinct professionals recommend them: two
hub:Recommendation records, accepted by the charter, whose `hub:recommender` IRIs differ, each with
a `hub:recommenderProfession`, and neither recommender being the practitioner. Anything else is
**not verified**. The status is computed by the hub, from the recommendations it published (or, in
`mutualisons validate` and POST /api/validate, from the recommendations of the checked document);
a status or count a feed claims is stripped at alignment (hub/pipeline/alignment.py) and never published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from hub.core.namespaces import HUB, RDF, XSD, term
from hub.core.records import Record

THRESHOLD = 2  # recommendations from distinct professionals
PRACTITIONER_CLASS = HUB + "HealthPractitioner"
LABELS = {
    True: {"fr": "vérifié·e", "nl": "geverifieerd", "en": "verified"},
    False: {"fr": "non vérifié·e", "nl": "niet geverifieerd", "en": "not verified"},
}


@dataclass(frozen=True)
class RecommendationFacts:
    practitioner: str
    recommender: str
    profession: str


@dataclass
class VerificationStatus:
    practitioner: str
    counted: int  # distinct professionals who recommend

    @property
    def verified(self) -> bool:
        return self.counted >= THRESHOLD

    @property
    def label(self) -> dict[str, str]:
        return LABELS[self.verified]

    def explain(self, language: str = "en") -> str:
        texts = {
            "fr": f"{self.label['fr']} : {self.counted} recommandation(s) de professionnel·les distinct·es "
                  f"({THRESHOLD} nécessaires)",
            "nl": f"{self.label['nl']}: {self.counted} aanbeveling(en) van verschillende professionals "
                  f"({THRESHOLD} nodig)",
            "en": f"{self.label['en']}: {self.counted} recommendation(s) from distinct professionals "
                  f"({THRESHOLD} needed)",
        }
        return texts.get(language, texts["en"])


def compute(practitioners: Iterable[str],
            recommendations: Iterable[RecommendationFacts]) -> dict[str, VerificationStatus]:
    """The rule: distinct recommenders with a profession, never the practitioner themself."""
    recommenders: dict[str, set[str]] = defaultdict(set)
    for rec in recommendations:
        if rec.profession.strip() and rec.recommender != rec.practitioner:
            recommenders[rec.practitioner].add(rec.recommender)
    return {p: VerificationStatus(p, len(recommenders.get(p, ()))) for p in sorted(set(practitioners))}


def from_records(records: Iterable[Record]) -> tuple[list[str], list[RecommendationFacts]]:
    """The practitioners and the recommendations among some records (e.g. a checked document's)."""
    practitioners: list[str] = []
    recommendations: list[RecommendationFacts] = []
    for record in records:
        own = [q for q in record.quads if q.subject == record.subject]
        if any(q.predicate.value == RDF + "type" and q.object == NamedNode(PRACTITIONER_CLASS) for q in own):
            practitioners.append(record.subject.value)
        if record.kind == "recommendation":
            values: dict[str, list[str]] = defaultdict(list)
            for quad in own:
                values[quad.predicate.value].append(getattr(quad.object, "value", ""))
            for practitioner in values[HUB + "recommends"]:
                for recommender in values[HUB + "recommender"]:
                    for profession in values[HUB + "recommenderProfession"] or [""]:
                        recommendations.append(RecommendationFacts(practitioner, recommender, profession))
    return practitioners, recommendations


def status_quads(statuses: Iterable[VerificationStatus], graph: NamedNode) -> list[Quad]:
    """The computed statuses, for the hub's verification graph."""
    quads = []
    for status in statuses:
        practitioner = NamedNode(status.practitioner)
        quads.append(Quad(practitioner, term(HUB, "verificationStatus"),
                          term(HUB, "Verified" if status.verified else "NotVerified"), graph))
        quads.append(Quad(practitioner, term(HUB, "recommendationCount"),
                          Literal(str(status.counted), datatype=term(XSD, "integer")), graph))
    return quads
