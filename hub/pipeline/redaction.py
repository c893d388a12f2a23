"""When a consent ends, the person leaves the history too (DESIGN.md, "What must always hold").

A record graph's earlier versions may hold a person its current version no longer holds with a consent: a
person record that was tombstoned (its consent withdrawn, or gone from the feed), a founder or an employee
taken out of an organisation. That person's statements, and the blank nodes only they reached (their
address, their consent…), are taken out of every earlier version of the graph: on disk, by the harvest that
published the new version (`plan` before publication, `apply_pending` after it), and again as the history
is read (`Kept` / `without_withdrawn`), so even a file this hub wrote before it redacted anything never
serves them.

A person is matched across versions by IRI, or, for a blank node (whose label changes with every version),
by what names them: a blank person of an earlier version stays when the current version holds, with a
consent, a person with one of the same names, e-mail addresses or identifiers. Current versions are never
touched: the next change of a record is patched from them (hub/pipeline/record_writer.py).

An upkeep step of the pipeline: it rewrites files of the archive (hub/archive/history.py) on the charter's word
about who is a person with a consent (hub/charter/consent.py).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.archive import history
from hub.archive.datadir import DataDir
from hub.charter.consent import has_valid_consent, index_nodes, node_key, with_what_only_they_reach
from hub.core.namespaces import FOAF, SCHEMA, VCARD
from hub.core.ntriples import to_quads
from hub.core.vocabulary import ClassHierarchy

log = logging.getLogger(__name__)

# What names a person: a blank person of an earlier version that shares one of these values with a person
# the current version holds with a consent is that person (not their job title or their town).
NAMING = frozenset({SCHEMA + name for name in ("name", "givenName", "familyName", "email", "telephone",
                                                 "identifier", "url", "sameAs")}
                    | {FOAF + "name", FOAF + "mbox", VCARD + "fn", VCARD + "hasEmail", VCARD + "hasTelephone"})


@dataclass(frozen=True)
class Kept:
    """The persons a graph's current version holds with a consent: IRIs, and what names its blank ones."""

    iris: frozenset[str] = frozenset()
    names: frozenset[tuple[str, str]] = frozenset()


NOBODY = Kept()

class Queryable(Protocol):
    def select(self, sparql: str) -> list[dict[str, Any]]: ...


# The persons of a graph's published version: node key (IRI, or `_:label`) -> what names them.
Persons = dict[str, frozenset[tuple[str, str]]]


def published_persons(store: Queryable, graphs: Container[str], hierarchy: ClassHierarchy) -> dict[str, Persons]:
    """Of these graphs, those whose published version holds a node typed as a person, with those persons
    (read before a run writes its new versions: the store finds typed nodes by type at once, whatever the
    number of records)."""
    classes = " ".join(f"<{iri}>" for iri in sorted(hierarchy.person_classes))
    naming = " ".join(f"<{iri}>" for iri in sorted(NAMING))
    found: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for row in store.select(f"SELECT ?g ?x ?p ?o WHERE {{ VALUES ?t {{ {classes} }} GRAPH ?g {{ ?x a ?t "
                            f"OPTIONAL {{ VALUES ?p {{ {naming} }} ?x ?p ?o FILTER(!isBlank(?o)) }} }} }}"):
        graph = row["g"].value
        if graph not in graphs:
            continue
        names = found.setdefault(graph, {}).setdefault(node_key(row["x"]), set())
        if "p" in row and "o" in row:
            names.add((row["p"].value, row["o"].value))
    return {graph: {node: frozenset(names) for node, names in persons.items()} for graph, persons in found.items()}


def loses_a_person(previous: Persons, kept: Kept) -> bool:
    """Whether a person of the previous version is not one the new version holds with a consent."""
    return any(not (names & kept.names) if node.startswith("_:") else node not in kept.iris
               for node, names in previous.items())


def kept_persons(lines: Iterable[str], hierarchy: ClassHierarchy, today: date | None = None) -> Kept:
    """The persons of a version (N-Triples or N-Quads lines) that hold a valid consent."""
    today = today or date.today()
    by_subject, types, _ = index_nodes(_quads(lines))
    iris: set[str] = set()
    names: set[tuple[str, str]] = set()
    for node, node_types in types.items():
        if not hierarchy.is_person(node_types) or not has_valid_consent(node, by_subject, today):
            continue
        if node.startswith("_:"):
            names |= _names(by_subject.get(node, []))
        else:
            iris.add(node)
    return Kept(frozenset(iris), frozenset(names))


def without_withdrawn(lines: list[str], kept: Kept, hierarchy: ClassHierarchy,
                      withdrawn: frozenset[str] = frozenset()) -> list[str] | None:
    """The lines of an earlier version without the persons `kept` does not hold (their statements, the
    statements that point at them, and what only they reached), nor any mention of the `withdrawn` person
    records (IRIs, which another record may name without typing them); None when no line goes."""
    statements = [line for line in lines if line and line[0] != "#"]
    named = {iri for iri in withdrawn - kept.iris if any(f"<{iri}>" in line for line in statements)}
    if not named and not mentions_a_person(statements, hierarchy):
        return None
    quads = _quads(statements)
    by_subject, types, referrers = index_nodes(quads)
    doomed = named | {node for node, node_types in types.items()
                      if hierarchy.is_person(node_types) and not _is_kept(node, by_subject, kept)}
    if not doomed:
        return None
    doomed = with_what_only_they_reach(doomed, by_subject, referrers, keep="")
    return [line for line, quad in zip(statements, quads, strict=True)
            if node_key(quad.subject) not in doomed and not _points_at(quad, doomed)]


def mentions_a_person(lines: Iterable[str], hierarchy: ClassHierarchy) -> bool:
    """Whether any line types a node as a person (a cheap look before the parse)."""
    tokens = tuple(f"<{iri}>" for iri in hierarchy.person_classes)
    return any(token in line for line in lines for token in tokens)


# -- on disk --------------------------------------------------------------------------------------------


def _folder(data: DataDir) -> Path:
    return data.private / "redactions"


def note_path(data: DataDir, source_id: str, run_timestamp: str) -> Path:
    """Where `plan` writes a run's note (a run that fails removes it with its other files)."""
    return _folder(data) / f"{source_id}.{run_timestamp}.json"


def plan(data: DataDir, source_id: str, run_timestamp: str, run_iri: str, changed: Iterable[str],
         removed: Iterable[str], withdrawn: Iterable[str] = ()) -> Path | None:
    """Notes, before the run is published, which graphs' earlier versions may hold a person the run's
    versions no longer hold (`changed`: the run wrote a new version; `removed`: it tombstoned the graph),
    and which person records it tombstoned (`withdrawn`: their IRIs, which other records' earlier versions
    may name). The note is kept until done, so a harvest killed after publishing leaves the work to the
    next one; a run that is never published leaves a note `apply_pending` drops."""
    note = {"source": source_id, "run": run_iri, "timestamp": run_timestamp,
            "changed": sorted(set(changed)), "removed": sorted(set(removed)), "withdrawn": sorted(set(withdrawn))}
    if not note["changed"] and not note["removed"]:
        return None
    path = note_path(data, source_id, run_timestamp)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(note), encoding="utf-8")
    os.replace(temporary, path)
    return path


def apply_pending(data: DataDir, published: Callable[[str], bool], hierarchy: ClassHierarchy,
                  today: date | None = None) -> list[str]:
    """Carries out every note whose run was published (`published(run IRI)`), oldest first, and drops the
    others; returns what was done, one line per note carried out."""
    done: list[str] = []
    folder = _folder(data)
    for leftover in folder.glob("*.tmp"):  # a note half-written by a killed harvest
        leftover.unlink(missing_ok=True)
    for path in sorted(folder.glob("*.json"), key=lambda p: p.name.rsplit(".", 2)[-2]):
        try:
            note = json.loads(path.read_text(encoding="utf-8"))
            source_id, run, stamp = str(note["source"]), str(note["run"]), str(note["timestamp"])
            changed, removed = set(note["changed"]), set(note["removed"])
            withdrawn = frozenset(note.get("withdrawn", ()))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("the redaction note %s is unreadable: dropped", path)
            path.unlink(missing_ok=True)
            continue
        if published(run):
            try:
                files = redact(data, source_id, stamp, changed, removed, hierarchy, today, withdrawn)
            except OSError as error:  # a full disk, say: the note stays for the next harvest to try again
                log.warning("redaction of %s failed: %s", path, error, exc_info=True)
                done.append(f"[{source_id}] warning: the earlier versions of {len(changed | removed)} graph(s) "
                            f"could not be redacted ({error.strerror or error}); the next harvest tries again")
                continue
            done.append(f"[{source_id}] history: persons without consent taken out of the earlier versions of "
                        f"{len(changed | removed)} graph(s), {files} file(s) rewritten")
        path.unlink(missing_ok=True)
    return done


def redact(data: DataDir, source_id: str, run_timestamp: str, changed: set[str], removed: set[str],
           hierarchy: ClassHierarchy, today: date | None = None, withdrawn: frozenset[str] = frozenset()) -> int:
    """Takes out of the versions older than the run of the `changed` graphs the persons the run's own version
    of each does not hold with a consent, and of the `removed` graphs every person; with `withdrawn` person
    records, their IRIs out of every graph the run wrote (a record that named one lost that statement in
    this run: see hub/pipeline/persons.py). Returns the number of history files rewritten."""
    kept = dict.fromkeys(removed, NOBODY)
    versions = history.written_in(data, source_id, run_timestamp) if withdrawn else \
        history.written(data, source_id, {run_timestamp: changed})
    for graph, lines in versions:
        kept[graph] = kept_persons(lines, hierarchy, today)
    for graph in changed - set(kept):
        # The run's version is no longer whole (a later run superseded it and retention pruned it): who
        # it held is unknown, so nothing is taken on its word. The history's readers still filter.
        log.warning("no whole version of %s in run %s of %s: its earlier versions are left as they are",
                    graph, run_timestamp, source_id)
    return history.rewrite(data, source_id, run_timestamp, set(kept),
                           lambda graph, lines: without_withdrawn(lines, kept[graph], hierarchy, withdrawn))


# -- helpers --------------------------------------------------------------------------------------------


def _quads(lines: Iterable[str]) -> list[Quad]:
    # N-Quads parsing keeps blank-node labels, so a quad's nodes name the tokens of its line.
    return to_quads(line for line in lines if line and line[0] != "#")


def _names(statements: list[Quad]) -> frozenset[tuple[str, str]]:
    return frozenset((q.predicate.value, q.object.value) for q in statements
                     if q.predicate.value in NAMING and isinstance(q.object, Literal | NamedNode))


def _is_kept(node: str, by_subject: dict[str, list[Quad]], kept: Kept) -> bool:
    if node.startswith("_:"):
        return bool(_names(by_subject.get(node, [])) & kept.names)
    return node in kept.iris


def _points_at(quad: Quad, doomed: set[str]) -> bool:
    return isinstance(quad.object, BlankNode | NamedNode) and node_key(quad.object) in doomed
