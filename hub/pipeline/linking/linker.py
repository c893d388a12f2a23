"""The linking step of a harvest: after every source has run, the records the harvest changed are compared with
their candidates, the links graph is patched, and its description rewritten (docs/architecture.md, "Linking").

Incremental: the private state (hub/archive/links.py) keeps every linked record graph's facts, the entities they
make, the scored pairs and the links graph as written, for the generation it was written for. A harvest re-scores
only the pairs of the entities whose records it added, changed or removed (a record that leaves its feed leaves its
entity, and so its cluster), and writes only the links whose status, score, evidence or decision changed. With no
state for the published generation (a first harvest, an upgrade, a harvest killed after publishing), or when the
profile's linking rules changed, every record is linked anew from the store. Persons are never linked: only records
of the kinds in LINKED_KINDS are.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad

from hub.archive import links as archive
from hub.archive.datadir import DataDir
from hub.core.durations import now_iso
from hub.core.iris import Minter, link_key
from hub.core.namespaces import HUB, XSD, term
from hub.core.profile import LinkingRules
from hub.core.records import Record
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.linking import facts as read
from hub.pipeline.linking.blocking import candidate_pairs
from hub.pipeline.linking.decide import Link, decide
from hub.pipeline.linking.entities import Entity, Rules
from hub.pipeline.linking.facts import Facts
from hub.pipeline.linking.graph import LINKS_TITLE, digest, lines
from hub.pipeline.linking.scoring import Scored, frequent_keys, score
from hub.pipeline.provenance import ProvenanceWriter
from hub.sparql import queries
from hub.store.interface import HarvestWriter

LINKED_KINDS = frozenset({"organization"})  # organisations and places; never persons, events or documents
LINKER_VERSION = "1"  # bumped when scoring changes: every pair is scored anew then


@dataclass
class LinkState:
    generation: int | None
    fingerprint: str
    decisions: str  # the digest of the decisions file it applied
    facts: dict[str, Facts]  # record graph -> its facts
    entities: dict[str, Entity]  # subject -> its entity
    pairs: dict[str, Scored]  # link key -> the pair's score (those at review_at or more, identifiers, vetoes)
    written: dict[str, tuple[str, list[str]]]  # link key -> (its digest, its lines in the links graph)
    version: int = archive.STATE_VERSION


@dataclass
class LinkOutcome:
    entities: int
    changed: int  # entities re-linked
    scored: int  # pairs scored
    links: dict[str, int] = field(default_factory=dict)  # status -> count
    written: int = 0  # lines added or removed
    seconds: float = 0.0
    full: bool = False


@dataclass
class Scoring:
    pairs: dict[str, Scored]
    changed: int  # entities whose candidates were scored
    candidates: int  # pairs scored


def score_pairs(entities: dict[str, Entity], touched: set[str] | None, review_at: float) -> Scoring:
    """The pairs worth keeping (at review_at or more, decided by an identifier, or vetoed) among the candidates of
    the `touched` entities (every entity's when None)."""
    order = sorted(entities)
    listed = [entities[iri] for iri in order]
    changed = None if touched is None else {position for position, iri in enumerate(order) if iri in touched}
    frequent = frequent_keys(listed)
    candidates = candidate_pairs(listed, changed)
    pairs: dict[str, Scored] = {}
    for first, second in candidates:
        pair = score(listed[first], listed[second], frequent, review_at)
        if pair.rule != "score" or pair.score >= review_at:
            pairs[link_key(pair.first, pair.second)] = pair
    return Scoring(pairs, len(listed) if changed is None else len(changed), len(candidates))


def link_facts(facts: Iterable[Facts], linking: LinkingRules,
               decisions: dict[str, archive.Decision] | None = None) -> tuple[dict[str, Entity], list[Link]]:
    """Every record linked at once, in memory (the evaluation and the benchmark: bench/link_eval.py)."""
    rules = Rules(linking)
    by_subject: dict[str, list[Facts]] = defaultdict(list)
    for one in facts:
        by_subject[one.subject].append(one)
    entities = {subject: rules.entity(subject, found) for subject, found in by_subject.items()}
    scored = score_pairs(entities, None, linking.review_at)
    return entities, decide(scored.pairs, decisions or {}, set(entities), linking.link_at, linking.review_at)


def decisions_pending(data: DataDir) -> bool:
    """Whether someone decided on a pair since the links were last published: a harvest with no source due then
    publishes anyway, so the decision shows at the next publication."""
    head = archive.load_state_head(data)
    digest_now = archive.decisions_digest(data)
    return bool(digest_now) and (head is None or head["decisions"] != digest_now)


class Linker:
    def __init__(self, data: DataDir, minter: Minter, rules: LinkingRules,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self.data = data
        self.minter = minter
        self.rules = rules
        self.progress = progress
        self._changes: dict[str, Facts | None] = {}  # record graph -> its new facts, or None: it left
        self._state: LinkState | None = None
        self._unchanged = False  # the saved state stands as it is: save only restamps it

    def note(self, source_id: str, changed: Iterable[tuple[Record, str]], removed: Iterable[str]) -> None:
        """A source's run committed these records (each with its graph) and removed these graphs."""
        for record, graph in changed:
            self._changes[graph] = read.from_lines(record.subject.value, graph, source_id, record.triples) \
                if record.kind in LINKED_KINDS and not record.reused else None
        for graph in removed:
            self._changes[graph] = None

    def run(self, store: HarvestWriter, published_generation: int | None) -> LinkOutcome | None:
        """Links what changed and patches the links graph; None when nothing needed it."""
        clock = time.perf_counter()
        fingerprint = f"{LINKER_VERSION}:{self.rules.fingerprint()}"
        decided = archive.decisions_digest(self.data)
        if not self._changes and published_generation is not None:
            head = archive.load_state_head(self.data)
            if head is not None and head["generation"] == published_generation \
                    and head["fingerprint"] == fingerprint and head["decisions"] == decided:
                # Nothing to link again, and the saved state is the published generation's: it is not even read.
                self._unchanged = True
                return None
        self._unchanged = False
        state = archive.load_state(self.data)
        decisions = archive.load_decisions(self.data)
        stale = not isinstance(state, LinkState) or state.generation is None \
            or state.generation != published_generation
        if not stale and isinstance(state, LinkState) and not self._changes and state.fingerprint == fingerprint \
                and state.decisions == decided:
            self._state = state
            return None
        rules = Rules(self.rules)
        touched: set[str] = set()
        if stale or not isinstance(state, LinkState):
            # Before any publication the store holds exactly what this harvest's runs noted; after one, the store
            # is read (its records were linked by a harvest whose state is lost, or by none: an upgrade).
            found = [one for one in self._changes.values() if one is not None] if published_generation is None \
                else self._read_store(store)
            every_fact = {one.graph: one for one in found}
            entities: dict[str, Entity] = {}
            pairs: dict[str, Scored] = {}
            written: dict[str, tuple[str, list[str]]] = {}
            full = True
        else:
            every_fact = state.facts
            for graph, new in self._changes.items():
                old = every_fact.pop(graph, None)
                if old is not None:
                    touched.add(old.subject)
                if new is not None:
                    every_fact[graph] = new
                    touched.add(new.subject)
            full = state.fingerprint != fingerprint
            entities = {} if full else state.entities
            pairs = {} if full else {key: pair for key, pair in state.pairs.items()
                                     if pair.first not in touched and pair.second not in touched}
            written = state.written
        by_subject: dict[str, list[Facts]] = defaultdict(list)
        for one in every_fact.values():
            if full or one.subject in touched:
                by_subject[one.subject].append(one)
        for subject in touched:
            entities.pop(subject, None)
        for subject, found_facts in by_subject.items():
            entities[subject] = rules.entity(subject, found_facts)
        scored = score_pairs(entities, None if full else touched, self.rules.review_at)
        pairs.update(scored.pairs)
        links = decide(pairs, decisions, set(entities), self.rules.link_at, self.rules.review_at)
        outcome = LinkOutcome(len(entities), scored.changed, scored.candidates, full=full)
        new_written, added, deleted = self._patch(links, written)
        if stale:
            store.drop_graph(self.minter.links_graph())
        if deleted and not stale:
            store.delete_nquads(deleted)
        if added:
            store.load_nquads("\n".join(added).encode("utf-8") + b"\n")
        self._describe(store)
        for link in links:
            outcome.links[link.status] = outcome.links.get(link.status, 0) + 1
        outcome.written = len(added) + len(deleted)
        self._state = LinkState(published_generation, fingerprint, decided, every_fact, entities, pairs, new_written)
        self._changes = {}
        outcome.seconds = time.perf_counter() - clock
        counts = ", ".join(f"{count} {status}" for status, count in sorted(outcome.links.items())) or "no link"
        self.progress(f"[links] {outcome.changed} of {outcome.entities} entities linked "
                      f"{'anew' if full else 'again'}, {outcome.scored} pair(s) scored: {counts} "
                      f"({outcome.seconds:.1f} s)")
        return outcome

    def save(self, generation: int) -> None:
        """After publication: the state now belongs to the published generation."""
        if self._unchanged and self._state is None:
            archive.restamp_state(self.data, generation)
        elif self._state is not None:
            self._state.generation = generation
            archive.save_state(self.data, self._state)

    def _patch(self, links: list[Link], written: dict[str, tuple[str, list[str]]]
               ) -> tuple[dict[str, tuple[str, list[str]]], list[str], list[str]]:
        """The links' lines: unchanged links keep theirs (and their time); the others are written anew."""
        at = now_iso()
        new_written: dict[str, tuple[str, list[str]]] = {}
        added: list[str] = []
        deleted: list[str] = []
        for link in links:
            said = digest(link)
            old = written.get(link.key)
            if old is not None and old[0] == said:
                new_written[link.key] = old
                continue
            fresh = lines(link, self.minter, at)
            new_written[link.key] = (said, fresh)
            added += fresh
            if old is not None:
                deleted += old[1]
        for key, old in written.items():
            if key not in new_written:
                deleted += old[1]
        return new_written, added, deleted

    def _describe(self, store: HarvestWriter) -> None:
        """The links graph's description in the meta graph: a graph the hub computes, and under which thresholds."""
        graph, meta = self.minter.links_graph(), self.minter.meta_graph()
        prov = ProvenanceWriter(self.minter)
        store.remove_matching(graph, None, meta)
        quads = prov.hub_graph(graph, LINKS_TITLE, now_iso())
        quads += [Quad(graph, term(HUB, "linkThreshold"), _decimal(self.rules.link_at), meta),
                  Quad(graph, term(HUB, "reviewThreshold"), _decimal(self.rules.review_at), meta)]
        store.add_quads(quads)

    def _read_store(self, store: HarvestWriter) -> list[Facts]:
        """Every linkable record graph's facts, from the store (when the private state cannot be used)."""
        hierarchy = default_vocabulary().hierarchy
        rows = store.select(queries.render("link-facts", meta=self.minter.meta_graph()))
        prefix = self.minter.source("").value
        found = read.from_rows(rows, {row["source"].value: row["source"].value.removeprefix(prefix) for row in rows})
        return [one for one, types in found if hierarchy.kind_of(types) in LINKED_KINDS]


def _decimal(value: float) -> Literal:
    return Literal(repr(round(value, 3)), datatype=NamedNode(XSD + "decimal"))
