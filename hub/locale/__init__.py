"""The hub's words in French, Dutch and English: gettext catalogs read with Babel, and how a reader's language is
picked.

The catalogs are the `.po` files beside this module, one per language and domain (`pages`: what the pages show;
`charter`: the coded messages of verdicts, runs and checks; `problems`: the API's problem titles and details).
Their msgids are keys (`prop_name`, `area.outside`), the English catalog being the reference the others are
translated from (docs/translating.md). A catalog is read from its compiled `.mo` when `pybabel compile` made one
newer than the `.po`, else compiled in memory from the `.po`: a fresh clone, an installed wheel and a translator's
working copy all speak the current words, and nothing is ever written next to the package.

A key missing from a language (not yet translated, or fuzzy) falls back to English; a key missing from English is a
bug and raises KeyError, so tests catch it. This module imports nothing of the hub: every room may use it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"  # the networks' first language
REFERENCE = "en"  # the catalog the others are translated from
DOMAINS = ("pages", "charter", "problems")
LOCALE_DIR = Path(__file__).resolve().parent
# The CLDR plural categories and a number of each, to hand a script the forms it picks with Intl.PluralRules.
_SAMPLES = {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 1_000_000, "other": 7}


def catalog_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


@functools.cache
def translations(lang: str, domain: str) -> Translations:
    """The catalog of `domain` in `lang`: the compiled .mo when it is up to date, else the .po compiled here."""
    source = catalog_path(lang, domain)
    compiled = source.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return Translations(handle, domain=domain)
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is a guess, not a translation: English instead
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def _known(lang: str, domain: str) -> dict[Any, str]:
    known: dict[Any, str] = translations(lang, domain)._catalog
    return known


def has(key: str, domain: str = "pages") -> bool:
    """Whether the reference catalog knows `key` (a singular or a plural entry)."""
    known = _known(REFERENCE, domain)
    return key in known or (key, 0) in known


def keys(domain: str = "pages") -> list[str]:
    """Every key of the domain, as the reference catalog lists them."""
    seen: dict[str, None] = {}
    for key in _known(REFERENCE, domain):
        name = key[0] if isinstance(key, tuple) else key
        if name:  # the header's empty msgid
            seen[str(name)] = None
    return list(seen)


def _speaking(lang: str, domain: str, key: object) -> str:
    """The language whose catalog holds `key`: `lang`, else English; KeyError when English lacks it too."""
    for candidate in (lang if lang in LANGUAGES else REFERENCE, REFERENCE):
        if key in _known(candidate, domain):
            return candidate
    raise KeyError(f"{key!r} is in no catalog of the {domain!r} domain")


def text(lang: str, key: str, domain: str = "pages", **values: object) -> str:
    """The words of `key` in `lang`, with `{name}` replaced by `values`; a plural key without its count gives its
    general form (the one for "2")."""
    if key not in _known(REFERENCE, domain) and (key, 0) in _known(REFERENCE, domain):
        said = translations(_speaking(lang, domain, (key, 0)), domain).ngettext(key, key, 2)
    else:
        said = translations(_speaking(lang, domain, key), domain).gettext(key)
    return said.format(**values) if values else said


def plural(lang: str, key: str, count: int, domain: str = "pages", **values: object) -> str:
    """The form of `key` for `count` in `lang` ("1 plaats", "2 plaatsen"); `{n}` is the count."""
    speaking = _speaking(lang, domain, (key, 0))
    said = translations(speaking, domain).ngettext(key, key, count)
    return said.format(n=count, **values)


def plural_forms(lang: str, key: str, domain: str = "pages") -> dict[str, str]:
    """The forms of `key` by CLDR category (`one`, `many`, `other`…), for a script that picks with
    `Intl.PluralRules`."""
    speaking = _speaking(lang, domain, (key, 0))
    rule = Locale.parse(speaking).plural_form
    return {category: translations(speaking, domain).ngettext(key, key, _SAMPLES[category])
            for category in (*rule.tags, "other")}


def negotiate(asked: str | None, accept_language: str = "") -> str:
    """`asked` (a `?lang=`) when the hub speaks it, then the best language of Accept-Language it speaks, then
    French."""
    if asked in LANGUAGES:
        return str(asked)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT


def parse_moment(value: object) -> dt.datetime | dt.date | None:
    """An xsd:date or xsd:dateTime as Python reads it, or None when it is neither."""
    raw = "" if value is None else str(value).strip()
    try:
        if "T" in raw:
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def date(value: dt.date | dt.datetime, lang: str, width: str = "long") -> str:
    """A day as the language writes it: 7 décembre 2026, 7 december 2026, December 7, 2026."""
    return format_date(value, width, locale=lang if lang in LANGUAGES else REFERENCE)


def moment(value: object, lang: str, zone: dt.tzinfo = dt.UTC) -> str:
    """An xsd:dateTime (or date) as the language writes it, in `zone`; a value that is neither is shown as it is."""
    parsed = parse_moment(value)
    locale = lang if lang in LANGUAGES else REFERENCE
    if isinstance(parsed, dt.datetime):
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        local = aware.astimezone(zone)
        said = f"{format_date(local, 'medium', locale=locale)} {format_time(local, 'short', locale=locale)}"
        return f"{said} UTC" if zone is dt.UTC else said
    if isinstance(parsed, dt.date):
        return date(parsed, lang, "medium")
    return "" if value is None else str(value)


def ago(value: object, lang: str, now: dt.datetime | None = None) -> str:
    """How long ago an xsd:dateTime was, as the language says it ("il y a 3 jours", "3 dagen geleden"); "" for a
    value that is not a time."""
    parsed = parse_moment(value)
    if not isinstance(parsed, dt.datetime):
        return ""
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return format_timedelta(aware - (now or dt.datetime.now(dt.UTC)), add_direction=True,
                            locale=lang if lang in LANGUAGES else REFERENCE)


# ------------------------------------------------- sentences written in English, said again in another language

_FIELD = re.compile(r"\{(\w+)\}")


@functools.cache
def _patterns(domain: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The domain's English templates with parameters, as patterns whose groups are the parameters; the longest
    first, so a specific sentence wins over a general one."""
    found = []
    for key in keys(domain):
        english = translations(REFERENCE, domain).gettext(key)
        if not _FIELD.search(english):
            continue
        parts, last, seen = [], 0, set()
        for field in _FIELD.finditer(english):
            parts.append(re.escape(english[last:field.start()]))
            name = field.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            last = field.end()
        parts.append(re.escape(english[last:]))
        found.append((key, re.compile("".join(parts), re.S)))
    return tuple(sorted(found, key=lambda pair: -len(pair[1].pattern)))


def translate(lang: str, english: str, domain: str) -> str:
    """An English sentence of the domain (a problem's title or detail) in `lang`: a msgid said as it is, or a
    sentence one of the domain's templates reads (its parameters kept as they were); else `english` unchanged."""
    if lang not in LANGUAGES or lang == REFERENCE:
        return english
    if english in _known(REFERENCE, domain):
        return text(lang, english, domain)
    for key, pattern in _patterns(domain):
        matched = pattern.fullmatch(english)
        if matched is not None:
            return text(lang, key, domain, **matched.groupdict())
    return english
