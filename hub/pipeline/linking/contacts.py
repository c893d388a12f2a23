"""Contacts and identifiers as the linker compares them: a website, an e-mail address, a telephone number, an
enterprise number (with its check digits), a platform's id.

Telephone numbers go through `phonenumbers` (Google's libphonenumber) in the profile's first country, enterprise
numbers through `python-stdnum` modules the profile names (`be.vat` checks a Belgian BCE/KBO number's mod-97
digits; `fr.siren` a French SIREN's Luhn digit), so that what is a valid number is said by those libraries, not here.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import ModuleType
from urllib.parse import urlsplit

import phonenumbers

from hub.pipeline.linking.names import fold

# Hosts whose pages belong to many organisations: there a page's path, not the host, names the organisation.
SHARED_HOSTS = frozenset({
    "facebook.com", "m.facebook.com", "fb.com", "instagram.com", "linkedin.com", "twitter.com", "x.com",
    "youtube.com", "linktr.ee", "sites.google.com", "google.com", "goo.gl", "maps.google.com", "meetup.com",
    "eventbrite.com", "eventbrite.be", "helloasso.com", "gogocarto.fr", "transiscope.org", "kartevonmorgen.org",
    "openstreetmap.org", "wikidata.org", "wikipedia.org", "notion.site", "canva.site", "wixsite.com",
})
_DIGITS = re.compile(r"\d+")


class IdentifierError(ValueError):
    """An enterprise-number scheme the profile names that python-stdnum does not have."""


def website(url: str) -> tuple[str, str] | None:
    """(page, site) keys of a web address: `https://www.x.example/fr/` -> (`x.example/fr`, `x.example`). On a host
    many organisations share (a social network, a directory), the site is the page: the host says nothing."""
    text = url.strip()
    if "//" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.")
    path = parts.path.rstrip("/").lower()
    page = host + path
    labels = host.split(".")
    shared = next((".".join(labels[i:]) for i in range(len(labels) - 1) if ".".join(labels[i:]) in SHARED_HOSTS),
                  None)
    if shared is not None:  # fr-fr.facebook.com/x is facebook.com/x
        page = shared + path
        return page, page
    return page, host


def email(value: str) -> str | None:
    """`mailto:Info@X.example` -> `info@x.example`; None when it is not an address."""
    text = value.strip().removeprefix("mailto:").split("?", 1)[0].strip().lower()
    local, at, domain = text.partition("@")
    return text if at and local and "." in domain else None


class Phones:
    """Telephone numbers in E.164 (`+3220001234`), read in the hub's country when they have no country code."""

    def __init__(self, region: str | None) -> None:
        self.region = region

    @lru_cache(maxsize=65536)  # noqa: B019 - one object per linker run; the cache ends with it
    def normal(self, value: str) -> str | None:
        text = value.strip().removeprefix("tel:")
        if len(_DIGITS.sub("", text)) > len(text) * 0.6:  # words, not a number
            return None
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            digits = "".join(_DIGITS.findall(text))
            return digits if len(digits) >= 6 else None
        if not phonenumbers.is_possible_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class EnterpriseNumbers:
    """The profile's enterprise-number schemes (python-stdnum module names such as `be.vat`)."""

    def __init__(self, schemes: Sequence[str]) -> None:
        self.checks: list[tuple[str, Callable[[str], bool], Callable[[str], str]]] = []
        for scheme in schemes:
            module = _stdnum(scheme)
            self.checks.append((scheme, module.is_valid, module.compact))

    def normal(self, value: str) -> str | None:
        """`scheme:number` for a valid number (its check digits right), else None."""
        text = value.strip()
        if not any(c.isdigit() for c in text):
            return None
        for scheme, valid, compact in self.checks:
            try:
                if valid(text):
                    return f"{scheme}:{compact(text)}"
            except Exception:  # noqa: BLE001 - stdnum raises its own errors on odd input: not a number then
                continue
        return None


def _stdnum(scheme: str) -> ModuleType:
    if not re.fullmatch(r"[a-z]{2}\.[a-z_]+", scheme):
        raise IdentifierError(f"enterprise number scheme {scheme!r} is not a python-stdnum module name such as "
                              f"'be.vat' or 'fr.siren'")
    try:
        module = importlib.import_module(f"stdnum.{scheme}")
    except ImportError as error:
        raise IdentifierError(f"python-stdnum has no module {scheme!r} for enterprise numbers (see its list of "
                              f"formats, e.g. be.vat, fr.siren, nl.kvk)") from error
    if not hasattr(module, "is_valid") or not hasattr(module, "compact"):
        raise IdentifierError(f"stdnum.{scheme} does not check numbers (no is_valid)")
    return module


def platform_id(value: str, scheme: str | None = None) -> str | None:
    """A platform's id as a key: a `PropertyValue` (scheme and value), an IRI, or a literal that names its scheme
    (`osm:node/123`). A bare `12` or `rc-01` is some table's row number, shared by chance: not an identifier."""
    text = fold(value.strip())
    if not text:
        return None
    if scheme:
        return f"{fold(scheme.strip())}={text}"
    if text.startswith(("http://", "https://", "urn:")):
        return text
    prefix, colon, rest = text.partition(":")
    if colon and prefix.isalpha() and len(prefix) >= 2 and rest:
        return text
    return None
