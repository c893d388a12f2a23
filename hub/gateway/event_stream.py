"""The hub's Linked Data Event Stream (SEMIC LDES, TREE hypermedia): what `/ldes` and its pages hold.

The stream's members are the record versions the change feed lists (hub/store/changes.py), in commit order: a
version a run wrote (`as:Create`, `as:Update`) with the record's statements in a named graph of the version's own
IRI, and a record graph's removal (`as:Delete`, a tombstone) as a member too. Each member carries its provenance
on itself: the record graph it is a version of (`dcterms:isVersionOf`, the stream's `ldes:versionOfPath`), the
run's time (`prov:generatedAtTime`, its `ldes:timestampPath`), the run, the source, the fetch node and the licence;
each page also describes the fetch nodes (document, fetch time, payload, licence) and the upstream graphs its
members were derived from, so another hub that follows the stream keeps the whole chain (docs/federation.md).

Pages are cut by time: page N holds the changes N*size-size+1 to N*size, which runs only ever append to. The
view is a root node (`/ldes/root`) with a `tree:GreaterThanOrEqualToRelation` to every page on the time of its
first member: a client that follows the stream fetches the root, then only the pages it has not seen whole
(pages do not link each other, so none is reached twice). Every page but the newest is immutable; a page's
content changes only when retention prunes a superseded version (history.prune, following
the sources' `keep_runs`) or a consent ends (the person's versions become deletion members): it is then re-issued
under a new ETag, which is a digest of its bytes.

Persons: a version is served only with the persons that hold a valid consent in it, and the versions of a person
record whose consent ended (its tombstone says a person's) are served as deletion members instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.archive import history
from hub.archive.datadir import DataDir
from hub.core.iris import Minter
from hub.core.namespaces import DCAT, DCTERMS, HUB, PROV, RDF, XSD, term
from hub.core.ntriples import split_line, to_quads
from hub.core.vocabulary import default_vocabulary
from hub.pipeline import redaction
from hub.store import changes as change_feed
from hub.store.interface import Reader

LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
PAGE_SIZE = 250  # members per page: 100k records make 400 pages on a first harvest
A = term(RDF, "type")
_KEPT_PREDICATES = {f"<{HUB}recordSubject>", f"<{HUB}contentHash>", f"<{PROV}wasGeneratedBy>",
                    f"<{DCTERMS}source>", f"<{HUB}fetch>", f"<{DCTERMS}license>", f"<{PROV}wasDerivedFrom>"}


@dataclass(frozen=True)
class Stream:
    """The stream of one published generation: its changes, cut into pages of `size`."""

    generation: int
    changes: list[change_feed.Change]
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.changes) // self.size))

    def window(self, page: int) -> list[change_feed.Change]:
        return self.changes[(page - 1) * self.size:page * self.size]


def stream_iri(minter: Minter) -> NamedNode:
    return NamedNode(f"{minter.base}ldes")


def page_iri(minter: Minter, page: int) -> NamedNode:
    return NamedNode(f"{minter.base}ldes/{page}")


def root_iri(minter: Minter) -> NamedNode:
    return NamedNode(f"{minter.base}ldes/root")


def timestamp(stamp: str) -> Literal:
    """A run's timestamp segment (`20261129T045825253419Z`) as the xsd:dateTime it says."""
    moment = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    fraction = stamp[15:-1]
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"
    return Literal(text, datatype=term(XSD, "dateTime"))


def run_parts(minter: Minter, run: str) -> tuple[str, str]:
    """`{base}run/{source}/{stamp}` -> (source id, stamp)."""
    source_id, _, stamp = run.removeprefix(f"{minter.base}run/").partition("/")
    return source_id, stamp


def description(minter: Minter, keep_runs: int) -> list[Quad]:
    """The stream itself (what `/ldes` answers): an ldes:EventStream and dcat:Dataset, its paths, its retention
    policy and its view (the root node, which links every page)."""
    s = stream_iri(minter)
    policy, runs = BlankNode("latest"), BlankNode("runs")  # labelled: the same bytes, so the same ETag
    return [
        Quad(s, A, NamedNode(LDES + "EventStream")),
        Quad(s, A, term(DCAT, "Dataset")),
        Quad(s, term(DCTERMS, "title"),
             Literal("Record versions of the hub, as a Linked Data Event Stream", language="en")),
        Quad(s, term(DCTERMS, "description"), Literal(
            "Every version of every record graph the hub published (as:Create, as:Update) and every removal "
            "(as:Delete), each with its source, run, fetch and licence; each record's statements are in a named "
            "graph of its version's IRI.", language="en")),
        Quad(s, term(DCTERMS, "conformsTo"), NamedNode("https://w3id.org/ldes/specification")),
        Quad(s, term(DCTERMS, "isPartOf"), NamedNode(f"{minter.base}.well-known/void#dataset")),
        Quad(s, term(PROV, "wasAttributedTo"), minter.hub()),
        Quad(s, NamedNode(LDES + "timestampPath"), term(PROV, "generatedAtTime")),
        Quad(s, NamedNode(LDES + "versionOfPath"), term(DCTERMS, "isVersionOf")),
        Quad(s, NamedNode(LDES + "versionCreateObject"), NamedNode(AS + "Create")),
        Quad(s, NamedNode(LDES + "versionUpdateObject"), NamedNode(AS + "Update")),
        Quad(s, NamedNode(LDES + "versionDeleteObject"), NamedNode(AS + "Delete")),
        # What stays: the latest version of every record always; every version of a source's last keep_runs runs.
        Quad(s, NamedNode(LDES + "retentionPolicy"), policy),
        Quad(policy, A, NamedNode(LDES + "LatestVersionSubset")),
        Quad(policy, NamedNode(LDES + "amount"), Literal("1", datatype=term(XSD, "integer"))),
        Quad(s, NamedNode(LDES + "retentionPolicy"), runs),
        Quad(runs, A, term(HUB, "RunRetention")),
        Quad(runs, term(HUB, "keepRuns"), Literal(str(keep_runs), datatype=term(XSD, "integer"))),
        Quad(s, NamedNode(TREE + "view"), root_iri(minter)),
        Quad(root_iri(minter), A, NamedNode(TREE + "Node")),
    ]


def root(minter: Minter, stream: Stream) -> list[Quad]:
    """The view's root node: a relation to every page, on the time of its first member. It changes at each
    publication that adds a page; the pages themselves stay as they were, so a client that follows the stream
    fetches the root, then only the pages it has not seen whole (the newest, and any new one)."""
    node = root_iri(minter)
    quads = [Quad(node, A, NamedNode(TREE + "Node")), Quad(node, term(DCTERMS, "isPartOf"), stream_iri(minter)),
             Quad(stream_iri(minter), NamedNode(TREE + "view"), node)]
    for number in range(1, stream.pages + 1):
        window = stream.window(number)
        relation = BlankNode(f"page{number}")
        quads += [Quad(node, NamedNode(TREE + "relation"), relation),
                  Quad(relation, NamedNode(TREE + "node"), page_iri(minter, number))]
        if window:
            quads += [Quad(relation, A, NamedNode(TREE + "GreaterThanOrEqualToRelation")),
                      Quad(relation, NamedNode(TREE + "path"), term(PROV, "generatedAtTime")),
                      Quad(relation, NamedNode(TREE + "value"), timestamp(run_parts(minter, window[0].run)[1]))]
        else:
            quads.append(Quad(relation, A, NamedNode(TREE + "Relation")))
    return quads


class VersionReader:
    """Versions read from the history files by their offsets, each file's offsets found once while it is the same
    file (hub/archive/history.py): a page of a 100k-record run reads its 250 versions, not the whole file."""

    def __init__(self, files: int = 256) -> None:
        self._lock = threading.Lock()
        self._offsets: OrderedDict[Path, tuple[tuple[int, int, int], dict[str, tuple[int, int]]]] = OrderedDict()
        self._files = files

    def _index(self, path: Path, fresh: bool = False) -> dict[str, tuple[int, int]]:
        status = path.stat()
        signature = (status.st_ino, status.st_size, status.st_mtime_ns)
        with self._lock:
            known = self._offsets.get(path)
            if known is not None and known[0] == signature and not fresh:
                self._offsets.move_to_end(path)
                return known[1]
        offsets = history.version_offsets(path)
        with self._lock:
            self._offsets[path] = (signature, offsets)
            while len(self._offsets) > self._files:
                self._offsets.popitem(last=False)
        return offsets

    def read(self, data: DataDir, source_id: str, stamp: str, graphs: set[str]) -> dict[str, list[str]]:
        """The versions of `graphs` a run wrote that the history keeps whole (a pruned one is left out)."""
        path = history.file(data, source_id, stamp)
        found: dict[str, list[str]] = {}
        try:
            offsets = self._index(path)
            for graph in sorted(graphs):
                if graph not in offsets:
                    continue
                try:
                    lines = history.read_version(path, graph, offsets[graph])
                except ValueError:  # the file was replaced (retention, redaction) since its offsets were found
                    offsets = self._index(path, fresh=True)
                    lines = history.read_version(path, graph, offsets[graph]) if graph in offsets else []
                if lines:
                    found[graph] = lines
        except (OSError, ValueError):  # unreadable, or replaced twice: these versions are not served this time
            return found
        return found


_PERSON_TOMBSTONES = """SELECT ?g WHERE {{ GRAPH <{meta}> {{ ?g a <{hub}Tombstone> ; <{hub}recordKind> "person" }} }}"""


class PageBuilder:
    """Builds the pages of one generation's stream from the private history and the published store."""

    def __init__(self, data: DataDir, store: Reader, minter: Minter, stream: Stream,
                 versions: VersionReader | None = None) -> None:
        self.versions = versions or VersionReader()
        self.data = data
        self.store = store
        self.minter = minter
        self.stream = stream
        self.meta = minter.meta_graph()
        self._withdrawn: set[str] | None = None

    def withdrawn(self) -> set[str]:
        """Record graphs of persons whose consent ended, or who left their feed (their tombstone says a person's)."""
        if self._withdrawn is None:
            rows = self.store.select(_PERSON_TOMBSTONES.format(meta=self.meta.value, hub=HUB))
            self._withdrawn = {row["g"].value for row in rows}
        return self._withdrawn

    def page(self, number: int) -> list[Quad]:
        window = self.stream.window(number)
        wanted: dict[tuple[str, str], set[str]] = {}
        for change in window:
            if change.type != "as:Delete":
                wanted.setdefault(run_parts(self.minter, change.run), set()).add(change.graph)
        found: dict[tuple[str, str, str], list[str]] = {}
        for (source_id, stamp), graphs in wanted.items():
            for graph, lines in self.versions.read(self.data, source_id, stamp, graphs).items():
                found[(source_id, stamp, graph)] = lines
        s, node = stream_iri(self.minter), page_iri(self.minter, number)
        quads = [Quad(node, A, NamedNode(TREE + "Node")), Quad(node, term(DCTERMS, "isPartOf"), s),
                 Quad(s, A, NamedNode(LDES + "EventStream"))]
        fetches: set[str] = set()
        upstreams: set[str] = set()
        fetch_of: dict[str, str] = {}  # version -> its fetch node, for the versions without a licence of their own
        hierarchy = default_vocabulary().hierarchy
        for index, change in enumerate(window):
            source_id, stamp = run_parts(self.minter, change.run)
            version = NamedNode(change.version)
            when = timestamp(stamp)
            if change.type == "as:Delete":
                quads += [Quad(s, NamedNode(TREE + "member"), version),
                          *self._deletion(version, change, when)]
                continue
            written = found.get((source_id, stamp, change.graph))
            if written is None:
                continue  # retention kept only the mark of this superseded version: it is no longer a member
            graph_token = f"<{change.graph}>"
            statements = [f"{a} {b} {c} ." for a, b, c, g in map(split_line, written) if g == graph_token]
            notes = [split_line(line) for line in written if line.endswith(f" <{self.meta.value}> .")]
            subject = next((o for a, p, o, _ in notes if a == graph_token and p == f"<{HUB}recordSubject>"), None)
            filtered: list[str] | None = None
            if change.graph not in self.withdrawn() and redaction.mentions_a_person(statements, hierarchy):
                kept = redaction.kept_persons(statements, hierarchy)  # consents valid today: one may have ended
                filtered = redaction.without_withdrawn(statements, kept, hierarchy)
            if change.graph in self.withdrawn() or (filtered is not None and not any(
                    line.startswith(f"{subject} ") for line in filtered)):
                # A person whose consent ended: their version is re-issued as a deletion member.
                gone = NamedNode(f"{change.version}-withdrawn")
                quads += [Quad(s, NamedNode(TREE + "member"), gone), *self._deletion(gone, change, when)]
                continue
            quads += [Quad(s, NamedNode(TREE + "member"), version),
                      Quad(version, A, term(HUB, "RecordVersion")),
                      Quad(version, A, NamedNode(AS + change.type.removeprefix("as:"))),
                      Quad(version, term(DCTERMS, "isVersionOf"), NamedNode(change.graph)),
                      Quad(version, term(PROV, "generatedAtTime"), when)]
            for _, predicate, obj, _ in notes:
                if predicate not in _KEPT_PREDICATES:
                    continue
                if predicate == f"<{HUB}contentHash>" and filtered is not None:
                    continue  # a person was taken out: the hash was that of the version with them
                quads.extend(to_quads([f"{version} {predicate} {obj} ."]))
                if predicate == f"<{HUB}fetch>":
                    fetches.add(obj[1:-1])
                    fetch_of[change.version] = obj[1:-1]
                elif predicate == f"<{PROV}wasDerivedFrom>":
                    upstreams.add(obj[1:-1])
            if any(predicate == f"<{DCTERMS}license>" for _, predicate, _, _ in notes):
                fetch_of.pop(change.version, None)
            body = filtered if filtered is not None else statements
            quads.extend(_labelled(_relabel(body, index), version))
        licences = self._describe(quads, fetches, upstreams)
        for member, fetch in fetch_of.items():  # the licence in force at its fetch, said on the member itself
            if fetch in licences:
                quads.append(Quad(NamedNode(member), term(DCTERMS, "license"), licences[fetch]))
        return quads

    def _deletion(self, member: NamedNode, change: change_feed.Change, when: Literal) -> list[Quad]:
        return [Quad(member, A, term(HUB, "RecordVersion")),
                Quad(member, A, NamedNode(AS + "Delete")),
                Quad(member, term(DCTERMS, "isVersionOf"), NamedNode(change.graph)),
                Quad(member, term(PROV, "generatedAtTime"), when),
                Quad(member, term(PROV, "wasGeneratedBy"), NamedNode(change.run)),
                Quad(member, term(DCTERMS, "source"), NamedNode(change.source))]

    def _describe(self, quads: list[Quad], fetches: set[str], upstreams: set[str]) -> dict[str, NamedNode]:
        """Adds the fetch nodes' descriptions (meta graph) and the upstream graphs' (the sources' upstream graphs),
        in the default graph; returns each fetch node's licence."""
        licences: dict[str, NamedNode] = {}
        if fetches:
            values = " ".join(f"<{iri}>" for iri in sorted(fetches))
            for row in self.store.select(f"SELECT ?f ?p ?o WHERE {{ VALUES ?f {{ {values} }} "
                                         f"GRAPH <{self.meta.value}> {{ ?f ?p ?o }} }}"):
                quads.append(Quad(row["f"], row["p"], row["o"]))
                if row["p"] == term(DCTERMS, "license") and isinstance(row["o"], NamedNode):
                    licences[row["f"].value] = row["o"]
        if upstreams:
            values = " ".join(f"<{iri}>" for iri in sorted(upstreams))
            for row in self.store.select(
                    f"SELECT DISTINCT ?u ?p ?o WHERE {{ VALUES ?u {{ {values} }} "
                    f"GRAPH <{self.meta.value}> {{ ?g a <{HUB}UpstreamGraph> }} GRAPH ?g {{ ?u ?p ?o }} }}"):
                quads.append(Quad(row["u"], row["p"], row["o"]))
        return licences


def _relabel(lines: list[str], index: int) -> list[str]:
    """Blank nodes of one member apart from another's (two versions of one record share their labels), written as
    IRIs of a reserved scheme for the parse (pyoxigraph's parser gives blank nodes fresh labels: see `_labelled`)."""
    out = []
    for line in lines:
        subject, predicate, obj, _ = split_line(line)
        if subject[0] == "_":
            subject = f"<{_BLANK}m{index}{subject[2:]}>"
        if obj[0] == "_":
            obj = f"<{_BLANK}m{index}{obj[2:]}>"
        out.append(f"{subject} {predicate} {obj} .")
    return out


_BLANK = "urn:x-mutualisons-blank:"


def _labelled(lines: list[str], graph: NamedNode) -> list[Quad]:
    """The statements in `graph`, blank nodes with the labels the lines gave them: a page's bytes, and so its ETag,
    do not change from one build to the next."""
    def node(value: Any) -> Any:
        return BlankNode(value.value[len(_BLANK):]) if isinstance(value, NamedNode) and \
            value.value.startswith(_BLANK) else value

    return [Quad(node(q.subject), q.predicate, node(q.object), graph) for q in to_quads(lines)]


class StreamCache:
    """The stream of the published generation, and its most asked pages: built once per generation."""

    def __init__(self, pages: int = 64) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._stream: Stream | None = None
        self._pages: OrderedDict[int, list[Quad]] = OrderedDict()
        self._limit = pages
        self._versions = VersionReader()

    def stream(self, data: DataDir, store: Reader, minter: Minter, generation: int, size: int) -> Stream:
        key = (str(data.root), generation, size)
        with self._lock:
            if self._key != key or self._stream is None:
                self._stream = Stream(generation, change_feed.changes(data, store, minter), size)
                self._key = key
                self._pages.clear()
            return self._stream

    def page(self, data: DataDir, store: Reader, minter: Minter, stream: Stream, number: int) -> list[Quad]:
        with self._lock:
            if number in self._pages and self._stream is stream:
                self._pages.move_to_end(number)
                return self._pages[number]
        quads = PageBuilder(data, store, minter, stream, self._versions).page(number)
        with self._lock:
            if self._stream is stream:
                self._pages[number] = quads
                while len(self._pages) > self._limit:
                    self._pages.popitem(last=False)
        return quads
