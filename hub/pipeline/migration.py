"""A data folder harvested before provenance model 2 (hub/core/records.py `PROVENANCE_MODEL`), migrated in place.

Model 1 said on every record graph its source, licence, document URL (twice), payload, change time, kind and
alignment notes, and hashed the record as its feed spelled it (`"4.3460"`), not as the store serves it
(`"4.346"`). The next harvest of such a folder, before any source runs, and whichever sources it harvests:

- recomputes each record graph's content hash from the graph the store serves (its RDFC-1.0 hash, as the split
  now computes it), so records whose bytes did not change compare equal and are not counted as updated;
- writes one fetch node per (run, document) that record graphs came from, with what their descriptions said
  (document, payload, its fetch time, licence, alignment notes; model 1 kept only a payload's latest fetch, so
  where the same bytes were fetched again after the run, the run's end stands for the time), and gives each
  record graph its new
  description (type, subject, hash, run, source, fetch; its own licence only where it differed);
- restates the current version of each record in the private history the same way (hub/archive/history.py
  `restate`), so that the next patch of a record removes exactly what the store holds;
- updates the content hashes in each source's record index (hub/archive/state.py);
- describes itself in the meta graph: a `hub:Migration` activity with its times and counts.

No record graph is rewritten, and no version, removal or change-feed entry is added: the records did not
change, only what is said about them. Tombstones, runs and payloads keep their descriptions (unchanged in
model 2). The migration is idempotent: a harvest killed before it publishes leaves the last generation whole,
and the next harvest migrates again from it.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad

from hub.archive import history
from hub.archive import state as harvest_state
from hub.archive.datadir import DataDir
from hub.core.durations import now_iso
from hub.core.iris import Minter, run_timestamp
from hub.core.ntriples import to_lines
from hub.core.records import PROVENANCE_MODEL
from hub.pipeline.canonical import LimitExceeded, canonical_hash
from hub.pipeline.literals import MARK, normal_line
from hub.pipeline.provenance import FetchFacts, GraphFacts, MigrationFacts, ProvenanceWriter
from hub.store import generations
from hub.store.interface import HarvestWriter

log = logging.getLogger(__name__)
CHUNK = 5_000  # record graphs per removal of descriptions and per load of new ones

PREFIXES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX hub: <https://w3id.org/mutualisons/ns#>
"""
# What model 1 said on each record graph (hub:document is said there only in model 1: on fetch nodes in 2).
OLD_DESCRIPTIONS = PREFIXES + """SELECT ?g ?subject ?source ?run ?doc ?hash ?changed ?license ?payload ?fetched WHERE {
  GRAPH $meta {
    ?g a hub:RecordGraph ; hub:document ?doc ; hub:recordSubject ?subject ; dcterms:source ?source ;
       prov:wasGeneratedBy ?run ; hub:contentHash ?hash .
    OPTIONAL { ?g prov:generatedAtTime ?changed }
    OPTIONAL { ?g dcterms:license ?license }
    OPTIONAL { ?g hub:payload ?payload . OPTIONAL { ?payload prov:generatedAtTime ?fetched } }
  }
}"""
OLD_EXTRAS = PREFIXES + """SELECT ?g ?note ?upstream WHERE {
  GRAPH $meta {
    ?g a hub:RecordGraph ; hub:document ?doc .
    { ?g hub:alignment ?note } UNION { ?g prov:wasDerivedFrom ?upstream FILTER(?upstream != ?doc) }
  }
}"""
PENDING = PREFIXES + "ASK { GRAPH $meta { ?g a hub:RecordGraph ; hub:document ?doc } }"


@dataclass
class _Old:
    """One record graph as model 1 described it."""

    graph: str
    subject: str
    source: str
    run: str
    document: str
    content_hash: str
    changed: str | None
    license: str | None
    payload: str | None
    fetched: str | None
    notes: list[str] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)


@dataclass
class Migrated:
    record_graphs: int = 0
    rehashed: int = 0
    fetches: int = 0
    history_files: int = 0
    hashes: dict[str, str] = field(default_factory=dict)  # graph -> its content hash now


def pending(data: DataDir) -> bool:
    """Whether the folder holds a generation published before the current model (the marker a harvest
    writes when it publishes says which model it wrote): cheap, for a harvest with no source due."""
    if generations.current(data) is None:
        return False
    try:
        return data.provenance_model.read_text(encoding="utf-8").strip() != str(PROVENANCE_MODEL)
    except OSError:
        return True


def needed(store: HarvestWriter, meta: NamedNode) -> bool:
    """Whether any record graph is still described the model 1 way."""
    return store.ask(PENDING.replace("$meta", str(meta)))


def migrate(store: HarvestWriter, data: DataDir, minter: Minter, progress: Callable[[str], None]) -> Migrated:
    """Brings every record graph's description to the current model (see the module's docstring)."""
    started = now_iso()
    meta = minter.meta_graph()
    prov = ProvenanceWriter(minter)
    olds = _old_descriptions(store, meta)
    done = Migrated(record_graphs=len(olds))
    # Grouped by (source, run, document): each group's fetch node says once what its records all said.
    groups: dict[tuple[str, str, str], list[_Old]] = defaultdict(list)
    for old in olds:
        groups[(old.source, old.run, old.document)].append(old)
    source_prefix = minter.source("").value
    descriptions: dict[str, list[str]] = {}
    fetch_quads: list[Quad] = []
    for (source, run, document), members in sorted(groups.items()):
        source_id = source.removeprefix(source_prefix)
        fetch = minter.fetch(source_id, run.rsplit("/", 1)[-1], document)
        license_ = _most_common(old.license for old in members)
        fetched = _most_common(_fetch_time(old) for old in members) or started
        payload = _most_common(old.payload for old in members)
        notes = sorted({note for old in members for note in old.notes})
        fetch_quads += prov.fetch(FetchFacts(fetch, NamedNode(run), document, fetched, license_,
                                             NamedNode(payload) if payload else None, notes))
        done.fetches += 1
        for old in members:
            served = _served_hash(store, old)
            done.rehashed += served != old.content_hash
            done.hashes[old.graph] = served
            descriptions[old.graph] = prov.record_graph_lines(GraphFacts(
                graph=NamedNode(old.graph), subject=NamedNode(old.subject), source_id=source_id, run=NamedNode(run),
                fetch=fetch, content_hash=served, license=old.license if old.license != license_ else None,
                upstream_graphs=old.upstream))
    graphs = sorted(descriptions)
    for start in range(0, len(graphs), CHUNK):
        chunk = graphs[start:start + CHUNK]
        store.remove_descriptions([NamedNode(graph) for graph in chunk], meta)
        store.load_nquads("\n".join(line for graph in chunk for line in descriptions[graph]).encode("utf-8"))
        store.flush()
    store.add_quads(fetch_quads)
    done.history_files = _restate_history(data, descriptions, done.hashes, meta)
    _update_indexes(data, done.hashes)
    store.add_quads(prov.migration(MigrationFacts(minter.migration(run_timestamp(started)), started, now_iso(), 1,
                                                  PROVENANCE_MODEL, done.record_graphs, done.rehashed,
                                                  done.fetches)))
    progress(f"provenance migrated to model {PROVENANCE_MODEL}: {done.record_graphs} record graph(s) described "
             f"anew from {done.fetches} fetch node(s), {done.rehashed} content hash(es) recomputed as the store "
             f"serves the records; no record rewritten")
    return done


def _old_descriptions(store: HarvestWriter, meta: NamedNode) -> list[_Old]:
    found: dict[str, _Old] = {}
    for row in store.select(OLD_DESCRIPTIONS.replace("$meta", str(meta))):
        graph = row["g"].value
        if graph in found:  # a second payload or licence (never written so): the first one stands
            continue
        found[graph] = _Old(graph, row["subject"].value, row["source"].value, row["run"].value, row["doc"].value,
                            row["hash"].value, _value(row.get("changed")), _value(row.get("license")),
                            _value(row.get("payload")), _value(row.get("fetched")))
    for row in store.select(OLD_EXTRAS.replace("$meta", str(meta))):
        old = found.get(row["g"].value)
        if old is None:
            continue
        if "note" in row:
            old.notes.append(row["note"].value)
        elif "upstream" in row:
            old.upstream.append(row["upstream"].value)
    return [found[graph] for graph in sorted(found)]


def _served_hash(store: HarvestWriter, old: _Old) -> str:
    """The RDFC-1.0 hash of the record as the store serves it: what the split gives its feed's statements now."""
    lines = to_lines(Quad(q.subject, q.predicate, q.object) for q in store.graph_quads(NamedNode(old.graph)))
    try:
        return canonical_hash(lines)
    except LimitExceeded:  # a record published within the bounds is within them still: never expected
        log.warning("%s: beyond the canonicalisation bounds; its content hash is kept", old.graph)
        return old.content_hash


def _restate_history(data: DataDir, descriptions: dict[str, list[str]], hashes: dict[str, str],
                     meta: NamedNode) -> int:
    """The current version of each record in the history, restated as the store now holds it: statements in
    served form, the new description instead of the old."""
    meta_token = f" <{meta.value}> ."
    changed = 0
    for source_id in harvest_state.sources_with_state(data):
        state = harvest_state.load(data, source_id)
        current = {graph: entry.written_by for graph, entry in (state.records or {}).items()
                   if entry.written_by and graph in descriptions}
        if not current:
            continue

        def restated(graph: str, lines: list[str], current: dict[str, str] = current) -> list[str] | None:
            if graph not in current:
                return None
            statements = [normal_line(line) if MARK in line else line for line in lines
                          if not line.endswith(meta_token)]
            return statements + descriptions[graph]

        # Each graph's current version is in the file of the run that wrote it: only those files change.
        changed += history.restate(data, source_id, set(current.values()), restated)
    return changed


def _update_indexes(data: DataDir, hashes: dict[str, str]) -> None:
    """Each source's record index with the hashes the store serves (its generation unchanged: it describes
    the same records). Saved now: should the harvest be killed, the next one migrates again to the same."""
    for source_id in harvest_state.sources_with_state(data):
        state = harvest_state.load(data, source_id)
        if not state.records:
            continue
        updated = {graph: entry._replace(content_hash=hashes[graph]) if graph in hashes else entry
                   for graph, entry in state.records.items()}
        if updated != state.records:
            state.records = updated
            harvest_state.save(data, source_id, state)


def _fetch_time(old: _Old) -> str | None:
    """When the record's run fetched its document. Model 1 kept only the latest fetch of each payload: when
    that is after the run (the same bytes fetched again since), the run's end is the closest it says."""
    if old.fetched and (old.changed is None or old.fetched <= old.changed):
        return old.fetched
    return old.changed or old.fetched


def _most_common(values: object) -> str | None:
    counted = Counter(value for value in values if value)  # type: ignore[attr-defined]
    return counted.most_common(1)[0][0] if counted else None


def _value(term: object) -> str | None:
    return None if term is None else str(term.value)  # type: ignore[attr-defined]
