"""Theme tables: a platform's categories and tags, aligned to the hub's themes by a table a network can edit.

A platform names its categories in its own words ("Agriculture & Alimentation", "Repair Café", "Zero Waste").
A theme table says which of the hub's themes (vocab/schemes.ttl, `hub:themes`) each one means:

```toml
[themes]
"Alimentation" = "theme:food"                        # one theme
"Épicerie vrac" = ["theme:food-bulk", "theme:zero-waste"]   # several
"Autre" = []                                         # deliberately none (not reported as a miss)
```

Each platform format ships one (harvesters/themes/NAME.toml); a source's `themes` key in sources.toml names a
file whose entries are laid over the shipped ones (a label given there wins; `[]` removes a shipped one). Labels
are compared as the mapping's concepts are: case, surrounding and repeated spaces aside, accents kept. A theme is
written `theme:NAME` or as its full IRI, and must be one of the hub's (the table is refused otherwise, with a
"did you mean"). No I/O beyond reading the files it is given and vocab/schemes.ttl.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters.tomlfile import read_toml

HUB = "https://w3id.org/mutualisons/ns#"
THEME_PREFIX = HUB + "theme-"
SHIPPED = Path(__file__).resolve().parent / "themes"
SCHEMES = Path(__file__).resolve().parent.parent / "vocab" / "schemes.ttl"
_THEME_CONCEPT = re.compile(r"^hub:theme-([a-z0-9-]+)\s+a\s+skos:Concept", re.MULTILINE)


class ThemeTableError(Exception):
    """A theme table that cannot be used: names the file, the label and the reason."""


@dataclass(frozen=True)
class ThemeTable:
    """Labels (normalised) -> the hub themes they mean; `where` lists the files it was read from."""

    where: str
    themes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def lookup(self, label: str) -> tuple[str, ...] | None:
        """The themes a label means (maybe none, on purpose), or None when the table does not know it."""
        return self.themes.get(normal(label))

    def over(self, other: ThemeTable) -> ThemeTable:
        """This table with `other`'s entries laid over it (a source's table over the platform's)."""
        return ThemeTable(f"{self.where} + {other.where}", {**self.themes, **other.themes})


def normal(label: str) -> str:
    return " ".join(str(label).split()).casefold()


@functools.cache
def hub_themes() -> frozenset[str]:
    """The IRIs of the hub's themes (vocab/schemes.ttl)."""
    return frozenset(THEME_PREFIX + name for name in _THEME_CONCEPT.findall(SCHEMES.read_text(encoding="utf-8")))


def shipped_themes(name: str) -> Path:
    """The theme table shipped for a platform format (`gogocarto` -> harvesters/themes/gogocarto.toml)."""
    return SHIPPED / f"{name}.toml"


def load_themes(path: Path) -> ThemeTable:
    """Reads and checks one theme table; raises ThemeTableError naming the file and the label."""
    _, document = read_toml(path, ThemeTableError, " the theme table")
    return parse_themes(document, str(path))


def parse_themes(document: dict[str, Any], where: str) -> ThemeTable:
    unknown = [key for key in document if key != "themes"]
    if unknown:
        raise ThemeTableError(f"{where}: unknown key {unknown[0]!r}: a theme table has one table, [themes]")
    raw = document.get("themes", {})
    if not isinstance(raw, dict):
        raise ThemeTableError(f"{where}: [themes] maps a platform's label to a theme or a list of themes")
    known = hub_themes()
    themes: dict[str, tuple[str, ...]] = {}
    for label, value in raw.items():
        values = value if isinstance(value, list) else [value]
        iris = []
        for theme in values:
            if not isinstance(theme, str):
                raise ThemeTableError(f"{where}: {label!r}: a theme is written \"theme:NAME\", not {theme!r}")
            iri = THEME_PREFIX + theme.removeprefix("theme:") if theme.startswith("theme:") else theme
            if iri not in known:
                names = sorted("theme:" + t.removeprefix(THEME_PREFIX) for t in known)
                close = difflib.get_close_matches(theme, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ThemeTableError(f"{where}: {label!r}: {theme!r} is not one of the hub's themes{hint}; "
                                      f"they are: {', '.join(names)}")
            iris.append(iri)
        themes[normal(label)] = tuple(iris)
    return ThemeTable(where, themes)


def theme_table(shipped: str | None, override: Path | None) -> ThemeTable | None:
    """A platform's shipped table with a source's own laid over it; None when there is neither. Read once per
    version of the files (every page of a paged API asks for it)."""
    path = shipped_themes(shipped) if shipped else None
    return _theme_table(path if path is not None and path.is_file() else None, _stamp(path), override,
                        _stamp(override))


def _stamp(path: Path | None) -> int | None:
    try:
        return path.stat().st_mtime_ns if path is not None else None
    except OSError:
        return None


@functools.lru_cache(maxsize=32)
def _theme_table(shipped: Path | None, shipped_stamp: int | None, override: Path | None,
                 override_stamp: int | None) -> ThemeTable | None:
    table = load_themes(shipped) if shipped is not None else None
    if override is None:
        return table
    own = load_themes(override)
    return table.over(own) if table is not None else own
