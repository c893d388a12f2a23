"""Every string the pages show, in French, Dutch and English, and how a page picks its language.

The words are the `pages` gettext catalog (hub/locale/{fr,nl,en}/LC_MESSAGES/pages.po, docs/translating.md);
this module is the pages' short way to them. `?lang=fr|nl|en` wins over the browser's Accept-Language; French is
the default (the networks' first language).
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from hub import locale
from hub.locale import LANGUAGES

DEFAULT = locale.DEFAULT
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
__all__ = ["DEFAULT", "LANGUAGES", "LANGUAGE_NAMES", "ago", "bundle", "day", "keys", "maybe", "moment", "negotiate",
           "pick", "plural", "plural_bundle", "t"]


def negotiate(request: Request) -> str:
    """`?lang=` first, then the best language of Accept-Language the pages speak, then French."""
    return locale.negotiate(request.query_params.get("lang"), request.headers.get("accept-language", ""))


def t(lang: str, key: str, **values: object) -> str:
    """The string `key` in `lang`; a missing key is a bug, so it fails loudly in tests."""
    return locale.text(lang, key, "pages", **values)


def maybe(lang: str, key: str, fallback: str) -> str:
    """The string `key` when it is known (field and class names), else `fallback`."""
    return t(lang, key) if locale.has(key) else fallback


def plural(lang: str, key: str, count: int, **values: object) -> str:
    """The form of `key` for `count` ("1 plaats", "2 plaatsen")."""
    return locale.plural(lang, key, count, "pages", **values)


def moment(value: object, lang: str) -> str:
    """A date or time of the hub (UTC) as the page's language writes it."""
    return locale.moment(value, lang)


def ago(value: object, lang: str, now: dt.datetime | None = None) -> str:
    """How long ago a time of the hub was, in the page's language ("3 dagen geleden")."""
    return locale.ago(value, lang, now)


def day(value: dt.date, lang: str) -> str:
    """A day as the page's language writes it (7 décembre 2026, 7 december 2026, December 7, 2026)."""
    return locale.date(value, lang)


def keys() -> list[str]:
    return locale.keys()


def bundle(lang: str, names: list[str]) -> dict[str, str]:
    """The strings a page's script needs, handed over as JSON."""
    return {name: t(lang, name) for name in names}


def plural_bundle(lang: str, names: list[str]) -> dict[str, dict[str, str]]:
    """The plural forms a page's script needs, by CLDR category: the script picks one with Intl.PluralRules."""
    return {name: locale.plural_forms(lang, name) for name in names}


def pick(values: dict[str, str], lang: str) -> str:
    """A language-tagged value in the page's language, else French, Dutch, English, then any."""
    for candidate in (lang, *LANGUAGES, "und"):
        if values.get(candidate):
            return values[candidate]
    return next(iter(values.values()), "")
