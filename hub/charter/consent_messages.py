"""Coded consent warnings: a code (`consent.nested-person`) with parameters, rendered in French, Dutch and English.

Publishers and their tools key on the code and its parameters rather than on a sentence. The parameters name
places (the record, the property, a node label) and the rule that applied, never a person's name, e-mail or any
other value: the person did not consent to be named. A run's warnings are text today, so `warning` writes the
English sentence followed by its code in brackets.

The same style as the charter's verdict messages (hub/charter/messages.py, where this table moves once both are
in one branch).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("fr", "nl", "en")
MESSAGES: dict[str, dict[str, str]] = {
    "consent.nested-person": {
        "fr": "{record} : personne imbriquée retirée ({node}, {why}) à {via} : pas de consentement à la publication "
              "avec une portée et une date qui ne soit pas dans le futur",
        "nl": "{record}: geneste persoon verwijderd ({node}, {why}) bij {via}: geen toestemming voor publicatie met "
              "een reikwijdte en een datum die niet in de toekomst ligt",
        "en": "{record}: removed a nested person ({node}, {why}) at {via}: no consent for public listing with a "
              "scope and a date not in the future",
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
}


def render(code: str, params: Mapping[str, object]) -> dict[str, str]:
    """The code's sentence in each language."""
    return {lang: MESSAGES[code][lang].format(**params) for lang in LANGUAGES}


def warning(code: str, **params: object) -> str:
    """A run warning: the English sentence and its code."""
    return f"{render(code, params)['en']} [{code}]"
