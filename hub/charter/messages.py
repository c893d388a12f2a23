"""Coded verdict messages: a code (`area.outside`) with parameters, rendered in French, Dutch and English.

Publishers and their tools key on the code and its parameters rather than on a sentence; the hub renders
the sentence from this one table. Only the profile's words (the area's name, its countries) go into the
sentence: what a record said (its country, its postal code) stays in the parameters, which only the
publisher sees (ValidationResult.private), so a public verdict shows what is wrong, never the values.
A later issue moves every message to gettext catalogs; until then this table is the only place.

Consent warnings (`consent.*`) name places (the record, the property, a node label) and the rule that
applied, never a person's name or any other value: the person did not consent to be named. A run's
warnings are text today, so `warning` writes the English sentence followed by its code in brackets.

What a run's documents gave (`document.*`: a document that gave no record, and why) and records that collided
(`split.*`) are coded the same way. A `document.*` message becomes a run error, which the run's public
description shows: its parameters are the document's address, counts and the types the document used, never a
value of the data. A `split.*` warning may name the value the records shared (their url, their identifier): a
run's warnings are counted in public, their text is for the publisher and the admin only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harvesters.formats import LiftError

LANGUAGES = ("fr", "nl", "en")
MESSAGES: dict[str, dict[str, str]] = {
    "area.outside": {
        "fr": "Les coordonnées doivent se trouver dans la zone desservie par le hub ({area}), en degrés décimaux.",
        "nl": "De coördinaten moeten in het werkgebied van de hub liggen ({area}), in decimale graden.",
        "en": "The coordinates must lie in the hub's service area ({area}), in decimal degrees.",
    },
    "area.country": {
        "fr": "Sans coordonnées, le pays de l'adresse (schema:addressCountry) doit être un pays desservi par le hub "
              "({countries}).",
        "nl": "Zonder coördinaten moet het land van het adres (schema:addressCountry) een land uit het werkgebied "
              "van de hub zijn ({countries}).",
        "en": "Without coordinates, the address's country (schema:addressCountry) must be a country the hub serves "
              "({countries}).",
    },
    "area.postcode": {
        "fr": "Le code postal (schema:postalCode) doit être un code postal de la zone desservie par le hub ({area}).",
        "nl": "De postcode (schema:postalCode) moet een postcode uit het werkgebied van de hub zijn ({area}).",
        "en": "The postal code (schema:postalCode) must be one of the hub's service area ({area}).",
    },
    "area.unlocated": {
        "fr": "Ni coordonnées, ni pays, ni code postal : rien ne dit que ce lieu se trouve dans la zone desservie "
              "par le hub ({area}).",
        "nl": "Geen coördinaten, geen land, geen postcode: niets zegt dat deze plaats in het werkgebied van de hub "
              "ligt ({area}).",
        "en": "No coordinates, no country, no postal code: nothing says that this place lies in the hub's service "
              "area ({area}).",
    },
    "area.swapped": {
        "fr": "La latitude et la longitude semblent inversées : échangées, elles tombent dans la zone desservie par "
              "le hub ({area}). Échangez-les.",
        "nl": "Breedtegraad en lengtegraad lijken verwisseld: omgewisseld vallen ze in het werkgebied van de hub "
              "({area}). Wissel ze om.",
        "en": "Latitude and longitude look swapped: swapped back, they fall in the hub's service area ({area}). "
              "Swap them.",
    },
    "consent.nested-person": {
        "fr": "{record} : personne imbriquée retirée ({node}, {why}) à {via} : pas de consentement à la publication "
              "avec une portée et une date qui ne soit pas dans le futur",
        "nl": "{record}: geneste persoon verwijderd ({node}, {why}) bij {via}: geen toestemming voor publicatie met "
              "een reikwijdte en een datum die niet in de toekomst ligt",
        "en": "{record}: removed a nested person ({node}, {why}) at {via}: no consent for public listing with a "
              "scope and a date not in the future",
    },
    "consent.networks-only": {
        "fr": "{record} : personne imbriquée retirée de la fiche publique ({node}) à {via} : elle ne consent qu'au "
              "carnet d'adresses des réseaux (hub:scope-contact-book) ; publiez-la comme fiche de personne pour "
              "qu'elle y figure",
        "nl": "{record}: geneste persoon verwijderd uit de openbare fiche ({node}) bij {via}: die geeft enkel "
              "toestemming voor het adresboek van de netwerken (hub:scope-contact-book); publiceer die als "
              "persoonsfiche om erin te staan",
        "en": "{record}: removed a nested person from the public record ({node}) at {via}: they consent to the "
              "networks' contact book only (hub:scope-contact-book); publish them as a person record to be listed "
              "there",
    },
    "consent.person-as-text": {
        "fr": "{record} : nom de personne donné comme texte retiré, à {via} : un texte ne peut pas porter de "
              "consentement (décrivez la personne, avec son consentement)",
        "nl": "{record}: naam van een persoon als tekst verwijderd, bij {via}: een tekst kan geen toestemming dragen "
              "(beschrijf de persoon, met de toestemming)",
        "en": "{record}: removed a person's name given as text at {via}: text can carry no consent (describe the "
              "person, with their consent)",
    },
    "consent.person-reference": {
        "fr": "{record} : référence retirée vers une fiche de personne sans consentement à la publication, à {via}",
        "nl": "{record}: verwijzing verwijderd naar een persoonsfiche zonder toestemming voor publicatie, bij {via}",
        "en": "{record}: removed a reference to a person record without consent for public listing at {via}",
    },
    "document.empty": {
        "fr": "{document} : aucune fiche : le document ne contient aucune déclaration. Vérifiez que c'est "
              "le bon document (et, pour un format avec correspondance, que la correspondance lit ses lignes)",
        "nl": "{document}: geen fiche: het document bevat geen enkele uitspraak. Controleer of het het juiste "
              "document is (en, voor een formaat met mapping, of de mapping de rijen leest)",
        "en": "{document}: no record: the document holds no statement. Check that it is the right document "
              "(and, for a mapped format, that its mapping reads its rows)",
    },
    "document.rows-failed": {
        "fr": "{document} : aucune fiche : chacune de ses {count} lignes, entités ou événements a échoué (voir les "
              "erreurs qui les situent) ; corrigez-les",
        "nl": "{document}: geen fiche: elk van de {count} rijen, features of evenementen is mislukt (zie de fouten "
              "die ze situeren); verbeter ze",
        "en": "{document}: no record: every one of its {count} rows, features or events failed (see the errors "
              "that locate them); correct them",
    },
    "document.untyped": {
        "fr": "{document} : aucune fiche : le document décrit {nodes} nœud(s), dont aucun n'a de type (rdf:type, "
              "@type) ; les fiches sont des {kinds} (docs/charter.md) : donnez à chaque élément le type de sa "
              "classe",
        "nl": "{document}: geen fiche: het document beschrijft {nodes} knoop/knopen, zonder enig type (rdf:type, "
              "@type); fiches zijn {kinds} (docs/charter.md): geef elk item het type van zijn klasse",
        "en": "{document}: no record: the document describes {nodes} node(s), none of them typed (rdf:type, @type); "
              "records are {kinds} (docs/charter.md): give each item the type of its class",
    },
    "document.no-record-class": {
        "fr": "{document} : aucune fiche : le document décrit {nodes} nœud(s) typé(s) {types} ; les fiches sont des "
              "{kinds} (docs/charter.md) : donnez à chaque élément le type de sa classe",
        "nl": "{document}: geen fiche: het document beschrijft {nodes} knoop/knopen van het type {types}; fiches "
              "zijn {kinds} (docs/charter.md): geef elk item het type van zijn klasse",
        "en": "{document}: no record: the document describes {nodes} node(s) typed {types}; records are {kinds} "
              "(docs/charter.md): give each item the type of its class",
    },
    "split.merged": {
        "fr": "{document} : {count} fiches ({kind}) sans IRI partagent {key} ; elles sont fusionnées en une seule, "
              "{record}. Donnez à chacune sa propre IRI (@id) ou son propre identifiant (schema:identifier) pour "
              "les séparer",
        "nl": "{document}: {count} fiches ({kind}) zonder IRI delen {key}; ze zijn samengevoegd tot één fiche, "
              "{record}. Geef elk een eigen IRI (@id) of identificatie (schema:identifier) om ze te scheiden",
        "en": "{document}: {count} records ({kind}) without an IRI share {key}; they are merged into one record, "
              "{record}. Give each its own IRI (@id) or identifier (schema:identifier) to keep them apart",
    },
    # A document that gives no record says why (harvesters/json_mapping.py and the platform formats).
    "lift.records-empty": {
        "fr": "aucune fiche à {records} : le document contient {found} ; indiquez où sont ses fiches avec le "
              "`records` de la correspondance (un chemin pointé ; \"\" pour le document lui-même)",
        "nl": "geen fiche op {records}: het document bevat {found}; geef met `records` van de mapping aan waar de "
              "fiches staan (een pad met punten; \"\" voor het document zelf)",
        "en": "no record at {records}: the document holds {found}; say where its records are with the mapping's "
              "`records` (a dotted path; \"\" for the document itself)",
    },
    "lift.no-record-class": {
        "fr": "aucun des {count} élément(s) à {records} n'est d'une classe de fiche (types vus : {types}) ; "
              "donnez-leur un type que le hub publie (schema:Organization, schema:Place, schema:Event…)",
        "nl": "geen van de {count} element(en) op {records} is van een ficheklasse (geziene types: {types}); geef ze "
              "een type dat de hub publiceert (schema:Organization, schema:Place, schema:Event…)",
        "en": "none of the {count} item(s) at {records} is of a record class (types seen: {types}); give them a type "
              "the hub publishes (schema:Organization, schema:Place, schema:Event…)",
    },
}

# The kinds of record (hub/core/vocabulary.py, RECORD_KINDS) in words, for the messages that list them; a kind
# not named here (a later kind of record) is shown as its name.
KIND_WORDS: dict[str, dict[str, str]] = {
    "organization": {"fr": "organisations et lieux", "nl": "organisaties en plaatsen",
                     "en": "organisations and places"},
    "event": {"fr": "événements", "nl": "evenementen", "en": "events"},
    "resource": {"fr": "ressources (outils, modèles)", "nl": "hulpmiddelen (tools, sjablonen)",
                 "en": "resources (tools, templates)"},
    "knowledge": {"fr": "savoirs", "nl": "kennis", "en": "knowledge"},
    "publication": {"fr": "publications", "nl": "publicaties", "en": "publications"},
    "funding": {"fr": "financements", "nl": "financieringen", "en": "funding"},
    "person": {"fr": "personnes (avec leur consentement)", "nl": "personen (met hun toestemming)",
               "en": "persons (with their consent)"},
    "recommendation": {"fr": "recommandations", "nl": "aanbevelingen", "en": "recommendations"},
    "product": {"fr": "produits (catalogues DFC)", "nl": "producten (DFC-catalogi)", "en": "products (DFC catalogues)"},
}


def kinds_in_words(kinds: list[str]) -> dict[str, str]:
    """The kinds of record as a list in each language, for a `{kinds}` parameter."""
    return {lang: ", ".join(KIND_WORDS.get(kind, {}).get(lang, kind) for kind in kinds) for lang in LANGUAGES}


def render(code: str, params: Mapping[str, object]) -> dict[str, str]:
    """The code's sentence in each language; a parameter may be one text or a text per language."""
    texts = MESSAGES[code]
    rendered = {}
    for lang in LANGUAGES:
        values = {key: value[lang] if isinstance(value, Mapping) else value for key, value in params.items()}
        rendered[lang] = texts[lang].format(**values)
    return rendered


def warning(code: str, **params: object) -> str:
    """A run warning: the English sentence and its code."""
    return f"{render(code, params)['en']} [{code}]"


@dataclass(frozen=True)
class Notice:
    """A coded message kept with its parameters, so that each reader gets it in their language: a run records
    `line()`, `mutualisons validate --lang nl` prints `text("nl")`."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.code, self.params)[lang if lang in LANGUAGES else "en"]

    def line(self) -> str:
        """What a run's errors and warnings hold: the English sentence and its code."""
        return f"{self.text('en')} [{self.code}]"
def lift_error(error: LiftError) -> str:
    """A document that could not be lifted, as a run's error says it: from this table when its format gave a
    code (the English sentence and the code in brackets), else as the format said it."""
    if error.code is None or error.code not in MESSAGES:
        return str(error)
    where = f" line {error.line}" + (f" column {error.column}" if error.column else "") if error.line else ""
    return f"{error.document}: {error.format_name}{where}: {warning(error.code, **error.params)}"
