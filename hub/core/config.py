"""The source registry (`sources.toml`) and the hub's settings.

Every key is documented in docs/sources.md. Errors name the file, the line and the key, with a
"did you mean" hint for a misspelt key, because publishers edit this file by hand.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from harvesters import formats as feed_formats
from harvesters.paging import Paging, PagingError
from harvesters.themes import ThemeTableError, load_themes
from harvesters.tomlfile import read_toml
from hub.core.vocabulary import PROFILES_DIR

DEFAULT_BASE_IRI = "http://127.0.0.1:8000/"
DEFAULT_MAX_BYTES = 104_857_600
# The runs of a source whose payloads, whole history files and quarantines are kept (docs/sources.md).
DEFAULT_KEEP_RUNS = 5
# The share of a source's records one run may remove before it is held for an admin (docs/sources.md).
DEFAULT_MAX_REMOVAL = 0.5
DEFAULT_MAX_SECONDS = 600.0  # the whole fetch of one document: connect, headers, body, redirects, retries
REQUIRED_KEYS = ("id", "name", "url", "license", "publisher", "contact")
OPTIONAL_KEYS = (
    "push", "format", "language", "base", "trusted_hosts", "max_bytes", "period", "gone_grace", "mapping",
    "profiles", "keep_runs", "max_removal", "max_seconds", "paging", "themes",
)
_ID = re.compile(r"^[a-z0-9-]+$")
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
# The characters an IRI may hold (RFC 3987, loosely: valid escapes, no space, quotes, <>, {}, [], |, \\, ^, `).
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:(?:[^\x00-\x20<>"{}|\\^`\[\]%\x7f]|%[0-9A-Fa-f]{2})*$')
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def known_profiles() -> list[str]:
    """The charter profiles a source may name (`profiles`): shapes/profiles/NAME.ttl."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.ttl"))


def unknown_profile(name: str) -> str | None:
    """Why `name` is no profile (with a "did you mean"), or None when it is one."""
    known = known_profiles()
    if name in known:
        return None
    return f"unknown profile {name!r}{_hint(name, known)}; profiles: {', '.join(known) or 'none'} (shapes/profiles/)"


def is_source_id(value: str) -> bool:
    """Whether a text could be a source's id (what `id` accepts), e.g. a path segment of the API."""
    return _ID.fullmatch(value) is not None


class ConfigError(Exception):
    """An invalid `sources.toml`: the message names the file, the line and the reason."""


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    urls: tuple[str, ...]
    license: str
    publisher: str
    contact: str
    toml_dir: Path
    format: str | None = None
    language: str | None = None
    base: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    period: str = "P1D"
    gone_grace: str = "P7D"
    mapping: str | None = None
    profiles: tuple[str, ...] = field(default_factory=tuple)
    keep_runs: int = DEFAULT_KEEP_RUNS
    max_removal: float = DEFAULT_MAX_REMOVAL
    max_seconds: float = DEFAULT_MAX_SECONDS
    paging: Paging | None = None  # [source.paging]: how to read a paged API (harvesters/paging.py)
    themes: str | None = None  # a theme table laid over the format's (harvesters/themes.py), relative to the file
    # The network may push documents with its token (PUT /api/sources/{id}/documents/{name}); they are harvested
    # beside its `url`s, which a pushing source may leave out (docs/sources.md, docs/publishers.md).
    push: bool = False

    def themes_path(self) -> Path | None:
        """The source's own theme table: relative to sources.toml, or absolute."""
        if self.themes is None:
            return None
        path = Path(self.themes)
        return path if path.is_absolute() else self.toml_dir / path

    def base_iri(self, hub_base: str) -> str:
        """Base IRI for relative IRIs in `file:` feeds: never a machine path."""
        return self.base or f"{hub_base}source/{self.id}/"

    def mapping_path(self) -> Path | None:
        """The mapping file: relative to sources.toml, absolute, or a shipped one by name (`hsds`)."""
        if self.mapping is None:
            return None
        if "/" not in self.mapping and not self.mapping.endswith(".toml"):
            from harvesters.mapping import shipped_mapping

            return shipped_mapping(self.mapping)
        path = Path(self.mapping)
        return path if path.is_absolute() else self.toml_dir / path

    def publisher_is_iri(self) -> bool:
        return self.publisher.startswith(("http://", "https://"))


def load_sources(path: Path) -> list[Source]:
    """Reads and checks a `sources.toml`; raises ConfigError with the line of the first problem."""
    text, document = read_toml(path, ConfigError)
    locator = _KeyLocator(text)
    unknown_top = [key for key in document if key != "source"]
    if unknown_top:
        key = unknown_top[0]
        raise ConfigError(f"{path}:{locator.top_level_line(key)}: unknown key {key!r}{_hint(key, ['source'])}")
    tables = document.get("source", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: 'source' must be an array of tables: write [[source]]")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        source = _source_from_table(path, locator, index, table)
        if source.id in seen:
            raise ConfigError(f"{path}:{locator.key_line(index, 'id')}: source id {source.id!r} is used twice")
        seen.add(source.id)
        sources.append(source)
    return sources


def _source_from_table(path: Path, locator: _KeyLocator, index: int, table: dict[str, object]) -> Source:
    def fail(key: str | None, reason: str) -> ConfigError:
        line = locator.key_line(index, key) if key else locator.table_line(index)
        return ConfigError(f"{path}:{line}: [[source]] #{index + 1}: {reason}")

    allowed = REQUIRED_KEYS + OPTIONAL_KEYS
    for key in table:
        if key not in allowed:
            raise fail(key, f"unknown key {key!r}{_hint(key, allowed)}")
    push = table.get("push", False)
    if not isinstance(push, bool):
        raise fail("push", "'push' must be true or false")
    for key in REQUIRED_KEYS:
        if key == "url" and push and key not in table:
            continue  # a source its network pushes to needs no URL of its own
        if key == "url" and key not in table:
            raise fail(None, "missing required key 'url' (the feed's address; or say push = true when the network "
                             "pushes its documents with its token)")
        if key not in table:
            near = [k for k in table if k not in allowed]
            raise fail(None, f"missing required key {key!r}" + (_hint(near[0], [key]) if near else ""))

    def text(key: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"{key!r} must be a non-empty string")
        return value.strip()

    def optional_text(key: str) -> str | None:
        return text(key) if key in table else None

    def text_list(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, f"{key!r} must be a string or a list of strings")
        return tuple(value)

    source_id = text("id")
    if not _ID.match(source_id):
        raise fail("id", f"id {source_id!r} must match [a-z0-9-]+")
    urls = text_list("url")
    if not urls and not push:
        raise fail("url", "'url' must name at least one feed (or say push = true: its network pushes its documents)")
    for url in urls:
        if not (url.startswith(("http://", "https://", "file:"))):
            raise fail("url", f"url {url!r} must be http(s):// or file: (relative to {path.name})")
    license_iri = text("license")
    if not license_iri.startswith(("http://", "https://")):
        raise fail("license", f"license {license_iri!r} must be an IRI, e.g. https://creativecommons.org/licenses/by/4.0/")
    contact = text("contact")
    if not contact.startswith(("mailto:", "https://")):
        raise fail("contact", f"contact {contact!r} must be a mailto: or https: IRI")
    publisher = text("publisher")
    for key, iri in (("license", license_iri), ("contact", contact), ("publisher", publisher)):
        if key == "publisher" and not publisher.startswith(("http://", "https://")):
            continue  # a name, not an IRI
        if not _IRI.match(iri):
            raise fail(key, f"{key} {iri!r} is not a valid IRI (no spaces, quotes, <>, {{}}, [] or the like); "
                            f"escape such characters as %20, %22…")
    feed_format = optional_text("format")
    formats = feed_formats.table()  # the registered formats (harvesters/formats.py; docs/formats.md)
    fmt = formats.get(feed_format) if feed_format is not None else None
    if feed_format is not None and fmt is None:
        raise fail("format", f"format {feed_format!r} is not supported{_hint(feed_format, formats.names())}; "
                   f"supported: {', '.join(formats.names())}")
    mapping = optional_text("mapping")
    if mapping is None and fmt is not None and fmt.mapping == "required":
        raise fail("format", f"format {feed_format!r} needs a 'mapping' (a TOML file that says which field "
                   f"becomes which property); `mutualisons mapping suggest FEED > mapping.toml` proposes one")
    language = optional_text("language")
    if language is not None and not _LANGUAGE.match(language):
        raise fail("language", f"language {language!r} is not a BCP 47 tag such as 'fr' or 'nl-BE'")
    base = optional_text("base")
    if base is not None and not base.startswith(("http://", "https://")):
        raise fail("base", f"base {base!r} must be an http(s) IRI")
    def positive_integer(key: str, default: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise fail(key, f"{key!r} must be a positive integer")
        return value

    max_bytes = positive_integer("max_bytes", DEFAULT_MAX_BYTES)
    keep_runs = positive_integer("keep_runs", DEFAULT_KEEP_RUNS)
    max_seconds = table.get("max_seconds", DEFAULT_MAX_SECONDS)
    if not isinstance(max_seconds, int | float) or isinstance(max_seconds, bool) or not 0 < max_seconds < 1e6:
        raise fail("max_seconds", "'max_seconds' must be a positive number of seconds, such as 600")
    max_removal = _share(table.get("max_removal", DEFAULT_MAX_REMOVAL))
    if max_removal is None:
        raise fail("max_removal", "'max_removal' must be a share of the source's records between 0 and 1, "
                                  "such as 0.5, or a percentage, such as \"50%\"")
    for key in ("period", "gone_grace"):
        if key in table and not _DURATION.match(text(key)):
            raise fail(key, f"{key!r} must be an ISO 8601 duration such as P1D or PT6H")
    profiles = text_list("profiles")
    for name in profiles:
        problem = unknown_profile(name)
        if problem is not None:
            raise fail("profiles", problem)
    paging = None
    if "paging" in table:
        try:
            paging = Paging.of(table["paging"])
        except PagingError as error:
            line = locator.subtable_line(index, "paging", error.key)
            where = "" if str(error).startswith("[source.paging]") else "[source.paging]: "
            raise ConfigError(f"{path}:{line}: [[source]] #{index + 1}: {where}{error}") from error
    themes = optional_text("themes")
    if themes is not None:
        themes_file = Path(themes) if Path(themes).is_absolute() else path.parent.resolve() / themes
        try:
            load_themes(themes_file)
        except ThemeTableError as error:
            raise fail("themes", f"theme table: {error}") from error
    trusted = text_list("trusted_hosts")
    for host in trusted:
        if not re.match(r"^[^\s:/]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$", host):
            raise fail("trusted_hosts", f"trusted host {host!r} must be written host:port")
    return Source(
        id=source_id,
        name=text("name"),
        urls=urls,
        license=license_iri,
        publisher=publisher,
        contact=contact,
        toml_dir=path.parent.resolve(),
        format=feed_format,
        language=language,
        base=base,
        trusted_hosts=trusted,
        max_bytes=max_bytes,
        period=str(table.get("period", "P1D")),
        gone_grace=str(table.get("gone_grace", "P7D")),
        mapping=mapping,
        profiles=profiles,
        keep_runs=keep_runs,
        max_removal=max_removal,
        max_seconds=float(max_seconds),
        paging=paging,
        themes=themes,
        push=push,
    )


def _share(value: object) -> float | None:
    """0.5 or "50%" -> 0.5; None for anything that is not a share between 0 and 1."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", value):
        value = float(value.strip().rstrip("%")) / 100
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return None
    return float(value)


def _hint(word: str, choices: object) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)  # type: ignore[call-overload]
    return f" (did you mean {close[0]!r}?)" if close else ""


class _KeyLocator:
    """Finds the line of a key inside the n-th [[source]] table: tomllib does not report positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.table_starts = [i for i, line in enumerate(self.lines) if line.strip().startswith("[[source]]")]

    def table_line(self, index: int) -> int:
        return self.table_starts[index] + 1 if index < len(self.table_starts) else 1

    def key_line(self, index: int, key: str | None) -> int:
        if index >= len(self.table_starts):
            return 1
        start = self.table_starts[index]
        end = self.table_starts[index + 1] if index + 1 < len(self.table_starts) else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key or '')}[\"']?\s*=")
        for number in range(start, end):
            if key and pattern.match(self.lines[number]):
                return number + 1
        return start + 1

    def subtable_line(self, index: int, name: str, key: str | None) -> int:
        """The line of `key` in the n-th table's `[source.NAME]` sub-table (or of its header), else the table's."""
        if index >= len(self.table_starts):
            return 1
        start = self.table_starts[index]
        end = self.table_starts[index + 1] if index + 1 < len(self.table_starts) else len(self.lines)
        header = re.compile(rf"^\s*\[\s*source\s*\.\s*{re.escape(name)}\s*\]")
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key or '')}[\"']?\s*=")
        found = start + 1
        for number in range(start, end):
            if header.match(self.lines[number]):
                found = number + 1
            elif key and found != start + 1 and pattern.match(self.lines[number]):
                return number + 1
        return found

    def top_level_line(self, key: str) -> int:
        pattern = re.compile(rf"^\s*\[*\s*[\"']?{re.escape(key)}\b")
        for number, line in enumerate(self.lines):
            if pattern.match(line):
                return number + 1
        return 1


def listening_base_iri(host: str, port: int) -> str:
    """The base IRI of a server on `host`:`port`. An address that listens everywhere (0.0.0.0, ::) is no address
    a client can use: the loopback one is minted instead (behind a proxy or a name, set the base IRI)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in a URL (RFC 3986)
    return f"http://{host}:{port}/"


@dataclass(frozen=True)
class StoreConfig:
    """A SPARQL 1.1 server holding the public data (read from `--store` or [store] by hub/core/store_config.py)."""

    url: str  # the base URL given (`--store`, [store] url)
    engine: str
    query: str
    update: str
    graph_store: str | None  # None: graphs are read with CONSTRUCT through `query`
    timeout: float = 60.0  # seconds: a request of the hub's own (a read, one source's update) that takes longer fails
    user: str | None = None
    password_env: str | None = None  # the environment variable holding the password (never the file)
    auth: str = "basic"

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def describe(self) -> str:
        return f"{self.engine} at {self.query}"


@dataclass(frozen=True)
class Settings:
    """Where the hub keeps its data and what base IRI it mints under."""

    sources_path: Path
    data_dir: Path
    base_iri: str
    # A SPARQL 1.1 server holding the public data (`--store`); None: hub.toml's [store], else the embedded store.
    store: StoreConfig | None = None

    @staticmethod
    def resolve(sources: str | None, data: str | None, base_iri: str | None,
                host: str | None = None, port: int | None = None, store: StoreConfig | None = None) -> Settings:
        """`base_iri`, else $MUTUALISONS_BASE_IRI, else the address the server listens on (`host`, `port`: what
        `serve` mints is what it serves), else the default. `store`: a SPARQL server holding the public data."""
        base = (base_iri or os.environ.get("MUTUALISONS_BASE_IRI")
                or (listening_base_iri(host, port) if host is not None and port is not None else DEFAULT_BASE_IRI))
        if not base.endswith("/"):
            base += "/"
        return Settings(
            sources_path=Path(sources or "examples/sources.toml"),
            data_dir=Path(data or "data"),
            base_iri=base,
            store=store,
        )
