"""The harvest pipeline: sources.toml -> fetch -> lift -> split -> validate -> commit -> publish.

One writer at a time applies each source's accepted records to the working store (one named graph
per record), tombstones the records that left the feed, quarantines rejected ones, then publishes a
new generation. A source is all or nothing: its changes are computed in full before any is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad

from harvesters.fetch import FetchError, FetchPolicy, expand_file_url, fetch, now_iso
from harvesters.rdf import LiftError
from hub import generations, payloads, quarantine
from hub.config import Settings, Source, load_sources
from hub.datadir import DataDir
from hub.hubgraphs import write_hub_graphs
from hub.iris import Minter, run_timestamp
from hub.lifting import lift_document
from hub.lock import WriterLock
from hub.namespaces import sparql_prefixes
from hub.provenance import GraphFacts, PayloadFacts, ProvenanceWriter, RunFacts
from hub.records import Record, content_hash
from hub.store import WorkingStore
from hub.validation import Charter, Verdict

Progress = Callable[[str], None]


class UnknownSource(Exception):
    pass


@dataclass
class RunSummary:
    source_id: str
    run: str
    status: str
    counts: dict[str, int]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class HarvestSummary:
    runs: list[RunSummary]
    generation: int

    @property
    def failed(self) -> bool:
        return any(run.status == "failed" for run in self.runs)


def harvest(settings: Settings, source_ids: Sequence[str] = (), progress: Progress = print) -> HarvestSummary:
    """Harvests the given sources (all when none), then publishes a new generation."""
    sources = load_sources(settings.sources_path)
    known = {source.id for source in sources}
    unknown = [source_id for source_id in source_ids if source_id not in known]
    if unknown:
        raise UnknownSource(f"unknown source id(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    selected = [s for s in sources if not source_ids or s.id in source_ids]
    data = DataDir(settings.data_dir)
    data.record_base_iri(settings.base_iri)
    with WriterLock(data.lock_file):
        if generations.restore_working(data):
            progress("the last harvest was interrupted: working store rebuilt from the last generation")
        data.dirty_marker.touch()
        store = WorkingStore(data.working)
        pipeline = Pipeline(store, data, Minter(settings.base_iri), Charter(), progress)
        runs = [pipeline.run_source(source) for source in selected]
        runs += pipeline.retire_removed_sources(known)
        pipeline.describe_hub_graphs(sources)
        generation = generations.publish(store, data)
        store.close()
        data.dirty_marker.unlink()
    progress(f"published generation {generation.number}")
    return HarvestSummary(runs, generation.number)


class Pipeline:
    def __init__(self, store: WorkingStore, data: DataDir, minter: Minter, charter: Charter,
                 progress: Progress) -> None:
        self.store = store
        self.data = data
        self.minter = minter
        self.charter = charter
        self.progress = progress
        self.prov = ProvenanceWriter(minter)
        self.meta = minter.meta_graph()

    def run_source(self, source: Source) -> RunSummary:
        started = now_iso()
        run = self.minter.run(source.id, run_timestamp(started))
        facts = RunFacts(source.id, run, started)
        self.progress(f"[{source.id}] harvesting {', '.join(source.urls)}")
        policy = FetchPolicy(file_root=source.toml_dir, trusted_hosts=source.trusted_hosts,
                             max_bytes=source.max_bytes)
        records: dict[str, Record] = {}
        warnings: list[str] = []
        attempted_documents: list[str] = []
        failed_documents: set[str] = set()
        payload_quads: list[Quad] = []
        documents, failed_urls = self._documents(source, policy, facts)
        failed_documents.update(failed_urls)
        for document in documents:
            attempted_documents.append(document)
            try:
                fetched = fetch(document, policy)
            except FetchError as error:
                facts.errors.append(str(error))
                failed_documents.add(document)
                continue
            payloads.keep(self.data, fetched.sha256, fetched.body)
            payload = self.minter.payload(fetched.sha256)
            facts.payloads.append(payload)
            try:
                lifted = lift_document(fetched, configured_format=source.format,
                                       base_iri=source.base_iri(self.minter.base), minter=self.minter,
                                       source_id=source.id, language=source.language)
            except LiftError as error:
                facts.errors.append(str(error))
                failed_documents.add(document)
                continue
            payload_quads += self.prov.payload(PayloadFacts(
                payload, fetched.url, fetched.fetched_at, len(fetched.body),
                fetched.content_type or lifted.format, fetched.status if fetched.headers else None, fetched.etag,
            ))
            warnings += lifted.warnings
            for record in lifted.records:
                _merge_into(records, record, payload, warnings)
        verdicts = self.charter.validate(list(records.values()))
        accepted = [v for v in verdicts if v.accepted]
        rejected = [v for v in verdicts if not v.accepted]
        for verdict in accepted:
            warnings += [f"{verdict.record.subject.value}: {w.message['en']}" for w in verdict.warnings]
        if not attempted_documents or len(failed_documents) >= len(attempted_documents):
            facts.status = "failed"
        elif failed_documents or rejected:
            facts.status = "partial"
        # The run ends as it commits: its graphs carry prov:generatedAtTime = the run's prov:endedAtTime.
        facts.ended_at = now_iso()
        counts = self._commit(source, facts, accepted, rejected, failed_documents, payload_quads)
        counts["warned"] = len(warnings)
        facts.counts = counts
        self.store.add_quads(self.prov.run(facts))
        self.progress(f"[{source.id}] {facts.status}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for message in facts.errors:
            self.progress(f"[{source.id}] error: {message}")
        return RunSummary(source.id, run.value, facts.status, counts, facts.errors, warnings)

    def _documents(self, source: Source, policy: FetchPolicy, facts: RunFacts) -> tuple[list[str], set[str]]:
        """The documents to fetch, and the configured URLs that could not even be listed."""
        documents: list[str] = []
        failed: set[str] = set()
        for url in source.urls:
            if url.startswith("file:"):
                try:
                    documents += expand_file_url(url, policy)
                except FetchError as error:
                    facts.errors.append(str(error))
                    failed.add(url)
            else:
                documents.append(url)
        return documents, failed

    def _existing_graphs(self, source_id: str) -> dict[str, tuple[str, str, str]]:
        """graph IRI -> (content hash, document URL, subject) of the source's published records."""
        rows = self.store.select(sparql_prefixes() + f"""
            SELECT ?g ?hash ?doc ?subject WHERE {{ GRAPH <{self.meta.value}> {{
                ?g a hub:RecordGraph ; dcterms:source <{self.minter.source(source_id).value}> ;
                   hub:contentHash ?hash ; hub:recordSubject ?subject ; hub:document ?doc .
            }} }}""")
        return {r["g"].value: (r["hash"].value, r["doc"].value, r["subject"].value) for r in rows}

    def _commit(self, source: Source, facts: RunFacts, accepted: list[Verdict], rejected: list[Verdict],
                failed_documents: set[str], payload_quads: list[Quad]) -> dict[str, int]:
        existing = self._existing_graphs(source.id)
        counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0,
                  "accepted": len(accepted), "rejected": len(rejected)}
        self._describe_payloads(payload_quads)
        if facts.status == "failed":
            return counts
        graph_of = {v.record.subject.value: self.minter.graph(source.id, v.record.graph_key).value
                    for v in accepted + rejected}
        kept: set[str] = set()
        for verdict in accepted:
            record = verdict.record
            graph = NamedNode(graph_of[record.subject.value])
            kept.add(graph.value)
            previous = existing.get(graph.value)
            if previous is not None and previous[0] == record.content_hash:
                counts["unchanged"] += 1
                continue
            counts["updated" if previous else "added"] += 1
            self.store.replace_graph(graph, record.quads)
            self.store.remove_matching(graph, None, self.meta)
            self.store.add_quads(self.prov.record_graph(GraphFacts(
                graph=graph, subject=record.subject, kind=record.kind, source_id=source.id,
                document=record.document, run=facts.run, generated_at=facts.ended_at, license=source.license,
                content_hash=record.content_hash, payload=record.payload, upstream_graphs=record.upstream_graphs,
                notes=record.notes,
            )))
        for graph_iri, (_, document, subject) in existing.items():
            if graph_iri in kept or _under(document, failed_documents):
                continue  # a document (or folder) that failed this time keeps its records
            reason = "rejected by the charter" if graph_iri in graph_of.values() else "left the feed"
            self._tombstone(NamedNode(graph_iri), NamedNode(subject), source.id, facts.run, reason)
            counts["removed"] += 1
        if rejected:
            path = quarantine.write(self.data, source.id, run_timestamp(facts.started_at), facts.run.value,
                                    rejected, graph_of)
            self.progress(f"[{source.id}] {len(rejected)} rejected record(s) kept in {path}")
        else:
            quarantine.write(self.data, source.id, run_timestamp(facts.started_at), facts.run.value, [], graph_of)
        return counts

    def _describe_payloads(self, payload_quads: list[Quad]) -> None:
        """The same bytes fetched again: their description says the latest fetch, once."""
        for payload in {quad.subject for quad in payload_quads}:
            assert isinstance(payload, NamedNode)
            self.store.remove_matching(payload, None, self.meta)
        self.store.add_quads(payload_quads)

    def _tombstone(self, graph: NamedNode, subject: NamedNode | None, source_id: str, run: NamedNode,
                   reason: str) -> None:
        self.store.drop_graph(graph)
        self.store.remove_matching(graph, None, self.meta)
        self.store.add_quads(self.prov.tombstone(graph, subject, source_id, run, now_iso(), reason))

    def retire_removed_sources(self, known: set[str]) -> list[RunSummary]:
        """A source removed from sources.toml has its records tombstoned."""
        rows = self.store.select(sparql_prefixes() + f"""
            SELECT DISTINCT ?source WHERE {{ GRAPH <{self.meta.value}> {{
                ?g a hub:RecordGraph ; dcterms:source ?source }} }}""")
        summaries = []
        prefix = self.minter.source("").value
        for row in rows:
            source_iri = str(row["source"].value)
            source_id = source_iri[len(prefix):]
            if source_id in known:
                continue
            started = now_iso()
            facts = RunFacts(source_id, self.minter.run(source_id, run_timestamp(started)), started)
            existing = self._existing_graphs(source_id)
            for graph_iri, (_, _, subject) in existing.items():
                self._tombstone(NamedNode(graph_iri), NamedNode(subject), source_id, facts.run,
                                "source removed from sources.toml")
            facts.counts = {"removed": len(existing)}
            facts.ended_at = now_iso()
            self.store.add_quads(self.prov.run(facts))
            self.progress(f"[{source_id}] removed from sources.toml: {len(existing)} record(s) tombstoned")
            summaries.append(RunSummary(source_id, facts.run.value, "succeeded", facts.counts))
        return summaries

    def describe_hub_graphs(self, sources: list[Source]) -> None:
        """Rewrites the sources graph (DCAT) and describes the hub's own graphs in the meta graph."""
        at = now_iso()
        sources_graph = self.minter.sources_graph()
        quads: list[Quad] = []
        for source in sources:
            quads += self.prov.source_description(source, source.urls)
        self.store.replace_graph(sources_graph, quads)
        for graph, title in ((self.meta, "Provenance of every graph the hub serves"),
                             (sources_graph, "The sources the hub harvests (DCAT)")):
            self.store.remove_matching(graph, None, self.meta)
            self.store.add_quads(self.prov.hub_graph(graph, title, at))
        # Vocabulary, schemes, shapes and the computed verification: graphs of their own.
        write_hub_graphs(self.store, self.minter, self.prov, at)


def _under(document: str, failed: set[str]) -> bool:
    """A document failed itself, or lies in a folder URL that could not be listed."""
    return document in failed or any(url.endswith("/") and document.startswith(url) for url in failed)


def _merge_into(records: dict[str, Record], record: Record, payload: NamedNode, warnings: list[str]) -> None:
    """Two documents of one source describing one subject make one record."""
    record.payload = payload
    existing = records.get(record.subject.value)
    if existing is None:
        records[record.subject.value] = record
        return
    warnings.append(f"{record.subject.value} is described in {existing.document} and {record.document}: merged")
    merged = existing.quads + [q for q in record.quads if q not in set(existing.quads)]
    existing.quads = merged
    existing.content_hash = content_hash(merged)

