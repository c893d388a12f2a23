"""A pair's score from its evidence, and the rule that decided it.

Each piece of evidence adds a weight (a log-odds: how much likelier it makes "the same alternative" than not); the
score is the logistic of their sum with the prior, so it reads as a probability and its evidence explains it
line by line. A strong identifier decides alone (the same enterprise number, platform id, or a feed's `sameAs`
naming the other); a conflicting one (two different enterprise numbers) vetoes whatever the rest says. The
weights were set by hand on the cases the evaluation set holds (bench/link_eval.py) and are measured there.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

from hub.pipeline.linking.entities import Entity
from hub.pipeline.linking.names import best_match

PRIOR = -2.5  # most candidate pairs are two different alternatives that share a word and a neighbourhood
# An enterprise number names a legal entity, which may run several places: two places of one number this far
# apart are two branches until someone says otherwise (the review queue).
BRANCH_METRES = 1000.0
# A web site, e-mail address or telephone number given by this many entities is a directory's, a federation's or
# a platform's, not an alternative's own: it is no evidence.
SHARED_BY = 5
DISTANCE_WEIGHTS = ((30, 3.0), (100, 2.5), (250, 2.0), (500, 1.0), (1000, 0.0), (3000, -3.0))
FAR = -5.0
SAME_PAGE, SAME_SITE, SAME_EMAIL, SAME_PHONE = 2.5, 1.0, 2.5, 2.0
SAME_STREET, OTHER_STREET = 1.5, -1.0
SAME_POSTAL, OTHER_POSTAL = 0.5, -2.0  # only for entities without both points


@dataclass(slots=True)
class Scored:
    first: str
    second: str
    score: float  # 0..1
    rule: str  # "identifier", "score" or "veto"
    evidence: list[str] = field(default_factory=list)
    branch: bool = False  # decided by an enterprise number alone, but far apart: for review, not linked

    @property
    def strong(self) -> bool:
        return self.rule == "identifier" and not self.branch


def distance(first: tuple[float, float], second: tuple[float, float]) -> float:
    """Metres between two (latitude, longitude) points, equirectangular: exact enough under 100 km."""
    lat = math.radians((first[0] + second[0]) / 2)
    dy = (first[0] - second[0]) * 111_132.0
    dx = (first[1] - second[1]) * 111_320.0 * math.cos(lat)
    return math.hypot(dx, dy)


def name_weight(similarity: float) -> float:
    """1.0 -> +4, 0.9 -> +3, 0.6 -> 0, 0.5 -> -1.5, 0.33 or less -> -4: two names that share one word of three
    are two alternatives in one building more often than one alternative spelt two ways."""
    if similarity >= 0.6:
        return min(4.0, 10.0 * (similarity - 0.6))
    return max(-4.0, 15.0 * (similarity - 0.6))


def same_street(first: str, second: str) -> bool | None:
    """Two street addresses (folded words): the same (same house numbers, a street word of theirs in common), not
    the same, or None when that cannot be told (no house number on one of them)."""
    a, b = first.split(), second.split()
    numbers_a, numbers_b = {w for w in a if w.isdigit()}, {w for w in b if w.isdigit()}
    if not numbers_a or not numbers_b:
        return None
    shared_words = {w for w in a if len(w) >= 4 and not w.isdigit()} & {w for w in b if len(w) >= 4}
    return numbers_a == numbers_b and bool(shared_words)


def score(a: Entity, b: Entity, frequent: Collection[str] = (), floor: float = 0.0) -> Scored:
    """The score of two entities (`frequent`: contact keys shared by SHARED_BY entities or more). With `floor`, a
    pair whose names alone rule out reaching it is not weighed further (its score is then only a bound)."""
    first, second = (a, b) if a.iri < b.iri else (b, a)
    found = Scored(first.iri, second.iri, 0.0, "score")
    evidence = found.evidence
    if first.enterprise and second.enterprise and not first.enterprise & second.enterprise:
        found.rule = "veto"
        evidence.append(f"enterprise numbers differ: {', '.join(sorted(first.enterprise))} and "
                        f"{', '.join(sorted(second.enterprise))}")
        return found
    apart = distance(first.point, second.point) if first.point and second.point else None
    strong = []
    if first.enterprise & second.enterprise:
        strong.append(f"same enterprise number {', '.join(sorted(first.enterprise & second.enterprise))}")
    if first.ids & second.ids:
        strong.append(f"same platform id {', '.join(sorted(first.ids & second.ids))}")
    if first.iri in second.same_as or second.iri in first.same_as or first.same_as & second.same_as:
        shared = sorted((first.same_as & second.same_as) | ({first.iri} & second.same_as)
                        | ({second.iri} & first.same_as))
        strong.append(f"a feed says sameAs {', '.join(shared)}")
    total = PRIOR
    match = best_match(first.names, second.names)
    if match is not None:
        weight = name_weight(match.similarity)
        total += weight
        if not strong and floor > 0 and _cannot_reach(first, second, total, floor):
            found.score = round(1 / (1 + math.exp(-(total + BEST_PLACE))), 3)
            evidence.append(f"name {match.similarity:.2f} ({weight:+.1f}): too different to reach {floor}")
            return found
        evidence.append(f"name {match.similarity:.2f} ({weight:+.1f}): {match.first.text!r} ~ {match.second.text!r}"
                        + ("; they name different places" if match.places_differ else "")
                        + ("; their numbers differ" if match.numbers_differ else ""))
    if apart is not None:
        weight = next((w for limit, w in DISTANCE_WEIGHTS if apart <= limit), FAR)
        total += weight
        evidence.append(f"distance {apart:.0f} m ({weight:+.1f})")
    elif first.postal and second.postal:
        weight = SAME_POSTAL if first.postal & second.postal else OTHER_POSTAL
        total += weight
        evidence.append(f"postal code {'same' if weight > 0 else 'different'}: {', '.join(sorted(first.postal))} / "
                        f"{', '.join(sorted(second.postal))} ({weight:+.1f})")
    streets = [(a, b, same_street(a, b)) for a in sorted(first.streets) for b in sorted(second.streets)]
    alike = next(((a, b) for a, b, same in streets if same), None)
    if alike is not None:
        total += SAME_STREET
        evidence.append(f"same street address {alike[0]!r} ({SAME_STREET:+.1f})")
    elif streets and all(same is False for _, _, same in streets):
        total += OTHER_STREET
        evidence.append(f"street addresses differ: {streets[0][0]!r} / {streets[0][1]!r} ({OTHER_STREET:+.1f})")
    for label, mine, theirs, weight, kind in (
        ("web page", first.pages, second.pages, SAME_PAGE, "page"),
        ("web site", first.sites - first.pages, second.sites - second.pages, SAME_SITE, "site"),
        ("e-mail", first.emails, second.emails, SAME_EMAIL, "email"),
        ("telephone", first.phones, second.phones, SAME_PHONE, "phone"),
    ):
        common = {value for value in mine & theirs if f"{kind}:{value}" not in frequent}
        if common:
            total += weight
            evidence.append(f"same {label} {sorted(common)[0]} ({weight:+.1f})")
    found.score = round(1 / (1 + math.exp(-total)), 3)
    if strong:
        found.rule = "identifier"
        evidence[:0] = strong
        elsewhere = (apart is not None and apart > BRANCH_METRES) or (match is not None and match.places_differ) \
            or any(line.startswith("street addresses differ") for line in evidence)
        if not first.ids & second.ids and not any(s.startswith("a feed") for s in strong) and elsewhere:
            # Only the enterprise number says so, and the places differ: two branches of one legal entity?
            found.branch = True
            evidence.append("one enterprise number at two places: possibly two branches of one organisation, "
                            "for review")
        else:
            found.score = 1.0
    return found


BEST_PLACE = DISTANCE_WEIGHTS[0][1] + SAME_STREET  # the most a place can add


def _cannot_reach(first: Entity, second: Entity, total: float, floor: float) -> bool:
    """Whether even the best place and every shared contact would leave the pair under `floor`."""
    best = total + BEST_PLACE
    for mine, theirs, weight in ((first.pages, second.pages, SAME_PAGE), (first.sites, second.sites, SAME_SITE),
                                 (first.emails, second.emails, SAME_EMAIL), (first.phones, second.phones, SAME_PHONE)):
        if mine & theirs:
            best += weight
    return best < math.log(floor / (1 - floor)) if floor < 1 else True


def frequent_keys(entities: Collection[Entity]) -> set[str]:
    """Contact keys given by SHARED_BY entities or more: a directory's site, a federation's telephone."""
    counts: dict[str, int] = {}
    for entity in entities:
        for kind, values in (("page", entity.pages), ("site", entity.sites), ("email", entity.emails),
                             ("phone", entity.phones)):
            for value in values:
                key = f"{kind}:{value}"
                counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count >= SHARED_BY}
