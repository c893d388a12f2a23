"""What a column's header means: a small synonym table in French, Dutch, English and German, and near spellings.

A header is cut into words (`Nom de l'organisation` -> nom, organisation; `contactEmail` -> contact, email;
`addr:postcode` -> addr, postcode), accents, case and separators aside, and a language marker at either end
(`description:fr`, `naam_nl`, `TXT_DUT`, `fr_name`) is set apart. The whole header, then runs of its words, then
each word is looked up in the table; a word missing from it may be a typo of one in it (`Longitide`, `lattitude`,
`descripiton`): one edit away for words of six letters or more, two for ten or more, and only when no word of the
header is in the table as it is. When the words disagree (`Adresse e-mail`: an address and an e-mail), the more
specific meaning wins (the e-mail), as the table's order of priority says. A word that is language-specific
(`nom`, `naam`) carries its language, so that `nom` and `naam` can both map to schema:name, tagged @fr and @nl.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# (target, priority, words, extra rule lines). Higher priority wins when a header's words disagree. A word is
# written without accents or separators; `@fr` after it says the word is French (so are its values, usually).
# Targets that are not properties: `key` (the stable key), `point` (a pair of coordinates), `date` (a date of
# something: classified from the table), `timestamp` (when the row was written or changed: never a fact about
# the organisation), `other` (a known word that means nothing the hub maps: never taken for a typo of another).
TABLE: list[tuple[str, int, str, dict[str, Any]]] = [
    ("key", 90, "id identifier identifiant@fr identificatie@nl kenmerk@nl kennung@de uid gid fid objectid code "
                "ref reference referentie@nl", {}),
    ("timestamp", 85, "timestamp horodateur@fr horodatage@fr tijdstempel@nl zeitstempel@de submittedat "
                      "submissiondate datesoumission@fr createdat created datecreated updatedat updated modified "
                      "lastmodified lastupdate lastupdated datemaj@fr miseajour@fr datemiseajour@fr gewijzigd@nl "
                      "bijgewerkt@nl laatstbijgewerkt@nl datemodification@fr version", {}),
    ("schema:foundingDate", 80, "foundingdate founded foundation fondation@fr datedefondation@fr datefondation@fr "
                                "datecreation@fr creation@fr anneedecreation@fr anneecreation@fr oprichting@nl "
                                "opgericht@nl oprichtingsdatum@nl oprichtingsjaar@nl gegrundet@de grundung@de "
                                "grundungsdatum@de grundungsjahr@de depuis@fr sinds@nl since seit@de",
     {"transforms": ["date"]}),
    ("schema:dissolutionDate", 80, "dissolutiondate dissolution dissolved datedissolution@fr ontbinding@nl "
                                   "ontbonden@nl ontbindingsdatum@nl auflosung@de aufgelost@de fermeture@fr "
                                   "datefermeture@fr cessation@fr closed closingdate", {"transforms": ["date"]}),
    ("schema:startDate", 80, "start startdate debut@fr datedebut@fr begin dtstart beginn@de startdatum "
                             "begindatum@nl aanvang@nl anfang@de", {"transforms": ["date"]}),
    ("schema:endDate", 80, "end enddate fin@fr datefin@fr einde@nl dtend ende@de einddatum@nl enddatum@de",
     {"transforms": ["date"]}),
    ("date", 30, "date datum", {}),
    ("schema:email", 75, "email mail courriel@fr contactemail emailaddress adressemail@fr adressecourriel@fr "
                         "emailadres@nl mailadres@nl", {"transforms": ["trim"]}),
    ("schema:telephone", 75, "telephone tel telefoon@nl phone contactphone gsm phonenumber telefon@de "
                             "numerodetelephone@fr telefoonnummer@nl telefonnummer@de portable@fr mobile", {
                                 "transforms": ["trim"]}),
    ("schema:image", 72, "image photo foto picture logo bild@de afbeelding@nl", {"transforms": ["trim", "iri"]}),
    ("schema:url", 70, "url website siteweb@fr site web contactwebsite lien@fr link homepage internet "
                       "siteinternet@fr webseite@de webpagina@nl websiteurl", {"transforms": ["trim", "iri"]}),
    ("schema:sameAs", 70, "uri sameas wikidata osm", {"transforms": ["trim", "iri"]}),
    ("schema:address/schema:postalCode", 68, "postalcode codepostal@fr cp@fr postcode zip zipcode addrpostcode npa@fr "
                                             "plz@de postleitzahl@de", {"transforms": ["trim"]}),
    ("schema:geo/schema:latitude", 66, "lat latitude breedtegraad@nl y latitud breitengrad@de",
     {"transforms": ["number"]}),
    ("schema:geo/schema:longitude", 66, "lon lng long longitude lengtegraad@nl x longitud langengrad@de "
                                        "laengengrad@de", {"transforms": ["number"]}),
    ("point", 64, "coordinates coords coordonnees@fr coordinaten@nl koordinaten@de geopoint2d geo location latlon "
                  "latlng point geolocalisation@fr", {}),
    ("schema:address/schema:addressCountry", 60, "country pays@fr land addrcountry countrycode",
     {"transforms": ["trim", "country"]}),
    ("schema:address/schema:addressLocality", 58, "city ville@fr commune@fr gemeente@nl stad@nl locality localite@fr "
                                                  "addrcity municipality plaats@nl ort@de stadt@de gemeinde@de "
                                                  "woonplaats@nl", {}),
    ("schema:address/schema:streetAddress", 55, "address adresse adres@nl rue@fr straat@nl strasse@de street "
                                                "addrstreet address1 streetaddress ad1 anschrift@de", {}),
    ("schema:openingHours", 55, "openinghours horaire@fr horaires@fr openingsuren@nl openingstijden@nl hours "
                                "offnungszeiten@de", {}),
    ("schema:keywords", 50, "theme themes thema themas categorie categories category type typeofinitiative tags "
                            "keywords motscles@fr trefwoorden@nl freekeywords poitype sector secteur@fr "
                            "kategorie@de schlagworter@de stichworte@de", {"transforms": ["trim"]}),
    ("schema:description", 45, "description descr desc beschrijving@nl omschrijving@nl beschreibung@de "
                               "resume@fr presentation@fr", {}),
    ("schema:name", 40, "name nom@fr naam@nl titre@fr title titel denomination@fr benaming@nl raisonsociale@fr "
                        "organisation organization organisatie@nl bezeichnung@de museum culturalplace txt label "
                        "intitule@fr enseigne@fr handelsnaam@nl", {}),
    ("other", 0, "altitude elevation hoogte@nl hohe@de housenumber numero@fr nummer huisnummer@nl hausnummer@de "
                 "housename remarque@fr remarques@fr opmerking@nl comment comments notes note", {}),
]
LANGUAGE_MARKERS = {"fr": "fr", "fre": "fr", "fra": "fr", "nl": "nl", "dut": "nl", "du": "nl", "nld": "nl",
                    "vl": "nl", "en": "en", "eng": "en", "de": "de", "ger": "de", "deu": "de",
                    # Other languages a European feed may carry (never `id` or `no`: those are words too).
                    **{code: code for code in ("it", "es", "pt", "pl", "hu", "ro", "cs", "sk", "sl", "hr", "bg",
                                               "el", "fi", "sv", "da", "et", "lv", "lt", "ca", "eu", "ar", "tr",
                                               "ru", "uk")}, "gr": "el"}
# Words that join others in a header and mean nothing alone ("Nom de l'organisation", "Naam van de vereniging").
STOP_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "of", "the", "van", "het", "der", "die",
                        "das", "et", "and", "en", "und", "a", "e"})


@dataclass(frozen=True)
class Meaning:
    target: str
    priority: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """What a header means: the target, the word that said so, its language, and how sure the match is."""

    meaning: Meaning
    word: str
    word_language: str | None
    exact: bool  # False: a near spelling of `word`

    @property
    def target(self) -> str:
        return self.meaning.target


_WORDS: dict[str, tuple[Meaning, str | None]] = {}
for _target, _priority, _words, _extra in TABLE:
    for _entry in _words.split():
        _word, _, _lang = _entry.partition("@")
        _WORDS.setdefault(_word, (Meaning(_target, _priority, _extra), _lang or None))


def plain(text: str) -> str:
    """Accents, case and everything but letters and digits aside."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", ascii_text)


def words_of(header: str) -> list[str]:
    """A header's words: split at separators and at camelCase humps, each made plain."""
    spaced = re.sub(r"(?<=[a-zà-ÿ0-9])(?=[A-ZÀ-Þ])", " ", header)
    return [w for w in (plain(part) for part in re.split(r"[^\wÀ-ÿ]+|_", spaced)) if w]


def split_language(header: str) -> tuple[list[str], str | None]:
    """(the header's words without a language marker, the marker's language): `description:fr` -> (["description"],
    "fr"); `TXT_DUT` -> (["txt"], "nl"); `fr_name` -> (["name"], "fr")."""
    words = words_of(header)
    if len(words) >= 2:
        if words[-1] in LANGUAGE_MARKERS:
            return words[:-1], LANGUAGE_MARKERS[words[-1]]
        if words[0] in LANGUAGE_MARKERS:
            return words[1:], LANGUAGE_MARKERS[words[0]]
    return words, None


def match(header: str) -> tuple[Match | None, str | None]:
    """What the header means (or None) and the language its marker gives (or None)."""
    words, language = split_language(header)
    content = [w for w in words if w not in STOP_WORDS] or words
    runs = dict(_runs(words))
    runs.update(_runs(content))
    exact = [(size, _hit(run, True)) for run, size in runs.items() if run in _WORDS]
    if exact:
        return max(exact, key=_rank)[1], language
    near = [(size, hit) for run, size in runs.items() if (hit := _near(run)) is not None]
    return (max(near, key=_rank)[1] if near else None), language


def meaning_of_word(word: str) -> Meaning | None:
    entry = _WORDS.get(word)
    return entry[0] if entry else None


def _runs(words: list[str]) -> list[tuple[str, int]]:
    """Runs of the header's words, joined, with how many words each covers: `site web` -> siteweb (2), site (1),
    web (1)."""
    runs = []
    for size in range(len(words), 0, -1):
        runs += [("".join(words[i:i + size]), size) for i in range(len(words) - size + 1)]
    return runs


def _hit(run: str, exact: bool, word: str | None = None) -> Match:
    meaning, language = _WORDS[word or run]
    return Match(meaning, word or run, language, exact)


def _rank(candidate: tuple[int, Match]) -> tuple[int, int, int]:
    """A run that covers more of the header wins (`code postal` is a postal code, not a `code`), then the more
    specific meaning (`Adresse e-mail` is an e-mail), then the longer word."""
    size, hit = candidate
    return size, hit.meaning.priority, len(hit.word)


def _near(run: str) -> Match | None:
    if len(run) < 6 or len(run) > 40:
        return None
    allowed = 2 if len(run) >= 10 else 1
    best: tuple[int, str] | None = None
    for word in _WORDS:
        if len(word) < 6 or abs(len(word) - len(run)) > allowed:
            continue
        distance = edit_distance(run, word, allowed)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, word)
    return _hit(run, False, best[1]) if best else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), or limit + 1
    as soon as it exceeds `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
