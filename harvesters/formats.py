"""The table of feed formats: every fact about a format in one `Format` record, filled from entry points.

A format says: its name (the value of `format` in sources.toml), its media types and file extensions, whether
its documents can name graphs, whether it needs a mapping (docs/mappings.md), whether it is line-based (a big
document is then read in two processes: hub/pipeline/halves.py), how it is recognised by its first bytes, its
lift function (bytes and a `DocumentContext` in, N-Quads out, no I/O: the fetch guard stays in one place), what
`mutualisons mapping suggest` proposes for it, and, for a format that fetches more than the configured URL
(pages, profiles, containers, streams), a document source the pipeline calls with the guarded fetcher, the
only way it may fetch.

The table is filled from the entry-point group `mutualisons.formats`; the hub registers its own formats there
in pyproject.toml like any outside package would (docs/formats.md, "Adding a format"). Config validation, the
CLI's choices, detection, lifting, the two-process split, `mapping suggest` and the validation API read it.
This module imports no format: the formats import it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from pyoxigraph import NamedNode, Quad, RdfFormat, parse, serialize

# What a walk of documents meets, defined beside the paged-API walk that uses them and known here by name.
from harvesters.paging import DocumentFetchError as DocumentFetchError
from harvesters.paging import Failed as Failed
from harvesters.paging import Fetch
from harvesters.paging import WalkStopped as WalkStopped

if TYPE_CHECKING:  # the type only: the mapping machinery is the mapped formats' business, not the table's
    from harvesters.geometry import Area
    from harvesters.mapping import Mapping
    from harvesters.themes import ThemeTable

GROUP = "mutualisons.formats"
PROJECT = "mutualisons"  # the distribution whose pyproject.toml registers the built-in formats
SNIFF_BYTES = 8192  # what a sniff sees of a document: its first bytes

# What a sniff answers: how sure it is, from 0 (not this format) to SURE (a mark no other format has).
# Equal answers go to the format first in the table (the hub's own by name, then other packages').
SURE = 100
DECISIVE = 50  # from here a JSON kind is recognised by content before the media type and the extension

MappingUse = Literal["none", "optional", "required"]
PrepareJsonLd = Callable[[bytes], bytes]  # rewrites a JSON-LD document before parsing (inlines its contexts)
Mint = Callable[[str, str], NamedNode]  # (kind, key) -> the IRI the hub mints for an entity
KindOf = Callable[[list[str]], str | None]  # types -> the record kind, or None for a node that is no record
NO_MAPPING = ("no mapping (the source's `mapping` key, or `--mapping` of validate); "
              "`mutualisons mapping suggest FILE` proposes one")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_JSON_START = re.compile(rb'^(?:\{\s*(?:"|\})|\[\s*(?:\{|\]\s*\Z))')  # not TriG `{ <s>`, Turtle `[] a`
_JSONLD_KEYWORD = re.compile(rb'"@(?:context|graph|id|type)"\s*:')  # a JSON-LD keyword as a key


class LiftError(Exception):
    """A document that could not be lifted: names the format, the place and the reason. A reason the hub's
    table of coded messages holds (hub/charter/messages.py) also carries its `code` and `params`: the hub says
    it in French, Dutch and English from there, and `reason` is the English fallback for tools without it."""

    def __init__(self, document: str, format_name: str, reason: str, line: int | None = None,
                 column: int | None = None, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        where = f" line {line}" + (f" column {column}" if column else "") if line else ""
        super().__init__(f"{document}: {format_name}{where}: {reason}")
        self.document = document
        self.format_name = format_name
        self.reason = reason
        self.line = line
        self.column = column
        self.code = code
        self.params = dict(params or {})


class FormatTableError(Exception):
    """The registered formats do not make one table (a plugin that fails to load, two formats with one name…)."""


@dataclass(frozen=True)
class DocumentContext:
    """What the hub tells a format about the document it lifts. The format does no I/O: the hub fetched the
    bytes, read the mapping file, and resolves remote JSON-LD contexts through its guarded fetcher."""

    document: str  # the document's URL: what errors and warnings name
    base_iri: str | None  # what relative IRIs resolve against; None: they are errors
    source_id: str
    mint: Mint
    kind_of: KindOf
    language: str | None = None  # the source's `language`, for untagged text of mapped formats
    mapping: Mapping | None = None  # the source's mapping, for the formats that use one
    prepare_jsonld: PrepareJsonLd | None = None
    area: Area | None = None  # the hub's service area: mapped points in [lat, lon] order are caught against it
    themes: ThemeTable | None = None  # the format's theme table with the source's laid over it (harvesters/themes.py)

    @classmethod
    def standalone(cls, document: str, format_name: str, base_iri: str | None = None,
                   prepare_jsonld: PrepareJsonLd | None = None) -> DocumentContext:
        """A reading outside any source (a half of a line-based document, a test): nothing is minted."""
        def mint(kind: str, key: str) -> NamedNode:
            raise LiftError(document, format_name, "this reading mints no IRI (it belongs to no source)")

        return cls(document, base_iri, "", mint, lambda types: None, prepare_jsonld=prepare_jsonld)

    def required_mapping(self, format_name: str) -> Mapping:
        """The source's mapping, for a format that cannot do without one: it calls this after its own checks
        of the bytes, so that a hostile document is refused for what it is, mapping or not."""
        if self.mapping is None:
            raise LiftError(self.document, format_name, NO_MAPPING)
        return self.mapping


@dataclass
class LiftResult:
    """A lifted document: N-Quads (pyoxigraph's serialisation, which the pipeline reads line by line), the
    warnings, and the rows or features that failed alone, each with its location."""

    nquads: bytes
    warnings: list[str] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, quads: Iterable[Quad], warnings: Iterable[str] = (), row_errors: Iterable[str] = ()) -> LiftResult:
        return cls(serialize(quads, format=RdfFormat.N_QUADS) or b"", list(warnings), list(row_errors))


Lift = Callable[[bytes, DocumentContext], LiftResult]
Sniff = Callable[[bytes], int]  # the first SNIFF_BYTES bytes -> 0..SURE
Suggest = Callable[[bytes, str, str], str]  # (body, document IRI, file name) -> the text of a mapping file


class Document(Protocol):
    """A fetched document as a document source sees it (hub/pipeline/fetch.py's Fetched is one)."""

    @property
    def url(self) -> str: ...  # after redirects

    @property
    def body(self) -> bytes: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def headers(self) -> dict[str, str]: ...  # the HTTP answer's headers (lower-case names); {} for a file


D = TypeVar("D", bound=Document)


class DocumentSource(Protocol):
    """The documents of one configured URL, for a format that fetches more than it (pages, profiles,
    containers, streams). `fetch` is the hub's guarded fetcher with the source's rules; the source yields
    documents that `fetch` returned, each then lifted by the format, or `Failed` for one that failed alone (it
    caught the DocumentFetchError). Any other DocumentFetchError, or a LiftError, ends the walk: the documents
    yielded so far are kept, and the run reports the error."""

    def __call__(self, url: str, fetch: Fetch[D], /) -> Iterator[D | Failed]: ...


@dataclass(frozen=True)
class Format:
    """One feed format: every fact the hub uses about it (docs/formats.md)."""

    name: str  # the `format` value of sources.toml: lower case, digits and `-`
    lift: Lift
    media_types: tuple[str, ...] = ()  # lower case, without parameters
    extensions: tuple[str, ...] = ()  # with their dot, lower case: ".ttl"
    graphs: bool = False  # whether its documents can put statements in named graphs
    mapping: MappingUse = "none"
    line_based: bool = False  # any line end is a valid cut, and each part lifts alone (N-Triples, N-Quads)
    json: bool = False  # its documents are JSON: recognised by content first (`application/json` says nothing)
    sniff: Sniff | None = None
    reads: tuple[str, ...] = ()  # formats whose documents are documents of this one too (Turtle reads N-Triples)
    documents: DocumentSource | None = None
    suggest: Suggest | None = None
    themes: str | None = None  # the theme table it ships (harvesters/themes/NAME.toml), a source may lay its own over
    # Its lift may say a record's own licence and upstream sources (harvesters/platform.py); any other format's
    # statements in that reserved graph are dropped, so a feed cannot forge them.
    provenance: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise FormatTableError(f"format name {self.name!r} must be lower-case letters, digits and '-'")
        if self.mapping not in ("none", "optional", "required"):
            raise FormatTableError(f"format {self.name!r}: mapping must be 'none', 'optional' or 'required'")
        for media in self.media_types:
            if media != media.lower() or ";" in media or "/" not in media:
                raise FormatTableError(f"format {self.name!r}: media type {media!r} must be lower case, "
                                       "without parameters")
        for extension in self.extensions:
            if not extension.startswith(".") or extension != extension.lower():
                raise FormatTableError(f"format {self.name!r}: extension {extension!r} must start with '.' "
                                       "and be lower case")


class FormatTable:
    """The registered formats, in registration order, with the lookups the hub needs."""

    def __init__(self, formats: Iterable[Format]) -> None:
        self._formats: dict[str, Format] = {}
        self._media: dict[str, Format] = {}
        self._extensions: dict[str, Format] = {}
        for fmt in formats:
            if fmt.name in self._formats:
                raise FormatTableError(f"two formats are named {fmt.name!r}")
            self._formats[fmt.name] = fmt
            for key, index, what in [(m, self._media, "media type") for m in fmt.media_types] + \
                                    [(e, self._extensions, "extension") for e in fmt.extensions]:
                if key in index:
                    raise FormatTableError(f"{what} {key!r} belongs to both {index[key].name!r} and {fmt.name!r}: "
                                           f"one format per {what} (recognise the other by its content)")
                index[key] = fmt
        for fmt in self._formats.values():
            for other in fmt.reads:
                if other not in self._formats:
                    raise FormatTableError(f"format {fmt.name!r} reads {other!r}, which is not registered")

    def __iter__(self) -> Iterator[Format]:
        return iter(self._formats.values())

    def __len__(self) -> int:
        return len(self._formats)

    def __contains__(self, name: object) -> bool:
        return name in self._formats

    def names(self) -> list[str]:
        return list(self._formats)

    def get(self, name: str) -> Format | None:
        return self._formats.get(name)

    def where(self, keep: Callable[[Format], bool]) -> FormatTable:
        """The formats that `keep` keeps, as a table of their own (e.g. those `mapping suggest` knows)."""
        return FormatTable(fmt for fmt in self if keep(fmt))

    def by_media_type(self, content_type: str | None) -> Format | None:
        return self._media.get((content_type or "").split(";")[0].strip().lower())

    def by_extension(self, url: str) -> Format | None:
        return self._extensions.get(PurePosixPath(urlsplit(url).path).suffix.lower())

    def sniff(self, body: bytes, among: Iterable[Format] | None = None, at_least: int = 1) -> Format | None:
        """The format its first bytes look most like (at least `at_least` sure), or None."""
        head = body[:SNIFF_BYTES]
        best, score = None, at_least - 1
        for fmt in self if among is None else among:
            found = fmt.sniff(head) if fmt.sniff is not None else 0
            if found > score:
                best, score = fmt, found
        return best

    def detect(self, configured: str | None, content_type: str | None, url: str, body: bytes) -> Format:
        """The configured format; else a JSON kind its content names; else the Content-Type's; else the file
        extension's; else the one its first bytes look most like (docs/formats.md, "Detection")."""
        if configured:
            fmt = self.get(configured)
            if fmt is None:
                raise LiftError(url, configured, f"unknown format {configured!r}; known: {', '.join(self.names())}")
            return fmt
        if looks_like_json(body):
            # `application/json` and `.json` say nothing of which JSON (JSON-LD, GeoJSON, a platform's API).
            by_content = self.sniff(body, [fmt for fmt in self if fmt.json], DECISIVE)
            if by_content is not None:
                return by_content
        found = self.by_media_type(content_type) or self.by_extension(url) or self.sniff(body)
        if found is None:
            raise LiftError(url, "unknown", f"its format could not be recognised among {', '.join(self.names())}: "
                                            "name it with the source's `format` key")
        return found


def opening(head: bytes) -> bytes:
    """A document's first bytes without a byte-order mark and leading white space: what sniffs look at."""
    return head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")


def looks_like_json(body: bytes) -> bool:
    """Whether a document opens like JSON (an object or an array of objects), not like TriG or Turtle."""
    return _JSON_START.match(opening(body)) is not None


def names_jsonld_keywords(head: bytes) -> bool:
    """Whether JSON's first bytes use a JSON-LD keyword as a key (`"@context"`, `"@id"`, `"@type"`, `"@graph"`)."""
    return _JSONLD_KEYWORD.search(head[:SNIFF_BYTES]) is not None


# --- the registry ------------------------------------------------------------------------------------

@functools.cache
def table() -> FormatTable:
    """The formats of the entry-point group `mutualisons.formats`, loaded once per process."""
    return load_table()


def reload() -> FormatTable:
    """Forgets the table (a test that put a plugin on sys.path) and loads it again."""
    table.cache_clear()
    return table()


def load_table(group: str = GROUP) -> FormatTable:
    formats: dict[str, tuple[Format, str]] = {}
    for entry in _entry_points(group):
        try:
            value = entry.load()
        except Exception as error:  # noqa: BLE001 - whatever a plugin's import raises, one clear error names it
            raise FormatTableError(f"the format {entry.name!r} registered as {entry.value} (entry points "
                                   f"{group}) cannot be loaded: {type(error).__name__}: {error}") from error
        if not isinstance(value, Format):
            raise FormatTableError(f"{entry.value} (entry point {entry.name!r} of {group}) is a "
                                   f"{type(value).__name__}, not a harvesters.formats.Format")
        if value.name != entry.name:
            raise FormatTableError(f"the entry point {entry.name!r} of {group} names the format {value.name!r} "
                                   f"({entry.value}): the two names must be the same")
        if entry.name in formats:
            if formats[entry.name][0] is value:
                continue  # one format registered twice (an installed copy beside the source tree)
            raise FormatTableError(f"two formats are named {entry.name!r}: {formats[entry.name][1]} and "
                                   f"{entry.value}; one of them must be renamed")
        formats[entry.name] = (value, entry.value)
    if not formats:
        raise FormatTableError(f"no feed format is registered (entry points {group}): install the hub with "
                               "`pip install -e .` in its folder (docs/formats.md)")
    return FormatTable(fmt for fmt, _ in formats.values())


def _entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """The hub's own formats first, then every other distribution's, each by name (an installed wheel's
    metadata keeps no other order: setuptools sorts its entry points).

    Running from a source tree (a checkout, installed editable or not at all), the hub's own formats are read
    from the entry-point table of its pyproject.toml: an installed copy of the hub's metadata may be older
    than the tree, or belong to another checkout. Installed from a wheel, they come from its metadata."""
    own = _source_tree_entry_points(group)
    installed = list(importlib.metadata.entry_points(group=group))
    hubs = [entry for entry in installed if _distribution(entry) == PROJECT] if own is None else own
    others = [entry for entry in installed if _distribution(entry) != PROJECT]
    return sorted(hubs, key=lambda entry: entry.name) + \
        sorted(others, key=lambda entry: (_distribution(entry), entry.name))


def _distribution(entry: importlib.metadata.EntryPoint) -> str:
    name = entry.dist.name if entry.dist is not None else ""
    return re.sub(r"[-_.]+", "-", name).lower()


def _source_tree_entry_points(group: str) -> list[importlib.metadata.EntryPoint] | None:
    """The entry points pyproject.toml registers, when this package runs from the hub's source tree."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != PROJECT:
        return None
    entries = project.get("entry-points", {}).get(group, {})
    return [importlib.metadata.EntryPoint(name, value, group) for name, value in entries.items()]


# --- what the rest of the hub calls -------------------------------------------------------------------

def detect_format(configured: str | None, content_type: str | None, url: str, body: bytes) -> str:
    """The name of a document's format (FormatTable.detect)."""
    return table().detect(configured, content_type, url, body).name


def sniff(body: bytes) -> str:
    """The format a document's first bytes look most like, whatever its URL and media type."""
    found = table().sniff(body)
    if found is None:
        raise LiftError("document", "unknown", "no registered format recognises its first bytes")
    return found.name


def lift_rdf(body: bytes, format_name: str, base_iri: str, document: str,
             prepare_jsonld: PrepareJsonLd | None = None) -> list[Quad]:
    """The quads of a document in a format that needs no mapping (an RDF syntax, HTML markup), e.g. for tests
    and tools; a document that cannot be read raises LiftError with its line and column."""
    fmt = table().get(format_name)
    if fmt is None or fmt.mapping == "required":
        raise LiftError(document, format_name, f"unsupported RDF format {format_name!r}")
    context = DocumentContext.standalone(document, format_name, base_iri, prepare_jsonld)
    return list(parse(fmt.lift(body, context).nquads, format=RdfFormat.N_QUADS))
