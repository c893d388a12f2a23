"""`mutualisons load FILE --graph IRI`: an administrator loads a file into a named graph, as-is.

The hub's data otherwise changes only through harvests; this is the one other door, for reference
vocabularies and test suites. It keeps the rules of a harvest: the single writer's lock, the working
store, a description of the graph in the meta graph (loaded by an administrator: who, when, the file's
name and SHA-256) and a new published generation, so readers see all of it or none of it.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse

from harvesters.wording import because
from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.durations import now_iso
from hub.core.iris import Minter
from hub.core.lock import WriterLock
from hub.core.store_config import store_of
from hub.pipeline.provenance import META_TITLE, AdminGraphFacts, ProvenanceWriter
from hub.store import backends


class LoadError(Exception):
    """The file cannot be loaded; the message names the file, the place and the reason."""


@dataclass(frozen=True)
class Loaded:
    graph: str
    triples: int
    sha256: str
    generation: int


def _format(path: Path, given: str | None) -> RdfFormat:
    if given:
        fmt = RdfFormat.from_media_type(given) or RdfFormat.from_extension(given)
        if fmt is None:
            raise LoadError(f"{path.name}: unknown format {given!r} (give a media type or an extension like ttl)")
        return fmt
    fmt = RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise LoadError(f"{path.name}: cannot tell the format from the extension {path.suffix!r}; give --format")
    return fmt


def load_file(settings: Settings, path: Path, graph_iri: str, *, who: str | None = None,
              license_iri: str | None = None, rdf_format: str | None = None) -> Loaded:
    minter = Minter(settings.base_iri)
    try:
        graph = NamedNode(graph_iri)
    except ValueError as error:
        raise LoadError(f"--graph must be an absolute IRI: {error}") from None
    if graph.value.startswith(f"{minter.base}graph/"):
        raise LoadError(f"{graph.value} is a graph the hub mints and writes itself; load into another IRI")
    license_node = None
    if license_iri:
        try:
            license_node = NamedNode(license_iri)
        except ValueError as error:
            raise LoadError(f"--license must be an IRI: {error}") from None
    fmt = _format(path, rdf_format)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(f"cannot read {path.name}: {error.strerror}") from None
    try:
        parsed = list(parse(data, format=fmt))
    except SyntaxError as error:  # pyoxigraph's parser: "Parser error at line L column C: reason"
        raise LoadError(f"{path.name}: {because(error, 'a syntax error')}") from None
    named = next((q for q in parsed if not isinstance(q.graph_name, DefaultGraph)), None)
    if named is not None:
        # Writing the file's own graphs would put quads in graphs nobody described.
        raise LoadError(f"{path.name}: holds a named graph ({named.graph_name}); load one graph's triples at a time")
    quads = [Quad(q.subject, q.predicate, q.object, graph) for q in parsed]
    digest = hashlib.sha256(data).hexdigest()
    data_dir = DataDir(settings.data_dir)
    data_dir.record_base_iri(settings.base_iri)
    prov = ProvenanceWriter(minter)
    facts = AdminGraphFacts(graph=graph, loaded_by=who or getpass.getuser(), loaded_at=now_iso(),
                            file_name=path.name, sha256=digest, license=license_node)
    with WriterLock(data_dir.lock_file):
        backend, _ = backends.open_writer(data_dir, store_of(settings), minter.meta_graph())
        data_dir.dirty_marker.touch()
        store = backend.writer
        store.replace_graph(graph, quads)
        store.remove_matching(graph, None, minter.meta_graph())
        store.add_quads(prov.admin_graph(facts))
        meta = minter.meta_graph()
        store.remove_matching(meta, None, meta)
        store.add_quads(prov.hub_graph(meta, META_TITLE, facts.loaded_at))
        generation = backend.publish()
        backend.close()
        data_dir.dirty_marker.unlink()
    return Loaded(graph.value, len(quads), digest, generation)
