"""Columns about a person (a contact person, a respondent, a manager) and the consent that would let them be shown.

A person's name, e-mail or phone number is never mapped onto the organisation: every organisation would then be
published under its contact person's name, consent or not. A column is a person's when its header says so
(`contactName`, `Nom du responsable`, `Prénom`, `Personne de contact`, `votre nom`), or when it shares the
person's prefix (`contactEmail`, `contactPhone` beside `contactName`; an OSM `contact:email` alone stays the
organisation's), or, in a table with an unprefixed given-name column (`Prénom;Nom;Email`), when it is the
unprefixed family name, e-mail or phone.

The person is proposed as a nested node (a contact point typed schema:Person, with its consent) only when the
table has a consent column (a yes/no answer whose header speaks of consent, agreement or publication) and a date
for that consent (a consent date, or the survey's own timestamp: when the answer, so the consent, was given).
A row whose answer is not yes then carries no consent scope, and the hub removes its person before publication
(hub/charter/consent.py). Otherwise the person's columns are listed in `ignore`, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from harvesters.suggest.columns import NO, YES, Column, first_word
from harvesters.suggest.words import STOP_WORDS, match, words_of

GIVEN = frozenset({"prenom", "voornaam", "firstname", "givenname", "vorname", "prenoms"})
FAMILY = frozenset({"nomdefamille", "lastname", "surname", "familyname", "achternaam", "familienaam", "nachname",
                    "familiename"})
FULL = frozenset({"fullname", "nomcomplet", "volledigenaam", "nometprenom", "prenometnom", "naamenvoornaam",
                  "voornaamennaam", "nomprenom", "prenomnom", "naamvoornaam", "voornaamnaam"})
# Words that make a column a person's; the ones that are not names themselves become the person's prefix.
PERSON_WORDS = frozenset({"personne", "persoon", "person", "contactpersoon", "contactperson", "personnedecontact",
                          "responsable", "referent", "referente", "coordinateur", "coordinatrice", "coordinator",
                          "gerant", "gerante", "president", "presidente", "voorzitter", "directeur", "directrice",
                          "director", "manager", "fondateur", "fondatrice", "founder", "oprichter", "benevole",
                          "volunteer", "vrijwilliger", "employe", "employee", "werknemer", "medewerker",
                          "repondant", "respondent", "auteur", "author", "ansprechpartner", "verantwoordelijke",
                          "contactpersonne"})
POSSESSIVES = frozenset({"votre", "vos", "ton", "uw", "jouw", "your", "ihr", "ihre"})
NAME_WORDS = frozenset({"nom", "naam", "name"})
CONTACT = frozenset({"contact", "contacts", "kontakt"})
CONSENT_WORDS = frozenset({"consent", "consentement", "consentez", "consenti", "toestemming", "einwilligung",
                           "zustimmung", "accord", "akkoord", "accepte", "acceptez", "accepter", "accept", "autorise",
                           "autorisez", "autorisation", "authorize", "authorise", "publier", "publie", "publication",
                           "publish", "publiceren", "publicatie", "gepubliceerd", "veroffentlichen", "rgpd", "gdpr",
                           "optin", "diffusion", "diffuser"})
# Survey stamps: when the answer, and so the consent it carries, was given (not when a record was last changed).
SUBMITTED = frozenset({"timestamp", "horodateur", "horodatage", "tijdstempel", "zeitstempel", "submittedat",
                       "submissiondate", "datesoumission", "createdat", "datecreated", "created", "submitted",
                       "datedereponse", "datereponse", "antwoorddatum"})
PERSON_PROPERTIES = ("schema:name", "schema:givenName", "schema:familyName", "schema:email", "schema:telephone",
                     "schema:jobTitle", "schema:url")
ROLE_WORDS = frozenset({"fonction", "functie", "role", "rol", "jobtitle", "poste", "funktion"})
NODE = "schema:contactPoint"  # where the person goes: a contact point of the organisation, typed schema:Person
# A file named so holds people, one per row (HSDS `contacts.csv`, a `membres.csv`, a volunteers' list): each row is
# a schema:Person record, which the charter rejects without a consent.
PEOPLE_WORDS = frozenset({"contacts", "contact", "people", "persons", "personnes", "personen", "members", "membres",
                          "leden", "mitglieder", "volunteers", "benevoles", "vrijwilligers", "staff", "employees",
                          "employes", "personnel", "medewerkers", "respondents", "repondants", "participants",
                          "deelnemers", "practitioners", "praticiens", "zorgverleners", "annuaire", "carnet",
                          "adresboek", "addressbook", "contactbook"})


@dataclass
class PersonField:
    column: str
    prop: str | None  # schema:email…, or None when nothing of a person fits


@dataclass
class Persons:
    """The person's columns of a table and how they are mapped (nested with a consent) or why not (ignored)."""

    fields: list[PersonField] = field(default_factory=list)
    name: str | None = None  # the column that names the person
    consent: str | None = None
    yes: list[str] = field(default_factory=list)  # the consent column's values that say yes
    no: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # neither: no consent
    consent_date: str | None = None
    why_not: str | None = None  # why no nested person is proposed
    counts: dict[str, int] = field(default_factory=dict)  # the consent column's rows per value

    def answers(self, values: list[str]) -> int:
        """How many rows gave one of these answers."""
        return sum(self.counts.get(value, 0) for value in values)

    @property
    def nested(self) -> bool:
        return self.why_not is None

    @property
    def columns(self) -> set[str]:
        names = {f.column for f in self.fields}
        return names | ({self.consent} if self.consent else set())


def people_table(file_name: str) -> bool:
    """Whether the file's name says its rows are people (`contacts.csv`, `all_resources_contacts.csv`)."""
    return bool(set(words_of(PurePosixPath(file_name).stem)) & PEOPLE_WORDS)


def find_persons(columns: dict[str, Column], people: bool = False) -> Persons | None:
    """The table's person columns, its consent column and consent date, or None when no column is a person's.
    `people`: every row is a person (`people_table`): the consent is the row's own."""
    words = {name: [w for w in words_of(name) if w not in STOP_WORDS] for name in columns}
    consent = _consent_column(columns, words)
    persons = Persons(consent=consent)
    prefix: set[str] = set()
    for name, ws in words.items():
        if name == consent:
            continue
        markers = _markers(ws)
        if markers:
            persons.fields.append(PersonField(name, _property(ws, markers)))
            prefix |= {m for m in markers if m not in GIVEN | FAMILY | FULL | NAME_WORDS}
    if not persons.fields and not people:
        if consent:
            persons.why_not = "a consent column, but no column names a person"
            return persons
        return None
    for name, ws in words.items():
        if name == consent or name in persons.columns or not (set(ws) & prefix):
            continue
        persons.fields.append(PersonField(name, _property([w for w in ws if w not in prefix], set())))
    if any(set(words[f.column]) & GIVEN and len(words[f.column]) == 1 for f in persons.fields):
        # `Prénom;Nom;Email`: the unprefixed name, e-mail and phone are the same person's.
        for name, ws in words.items():
            if name in persons.columns or name == consent or len(ws) != 1:
                continue
            target = (match(name)[0] or None)
            if ws[0] in NAME_WORDS:
                persons.fields.append(PersonField(name, "schema:familyName"))
            elif target and target.target in ("schema:email", "schema:telephone"):
                persons.fields.append(PersonField(name, target.target))
    persons.fields.sort(key=lambda f: columns[f.column].position)
    persons.name = _naming_column(persons)
    if consent:
        persons.counts = dict(columns[consent].values)
        for value in columns[consent].values:
            answer = first_word(value)
            (persons.yes if answer in YES else persons.no if answer in NO else persons.other).append(value)
    persons.consent_date = _consent_date(columns, words, consent)
    if consent is None:
        persons.why_not = "no column records the person's consent to be published"
    elif persons.name is None and not people:
        persons.why_not = "no column names the person"
    elif persons.consent_date is None:
        persons.why_not = (f"the consent column {consent!r} has no date: no column says when it was given (a "
                           "survey timestamp or a consent date)")
    return persons


def _markers(ws: list[str]) -> set[str]:
    """The words that make a header a person's: a person's role, a given or family name, `contact` with a name,
    a possessive with a name (`votre nom`)."""
    found = set(ws) & (PERSON_WORDS | GIVEN | FAMILY | FULL)
    joined = "".join(ws)
    found |= {w for w in GIVEN | FAMILY | FULL | PERSON_WORDS if w == joined}
    if set(ws) & CONTACT and set(ws) & NAME_WORDS:
        found |= set(ws) & (CONTACT | NAME_WORDS)
    if set(ws) & POSSESSIVES and set(ws) & NAME_WORDS:
        found |= set(ws) & (POSSESSIVES | NAME_WORDS)
    return found


def _property(ws: list[str], markers: set[str]) -> str | None:
    """What of the person a column gives."""
    if set(ws) & FULL or "".join(ws) in FULL:
        return "schema:name"
    if set(ws) & GIVEN or "".join(ws) in GIVEN:
        return "schema:givenName"
    if set(ws) & FAMILY or "".join(ws) in FAMILY:
        return "schema:familyName"
    if set(ws) & ROLE_WORDS:
        return "schema:jobTitle"
    rest = [w for w in ws if w not in markers or w in NAME_WORDS]
    if not rest or set(rest) <= NAME_WORDS:
        return "schema:name"  # `Responsable`, `Nom du contact`
    target = match(" ".join(rest))[0]
    if target and target.target in PERSON_PROPERTIES:
        return target.target
    return None


def _naming_column(persons: Persons) -> str | None:
    for wanted in ("schema:name", "schema:familyName", "schema:givenName"):
        for person_field in persons.fields:
            if person_field.prop == wanted:
                return person_field.column
    return None


def _consent_column(columns: dict[str, Column], words: dict[str, list[str]]) -> str | None:
    """A column of yes/no answers (four in five at least) whose header speaks of consent or publication."""
    for name, column in columns.items():
        if set(words[name]) & CONSENT_WORDS and column.count and column.share(column.yes + column.no) >= 0.8:
            return name
    return None


def _consent_date(columns: dict[str, Column], words: dict[str, list[str]], consent: str | None) -> str | None:
    """A column of dates that says when the consent was given: one whose header speaks of consent, else the
    survey's own timestamp."""
    dated = [name for name, column in columns.items()
             if name != consent and column.count and column.share(column.dates) >= 0.75]
    for name in dated:
        if set(words[name]) & CONSENT_WORDS:
            return name
    for name in dated:
        if "".join(words[name]) in SUBMITTED or set(words[name]) & SUBMITTED:
            return name
    return None
