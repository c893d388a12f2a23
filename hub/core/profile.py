"""The hub's profile (`hub.toml` beside `sources.toml`): the service area the charter checks records against, and
how the linker joins records of the same alternative (`[linking]`).

The area is configuration, never code (DESIGN.md, "A profile, not a city"): a boundary polygon (GeoJSON),
the accepted countries (ISO 3166-1 alpha-2), postal codes per country, and what happens to a record that
gives no location at all. Named parts of the area (the Brussels-Capital Region in the shipped default) list
their own postal codes and may get a boundary of their own; `within` narrows the service area to one of
them. Every key is documented in docs/sources.md ("The hub's profile"). Errors name the file, the line and
the key, like hub/core/config.py's; hub/charter/area.py reads the polygon and judges locations.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters.tomlfile import read_toml
from hub.core.config import ConfigError, _hint
from hub.core.vocabulary import VOCAB_DIR

HUB_FILE = "hub.toml"
# The profile a hub uses when no hub.toml sits beside its sources.toml: Belgium, with Brussels as a part.
AREAS_DIR = VOCAB_DIR / "areas"
DEFAULT_PROFILE = AREAS_DIR / "default.toml"
UNLOCATED = ("accept", "warn", "reject")
LANGUAGES = ("fr", "nl", "en")
_AREA_KEYS = ("name", "boundary", "countries", "postal_codes", "unlocated", "within", "parts")
_PART_KEYS = ("name", "boundary", "countries", "postal_codes")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PART_ID = re.compile(r"^[a-z0-9-]+$")
LINKING_DIR = VOCAB_DIR / "linking"
_LINKING_KEYS = ("link_at", "review_at", "name_lists", "enterprise_numbers")
_STDNUM_MODULE = re.compile(r"^[a-z]{2}\.[a-z_]+$")


class ProfileError(ConfigError):
    """An invalid hub.toml, or a boundary file it names that cannot be used."""


@dataclass(frozen=True)
class PostalCodes:
    """A country's postal codes: a regular expression the whole code must match, or a list of codes."""

    pattern: str | None = None
    codes: frozenset[str] = frozenset()

    def matches(self, code: str) -> bool:
        code = code.strip()
        if self.pattern is not None:
            return re.fullmatch(self.pattern, code) is not None
        return code in self.codes

    def describe(self) -> str:
        """How docs/charter.md shows it: the pattern, or the codes."""
        return f"`{self.pattern}`" if self.pattern is not None else ", ".join(sorted(self.codes))


@dataclass(frozen=True)
class Area:
    """An area: the service area itself or one of its parts."""

    id: str
    name: Mapping[str, str]  # fr, nl, en
    boundary: Path | None  # a GeoJSON (Multi)Polygon; a part may have none
    countries: tuple[str, ...]
    postal_codes: Mapping[str, PostalCodes]
    boundary_line: int = 1  # where `boundary` is written, for the errors of hub/charter/area.py


@dataclass(frozen=True)
class LinkingRules:
    """`[linking]`: the linker's thresholds and lists (docs/sources.md, "Linking"). Without the table: the default
    thresholds, no name lists and no enterprise numbers."""

    link_at: float = 0.9  # a pair scoring this or more is linked
    review_at: float = 0.6  # a pair scoring this or more, and less than link_at, waits in the review queue
    name_lists: tuple[Path, ...] = ()  # fr/nl words, place names, legal forms (vocab/linking/README.md)
    enterprise_numbers: tuple[str, ...] = ()  # python-stdnum modules: "be.vat" (BCE/KBO), "fr.siren"…
    phone_region: str | None = None  # the area's first country: telephone numbers without a country code

    def fingerprint(self) -> str:
        """Changes with any rule or list: every pair is scored anew then."""
        digest = hashlib.sha256(repr((self.link_at, self.review_at, self.enterprise_numbers,
                                      self.phone_region)).encode())
        for path in self.name_lists:
            digest.update(b"\0" + path.read_bytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class HubProfile:
    path: Path  # the hub.toml read, or the shipped default
    area: Area  # the service area: [area], or the part `within` names
    unlocated: str  # accept | warn | reject
    parts: tuple[Area, ...] = field(default_factory=tuple)
    whole: Area | None = None  # [area] when `within` narrowed the service area to a part
    linking: LinkingRules = field(default_factory=LinkingRules)

    def fingerprint(self) -> str:
        """Changes with the profile file or a boundary file: records are then judged anew."""
        digest = hashlib.sha256(self.path.read_bytes())
        for area in (self.area, *self.parts):
            if area.boundary is not None:
                digest.update(b"\0" + area.boundary.read_bytes())
        return digest.hexdigest()


def profile_path(sources_path: Path) -> Path:
    """The hub.toml beside sources.toml, else the shipped default profile."""
    beside = sources_path.parent / HUB_FILE
    return beside if beside.is_file() else DEFAULT_PROFILE


def load_profile(path: Path) -> HubProfile:
    """Reads and checks a hub.toml; raises ProfileError naming the file, the line and the key."""
    text, document = read_toml(path, ProfileError, " the hub's profile")
    locator = _Locator(text)
    for key in document:
        if key not in ("area", "linking", "store"):  # [store] is hub/core/store_config.py's
            raise ProfileError(f"{path}:{locator.line('', key)}: unknown key {key!r}"
                               f"{_hint(key, ['area', 'linking', 'store'])}")
    table = document.get("area")
    if not isinstance(table, dict):
        raise ProfileError(f"{path}:1: the profile needs an [area] table: its boundary, countries and postal codes "
                          f"(docs/sources.md, \"The hub's profile\")")
    reader = _AreaReader(path, locator)
    area = reader.area("area", "area", table, _AREA_KEYS, boundary_required=True, inherited=None)
    unlocated = table.get("unlocated", "warn")
    if unlocated not in UNLOCATED:
        raise reader.fail("area", "unlocated", f"'unlocated' must be one of {', '.join(UNLOCATED)}, not "
                          f"{unlocated!r}{_hint(str(unlocated), UNLOCATED)}")
    parts_table = table.get("parts", {})
    if not isinstance(parts_table, dict):
        raise reader.fail("area", "parts", "'parts' must be a table of named parts: write [area.parts.NAME]")
    parts = []
    for part_id, part_table in parts_table.items():
        where = f"area.parts.{part_id}"
        if not _PART_ID.match(part_id):
            raise reader.fail(where, None, f"part name {part_id!r} must match [a-z0-9-]+")
        if not isinstance(part_table, dict):
            raise reader.fail(where, None, f"part {part_id!r} must be a table: write [area.parts.{part_id}]")
        parts.append(reader.area(part_id, where, part_table, _PART_KEYS, boundary_required=False, inherited=area))
    linking = _linking(reader, document.get("linking", {}), area)
    within = table.get("within")
    if within is None:
        return HubProfile(path.resolve(), area, str(unlocated), tuple(parts), linking=linking)
    chosen = next((part for part in parts if part.id == within), None)
    if chosen is None:
        raise reader.fail("area", "within", f"'within' names no part: {within!r}"
                          f"{_hint(str(within), [p.id for p in parts])}; parts: {', '.join(p.id for p in parts)}")
    if chosen.boundary is None:
        raise reader.fail("area", "within", f"the part {within!r} has no boundary: give it one "
                          f"([area.parts.{within}] boundary = \"FILE.geojson\") before serving it alone")
    return HubProfile(path.resolve(), chosen, str(unlocated), tuple(parts), whole=area, linking=linking)


def _linking(reader: _AreaReader, table: object, area: Area) -> LinkingRules:
    if not isinstance(table, dict):
        raise reader.fail("linking", None, "'linking' must be a table: write [linking]")
    for key in table:
        if key not in _LINKING_KEYS:
            raise reader.fail("linking", key, f"unknown key {key!r}{_hint(key, _LINKING_KEYS)}")
    thresholds = {}
    for key, default in (("link_at", LinkingRules.link_at), ("review_at", LinkingRules.review_at)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise reader.fail("linking", key, f"'{key}' must be a score between 0 and 1, e.g. {default}")
        thresholds[key] = float(value)
    if thresholds["review_at"] > thresholds["link_at"]:
        raise reader.fail("linking", "review_at", f"'review_at' ({thresholds['review_at']}) must not be above "
                                                  f"'link_at' ({thresholds['link_at']}): pairs between the two wait "
                                                  f"for review")
    lists = table.get("name_lists", [])
    if not isinstance(lists, list) or not all(isinstance(item, str) and item.strip() for item in lists):
        raise reader.fail("linking", "name_lists", "'name_lists' must be a list of name list files, e.g. "
                                                   "[\"glossary-fr-nl\", \"brussels-communes\"]")
    paths = []
    for item in lists:
        found = _list_path(item, reader.path)
        if not found.is_file():
            shipped = sorted(p.stem for p in LINKING_DIR.glob("*.tsv"))
            raise reader.fail("linking", "name_lists", f"the name list {item!r} does not exist (paths are relative to "
                                                       f"{reader.path.name}; shipped lists: {', '.join(shipped)})"
                                                       f"{_hint(item, shipped)}")
        paths.append(found)
    schemes = table.get("enterprise_numbers", [])
    if not isinstance(schemes, list) or not all(isinstance(item, str) for item in schemes):
        raise reader.fail("linking", "enterprise_numbers", "'enterprise_numbers' must be a list of python-stdnum "
                                                           "modules, e.g. [\"be.vat\"] (Belgian BCE/KBO numbers)")
    for scheme in schemes:
        if not _STDNUM_MODULE.match(scheme) or importlib.util.find_spec(f"stdnum.{scheme}") is None:
            raise reader.fail("linking", "enterprise_numbers", f"{scheme!r} is not a python-stdnum module: name one "
                                                               f"such as \"be.vat\" (BCE/KBO) or \"fr.siren\"")
    return LinkingRules(thresholds["link_at"], thresholds["review_at"], tuple(paths), tuple(schemes),
                        area.countries[0] if area.countries else None)


def _list_path(value: str, profile: Path) -> Path:
    """`glossary-fr-nl` -> the shipped vocab/linking/glossary-fr-nl.tsv; anything else is a path, relative to the
    profile."""
    if "/" not in value and "." not in value:
        return LINKING_DIR / f"{value}.tsv"
    return (Path(value) if Path(value).is_absolute() else profile.parent / value).resolve()


class _AreaReader:
    def __init__(self, path: Path, locator: _Locator) -> None:
        self.path = path
        self.locator = locator

    def fail(self, table: str, key: str | None, reason: str) -> ProfileError:
        return ProfileError(f"{self.path}:{self.locator.line(table, key)}: [{table}]: {reason}")

    def area(self, area_id: str, where: str, table: dict[str, Any], allowed: tuple[str, ...],
             boundary_required: bool, inherited: Area | None) -> Area:
        for key in table:
            if key not in allowed:
                raise self.fail(where, key, f"unknown key {key!r}{_hint(key, allowed)}")
        name = table.get("name")
        if not isinstance(name, dict) or set(name) != set(LANGUAGES) or \
                not all(isinstance(v, str) and v.strip() for v in name.values()):
            raise self.fail(where, "name", "'name' must give the area's name in fr, nl and en, e.g. "
                                           "name = { fr = \"Belgique\", nl = \"België\", en = \"Belgium\" }")
        boundary = None
        if "boundary" in table:
            value = table["boundary"]
            if not isinstance(value, str) or not value.strip():
                raise self.fail(where, "boundary", "'boundary' must be the path of a GeoJSON file, or the name "
                                                   f"of a shipped one ({', '.join(shipped_boundaries())})")
            boundary = _boundary_path(value, self.path)
            if not boundary.is_file():
                shipped = shipped_boundaries()
                raise self.fail(where, "boundary", f"the boundary file {value!r} does not exist (paths are "
                                                   f"relative to {self.path.name}; shipped boundaries: "
                                                   f"{', '.join(shipped)}){_hint(value, shipped)}")
        elif boundary_required:
            raise self.fail(where, None, "missing required key 'boundary': a GeoJSON file with the area's "
                                         "Polygon or MultiPolygon")
        countries = self._countries(where, table, inherited)
        postal_codes = self._postal_codes(where, table.get("postal_codes", {}), countries)
        return Area(area_id, {lang: name[lang].strip() for lang in LANGUAGES}, boundary, countries, postal_codes,
                    self.locator.line(where, "boundary"))

    def _countries(self, where: str, table: dict[str, Any], inherited: Area | None) -> tuple[str, ...]:
        if "countries" not in table:
            if inherited is not None:
                return inherited.countries
            raise self.fail(where, None, "missing required key 'countries': the ISO 3166-1 alpha-2 codes of the "
                                         "countries the area lies in, e.g. countries = [\"BE\"]")
        value = table["countries"]
        if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
            raise self.fail(where, "countries", "'countries' must be a list of ISO 3166-1 alpha-2 codes, "
                                                "e.g. [\"BE\"]")
        for country in value:
            if not _COUNTRY.match(country):
                raise self.fail(where, "countries", f"country {country!r} is not an ISO 3166-1 alpha-2 code: "
                                                    f"two capital letters, such as \"BE\" or \"FR\"")
        if inherited is not None:
            foreign = [c for c in value if c not in inherited.countries]
            if foreign:
                raise self.fail(where, "countries", f"country {foreign[0]!r} is not one of the area's "
                                                    f"({', '.join(inherited.countries)})")
        return tuple(value)

    def _postal_codes(self, where: str, value: object, countries: tuple[str, ...]) -> dict[str, PostalCodes]:
        if not isinstance(value, dict):
            raise self.fail(where, "postal_codes", "'postal_codes' must be a table of country -> pattern or "
                                                   "list of codes, e.g. postal_codes = { BE = \"^[1-9][0-9]{3}$\" }")
        found = {}
        for country, rule in value.items():
            if country not in countries:
                raise self.fail(where, "postal_codes", f"postal codes for {country!r}, which is not one of the "
                                                       f"area's countries ({', '.join(countries)})"
                                                       f"{_hint(country, countries)}")
            if isinstance(rule, str):
                try:
                    re.compile(rule)
                except re.error as error:
                    raise self.fail(where, "postal_codes", f"the postal code pattern of {country} is not a "
                                                           f"regular expression: {error}") from error
                found[country] = PostalCodes(pattern=rule)
            elif isinstance(rule, list) and rule and all(isinstance(c, str) and c.strip() for c in rule):
                found[country] = PostalCodes(codes=frozenset(c.strip() for c in rule))
            else:
                raise self.fail(where, "postal_codes", f"the postal codes of {country} must be a regular "
                                                       f"expression or a non-empty list of codes")
        return found


def shipped_boundaries() -> list[str]:
    """The boundaries a profile may name without a path (vocab/areas/NAME.geojson)."""
    return sorted(path.stem for path in AREAS_DIR.glob("*.geojson"))


def _boundary_path(value: str, profile: Path) -> Path:
    """`belgium` -> the shipped vocab/areas/belgium.geojson; anything else is a path, relative to the profile."""
    if "/" not in value and "." not in value:
        return AREAS_DIR / f"{value}.geojson"
    return (Path(value) if Path(value).is_absolute() else profile.parent / value).resolve()


class _Locator:
    """The line of a key in a table (tomllib reports no positions): under its [header], or written as a
    dotted key (`parts.brussels.boundary = …`) under a parent's header; else the header's line, else 1."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line(self, table: str, key: str | None) -> int:
        headers: dict[str, int] = {}
        for number, text in enumerate(self.lines):
            if text.strip().startswith("["):
                headers.setdefault(text.strip().strip("[]").strip(), number)
        if key and f"{table}.{key}".lstrip(".") in headers:  # a sub-table: [area.postal_codes]
            return headers[f"{table}.{key}".lstrip(".")] + 1
        starts = sorted(headers.values())
        parts = table.split(".") if table else []
        for depth in range(len(parts), -1, -1):
            header = ".".join(parts[:depth])
            if depth and header not in headers:
                continue
            start = headers[header] if depth else -1  # top-level keys come before the first header
            end = next((i for i in starts if i > start), len(self.lines))
            rest = [*parts[depth:], *([key] if key else [])]
            if not rest:
                return start + 1
            pattern = re.compile(rf"^\s*{re.escape('.'.join(rest))}\s*(=|\.)")
            for number in range(start + 1, end):
                if pattern.match(self.lines[number]):
                    return number + 1
        return headers[table] + 1 if table in headers else 1
