"""The linker's labelled evaluation set: true and false pairs from the example networks and generated variants.

Generated alternatives of Brussels (fictional names from a bilingual list of the words of the sector's names, in
the 19 communes, with `.example` web sites and `+32 2 000…`-style numbers), each published by one network; some
are published again by a second network, changed the ways networks differ (a bilingual name in the other
language, a moved pin, a missing web site, the name spelt without accents or with its legal form, no coordinates,
a telephone written another way), and hard false pairs beside them: a chain's branches at different addresses
(same brand, same web site, sometimes one enterprise number), two alternatives in one building, namesakes in two
communes, names that share a word a few streets apart, and one name at one place under two enterprise numbers.
The example networks add their own: the Parc garden on two networks (true), the bakery's two branches, the
Canal's neighbours (false); the Repair Café de Forest, two addresses 333 m apart, is left unlabelled (it is the
review queue's to decide).

`evaluate` links everything at once and counts, over the pairs the clusters make, precision and recall against
the labels. `records` gives the N-Triples lines of generated records, for the benchmark's 100k.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from hub.core.clusters import clusters_of
from hub.core.profile import LinkingRules
from hub.pipeline.linking.facts import Facts
from hub.pipeline.linking.linker import link_facts

COMMUNES = (  # (fr, nl, postal code, latitude, longitude of about its centre)
    ("Anderlecht", "Anderlecht", "1070", 50.836, 4.308), ("Auderghem", "Oudergem", "1160", 50.816, 4.427),
    ("Berchem-Sainte-Agathe", "Sint-Agatha-Berchem", "1082", 50.864, 4.295),
    ("Bruxelles", "Brussel", "1000", 50.847, 4.352), ("Etterbeek", "Etterbeek", "1040", 50.836, 4.388),
    ("Evere", "Evere", "1140", 50.870, 4.402), ("Forest", "Vorst", "1190", 50.811, 4.318),
    ("Ganshoren", "Ganshoren", "1083", 50.871, 4.309), ("Ixelles", "Elsene", "1050", 50.827, 4.372),
    ("Jette", "Jette", "1090", 50.877, 4.326), ("Koekelberg", "Koekelberg", "1081", 50.862, 4.328),
    ("Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek", "1080", 50.855, 4.333),
    ("Saint-Gilles", "Sint-Gillis", "1060", 50.828, 4.345), ("Saint-Josse-ten-Noode", "Sint-Joost-ten-Node", "1210",
                                                            50.853, 4.373),
    ("Schaerbeek", "Schaarbeek", "1030", 50.867, 4.378), ("Uccle", "Ukkel", "1180", 50.800, 4.337),
    ("Watermael-Boitsfort", "Watermaal-Bosvoorde", "1170", 50.800, 4.415),
    ("Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe", "1200", 50.847, 4.428),
    ("Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe", "1150", 50.832, 4.432),
)
KINDS = (  # what an alternative is, French and Dutch
    ("Épicerie", "Kruidenier"), ("Épicerie vrac", "Bulkkruidenier"), ("Potager", "Moestuin"),
    ("Jardin partagé", "Gedeelde tuin"), ("Repair Café", "Repaircafé"), ("Atelier vélo", "Fietsatelier"),
    ("Ressourcerie", "Kringloopwinkel"), ("Donnerie", "Geefwinkel"), ("Maison de quartier", "Buurthuis"),
    ("Maison médicale", "Wijkgezondheidscentrum"), ("Coopérative", "Coöperatie"), ("Collectif", "Collectief"),
    ("Boulangerie", "Bakkerij"), ("Cantine", "Kantine"), ("Compost", "Compost"), ("Verger", "Boomgaard"),
    ("Ferme urbaine", "Stadsboerderij"), ("Bibliothèque", "Bibliotheek"), ("Marché", "Markt"),
    ("Groupe d'achat solidaire", "Solidaire aankoopgroep"),
)
QUALIFIERS = (  # what it is called, French and Dutch
    ("du Coin", "op de Hoek"), ("du Canal", "aan het Kanaal"), ("du Parc", "van het Park"),
    ("des Voisins", "van de Buren"), ("Solidaire", "Solidair"), ("du Nord", "Noord"), ("du Midi", "Zuid"),
    ("des Tilleuls", "van de Linden"), ("Citoyen", "Burger"), ("de la Gare", "van het Station"),
    ("Vieux Marché", "Oude Markt"), ("des Trois Tilleuls", "van de Drie Linden"),
)
SYLLABLES = ("ka", "lo", "mi", "ru", "sa", "be", "to", "na", "vi", "de", "po", "li", "zu", "fa", "ne", "ro", "ga",
             "ti", "mo", "la", "ve", "ko", "si", "bu", "ra", "ne", "do", "pi")
LEGAL = (("asbl", "vzw"), ("scrl", "cvba"), ("srl", "bv"), ("sa", "nv"))


@dataclass
class Alternative:
    """One generated alternative as a network publishes it."""

    iri: str
    source: str
    names: list[tuple[str, str | None]]
    point: tuple[float, float] | None
    postal: str
    street: str
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    enterprise: str | None = None

    def facts(self) -> Facts:
        return Facts(self.iri, f"urn:graph:{self.iri}", self.source, list(self.names), self.point,
                     [self.postal] if self.postal else [], [self.street] if self.street else [],
                     [self.url] if self.url else [], [self.email] if self.email else [],
                     [self.phone] if self.phone else [], [("vatID", self.enterprise)] if self.enterprise else [], [])

    def lines(self) -> list[str]:
        """As the split writes a record: N-Triples lines of its subject and its address and geo nodes."""
        s = f"<{self.iri}>"
        key = abs(hash(self.iri)) % 10**12
        out = [f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Organization> ."]
        out += [f'{s} <https://schema.org/name> "{name}"' + (f"@{lang}" if lang else "") + " ."
                for name, lang in self.names]
        out += [f"{s} <https://schema.org/address> _:a{key} .",
                f'_:a{key} <https://schema.org/postalCode> "{self.postal}" .',
                f'_:a{key} <https://schema.org/streetAddress> "{self.street}"@fr .']
        if self.point:
            decimal = "<http://www.w3.org/2001/XMLSchema#decimal>"
            out += [f"{s} <https://schema.org/geo> _:g{key} .",
                    f'_:g{key} <https://schema.org/latitude> "{self.point[0]:.5f}"^^{decimal} .',
                    f'_:g{key} <https://schema.org/longitude> "{self.point[1]:.5f}"^^{decimal} .']
        if self.url:
            out.append(f"{s} <https://schema.org/url> <{self.url}> .")
        if self.email:
            out.append(f'{s} <https://schema.org/email> "{self.email}" .')
        if self.phone:
            out.append(f'{s} <https://schema.org/telephone> "{self.phone}" .')
        if self.enterprise:
            out.append(f'{s} <https://schema.org/vatID> "{self.enterprise}" .')
        return out


@dataclass
class Labelled:
    alternatives: list[Alternative] = field(default_factory=list)
    positives: dict[tuple[str, str], str] = field(default_factory=dict)  # pair -> how the second differs
    negatives: dict[tuple[str, str], str] = field(default_factory=dict)  # pair -> why they must stay apart
    extra_facts: list[Facts] = field(default_factory=list)  # the example networks' records


def _pair(first: str, second: str) -> tuple[str, str]:
    a, b = sorted((first, second))
    return a, b


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _move(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.random() * 6.283
    import math

    return (point[0] + metres * math.sin(angle) / 111_132.0,
            point[1] + metres * math.cos(angle) / (111_320.0 * math.cos(math.radians(point[0]))))


def _enterprise(rng: random.Random) -> str:
    body = rng.randint(2_000_000, 9_999_999)  # 0 + 7 digits: an enterprise number, its check digits mod 97
    head = body
    check = 97 - (head % 97)
    digits = f"0{body:07d}{check:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def _typo(text: str, rng: random.Random) -> str:
    """One letter of the name's last word doubled (its own name, not a word of the lists)."""
    words = text.split()
    last = words[-1]
    if len(last) >= 4:
        at = rng.randrange(1, len(last) - 1)
        words[-1] = last[:at] + last[at] + last[at:]
    return " ".join(words)


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = 0

    def base(self, source: str, commune: tuple[str, str, str, float, float] | None = None,
             kind: tuple[str, str] | None = None, brand: str | None = None) -> Alternative:
        rng = self.rng
        self.count += 1
        fr_commune, _, postal, lat, lon = commune or rng.choice(COMMUNES)
        kind = kind or rng.choice(KINDS)
        if brand is not None:
            names = [(f"{brand}", "fr")]
        elif rng.random() < 0.5:
            qualifier = rng.choice(QUALIFIERS)
            proper = _word(rng)
            names = [(f"{kind[0]} {qualifier[0]} {proper}", "fr"), (f"{kind[1]} {qualifier[1]} {proper}", "nl")]
        else:
            proper = _word(rng)
            names = [(f"{kind[0]} {proper}", "fr"), (f"{kind[1]} {proper}", "nl")]
        if rng.random() < 0.25:
            names = names[:1]
        slug = _plain(names[0][0]).replace(" ", "-").replace("'", "")[:40] + f"-{self.count}"
        point = (lat + (rng.random() - 0.5) * 0.03, lon + (rng.random() - 0.5) * 0.04)
        alternative = Alternative(f"https://{source}.example/id/{self.count}", source, names, point, postal,
                                  f"Rue {_word(rng)} {rng.randint(1, 250)}")
        if rng.random() < 0.7:
            alternative.url = f"https://{slug}.example/"
        if rng.random() < 0.5:
            alternative.email = f"contact@{slug}.example"
        if rng.random() < 0.5:
            alternative.phone = f"+32 2 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if rng.random() < 0.2:
            alternative.enterprise = _enterprise(rng)
        _ = fr_commune
        return alternative

    def variant(self, first: Alternative, source: str) -> tuple[Alternative, str]:
        """The same alternative as another network publishes it, changed in two or three ways."""
        rng = self.rng
        self.count += 1
        second = Alternative(f"https://{source}.example/id/{self.count}", source, list(first.names), first.point,
                             first.postal, first.street, first.url, first.email, first.phone, first.enterprise)
        ways = rng.sample(["bilingual", "moved pin", "missing website", "spelling", "no coordinates",
                           "telephone format", "network page", "legal form", "pin far off", "short name"],
                          rng.randint(2, 3))
        for way in ways:
            if way == "bilingual" and len(first.names) == 2:
                second.names = [first.names[1]]
            elif way == "moved pin" and second.point:
                second.point = _move(second.point, rng.uniform(20, 250), rng)
            elif way == "pin far off" and second.point:  # geocoded to the street's middle, or by hand
                second.point = _move(second.point, rng.uniform(250, 700), rng)
            elif way == "short name":  # its own name only, without what it is ("Kalo" for "Épicerie Kalo")
                second.names = [(name.split()[-1], lang) for name, lang in second.names[:1]]
            elif way == "missing website":
                second.url = None
            elif way == "spelling":  # no accents or capitals, and a letter of its own name wrong
                second.names = [(_typo(_plain(name), rng), lang) for name, lang in second.names]
            elif way == "no coordinates":
                second.point = None
            elif way == "telephone format" and second.phone:
                second.phone = "0" + second.phone.removeprefix("+32 ")
            elif way == "network page":
                second.url = f"https://{source}.example/fiches/{self.count}"
            elif way == "legal form":
                form = rng.choice(LEGAL)
                second.names = [(f"{name} {form[0] if lang != 'nl' else form[1]}", lang) for name, lang in second.names]
        if second.point is not None and "moved pin" not in ways and "pin far off" not in ways:
            second.point = _move(second.point, rng.uniform(0, 40), rng)  # two geocoders never agree exactly
        return second, ", ".join(ways)


def generate(alternatives: int = 1000, seed: int = 7) -> Labelled:
    """About `alternatives` alternatives: a third published twice (true pairs), a sixth in hard false pairs."""
    maker = _Maker(seed)
    rng = maker.rng
    found = Labelled()
    sources = ("alpha", "beta", "gamma")
    while len(found.alternatives) < alternatives:
        roll = rng.random()
        source, other = rng.sample(sources, 2)
        first = maker.base(source)
        found.alternatives.append(first)
        if roll < 0.35:
            second, how = maker.variant(first, other)
            found.alternatives.append(second)
            found.positives[_pair(first.iri, second.iri)] = how
        elif roll < 0.43:  # a chain's branch in another commune: same brand and web site, another address
            brand = _word(rng) + " " + rng.choice(("Bio", "Vrac", "Solidaire", "Café"))
            commune_a, commune_b = rng.sample(COMMUNES, 2)
            a = maker.base(source, commune_a, brand=f"{brand} {commune_a[0]}")
            b = maker.base(other, commune_b, brand=f"{brand} {commune_b[0]}")
            domain = _plain(brand).replace(" ", "-")
            a.url, b.url = f"https://{domain}.example/{commune_a[2]}", f"https://{domain}.example/{commune_b[2]}"
            a.email = b.email = f"info@{domain}.example"
            if rng.random() < 0.3:
                b.enterprise = a.enterprise = _enterprise(rng)
            found.alternatives += [a, b]
            found.negatives[_pair(a.iri, b.iri)] = "a chain's two branches"
            if rng.random() < 0.5:  # and a branch without the commune in its name, still elsewhere
                far = [c for c in COMMUNES if all(abs(c[3] - x[3]) + abs(c[4] - x[4]) > 0.05
                                                  for x in (commune_a, commune_b))]
                c = maker.base(other, rng.choice(far or list(COMMUNES)), brand=brand)
                c.url, c.email = f"https://{domain}.example/", a.email
                found.alternatives.append(c)
                found.negatives[_pair(a.iri, c.iri)] = "a chain's two branches"
                found.negatives[_pair(b.iri, c.iri)] = "a chain's two branches"
        elif roll < 0.48:  # two alternatives in one building
            b = maker.base(other)
            b.point = _move(first.point, rng.uniform(3, 40), rng) if first.point else None
            b.postal, b.street = first.postal, first.street
            found.alternatives.append(b)
            found.negatives[_pair(first.iri, b.iri)] = "two alternatives in one building"
        elif roll < 0.52:  # namesakes: the same kind and qualifier in two communes
            b = maker.base(other)
            b.names = list(first.names)
            commune = next(c for c in COMMUNES if c[2] != first.postal)
            b.postal = commune[2]
            b.point = (commune[3], commune[4]) if first.point and abs(commune[3] - first.point[0]) > 0.02 \
                else _move(first.point or (commune[3], commune[4]), 2500, rng)
            found.alternatives.append(b)
            found.negatives[_pair(first.iri, b.iri)] = "namesakes far apart"
        elif roll < 0.56:  # names sharing a word, a few streets apart
            b = maker.base(other)
            qualifier = rng.choice(QUALIFIERS)
            kinds = rng.sample(KINDS, 2)
            first.names = [(f"{kinds[0][0]} {qualifier[0]}", "fr"), (f"{kinds[0][1]} {qualifier[1]}", "nl")]
            b.names = [(f"{kinds[1][0]} {qualifier[0]}", "fr"), (f"{kinds[1][1]} {qualifier[1]}", "nl")]
            b.point = _move(first.point, rng.uniform(50, 300), rng) if first.point else None
            b.postal = first.postal
            found.alternatives.append(b)
            found.negatives[_pair(first.iri, b.iri)] = "names sharing a word nearby"
        elif roll < 0.58:  # one name, one place, two enterprise numbers: the veto
            b = maker.base(other)
            b.names, b.point, b.postal, b.street = list(first.names), first.point, first.postal, first.street
            first.enterprise, b.enterprise = _enterprise(rng), _enterprise(rng)
            found.alternatives.append(b)
            found.negatives[_pair(first.iri, b.iri)] = "two enterprise numbers"
    return found


EXAMPLE_POSITIVES = {("http://hub.test/id/organization/jardins-partages-jp-06",
                      "https://assiette-commune.example/id/jardin-collectif-du-parc"):
                     "the Parc garden on two networks"}
EXAMPLE_NEGATIVES = {
    ("https://assiette-commune.example/id/fournil-solidaire",
     "https://quartiers-en-transition.example/id/fournil-solidaire-schaerbeek"): "a chain's two branches",
    ("http://hub.test/id/organization/jardins-partages-jp-01",
     "https://savoirs-communs.example/id/imprimerie-cooperative"): "two alternatives in one building",
    ("http://hub.test/id/organization/jardins-partages-jp-01",
     "https://quartiers-en-transition.example/id/atelier-velo-canal"): "names sharing a word nearby",
    ("https://savoirs-communs.example/id/reseau",
     "https://savoirs-communs.example/id/salle-grenier"): "two alternatives in one building",
}


def with_examples(labelled: Labelled, example_facts: Iterable[Facts]) -> Labelled:
    """The labelled set with the example networks' records and pairs (their IRIs minted under http://hub.test/)."""
    labelled.extra_facts = list(example_facts)
    labelled.positives.update(EXAMPLE_POSITIVES)
    labelled.negatives.update(EXAMPLE_NEGATIVES)
    return labelled


@dataclass
class Evaluation:
    precision: float
    recall: float
    seconds: float
    true_positives: int
    predicted: int
    missed: dict[str, int]  # how the missed true pairs differed -> count
    wrongly_linked: dict[str, int]  # why the wrongly linked pairs should stay apart -> count ("unlabelled" else)
    pending: int  # labelled true pairs left in the review queue


def evaluate(labelled: Labelled, linking: LinkingRules) -> Evaluation:
    clock = time.perf_counter()
    facts = [alternative.facts() for alternative in labelled.alternatives] + labelled.extra_facts
    _, links = link_facts(facts, linking)
    seconds = time.perf_counter() - clock
    clusters = clusters_of((link.first, link.second) for link in links if link.same_as)
    predicted = {pair for members in {tuple(m) for m in clusters.values()} for pair in combinations(members, 2)}
    queued = {_pair(link.first, link.second) for link in links if link.status == "pending"}
    true_positives = predicted & set(labelled.positives)
    missed: dict[str, int] = {}
    for pair, how in labelled.positives.items():
        if pair not in predicted:
            for way in how.split(", "):
                missed[way] = missed.get(way, 0) + 1
    wrong: dict[str, int] = {}
    for pair in predicted - set(labelled.positives):
        why = labelled.negatives.get(pair, "unlabelled")
        wrong[why] = wrong.get(why, 0) + 1
    return Evaluation(len(true_positives) / len(predicted) if predicted else 1.0,
                      len(true_positives) / len(labelled.positives) if labelled.positives else 1.0, seconds,
                      len(true_positives), len(predicted), missed, wrong,
                      len(queued & set(labelled.positives)))
