"""The harvest pipeline: sources.toml -> fetch -> lift -> split -> validate -> commit -> publish.

One writer at a time applies each source's accepted records to the working store (one named graph
per record), tombstones the records that left the feed, quarantines rejected ones, then publishes a
new generation. A source is all or nothing, and its failure is its own: whatever goes wrong in its
run (an exception anywhere, or a removal held by the safety valve) fails that run with a clear line,
rolls the working store back to the checkpoint taken before the source's first write, and the
harvest goes on with the other sources. A failure that kills the process leaves the working store
marked dirty, to be rebuilt from the last generation, and a journal of the files to remove.
Unchanged bytes (HTTP 304, or the same SHA-256) and unchanged records (same RDFC-1.0 hash, same
charter) cost no validation and no write; the bytes of a failed run fail again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, Quad

from harvesters.formats import DocumentFetchError, Failed, Format, LiftError, table
from harvesters.jsonld import cached, shipped_then
from harvesters.wording import because
from hub import __version__
from hub.archive import contact_book as contacts_kept
from hub.archive import history, payloads, pushed, quarantine, unpublished
from hub.archive import state as harvest_state
from hub.archive import warnings as kept_warnings
from hub.archive.datadir import DataDir
from hub.archive.state import DocumentState, RecordEntry, SourceState
from hub.charter import messages
from hub.charter.area import ServiceArea
from hub.charter.validation import Charter
from hub.core.config import DEFAULT_KEEP_RUNS, Settings, Source, load_sources
from hub.core.cycles import without_cycle_collector
from hub.core.durations import parse_duration, parse_time
from hub.core.iris import Minter, document_iri, run_timestamp
from hub.core.lock import WriterLock
from hub.core.profile import profile_path
from hub.core.records import PROVENANCE_MODEL, Record, Verdict
from hub.core.store_config import store_of
from hub.core.vocabulary import default_vocabulary
from hub.pipeline import contact_book, migration, redaction, run_warnings
from hub.pipeline.documents import walk, walks
from hub.pipeline.fetch import (
    FeedGone,
    Fetched,
    FetchError,
    FetchPolicy,
    expand_file_url,
    fetch,
    fetch_context,
    now_iso,
)
from hub.pipeline.hubgraphs import write_hub_graphs
from hub.pipeline.lifting import LiftedLines, LiftOptions, lift_lines, read_in_two_processes, split_lifted
from hub.pipeline.linking.linker import Linker, decisions_pending
from hub.pipeline.outcome import status as run_status
from hub.pipeline.outcome import verdict_warnings
from hub.pipeline.provenance import META_TITLE, FetchFacts, GraphFacts, PayloadFacts, ProvenanceWriter, RunFacts
from hub.pipeline.record_writer import RecordWriter
from hub.sparql import queries
from hub.store import backends, dump, generations
from hub.store.interface import HarvestWriter
from hub.store.remote import RemoteStore

Progress = Callable[[str], None]
SHOWN_WARNINGS = 20  # of a run's warnings, those its progress lines say
log = logging.getLogger(__name__)


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
    generation: int | None

    @property
    def failed(self) -> bool:
        return any(run.status == "failed" for run in self.runs)


def harvest(settings: Settings, source_ids: Sequence[str] = (), progress: Progress = log.info,
            due_only: bool = False, compact: bool = False) -> HarvestSummary:
    """Harvests the given sources (all when none; only those whose period has passed with
    `due_only`), then publishes a new generation; with `compact`, a compacted one after big writes.
    Each line of progress goes to `progress` (the log by default: the CLI prints them)."""
    sources = load_sources(settings.sources_path)
    area = ServiceArea.of(profile_path(settings.sources_path))  # an invalid hub.toml stops here, like sources.toml
    known = {source.id for source in sources}
    unknown = [source_id for source_id in source_ids if source_id not in known]
    if unknown:
        raise UnknownSource(f"unknown source id(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    selected = [s for s in sources if not source_ids or s.id in source_ids]
    data = DataDir(settings.data_dir)
    data.record_base_iri(settings.base_iri)
    remote = store_of(settings)  # None: the embedded store (docs/stores.md)
    with WriterLock(data.lock_file), without_cycle_collector():
        if due_only:
            selected = [source for source in selected if is_due(data, source)]
            if not selected and not migration.pending(data) and not decisions_pending(data):
                progress("no source is due")
                current = generations.current(data)
                if remote is not None:
                    server = RemoteStore(remote, Minter(settings.base_iri).meta_graph())
                    try:
                        return HarvestSummary([], backends.published_number(server))
                    finally:
                        server.close()
                return HarvestSummary([], current.number if current else None)
        minter = Minter(settings.base_iri)
        backend, restored = backends.open_writer(data, remote, minter.meta_graph())
        if restored:
            progress("the last harvest was interrupted: working store rebuilt from the last generation")
        shutil.rmtree(data.scratch, ignore_errors=True)  # what a killed harvest left behind
        store = backend.writer  # opened when the pipeline first needs it: see WorkingStore.open
        leftovers = (generations.discard_unpublished(data) if remote is None else 0) + unpublished.discard(
            data, lambda run: _run_described(store, minter.meta_graph(), run))
        if leftovers:
            progress(f"removed {leftovers} file(s) an interrupted harvest or publication left behind")
        data.dirty_marker.touch()
        if migration.pending(data) and migration.needed(store, minter.meta_graph()):
            # A folder from before provenance model 2: described anew before any source runs (its records
            # compare with what the store serves), whichever sources this harvest runs. Asked of the store only
            # when the folder's marker is not the current model: opening the store early would compact it
            # while a document is parsed in two processes (see WorkingStore.open).
            migration.migrate(store, data, minter, progress)
        pipeline = Pipeline(store, data, minter, Charter(area=area), progress, backends.published_number(backend))
        try:
            runs = [pipeline.run_source(source) for source in selected]
        finally:
            pipeline.close()
        # After big writes the store may be compacted before it is published (WorkingStore.needs_compaction
        # says why), in a thread while the last small writes go on (RocksDB takes writes meanwhile). It is
        # asked for (`compact`), not done by default: it adds a fifth to a first harvest of 100k records.
        # The links graph is written first (after every source: docs/architecture.md): at many records it is a
        # big write of its own, which the compaction must include.
        runs += pipeline.retire_removed_sources(known)  # their records leave their clusters too
        pipeline.linker.run(store, pipeline.published_generation)
        with ThreadPoolExecutor(1, thread_name_prefix="compact") as compactor:
            compacting = None
            if compact and store.needs_compaction():
                progress(f"compacting the store after {store.bulk_written} statements written in bulk")
                compacting = compactor.submit(store.compact)
            pipeline.describe_hub_graphs(sources)
            keep = pipeline.recent_payloads(sources)
            if compacting is not None:
                try:
                    compacting.result()
                except OSError as error:  # the data is whole either way: only its reads stay slower
                    why = error.strerror or because(error, "a file error")
                    progress(f"warning: compacting the store failed ({why}); it is published as it is")
        generation = backend.publish()
        data.provenance_model.write_text(f"{PROVENANCE_MODEL}\n", encoding="utf-8")
        pipeline.journal.published()
        pipeline.redact_history()  # the runs just published are in the store it asks
        backend.close()
        dump.remove_stale(data, generation)
        data.dirty_marker.unlink()
        pipeline.save_states(generation, [source.id for source in sources])
        pipeline.linker.save(generation)
        payloads.prune(data, keep)
        pipeline.apply_retention(sources)
    progress(f"published generation {generation}")
    return HarvestSummary(runs, generation)


def is_due(data: DataDir, source: Source, now: dt.datetime | None = None) -> bool:
    """Never harvested, or its `period` has passed since its last run ended."""
    state = harvest_state.load(data, source.id)
    if state.last_run_end is None:
        return True
    now = now or dt.datetime.now(dt.UTC)
    return now - parse_time(state.last_run_end) >= parse_duration(source.period)


@dataclass
class _Fetches:
    """What fetching a source's documents gave."""

    fetched: list[Fetched] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # 304, or the same bytes as last time
    failed: set[str] = field(default_factory=set)  # their records are kept as they are
    gone: set[str] = field(default_factory=set)  # 410 for longer than gone_grace: their records go
    attempted: int = 0
    upstream: list[str] = field(default_factory=list)  # the feed's descriptions of its own graphs
    bytes: int = 0  # read from the documents fetched (their bodies are let go once lifted)
    shas: dict[str, str] = field(default_factory=dict)  # document -> SHA-256 of its bytes (fetched, or 304)
    # Documents with rows or features that failed alone: one of those may be a published record's, so
    # none of their records is removed this run (a malformed row fails that row, it does not delete it).
    row_errors: set[str] = field(default_factory=set)
    lifted: set[str] = field(default_factory=set)  # documents read without error
    silent: set[str] = field(default_factory=set)  # of those, the ones that gave no record (hub/pipeline/outcome.py)
    walked: set[str] = field(default_factory=set)  # the documents a format's document source gave (pages…)
    # Documents of a walk that did not read every page (a page failed, a bound stopped it): a record missing from
    # them may be on a page not read, so none of their records is removed this run (they go once a walk is whole).
    spared: set[str] = field(default_factory=set)
    # Each document read without error: when it was fetched, its payload, how it was aligned (its fetch node).
    read: dict[str, tuple[str, NamedNode | None, list[str]]] = field(default_factory=dict)


@dataclass
class _Attempt:
    """Where a source's run has got to: what to say if it fails, and what to undo."""

    state: SourceState  # the source's state as this run leaves it
    stage: str = "fetching"
    document: str | None = None  # the document being lifted
    checkpoint: Path | None = None  # the working store before the run's first write
    files: list[Path] = field(default_factory=list)  # history and quarantine files the run wrote
    payload_quads: list[Quad] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)  # see _Fetches.shas
    index: dict[str, RecordEntry] | None = None  # the source's record index before the run
    attempted: int = 0  # documents
    # What the run committed, for the linker once it succeeded: (record, graph) written, graphs removed.
    linked: tuple[list[tuple[Record, str]], list[str]] = field(default_factory=lambda: ([], []))


class RemovalHeld(Exception):
    """The safety valve: the run would remove too many of its source's records (see _hold_mass_removal)."""

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


class Pipeline:
    def __init__(self, store: HarvestWriter, data: DataDir, minter: Minter, charter: Charter,
                 progress: Progress, published_generation: int | None = None) -> None:
        self.store = store
        self.data = data
        self.minter = minter
        self.charter = charter
        self.progress = progress
        self.prov = ProvenanceWriter(minter)
        self.meta = minter.meta_graph()
        self.writer = RecordWriter(store, data, self.meta)
        self._states: dict[str, SourceState] = {}
        self.published_generation = published_generation
        self.journal = unpublished.Journal(data)
        # Raw payloads are written to disk in a thread of their own (file writes let go of the GIL)
        # while their documents are lifted; each run waits for its own before it ends.
        self._payload_writer = ThreadPoolExecutor(1, thread_name_prefix="payloads")
        self._keeping: list[Future[None]] = []
        self.linker = Linker(data, minter, charter.area.profile.linking, progress)

    def close(self) -> None:
        self._payload_writer.shutdown(wait=True)

    # -- one source ------------------------------------------------------------------------------

    def run_source(self, source: Source) -> RunSummary:
        """One source's run, all or nothing: whatever fails in it (an exception in fetching, lifting,
        splitting, validating or writing, or a removal held by the safety valve) becomes the source's
        failed run, its writes undone, and the harvest goes on with the other sources. Its records are
        judged by the charter plus the source's own `profiles` (sources.toml)."""
        base, self.charter = self.charter, self.charter.for_profiles(source.profiles)
        try:
            return self._run_source(source)
        finally:
            self.charter = base

    def _run_source(self, source: Source) -> RunSummary:
        clock = time.perf_counter()
        started = now_iso()
        facts = RunFacts(source.id, self.minter.run(source.id, run_timestamp(started)), started)
        state = harvest_state.load(self.data, source.id)
        attempt = _Attempt(state=SourceState(charter=self.reading_fingerprint(source), documents={}))
        held: RemovalHeld | None = None
        trace: str | None = None
        try:
            summary = self._run(source, facts, state, attempt, clock)
        except RemovalHeld as error:
            held, message = error, str(error)
        except Exception as error:  # noqa: BLE001 - a source's failure is that source's (DESIGN.md)
            message, trace = _failure_message(attempt, error), traceback.format_exc()
        else:
            if attempt.checkpoint is not None:
                self.store.release_checkpoint(attempt.checkpoint)
            self.linker.note(source.id, *attempt.linked)  # only a run that stands is linked
            return summary
        # Undone outside the except clause: the failure's frames (and what they hold of the store) are gone.
        return self._fail(source, facts, state, attempt, clock, held, trace, message)

    def reading_fingerprint(self, source: Source) -> str:
        """The charter's fingerprint and what else decides how a source's bytes are read: its format, language,
        base, profiles, and its mapping's and theme table's contents. Any change to them makes the next run read
        its unchanged documents again (a new mapping on the same feed must be applied, not skipped as 'same
        bytes'); records that come out the same are still not rewritten."""
        parts = [source.format or "", source.language or "", source.base or "", ",".join(source.profiles)]
        for path in (source.mapping_path(), source.themes_path()):
            try:
                parts.append(hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else "")
            except OSError:  # the lift says what is wrong with the file; the fingerprint only has to differ
                parts.append("unreadable")
        reading = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
        return f"{self.charter.fingerprint}+{reading}"

    def _run(self, source: Source, facts: RunFacts, state: SourceState, attempt: _Attempt,
             clock: float) -> RunSummary:
        charter_unchanged = state.charter == self.reading_fingerprint(source)
        confirmed = state.removal_confirmed is not None  # used up by this run, whatever it does
        self.progress(f"[{source.id}] harvesting {', '.join(source.urls) or 'the documents its network pushed'}"
                      + (" (removal confirmed by an administrator)" if confirmed else ""))
        policy = FetchPolicy(file_root=source.toml_dir, trusted_hosts=source.trusted_hosts,
                             max_bytes=source.max_bytes, max_seconds=source.max_seconds)
        new_state = attempt.state
        fetches, payload_quads = self._fetch_all(source, policy, facts, state, new_state, charter_unchanged)
        attempt.payload_quads, attempt.shas, attempt.attempted = payload_quads, fetches.shas, fetches.attempted
        attempt.stage = "reading the published records"
        existing = self._existing_graphs(source.id, state)
        written_by = {graph: entry.written_by for graph, entry in existing.items() if entry.written_by}
        shapes = {graph: entry.shape for graph, entry in existing.items() if entry.shape}
        new_state.records = dict(existing)
        attempt.index = dict(existing)
        warnings: list[str] = []

        failure = state.failure
        if failure is not None and not confirmed and failure.charter == self.reading_fingerprint(source) \
                and failure.setup == _setup(source) and fetches.shas and fetches.shas == failure.documents \
                and not fetches.failed and not fetches.gone:
            # The very bytes that failed (or were held) last time, read the same way (same charter, same
            # entry in sources.toml, same mapping, same hub): they fail again, with the same errors.
            facts.status = "failed"
            facts.errors = list(failure.errors)
            facts.ended_at = now_iso()
            self._describe_payloads(payload_quads)
            facts.counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0, "accepted": 0, "rejected": 0,
                            "warned": 0, "documents": fetches.attempted, "bytes": 0}
            new_state.failure = failure
            return self._finish(source, facts, state, new_state, warnings, clock, "the same bytes as the failed run")

        if fetches.attempted and not fetches.fetched and not fetches.failed and not fetches.gone \
                and charter_unchanged and state.last_status is not None and failure is None:
            # Every document is byte for byte what was validated and committed last time.
            facts.status = state.last_status
            facts.errors = list(state.last_errors)
            facts.ended_at = now_iso()
            self._describe_payloads(payload_quads)
            since, previous = kept_warnings.last_committed(self.data, source.id)
            entries = run_warnings.all_carried(previous, since)  # nothing was read again: they all still hold
            book = len(contacts_kept.read(self.data, source.id))  # its networks-only persons, accepted then
            facts.counts = {"added": 0, "updated": 0, "unchanged": len(existing) + book, "removed": 0,
                            "accepted": len(existing) + book, "rejected": state.last_rejected,
                            "warned": len(entries),
                            "documents": fetches.attempted, "bytes": 0}
            return self._finish(source, facts, state, new_state, warnings, clock, "unchanged bytes", entries)

        # Under the same charter, a record whose shape digest is the published one is known unchanged
        # without being canonicalised again (hub/pipeline/split.py, _shape_digest).
        known = {graph.rsplit("/", 1)[1]: (shape, existing[graph].content_hash)
                 for graph, shape in shapes.items()} if charter_unchanged else {}
        records = self._lift_all(source, fetches, state, facts, warnings, known, attempt)
        # Persons listed for the networks only are judged, never published: the contact book keeps them.
        contacts = contact_book.take_out(records, default_vocabulary().hierarchy, self.minter)
        self.progress(f"[{source.id}] {len(records)} record(s) lifted ({time.perf_counter() - clock:.1f} s)"
                      + (f", {len(contacts)} for the networks' contact book" if contacts else ""))
        graph_of = {r.subject.value: self.minter.graph(source.id, r.graph_key).value for r in records.values()}
        # A record whose hash is the one already published, under the same charter, was accepted then.
        def published_as_is(record: Record) -> bool:
            entry = existing.get(graph_of[record.subject.value])
            return charter_unchanged and entry is not None and entry.content_hash == record.content_hash \
                and entry.provenance == record.provenance

        to_validate = [record for record in records.values() if not published_as_is(record)]
        if any(record.reused for record in to_validate):  # its lines were never built: it cannot be judged
            raise RuntimeError("a record known unchanged by its shape digest differs from the published one")
        if not fetches.attempted or len(fetches.failed) >= fetches.attempted:
            facts.status = "failed"
        elif not confirmed:
            # The safety valve, before anything is written: the records that left the feed.
            self._hold_mass_removal(source, existing, set(graph_of.values()), fetches, records)
        # Something to commit: records, or removals that were said (a confirmed removal, a feed gone past its
        # gone_grace). No document gave a record and nothing else: nothing to publish, nothing of the source
        # changes, and the errors say why (the valve above held a run that would empty a published source).
        committing = bool(records) or bool(contacts) or bool(fetches.gone) or (confirmed and bool(existing))
        if not committing:
            facts.status = "failed"
        # The run ends as it commits: its prov:endedAtTime is when the records it writes last changed.
        facts.ended_at = now_iso()
        written: dict[str, tuple[list[str], list[str]]] = {}
        persons: dict[str, redaction.Persons] = {}
        if facts.status == "failed":
            self._describe_payloads(payload_quads)
            verdicts = self.charter.validate(to_validate)
        else:
            # From here on the source writes: a checkpoint of the store (hard links, some 0.1 s) lets a
            # failure undo exactly this source's writes.
            attempt.stage = "writing"
            attempt.checkpoint = self._checkpoint(source.id)
            persons = self._persons(existing)  # read before the new versions are written
            self._describe_payloads(payload_quads)
            # Validation (mostly pyoxigraph's Rust, which lets go of the GIL) runs while the records
            # it judges are written; the few it rejects are taken out again before anything is
            # published. On two cores this hides most of its time behind the store's.
            self.charter.prepare()
            with ThreadPoolExecutor(1, thread_name_prefix="validate") as pool:
                judging = pool.submit(self.charter.validate, to_validate)
                written = self._write(source, facts, to_validate, graph_of, existing, written_by, fetches.read)
                attempt.stage = "validating"
                verdicts = judging.result()
            attempt.stage = "writing"
        accepted = [v for v in verdicts if v.accepted]
        rejected = [v for v in verdicts if not v.accepted]
        listed: list[Record] = []
        if contacts:
            graph_of |= {s: self.minter.graph(source.id, r.graph_key).value for s, r in contacts.items()}
            for verdict in self.charter.validate(list(contacts.values())):
                if verdict.accepted:
                    listed.append(verdict.record)
                else:
                    rejected.append(verdict)
        self.progress(f"[{source.id}] {len(to_validate)} record(s) validated and written, {len(rejected)} "
                      f"rejected ({time.perf_counter() - clock:.1f} s)")
        warnings += verdict_warnings(accepted)
        if facts.status != "failed":
            facts.status = run_status(fetches.attempted, len(fetches.failed), committing, bool(
                fetches.gone or rejected or facts.row_errors or fetches.silent))
        if facts.status == "failed":
            counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0, "accepted": 0, "rejected": 0}
        else:
            counts = self._settle(source, facts, records, graph_of, accepted, rejected, existing, fetches,
                                  new_state, written, not confirmed, attempt, warnings, persons)
        if facts.status != "failed":
            for change, number in self._keep_contacts(source, facts, listed, fetches).items():
                counts[change] += number
            counts["accepted"] += len(listed)
        entries = run_warnings.entries(warnings, records.values(), accepted, graph_of)
        if facts.status != "failed":
            # The records not judged again keep the charter's warnings of their published version.
            judged = {v.record.subject.value for v in verdicts}
            since, previous = kept_warnings.last_committed(self.data, source.id)
            entries += run_warnings.carried(previous, {graph_of[s] for s in records if s not in judged}, since)
        counts["warned"] = len(entries)
        counts["documents"] = fetches.attempted
        counts["bytes"] = fetches.bytes
        facts.counts = counts
        new_state.last_rejected = counts["rejected"]
        if facts.status == "failed":
            # Every document failed. Those fetched failed on their bytes: the same bytes fail again.
            new_state.failure = harvest_state.Failure(dict(fetches.shas), facts.errors,
                                                      self.reading_fingerprint(source),
                                                      facts.run.value, setup=_setup(source)) \
                if fetches.shas else state.failure
        return self._finish(source, facts, state, new_state, warnings, clock, "committed", entries)

    def _keep_contacts(self, source: Source, facts: RunFacts, listed: list[Record], fetches: _Fetches
                       ) -> dict[str, int]:
        """The source's networks-only persons, for the contact book: this run's, and those of documents it could
        not read (they stay as they were). Returns how many were added, updated or unchanged, as a run counts."""
        before = {str(entry.get("subject")): entry for entry in contacts_kept.read(self.data, source.id)}
        unread = {document_iri(url) for url in fetches.failed | fetches.spared}
        now = contact_book.entries(listed, self.minter, facts.run.value)
        kept = [entry for subject, entry in before.items() if _under(document_iri(str(entry.get("document", ""))),
                                                                     unread)
                and subject not in {str(entry["subject"]) for entry in now}]
        changes = {"added": 0, "updated": 0, "unchanged": 0}
        for entry in now:
            previous = before.get(str(entry["subject"]))
            changes["added" if previous is None else "unchanged" if previous.get("nquads") == entry["nquads"]
                    else "updated"] += 1
        if now or kept or before:
            contacts_kept.write(self.data, source.id, facts.run.value, now + kept)
        return changes

    def _hold_mass_removal(self, source: Source, existing: dict[str, RecordEntry], kept: set[str],
                           fetches: _Fetches, records: dict[str, Record], rejected: frozenset[str] = frozenset()
                           ) -> None:
        """The safety valve: raises RemovalHeld when the run would remove all of the source's published
        records, or more than its `max_removal` share, or all those of one document that now gives no
        record at all (`rejected`: published records the charter now refuses). Records of a document
        that failed are kept, so they do not count, nor those missing from a document with rows that
        failed; nor do those of a feed gone (410) past its gone_grace: their removal was said."""
        if not existing:
            return
        failed = {document_iri(url) for url in fetches.failed} | {document_iri(url) for url in fetches.spared}
        with_row_errors = {document_iri(url) for url in fetches.row_errors}
        gone = {document_iri(url) for url in fetches.gone}
        silent = {document_iri(url) for url in fetches.lifted} - {document_iri(r.document) for r in records.values()}
        leaving: list[str] = []
        emptied: dict[str, int] = {}  # a document read without error that gave no record -> its records leaving
        for graph, entry in existing.items():
            iri = document_iri(entry.document)
            if graph in kept or _under(iri, failed) or _under(iri, gone):
                continue
            if graph in rejected or not _under(iri, with_row_errors):
                leaving.append(graph)
                if iri in silent:
                    emptied[iri] = emptied.get(iri, 0) + 1
        total = len(existing)
        if not emptied and len(leaving) < total and len(leaving) <= source.max_removal * total:
            return
        cause = " (its documents gave no record at all)" if not records else ""
        if len(leaving) == total:
            what = f"all {total} published records of this source{cause}, which needs a confirmation"
        elif len(leaving) > source.max_removal * total:
            what = (f"{len(leaving)} of the {total} published records of this source ({len(leaving) / total:.0%}), "
                    f"more than its max_removal ({source.max_removal:.0%})")
        else:
            document, count = next(iter(sorted(emptied.items())))
            what = (f"all {count} published record(s) of the document {document}, which now gives no record at "
                    f"all; that needs a confirmation")
        raise RemovalHeld(
            f"held: this run would remove {what}; nothing of the source was changed. If the feed really "
            f"dropped them, confirm with `mutualisons confirm-removal {source.id}` or "
            f"POST /api/sources/{source.id}/confirm-removal (admin) and the next harvest removes them; "
            f"otherwise they stay until the feed gives them back", len(leaving))

    def _checkpoint(self, source_id: str) -> Path:
        target = self.data.scratch / f"before-{source_id}"
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.store.checkpoint(target)
        return target

    def _fail(self, source: Source, facts: RunFacts, state: SourceState, attempt: _Attempt, clock: float,
              held: RemovalHeld | None, trace: str | None, message: str) -> RunSummary:
        """The source's run failed: its writes are undone, its failure recorded, the harvest goes on."""
        while self._keeping:
            try:
                self._keeping.pop().result()
            except OSError:
                pass  # a payload that could not be kept: the run failed anyway, and nothing points at it
        if attempt.checkpoint is not None:
            self.store.roll_back_to(attempt.checkpoint)
            attempt.checkpoint = None
        for path in attempt.files:  # the run's history and quarantine files: it is not published
            path.unlink(missing_ok=True)
        if trace is not None:
            _log_failure(self.data, source.id, message, trace)
        facts.status = "failed"
        facts.errors = [message, *facts.errors] if held else [*facts.errors, message]
        facts.ended_at = now_iso()
        facts.counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0, "accepted": 0, "rejected": 0,
                        "warned": 0, "documents": attempt.attempted, "bytes": 0}
        self._describe_payloads(attempt.payload_quads)
        new_state = attempt.state
        new_state.records = attempt.index  # the records as published: none of this run's writes stayed
        # The same bytes fail again with the same errors when they are what failed (a held removal, or
        # an error while reading, splitting or judging them); after a failure of the hub's own (fetching,
        # reading its store, writing: a full disk…) the bytes in place before stay, to be read again.
        if attempt.shas and (held is not None or attempt.stage in ("lifting", "splitting", "validating")):
            new_state.failure = harvest_state.Failure(dict(attempt.shas), facts.errors,
                                                      self.reading_fingerprint(source),
                                                       facts.run.value, held.count if held else None, _setup(source))
        else:
            new_state.documents = {**state.documents}
            new_state.failure = state.failure
        if held is not None:
            self.progress(f"[{source.id}] {message}")
        return self._finish(source, facts, state, new_state, [], clock, "held" if held else "failed, undone")

    def _finish(self, source: Source, facts: RunFacts, state: SourceState, new_state: SourceState,
                warnings: list[str], clock: float, what: str,
                entries: list[dict[str, object]] | None = None) -> RunSummary:
        while self._keeping:
            self._keeping.pop().result()  # the run's payloads are on disk before it counts as done
        # Each warning with its record, for the source's network (hub/archive/warnings.py); noted in the journal
        # first, so that a harvest killed before it publishes leaves none of an unpublished run.
        stamp = run_timestamp(facts.started_at)
        self.journal.add(facts.run.value, [kept_warnings.path(self.data, source.id, stamp)])
        kept_warnings.write(self.data, source.id, stamp, facts.run.value, facts.status,
                            entries if entries is not None else run_warnings.entries(warnings, [], [], {}))
        self.store.add_quads(self.prov.run(facts))
        new_state.last_run_end = facts.ended_at
        new_state.last_status = facts.status
        new_state.last_errors = list(facts.errors)
        if facts.status == "failed":
            # Nothing was committed: what the last committed run said of its bytes still holds.
            new_state.charter = state.charter  # nothing was validated against the new charter
            new_state.last_status = state.last_status
            new_state.last_errors = state.last_errors
            new_state.last_rejected = state.last_rejected
        self._states[source.id] = new_state
        counts = ", ".join(f"{k} {v}" for k, v in facts.counts.items())
        self.progress(f"[{source.id}] {facts.status} ({what}, {time.perf_counter() - clock:.1f} s): {counts}")
        for message in facts.errors:
            self.progress(f"[{source.id}] error: {message}")
        # The warnings go to whoever runs the harvest (the terminal, or data/harvest.log), never into the store:
        # they may quote the feed's values (a key two rows share). The first few: a feed may warn per record.
        for message in warnings[:SHOWN_WARNINGS]:
            self.progress(f"[{source.id}] warning: {message}")
        if len(warnings) > SHOWN_WARNINGS:
            self.progress(f"[{source.id}] … and {len(warnings) - SHOWN_WARNINGS} more warning(s) "
                          f"(`mutualisons validate` lists them all for one document)")
        return RunSummary(source.id, facts.run.value, facts.status, facts.counts, facts.errors, warnings)

    def _fetch_all(self, source: Source, policy: FetchPolicy, facts: RunFacts, state: SourceState,
                   new_state: SourceState, charter_unchanged: bool) -> tuple[_Fetches, list[Quad]]:
        fetches = _Fetches()
        payload_quads: list[Quad] = []
        walker = table().get(source.format) if source.format else None
        documents, failed_urls = self._documents(source, policy, facts, walker)
        fetches.failed |= failed_urls
        now = dt.datetime.now(dt.UTC)
        walked: set[str] = set()  # the documents the walks met (fetched, unchanged or failed)
        incomplete: set[str] = set()  # those met by a walk that did not read every page
        pushed_prefix = self.minter.pushed_prefix(source.id)
        for document in documents:
            if document.startswith(pushed_prefix):
                fetches.attempted += 1
                previous = state.documents.get(document, DocumentState())
                body = pushed.read(self.data, source.id, document[len(pushed_prefix):])
                if body is None:  # revoked between the listing and now: it is read again next time
                    facts.errors.append(f"{document}: the pushed document was removed while the harvest read it")
                    fetches.failed.add(document)
                    continue
                entry, content = body
                payload_quads += self._take(source, document, Fetched(
                    url=document, body=content, content_type=entry.media_type, fetched_at=entry.pushed),
                    previous, facts, new_state, charter_unchanged, fetches)
                continue
            if walks(walker, source.paging):
                payload_quads += self._walk(source, walker, document, policy, facts, state, new_state,
                                            charter_unchanged, fetches, walked, incomplete)
                continue
            fetches.attempted += 1
            previous = state.documents.get(document, DocumentState())
            try:
                fetched = fetch(document, policy, etag=previous.etag, last_modified=previous.last_modified) \
                    if charter_unchanged and previous.sha256 else fetch(document, policy)
            except FeedGone as error:
                since = previous.gone_since or now_iso()
                new_state.documents[document] = DocumentState(sha256=previous.sha256, gone_since=since)
                if now - parse_time(since) >= parse_duration(source.gone_grace):
                    fetches.gone.add(document)
                    facts.errors.append(messages.fetch_line(error.url, "", "fetch.gone-removed",
                                                            {"since": since, "grace": source.gone_grace}))
                else:
                    fetches.failed.add(document)
                    facts.errors.append(messages.fetch_line(error.url, "", "fetch.gone-kept",
                                                            {"since": since, "grace": source.gone_grace}))
                continue
            except FetchError as error:
                facts.errors.append(messages.fetch_error(error))
                fetches.failed.add(document)
                if previous.sha256:
                    new_state.documents[document] = previous
                continue
            if fetched.status == 304 and previous.sha256:
                new_state.documents[document] = DocumentState(previous.etag, previous.last_modified,
                                                              previous.sha256)
                fetches.shas[document] = previous.sha256
                facts.payloads.append(self.minter.payload(previous.sha256))
                fetches.unchanged.append(document)
                continue
            payload_quads += self._take(source, document, fetched, previous, facts, new_state, charter_unchanged,
                                        fetches)
        if incomplete:
            # What the walks did not reach this time keeps its records and what the hub knew of it.
            unreached = {url: known for url, known in state.documents.items()
                         if url not in walked and url not in documents}
            for url, known in unreached.items():
                new_state.documents.setdefault(url, known)
            fetches.spared |= incomplete | set(unreached)
        # Only "same bytes everywhere" skips lifting: a record may merge statements of several documents. Otherwise
        # every document is lifted, those answered 304 from the payload kept last time (_with_unchanged_bodies).
        if len(fetches.unchanged) >= fetches.attempted:
            fetches.fetched = []
        fetches.bytes = sum(len(f.body) for f in fetches.fetched)
        return fetches, payload_quads

    def _take(self, source: Source, document: str, fetched: Fetched, previous: DocumentState, facts: RunFacts,
              new_state: SourceState, charter_unchanged: bool, fetches: _Fetches) -> list[Quad]:
        """A fetched document kept (payload, its provenance, the source's state) and queued for lifting."""
        self._keeping.append(self._payload_writer.submit(payloads.keep, self.data, fetched.sha256, fetched.body))
        payload = self.minter.payload(fetched.sha256)
        facts.payloads.append(payload)
        new_state.documents[document] = DocumentState(fetched.etag, fetched.last_modified, fetched.sha256)
        fetches.shas[document] = fetched.sha256
        if charter_unchanged and previous.sha256 == fetched.sha256:
            fetches.unchanged.append(document)  # its body is kept at hand in case another document changed
        fetches.fetched.append(fetched)
        return self.prov.payload(PayloadFacts(
            payload, fetched.url, fetched.fetched_at, len(fetched.body), fetched.content_type or source.format,
            fetched.status if fetched.headers else None, fetched.etag,
        ))

    def _walk(self, source: Source, fmt: Format | None, url: str, policy: FetchPolicy, facts: RunFacts,
              state: SourceState, new_state: SourceState, charter_unchanged: bool, fetches: _Fetches,
              walked: set[str], incomplete: set[str]) -> list[Quad]:
        """The documents of a source that fetches more than its configured URL (a paged API, a platform's pages),
        each kept like a fetched one (hub/pipeline/documents.py), each asked conditionally. A page that failed
        alone keeps its records and the walk goes on; a failure that ends the walk keeps the documents read
        before it. Either way the walk is incomplete, and the records missing from its documents are kept."""
        payload_quads: list[Quad] = []
        met: set[str] = set()
        whole = True

        def previous(target: str) -> tuple[str | None, str | None, Callable[[], bytes | None]] | None:
            known = state.documents.get(target)
            if not charter_unchanged or known is None or not known.sha256:
                return None
            sha = known.sha256
            return known.etag, known.last_modified, lambda: payloads.read(self.data, sha)

        def reusable(target: str) -> bytes | None:
            known = state.documents.get(target)
            if not charter_unchanged or known is None or not known.immutable or not known.sha256:
                return None
            return payloads.read(self.data, known.sha256)

        kept: dict[str, Fetched] = {}
        try:
            for item in walk(fmt, url, policy, source.paging, previous, reusable, kept):
                fetches.attempted += 1
                known = state.documents.get(item.url, DocumentState())
                met.add(item.url)
                if isinstance(item, Failed):
                    whole = False
                    facts.errors.append(messages.fetch_line(item.url, item.reason, item.code, item.params))
                    fetches.failed.add(item.url)
                    if known.sha256:
                        new_state.documents[item.url] = known
                    continue
                if item.not_modified and known.sha256:
                    new_state.documents[item.url] = DocumentState(item.etag or known.etag,
                                                                  item.last_modified or known.last_modified,
                                                                  known.sha256)
                    fetches.shas[item.url] = known.sha256
                    facts.payloads.append(self.minter.payload(known.sha256))
                    fetches.unchanged.append(item.url)
                    continue
                payload_quads += self._take(source, item.url, item, known, facts, new_state, charter_unchanged,
                                            fetches)
        except (DocumentFetchError, LiftError) as error:
            whole = False
            fetches.attempted += 1
            facts.errors.append(messages.lift_error(error) if isinstance(error, LiftError)
                                else messages.fetch_error(error))
            failed = error.url if isinstance(error, DocumentFetchError) else error.document
            fetches.failed.add(failed)
            met.add(failed)
        payload_quads += self._keep_immutable(source, kept, met, state, new_state, facts, fetches)
        walked |= met
        fetches.walked |= met
        if not whole:
            incomplete |= met
        return payload_quads

    def _keep_immutable(self, source: Source, kept: dict[str, Fetched], met: set[str], state: SourceState,
                        new_state: SourceState, facts: RunFacts, fetches: _Fetches) -> list[Quad]:
        """The immutable pages a walk read but did not yield as documents (an event stream's, composed into one
        document): remembered in the source's state with their payload, so the next run reads them from there
        without asking (hub/pipeline/documents.py); a page read from there is used by this run again."""
        payload_quads: list[Quad] = []
        for url, document in kept.items():
            if url in met:
                continue  # a yielded document: kept as such
            known = state.documents.get(url)
            if document.not_modified and known is not None and known.sha256:
                new_state.documents[url] = known
                facts.payloads.append(self.minter.payload(known.sha256))
                continue
            self._keeping.append(self._payload_writer.submit(payloads.keep, self.data, document.sha256, document.body))
            payload = self.minter.payload(document.sha256)
            facts.payloads.append(payload)
            new_state.documents[url] = DocumentState(document.etag, document.last_modified, document.sha256,
                                                     immutable=True)
            payload_quads += self.prov.payload(PayloadFacts(
                payload, document.url, document.fetched_at, len(document.body), document.content_type or source.format,
                document.status if document.headers else None, document.etag))
        return payload_quads

    def _lift_all(self, source: Source, fetches: _Fetches, state: SourceState, facts: RunFacts,
                  warnings: list[str], known: dict[str, tuple[str, str]], attempt: _Attempt) -> dict[str, Record]:
        attempt.stage = "lifting"
        # Remote JSON-LD contexts: the shipped copies first, then the guarded fetcher (same rules).
        policy = FetchPolicy(file_root=None, trusted_hosts=source.trusted_hosts, max_bytes=source.max_bytes,
                             max_seconds=source.max_seconds)
        contexts = shipped_then(cached(lambda url: fetch_context(url, policy)))
        parts: list[LiftedLines] = []
        options = LiftOptions(minter=self.minter, source_id=source.id, base_iri=source.base_iri(self.minter.base),
                              configured_format=source.format, mapping_path=source.mapping_path(),
                              language=source.language, resolve_context=contexts, scratch=self.data.scratch,
                              area=self.charter.area, themes_path=source.themes_path())
        documents = self._with_unchanged_bodies(fetches, state)
        fetches.fetched = []  # each body is let go once lifted (the payloads are kept on disk)
        documents.reverse()
        while documents:
            fetched = documents.pop()
            attempt.document = fetched.url
            try:
                if not read_in_two_processes(fetched, options):
                    self.store.open()  # while this process parses alone: see WorkingStore.open
                part = lift_lines(fetched, options)
            except LiftError as error:
                # One unreadable document fails alone: the others are split without it.
                facts.errors.append(messages.lift_error(error))
                fetches.failed.add(fetched.url)
                continue
            except Exception as error:  # noqa: BLE001 - the hub's own failure on this document: it alone fails
                message = _failure_message(attempt, error, document_alone=True)
                _log_failure(self.data, source.id, message, traceback.format_exc())
                facts.errors.append(message)
                fetches.failed.add(fetched.url)
                continue
            warnings += part.warnings
            # A bad row or feature fails alone: reported with its location, the run partial, the rest kept.
            facts.errors += part.row_errors
            facts.row_errors += len(part.row_errors)
            if part.row_errors:
                fetches.row_errors.add(fetched.url)
            fetches.read[fetched.url] = (fetched.fetched_at, self.minter.payload(fetched.sha256), list(part.notes))
            fetches.lifted.add(fetched.url)
            parts.append(part)
        # The documents of a source are one dataset: split together, a record reaches the nodes any of
        # them describes.
        attempt.stage, attempt.document = "splitting", None
        self.store.open()  # the split runs in this process alone
        split = split_lifted(parts, minter=self.minter, source_id=source.id, known=known)
        warnings += split.warnings
        # A document that gave no record is said, with why: the run is partial, or failed if none gave any. An
        # empty page of a walk is how some APIs end their paging: no error while other pages gave records.
        said = [notice for notice in split.no_record if not (split.records and notice.code == "document.empty"
                                                             and notice.params["document"] in fetches.walked)]
        facts.errors += [notice.line() for notice in said]
        fetches.silent |= {str(notice.params["document"]) for notice in said}
        fetches.upstream += split.upstream_descriptions
        return {record.subject.value: record for record in split.records}

    def _with_unchanged_bodies(self, fetches: _Fetches, state: SourceState) -> list[Fetched]:
        """Documents answered 304 are lifted again from the payload kept last time."""
        bodies = list(fetches.fetched)
        seen = {f.url for f in bodies}
        for document in fetches.unchanged:
            sha = state.documents.get(document, DocumentState()).sha256
            if document in seen or sha is None:
                continue
            body = payloads.read(self.data, sha)
            if body is None:
                fetches.failed.add(document)
                continue
            bodies.append(Fetched(url=document, body=body, content_type=None, fetched_at=now_iso()))
        return bodies

    def _documents(self, source: Source, policy: FetchPolicy, facts: RunFacts,
                   walker: Format | None = None) -> tuple[list[str], set[str]]:
        """The documents to fetch, and the configured URLs that could not even be listed. A format with a
        document source gets a `file:` folder as it is: fetched, a folder is a container listing."""
        documents: list[str] = []
        failed: set[str] = set()
        for url in source.urls:
            if url.startswith("file:") and (walker is None or walker.documents is None):
                try:
                    documents += expand_file_url(url, policy)
                except FetchError as error:
                    facts.errors.append(messages.fetch_error(error))
                    failed.add(url)
            else:
                documents.append(url)
        if source.push:  # what the network pushed, each under its own document URL (hub/archive/pushed.py)
            documents += [self.minter.pushed_document(source.id, entry.name).value
                          for entry in pushed.listed(self.data, source.id)]
            if not documents:
                facts.errors.append(f"no document yet: the source has no url and its network has pushed nothing "
                                    f"(PUT /api/sources/{source.id}/documents/NAME with its token)")
        return documents, failed

    def _existing_graphs(self, source_id: str, state: SourceState | None = None) -> dict[str, RecordEntry]:
        """graph IRI -> entry of the source's published records.

        The index saved with the source's state answers when it belongs to the generation the
        working store holds; otherwise the meta graph does (a slower query at 100k records), which knows
        neither the run whose history file holds each version nor its shape digest."""
        if state is not None and state.records is not None and state.generation is not None \
                and state.generation == self.published_generation:
            return dict(state.records)
        rows = self.store.select(queries.render("source-record-graphs", meta=self.meta,
                                                source=self.minter.source(source_id)))
        return {r["g"].value: RecordEntry(r["hash"].value, r["doc"].value, r["subject"].value) for r in rows}

    def _persons(self, existing: dict[str, RecordEntry]) -> dict[str, redaction.Persons]:
        """The persons the published versions of these graphs hold (hub/pipeline/redaction.py)."""
        return redaction.published_persons(self.store, existing, default_vocabulary().hierarchy) if existing else {}

    def redact_history(self) -> None:
        """After publication: takes persons whose consent ended out of the earlier versions of the graphs
        that held them (hub/pipeline/redaction.py), for this harvest and any killed after it published."""
        for line in redaction.apply_pending(self.data, self._published_run, default_vocabulary().hierarchy):
            self.progress(line)

    def _published_run(self, run: str) -> bool:
        return _run_described(self.store, self.meta, run)

    # -- commit ----------------------------------------------------------------------------------

    def _write(self, source: Source, facts: RunFacts, changed: list[Record], graph_of: dict[str, str],
               existing: dict[str, RecordEntry], written_by: dict[str, str],
               read: dict[str, tuple[str, NamedNode | None, list[str]]]) -> dict[str, tuple[list[str], list[str]]]:
        """Writes the changed records (before their verdicts: see run_source), and the fetch node of each
        document they were lifted from: its URL, fetch time, payload, licence and alignment, said once."""
        stamp = run_timestamp(facts.started_at)
        fetch_of = {document: self.minter.fetch(source.id, stamp, document)
                    for document in sorted({record.document for record in changed})}
        for document, node in fetch_of.items():
            fetched_at, payload, notes = read.get(document, (facts.started_at, None, []))
            self.store.add_quads(self.prov.fetch(FetchFacts(node, facts.run, document, fetched_at, source.license,
                                                            payload, notes)))

        def lines_of(record: Record) -> tuple[list[str], list[str]]:
            """The record's statements in its graph, and its description in the meta graph."""
            graph = graph_of[record.subject.value]
            return [f"{line[:-2]} <{graph}> ." for line in record.triples], self.prov.record_graph_lines(GraphFacts(
                graph=NamedNode(graph), subject=record.subject, source_id=source.id, run=facts.run,
                fetch=fetch_of[record.document], content_hash=record.content_hash,
                # A licence of its own (a platform's, per entry) only where it is not its fetch's.
                license=record.license if record.license != source.license else None,
                upstream_graphs=sorted({*record.upstream_graphs, *record.derived_from}),
            ))

        return self.writer.write(source.id, changed, graph_of, set(existing), written_by, lines_of)

    def _settle(self, source: Source, facts: RunFacts, records: dict[str, Record], graph_of: dict[str, str],
                accepted: list[Verdict], rejected: list[Verdict], existing: dict[str, RecordEntry],
                fetches: _Fetches, new_state: SourceState, written: dict[str, tuple[list[str], list[str]]],
                valve: bool, attempt: _Attempt, warnings: list[str],
                persons: dict[str, redaction.Persons]) -> dict[str, int]:
        """Once the verdicts are known: takes the rejected records out again, tombstones the records
        that are gone, and keeps the versions, the index and the quarantine. With `valve` (unless an
        administrator confirmed the removal), the safety valve first counts the published records the
        charter now rejects among those that would go. `persons`: the persons of the graphs' published
        versions, which the history loses if the new versions do not hold them (hub/pipeline/redaction.py)."""
        validated = {v.record.subject.value for v in accepted + rejected}
        unchanged = sum(1 for subject in records if subject not in validated)
        counts = {"added": 0, "updated": 0, "unchanged": unchanged, "removed": 0,
                  "accepted": len(accepted) + unchanged, "rejected": len(rejected)}
        kept = {graph_of[subject] for subject in records if subject not in validated}
        changed: list[Record] = []
        for verdict in accepted:
            graph = graph_of[verdict.record.subject.value]
            kept.add(graph)
            counts["updated" if graph in existing else "added"] += 1
            changed.append(verdict.record)
        rejected_graphs = {graph_of[v.record.subject.value] for v in rejected}
        if valve:
            self._hold_mass_removal(source, existing, kept, fetches, records, frozenset(rejected_graphs))
        failed = {document_iri(url) for url in fetches.failed}
        with_row_errors = {document_iri(url) for url in fetches.row_errors}
        unread = {document_iri(url) for url in fetches.spared}
        removed, spared, unwalked = [], 0, 0
        for graph, entry in existing.items():
            if graph in kept or _under(document_iri(entry.document), failed):
                continue
            if _under(document_iri(entry.document), with_row_errors) and graph not in rejected_graphs:
                spared += 1
                continue
            if document_iri(entry.document) in unread and graph not in rejected_graphs:
                unwalked += 1
                continue
            removed.append((graph, entry.subject))
        if spared:
            warnings.append(f"{spared} published record(s) no longer in documents with rows that failed are "
                            f"kept as they were: a failed row may be theirs (they go once every row reads)")
        if unwalked:
            warnings.append(f"{unwalked} published record(s) no longer in the pages read are kept as they were: not "
                            f"every page could be read, and they may be on one of those (they go once every page "
                            f"reads)")
        counts["removed"] = len(removed)
        attempt.linked = ([(record, graph_of[record.subject.value]) for record in changed], [g for g, _ in removed])
        self.writer.drop(sorted(rejected_graphs | {graph for graph, _ in removed}))
        for graph, subject in removed:
            reason = "rejected by the charter" if graph in rejected_graphs else "left the feed"
            if _under(document_iri(existing[graph].document), {document_iri(url) for url in fetches.gone}):
                reason = "the feed answered 410 Gone for longer than gone_grace"
            # A person's tombstone does not name them: their consent ended, or they left the feed.
            self.store.add_quads(self.prov.tombstone(NamedNode(graph), NamedNode(subject), source.id, facts.run,
                                                     facts.ended_at, reason, person=subject in persons.get(graph, {})))
        stamp = run_timestamp(facts.started_at)
        index = dict(new_state.records or {})
        for graph, _ in removed:
            index.pop(graph, None)
        for record in changed:
            index[graph_of[record.subject.value]] = RecordEntry(record.content_hash, record.document,
                                                                record.subject.value, stamp, record.shape,
                                                                record.provenance)
        for subject, record in records.items():
            published = index.get(graph_of[subject])  # an unchanged record's
            if subject not in validated and published is not None and record.shape:
                # A version published before shape digests existed gets its own.
                index[graph_of[subject]] = published._replace(shape=record.shape)
        new_state.records = index
        # A run that did not read every document keeps what the others said of their upstream (their records stay).
        self._write_upstream(source, facts, fetches.upstream, keep=bool(fetches.failed or fetches.spared))
        versions = [(graph, *written[graph]) for graph in (graph_of[r.subject.value] for r in changed)]
        # Written before the generation is published: the journal lets the next harvest remove them
        # should this one be killed first; a failure of this run removes them at once.
        attempt.files += [history.file(self.data, source.id, stamp),
                          self.data.quarantine / source.id / f"{stamp}.json"]  # as quarantine.write names it
        self.journal.add(self.minter.run(source.id, stamp).value, attempt.files[-2:])
        history.write(self.data, source.id, stamp, versions + [(g, [], []) for g, _ in removed])
        # Tombstoned person records: any graph of the run may have named them (see redaction.redact).
        withdrawn = [subject for graph, subject in removed if subject in persons.get(graph, {})]
        hierarchy = default_vocabulary().hierarchy
        lost = [graph for graph, statements, _ in versions if graph in persons and redaction.loses_a_person(
            persons[graph], redaction.kept_persons(statements, hierarchy))]
        attempt.files.append(redaction.note_path(self.data, source.id, stamp))  # a failed run's goes with it
        redaction.plan(self.data, source.id, stamp, facts.run.value, changed=lost,
                       removed=[graph for graph, _ in removed if graph in persons or withdrawn], withdrawn=withdrawn)
        path = quarantine.write(self.data, source.id, stamp, facts.run.value, rejected, graph_of)
        if rejected:
            self.progress(f"[{source.id}] {len(rejected)} rejected record(s) kept in {path}")
        return counts

    def _write_upstream(self, source: Source, facts: RunFacts, descriptions: list[str], keep: bool = False) -> None:
        """A feed that names its graphs (another hub's dump) describes them upstream, and so does a platform of
        the sources it took its records from: that description is kept in a graph of the source's own, so the
        chain of provenance reaches the first source. With `keep` (documents not read this time, whose records
        stay), what the graph said before stays too."""
        graph = self.minter.graph(source.id, "upstream")
        if keep:
            if not descriptions:
                return
        else:
            self.store.drop_graph(graph)
        self.store.remove_descriptions([graph], self.meta)
        if not descriptions:
            return
        lines = [f"{line[:-2]} <{graph.value}> ." for line in sorted(set(descriptions))]
        self.store.load_nquads("\n".join(lines).encode("utf-8"))
        self.store.add_quads(self.prov.upstream_graph(graph, source.id, facts.run, facts.ended_at, source.license))

    def _describe_payloads(self, payload_quads: list[Quad]) -> None:
        """The same bytes fetched again: their description says the latest fetch, once."""
        subjects = list({quad.subject for quad in payload_quads if isinstance(quad.subject, NamedNode)})
        self.store.remove_descriptions(subjects, self.meta)
        self.store.add_quads(payload_quads)

    # -- the whole hub ---------------------------------------------------------------------------

    def retire_removed_sources(self, known: set[str]) -> list[RunSummary]:
        """A source removed from sources.toml has its records tombstoned."""
        # The sources the store may hold records of: those the sources graph (written from the last
        # sources.toml) describes, and those with a saved state. Asking the meta graph which sources
        # its 100k record graphs name took a second on every harvest.
        rows = self.store.select(queries.render("source-ids", sources=self.minter.sources_graph()))
        candidates = {str(row["id"].value) for row in rows} | set(harvest_state.sources_with_state(self.data))
        summaries = []
        for source_id in sorted(candidates - known):
            existing = self._existing_graphs(source_id)
            if not existing:
                continue
            started = now_iso()
            facts = RunFacts(source_id, self.minter.run(source_id, run_timestamp(started)), started)
            persons = self._persons(existing)
            self.store.drop_source(self.minter.source(source_id), self.meta)
            self.linker.note(source_id, [], list(existing))
            for graph_iri, entry in existing.items():
                self.store.add_quads(self.prov.tombstone(NamedNode(graph_iri), NamedNode(entry.subject), source_id,
                                                         facts.run, started, "source removed from sources.toml",
                                                         person=entry.subject in persons.get(graph_iri, {})))
            self.journal.add(facts.run.value, [history.file(self.data, source_id, run_timestamp(started))])
            history.write(self.data, source_id, run_timestamp(started), [(g, [], []) for g in existing])
            withdrawn = [existing[graph].subject for graph in persons if existing[graph].subject in persons[graph]]
            redaction.plan(self.data, source_id, run_timestamp(started), facts.run.value, changed=[],
                           removed=list(existing) if withdrawn else list(persons), withdrawn=withdrawn)
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
        for graph, title in ((self.meta, META_TITLE),
                             (sources_graph, "The sources the hub harvests (DCAT)")):
            self.store.remove_matching(graph, None, self.meta)
            self.store.add_quads(self.prov.hub_graph(graph, title, at))
        # Vocabulary, schemes, shapes and the computed verification: graphs of their own.
        write_hub_graphs(self.store, self.minter, self.prov, at)

    def recent_payloads(self, sources: list[Source]) -> set[str]:
        """The SHA-256 of the payloads used by each source's last `keep_runs` runs (the default number
        for a source no longer configured): those are kept."""
        keep_runs = {self.minter.source(source.id).value: source.keep_runs for source in sources}
        rows = self.store.select(queries.render("run-payloads", meta=self.meta))
        runs: dict[str, dict[str, set[str]]] = {}
        for row in rows:
            runs.setdefault(row["source"].value, {}).setdefault(row["ended"].value, set()).add(
                row["payload"].value.rsplit("/", 1)[-1])
        keep: set[str] = set()
        for source_iri, by_end in runs.items():
            for ended in sorted(by_end, reverse=True)[:keep_runs.get(source_iri, DEFAULT_KEEP_RUNS)]:
                keep |= by_end[ended]
        return keep

    def apply_retention(self, sources: list[Source]) -> None:
        """After publication: prunes the harvested sources' history and quarantines older than their
        last `keep_runs` runs."""
        keep_runs = {source.id: source.keep_runs for source in sources}
        for source_id, state in self._states.items():
            keep = keep_runs.get(source_id, DEFAULT_KEEP_RUNS)
            current = {graph: entry.written_by or None for graph, entry in (state.records or {}).items()}
            done = history.prune(self.data, source_id, current, keep)
            if done.files:
                self.progress(f"[{source_id}] history: {done.files} old run file(s) pruned to their current "
                              f"versions ({done.bytes_before >> 20} MiB -> {done.bytes_after >> 20} MiB)")
            quarantine.prune(self.data, source_id, keep)
            kept_warnings.prune(self.data, source_id, keep)

    def save_states(self, generation: int, configured: list[str]) -> None:
        """After publication: the harvested sources' states, and the others' record indexes carried
        over to the new generation (their records did not change)."""
        for source_id, state in self._states.items():
            state.generation = generation
            harvest_state.save(self.data, source_id, state)
        for source_id in harvest_state.sources_with_state(self.data):
            if source_id in self._states:
                continue
            if source_id not in configured:
                harvest_state.remove(self.data, source_id)
                contacts_kept.remove(self.data, source_id)  # a removed source's networks-only persons go too
                continue
            state = harvest_state.load(self.data, source_id)
            if state.generation is not None and state.generation == self.published_generation:
                state.generation = generation
                harvest_state.save(self.data, source_id, state)


def _setup(source: Source) -> str:
    """What else decides how a source's bytes are read: its entry in sources.toml (`max_removal`
    included), its mapping file and the hub's version. A failure is replayed only while it holds."""
    digest = hashlib.sha256(f"{source!r}\0{__version__}\0".encode())
    mapping = source.mapping_path()
    if mapping is not None:
        try:
            digest.update(mapping.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def _failure_message(attempt: _Attempt, error: BaseException, document_alone: bool = False) -> str:
    """One line for whoever reads the run: what failed and where, never the exception's own text
    (that goes to the log with its traceback). `document_alone`: only the document being lifted fails."""
    if isinstance(error, RecursionError):
        why = "it nests deeper than the hub can read"
    elif isinstance(error, MemoryError):
        why = "it needs more memory than the hub may use"
    else:
        why = f"an unexpected error in the hub ({type(error).__name__})"
    what = {"fetching": "the source's documents could not be fetched",
            "reading the published records": "the source's published records could not be read",
            "lifting": (attempt.document or "the source's documents") + " could not be read",
            "splitting": "the source's documents could not be split into records",
            "validating": "the source's records could not be checked against the charter",
            "writing": "the source's records could not be written"}.get(attempt.stage, attempt.stage)
    kept = "the records it gave before are kept" if document_alone else "nothing of the source was changed"
    return f"{what}: {why}; {kept} (the traceback is in the hub's log)"


def _log_failure(data: DataDir, source_id: str, message: str, trace: str) -> None:
    """The traceback of a failed run: into data/harvest.log when the hub keeps one (serve --schedule,
    the admin trigger), else to the logging module."""
    journal = data.root / "harvest.log"
    if journal.is_file():
        with journal.open("a", encoding="utf-8") as handle:
            handle.write(f"{now_iso()} [{source_id}] {message}\n{trace}\n")
    else:
        log.error("[%s] %s\n%s", source_id, message, trace)


def _run_described(store: HarvestWriter, meta: NamedNode, run: str) -> bool:
    """Whether the store's meta graph describes the run: in a published generation, the run was published."""
    return bool(store.select(queries.render("run-described", meta=meta, run=NamedNode(run))))


def _under(document: str, failed: set[str]) -> bool:
    """A document failed itself, or lies in a folder URL that could not be listed."""
    return document in failed or any(url.endswith("/") and document.startswith(url) for url in failed)
