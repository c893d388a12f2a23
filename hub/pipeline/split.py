"""Split a feed's statements into records (DESIGN.md, "Split").

A record is a subject of a record class plus everything reachable from it through blank nodes and
through IRI nodes that are not records themselves (address, geo, opening hours…). A non-record
node shared by several records is copied into each; references to other records stay IRIs. A node
that declares itself part of a record (hub/core/vocabulary.py, `PART_OF_PROPERTIES`: a DFC catalogue item
references its product) belongs to that record alone: other records that reach it keep a reference.
A blank-node record subject gets an IRI minted from the source and a stable key. A blank-node person
that another node refers to (a founder, an organizer) stays inside that record, where hub/charter/consent.py
judges it, instead of becoming a record of its own.

Records that collide merge: statements about one IRI are one resource's (RDF's own rule), and blank-node records
whose stable key mints the same IRI (five nodes with one url and no identifier) become that IRI's one record, with
the statements of all of them and a warning (`split.merged`) that names what they shared. Rows of a mapped table
that share a key never get here: the table keeps the later row (harvesters/mapping.py, RowSet).

Records (hub/core/records.py) are kept as N-Triples lines (hub/core/ntriples.py): splitting and hashing a
100k-record feed then costs string operations, not millions of Python term objects.

Each record has a work bound (hub/pipeline/canonical.py): too many blank nodes, nodes nested too deep, or a
canonicalisation that needs more time or memory than allowed, and the record is `refused`: it keeps its
lines (as the feed labelled them) but no hash, and the charter rejects it alone with the limit's message.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from pyoxigraph import NamedNode, Quad

from harvesters.platform import PROVENANCE_GRAPH
from hub.charter.messages import warning as coded
from hub.core.iris import Minter, short_hash
from hub.core.namespaces import SCHEMA
from hub.core.ntriples import RDF_TYPE_TOKEN, split_line, to_lines
from hub.core.records import Record
from hub.core.vocabulary import PART_OF_PROPERTIES, ClassHierarchy
from hub.pipeline.canonical import LimitExceeded, canonical_hash, check_shape
from hub.pipeline.literals import MARK as TYPED
from hub.pipeline.literals import normal_rest

# Properties whose value identifies a thing across edits, in order of preference.
_STABLE_KEY_PROPERTIES = tuple(f"<{SCHEMA}{name}>" for name in ("identifier", "url", "sameAs"))
_NAME = f"<{SCHEMA}name>"
_ADDRESS = f"<{SCHEMA}address>"
_POSTAL_CODE = f"<{SCHEMA}postalCode>"
_PART_OF = frozenset(f"<{iri}>" for iri in PART_OF_PROPERTIES)
_HINT_GRAPH = f"<{PROVENANCE_GRAPH.value}>"
# Kinds whose blank nodes stay inside the record that refers to them (a founder, an organizer): a
# person is a record of its own only when named by an IRI or when nothing in the document refers to it.
NESTED_KINDS = frozenset({"person"})


@dataclass
class SplitResult:
    records: list[Record]
    orphan_subjects: int  # subjects that belong to no record: not published
    warnings: list[str]
    # What the feed says about its own named graphs (a hub harvesting another hub: the upstream
    # provenance of each graph), kept so the chain of provenance is not broken.
    upstream_descriptions: list[str] = field(default_factory=list)
    subjects: int = 0  # nodes with statements of their own
    # When no record came out: how many nodes each type had (type IRI -> nodes), to say why.
    types_seen: Counter[str] = field(default_factory=Counter)
    # The nodes (as the lines name them) that some record reached: what the documents split together gave.
    reached: set[str] = field(default_factory=set)


def split_records(
    quads: Iterable[Quad] | None = None,
    *,
    lines: list[str] | None = None,
    hierarchy: ClassHierarchy,
    minter: Minter,
    source_id: str,
    document: str,
    document_of: dict[str, str] | None = None,
    graphs: bool = True,
    known: Mapping[str, tuple[str, str]] | None = None,
) -> SplitResult:
    """Records from quads, or (faster) from N-Quads lines as pyoxigraph serialises them (the list is
    consumed: emptied once grouped, for memory's sake). `document_of` names the document of each
    subject when several documents are split together. `graphs=False` says no line names a graph
    (Turtle, N-Triples, RDF/XML): the lines are then used as they are. `known` gives, by graph key,
    the shape digest and content hash of the records already published: a record whose shape digest
    is the same is `reused`, without its canonical lines being built (only pass it when the records
    are judged by the same charter as then).

    A 100k-record feed is 2 million lines, so each line costs one `split` and one dict lookup; only
    the statements without a literal (the only ones that link nodes) are cut further."""
    if lines is None:
        lines = to_lines(quads or [])
    upstream: dict[str, set[str]] = defaultdict(set)
    per_graph: dict[str, set[str]] = defaultdict(set)  # "<s> <p>" -> the upstream graphs that gave it values
    if graphs:
        lines = _without_graphs(lines, upstream, per_graph)
    if _shuffled(lines):
        # Sorted and rebuilt as fresh strings, a subject's statements become neighbours, in the list
        # and in memory: a shuffled 100k-record feed then splits a third faster.
        lines[:] = "\n".join(sorted(lines)).split("\n")
    by_subject: dict[str, list[str]] = {}  # subject token -> "P O ." of each of its statements
    links: list[tuple[str, str]] = []  # (subject, "P O .") of the statements whose object is a node
    for line in lines:
        subject, rest = line.split(" ", 1)
        if '"' not in rest:  # no literal: the object is an IRI or a blank node (IRIs never hold a '"')
            links.append((subject, rest))
        elif TYPED in rest:
            # As the store will serve it ("4.3460" is served "4.346"): what is hashed is what is stored.
            # Language tags need nothing: pyoxigraph lower-cases them in every line it writes.
            rest = normal_rest(rest)
        bucket = by_subject.get(subject)
        if bucket is None:
            by_subject[subject] = [rest]
        else:
            bucket.append(rest)
    lines.clear()  # grouped: the lines themselves are no longer needed (100k records: 300 MB)
    types: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    blank_links: dict[str, list[tuple[str, str]]] = defaultdict(list)  # subject -> (predicate, blank object)
    referenced: set[str] = set()
    part_links: list[tuple[str, str]] = []  # (node, record it says it is part of)
    for subject, rest in links:
        predicate, obj = rest[:-2].split(" ", 1)
        if predicate == RDF_TYPE_TOKEN and obj[0] == "<":
            types[subject].append(obj[1:-1])
        elif obj in by_subject:
            children[subject].append(obj)
            if predicate in _PART_OF:
                part_links.append((subject, obj))
        if obj[0] == "_":
            referenced.add(obj)
            blank_links[subject].append((predicate, obj))
    @cache
    def kind_of(found: tuple[str, ...]) -> str | None:  # a feed has a few combinations of types
        return hierarchy.kind_of(found)

    kinds = {subject: kind for subject, t in types.items() if (kind := kind_of(tuple(sorted(set(t))))) is not None
             and not (kind in NESTED_KINDS and subject[0] == "_" and subject in referenced)}
    owners = _owners(part_links, kinds, children)
    warnings: list[str] = []
    # Blank-node record subjects get minted IRIs; references to them are rewritten everywhere.
    renamed: dict[str, str] = {}
    keys: dict[str, str] = {}
    # The record subjects of each final subject token: more than one when blank nodes mint the same IRI.
    groups: dict[str, list[str]] = {}
    for subject, kind in kinds.items():
        if subject[0] == "_":
            stable, fell_back = _stable_key(subject, by_subject, children, kinds, owners)
            minted = minter.entity(kind, f"{source_id}-{short_hash(stable)}")
            renamed[subject] = f"<{minted.value}>"
            keys[subject] = stable
            if fell_back and renamed[subject] not in groups:
                warnings.append(
                    f"{document}: a {kind} without identifier, url, sameAs or name and postal code got "
                    f"the IRI {minted.value} from its content; it cannot be followed across edits"
                )
        groups.setdefault(renamed.get(subject, subject), []).append(subject)
    for token, members in groups.items():
        if len(members) > 1:
            where = (document_of or {}).get(members[0], document)
            warnings.append(coded("split.merged", document=where, count=len(members), kind=kinds[members[0]],
                                  key=_shared_key(keys.get(members[-1], "")), record=token[1:-1]))

    records: list[Record] = []
    reached: set[str] = set()
    for token, members in groups.items():
        subject, kind = members[0], kinds[members[0]]
        nodes, depth = _closure_and_depth(subject, children, kinds, owners)
        for other in members[1:]:  # blank nodes minted to one IRI: one record, with all their statements
            more, deeper = _closure_and_depth(other, children, kinds, owners)
            nodes = list(dict.fromkeys(nodes + more))
            depth = max(depth, deeper)
        reached.update(nodes)
        upstream_graphs: set[str] = set()
        if upstream:
            for node in nodes:
                upstream_graphs |= upstream.get(node, set())
        subject_token = token
        graph_key = minter.graph_key_for_subject(subject_token[1:-1])
        refusal = None
        try:
            check_shape(sum(1 for node in nodes if node[0] == "_" and node not in renamed), depth)
            content_hash, triples, shape = _record_hash(nodes, by_subject, blank_links, renamed, f"k{graph_key}n",
                                                        (known or {}).get(graph_key))
        except LimitExceeded as error:  # this record alone: kept as the feed wrote it, for the quarantine
            refusal, content_hash, shape = error, "", ""
            triples = _record_lines(nodes, by_subject, renamed, blank_links)
        record = Record(
            subject=NamedNode(subject_token[1:-1]),
            kind=kind,
            types=sorted({t for member in members for t in types[member]}),
            triples=triples or [],
            document=(document_of or {}).get(subject, document),
            graph_key=graph_key,
            upstream_graphs=sorted(upstream_graphs),
            shape=shape,
            reused=triples is None,
        )
        record.content_hash = content_hash
        if len(upstream_graphs) > 1:
            # An entity several upstream graphs describe (another hub's record graphs of two networks): the
            # charter's cardinalities hold per upstream graph (hub/charter/validation.py).
            record.per_upstream = {key: len(found) for node in nodes if node[0] == "<"
                                   for key, found in _pairs_of(node, by_subject, per_graph) if len(found) > 1}
        if refusal is not None:
            record.refuse(refusal.messages())
        records.append(record)
    graph_names = {f"<{name}>" for names in upstream.values() for name in names}
    descriptions = [f"{subject} {rest}" for subject in graph_names - reached for rest in by_subject.get(subject, ())]
    orphans = sum(1 for subject in by_subject if subject not in reached and subject not in graph_names)
    # Why nothing came out, when nothing did: the types the nodes had (counted only then: it costs a pass).
    seen = Counter(t for found in types.values() for t in set(found)) if not records else Counter()
    return SplitResult(records=records, orphan_subjects=orphans, warnings=warnings,
                       upstream_descriptions=descriptions, subjects=len(by_subject), types_seen=seen, reached=reached)


# What blank-node records that merged shared, by the stable key's property (see _stable_key), in words.
_SHARED = {
    "identifier": {"fr": "l'identifiant {value}", "nl": "de identificatie {value}", "en": "the identifier {value}"},
    "url": {"fr": "l'adresse web {value}", "nl": "het webadres {value}", "en": "the web address {value}"},
    "sameAs": {"fr": "le sameAs {value}", "nl": "de sameAs {value}", "en": "the sameAs {value}"},
    "name": {"fr": "le nom et le code postal {value}", "nl": "naam en postcode {value}",
             "en": "the name and postal code {value}"},
    "content": {"fr": "un contenu identique", "nl": "dezelfde inhoud", "en": "the same content"},
}


def _shared_key(stable: str) -> dict[str, str]:
    """What the stable key of merged records says, in each language (its value is the publisher's own data:
    it goes into a warning, which only the publisher and the admin read)."""
    prop, sep, value = stable.partition("=")
    if not sep:
        return dict(_SHARED["content"])
    name = "name" if prop == "name" else prop.rsplit("/", 1)[-1].rstrip(">")
    if name == "name":
        value = value.replace("|postalCode=", ", ")
    words = _SHARED.get(name, _SHARED["content"])
    return {lang: text.format(value=value) for lang, text in words.items()}


def _shuffled(lines: list[str], sample: int = 2000) -> bool:
    """Whether a subject's statements are scattered (a parser keeps them together; a shuffled
    N-Triples dump does not), judged on the first lines."""
    head = [line.split(" ", 1)[0] for line in lines[:sample]]
    changes = sum(1 for before, after in zip(head, head[1:], strict=False) if before != after)
    return len(head) > 100 and changes > len(head) // 2


def _pairs_of(node: str, by_subject: dict[str, list[str]],
              per_graph: dict[str, set[str]]) -> Iterable[tuple[str, set[str]]]:
    """The `S P` keys of a node's statements, with the upstream graphs that gave each its values."""
    for predicate in {rest.split(" ", 1)[0] for rest in by_subject.get(node, ())}:
        key = f"{node} {predicate}"
        if key in per_graph:
            yield key, per_graph[key]


def _without_graphs(lines: list[str], upstream: dict[str, set[str]],
                    per_graph: dict[str, set[str]] | None = None) -> list[str]:
    """`S P O G .` lines as `S P O .`, remembering each subject's graphs (a feed's own named graphs), and in
    `per_graph` the graphs that gave each `S P` its values. Lines in the graph a platform's lift says provenance in
    (harvesters/platform.py) are never data: the lifting took those of a platform format apart, and any other feed's
    are dropped here."""
    triples = []
    for line in lines:
        subject, predicate, obj, graph = split_line(line)
        if graph == _HINT_GRAPH:
            continue
        triples.append(f"{subject} {predicate} {obj} .")
        if graph is not None and graph[0] == "<":
            upstream[subject].add(graph[1:-1])
            if per_graph is not None and subject[0] == "<":
                per_graph[f"{subject} {predicate}"].add(graph)
    return triples


def _owners(part_links: list[tuple[str, str]], kinds: dict[str, str],
            children: dict[str, list[str]]) -> dict[str, str]:
    """The nodes that are part of a record (a statement of PART_OF_PROPERTIES names it), each with that record's
    subject (the first in order, when a node names several); each record gets its parts as children."""
    claimed: dict[str, set[str]] = defaultdict(set)
    for part, record in part_links:
        if record in kinds and part not in kinds:
            claimed[part].add(record)
    owners = {part: min(records) for part, records in claimed.items()}
    for part, owner in sorted(owners.items()):
        children[owner].append(part)
    return owners


def _closure(root: str, children: dict[str, list[str]], kinds: dict[str, str],
             owners: dict[str, str] | None = None) -> list[str]:
    """The record's nodes: the root and the non-record nodes it reaches."""
    return _closure_and_depth(root, children, kinds, owners)[0]


def _closure_and_depth(root: str, children: dict[str, list[str]], kinds: dict[str, str],
                       owners: dict[str, str] | None = None) -> tuple[list[str], int]:
    """The record's nodes, breadth first, and how many levels of nodes lie below the root. A node that is part
    of another record (`owners`) is left to that record."""
    owners = owners or {}
    nodes = [root]
    visited = {root}
    index = 0
    level_end, depth = 1, 0  # nodes[:level_end] are the levels counted so far
    while index < len(nodes):
        for child in children.get(nodes[index], ()):
            if child not in visited and child not in kinds and owners.get(child, root) == root:
                visited.add(child)
                nodes.append(child)
        index += 1
        if index == level_end and len(nodes) > level_end:
            level_end, depth = len(nodes), depth + 1
    return nodes, depth


def _record_lines(nodes: list[str], by_subject: dict[str, list[str]], renamed: dict[str, str],
                  blank_links: dict[str, list[tuple[str, str]]]) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        token = renamed.get(node, node)
        rests = by_subject[node]
        if renamed and any(obj in renamed for _, obj in blank_links.get(node, ())):
            # A reference to a blank-node record: its minted IRI instead.
            rests = [_rename_object(rest, renamed) for rest in rests]
        lines += [f"{token} {rest}" for rest in rests]
    # A statement given twice in the feed is one statement.
    return list(dict.fromkeys(lines)) if len(lines) > 1 else lines


def _rename_object(rest: str, renamed: dict[str, str]) -> str:
    predicate, obj = rest[:-2].split(" ", 1)
    return f"{predicate} {renamed[obj]} ." if obj in renamed else rest


def _record_hash(nodes: list[str], by_subject: dict[str, list[str]],
                 blank_links: dict[str, list[tuple[str, str]]], renamed: dict[str, str],
                 label_prefix: str, known: tuple[str, str] | None = None) -> tuple[str, list[str] | None, str]:
    """RDFC-1.0 hash of the record (see hub/pipeline/canonical.py), computed from its tree of nodes, and the
    record's lines with its blank nodes labelled `_:{label_prefix}{canonical index}`.

    Those labels are what the store keeps: a blank node that did not change keeps its label from one
    version of the record to the next (whatever labels the feed gave), so replacing a record that
    changed rewrites only the statements that changed. Every blank node of a usual record is a
    subject reached from one parent (an address, a geo): its first-degree hash comes from its own
    statements and the statement that reaches it. Anything else (a dangling blank object, two blank
    nodes alike) takes the general path and keeps the feed's labels.

    Also returns the record's shape digest ("" when it has none), and when it equals the one `known`
    gives (shape digest, content hash), that content hash and no lines at all."""
    blanks = [node for node in nodes if node[0] == "_" and node not in renamed]
    if not blanks:
        plain = all(obj in renamed for node in nodes for _, obj in blank_links.get(node, ()))
        lines = _record_lines(nodes, by_subject, renamed, blank_links)
        return (_digest(sorted(lines)) if plain else canonical_hash(lines)), lines, ""
    shape = _shape_digest(nodes, blanks, by_subject, blank_links, renamed)
    if known is not None and shape and known[0] == shape:
        return known[1], None, shape
    in_record = set(nodes)
    parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for node in nodes:
        for predicate, obj in blank_links.get(node, ()):
            if obj not in in_record and obj not in renamed:
                lines = _record_lines(nodes, by_subject, renamed, blank_links)
                return canonical_hash(lines), lines, shape  # a blank object with no statements of its own
            if obj != node:
                parents[obj].append((node, predicate))
    first_degree: dict[str, bytes] = {}
    for blank in blanks:
        own_links = blank_links.get(blank)
        if own_links:
            linked = {f"{predicate} {obj} ." for predicate, obj in own_links}
            rendered = [f"_:a {rest}" for rest in by_subject[blank] if rest not in linked]
            rendered += [f"_:a {predicate} {'_:a' if obj == blank else renamed.get(obj, '_:z')} ."
                         for predicate, obj in own_links]
        else:  # a leaf: an address, a geo
            rendered = ["_:a " + rest for rest in by_subject[blank]]
        rendered += [f"{renamed.get(parent, '_:z') if parent[0] == '_' else parent} {predicate} _:a ."
                     for parent, predicate in parents.get(blank, ())]
        # Raw digests sort as their hex forms do.
        first_degree[blank] = hashlib.sha256(("\n".join(sorted(set(rendered))) + "\n").encode("utf-8")).digest()
    if len(set(first_degree.values())) != len(first_degree):
        lines = _record_lines(nodes, by_subject, renamed, blank_links)
        return canonical_hash(lines), lines, shape
    order = sorted(blanks, key=first_degree.__getitem__)
    labels = {blank: f"_:c14n{index}" for index, blank in enumerate(order)}
    canonical, label_tokens = _labelled_lines(nodes, by_subject, blank_links, renamed, labels)
    unique = sorted(set(canonical))
    text = "\n".join(unique)
    digest = _digest_of_text(text)
    # The stored lines are the canonical ones with the record's own labels: relabelled in one replace
    # when `_:c14n` occurs nowhere but in the labels (no literal or IRI holds it, no line came twice).
    if len(unique) == len(canonical) and text.count("_:c14n") == label_tokens:
        return digest, text.replace("_:c14n", f"_:{label_prefix}").split("\n"), shape
    stored_labels = {blank: f"_:{label_prefix}{index}" for index, blank in enumerate(order)}
    stored, _ = _labelled_lines(nodes, by_subject, blank_links, renamed, stored_labels)
    return digest, list(dict.fromkeys(stored)), shape


# Part of every shape digest, so that a change of its definition (or of the content hash, which a
# reused record keeps) matches no digest kept before it.
SHAPE_VERSION = "shape2"


def _shape_digest(nodes: list[str], blanks: list[str], by_subject: dict[str, list[str]],
                  blank_links: dict[str, list[tuple[str, str]]], renamed: dict[str, str]) -> str:
    """A digest that identifies the record up to its blank-node labels, much cheaper than its
    canonical hash (no labelled lines to build, no per-node hashes), or "" for a record it cannot
    identify.

    It is defined for records whose blank nodes all hang directly from named nodes (an address, a
    geo) and link to no blank node. Each such blank node is then wholly described by its own
    statements and the statements of named nodes that reach it, and each named node by its
    statements without those links: the digest is over all of that, sorted, so equal digests mean
    equal records. A re-harvest that finds the digest of the published version need not
    canonicalise the record again. Deeper blank trees have none: telling their wirings apart is
    what canonicalisation is for. The separators (ASCII 28 to 31) cannot occur in the lines, which
    come from pyoxigraph's serialiser: it escapes every control character."""
    in_record = set(blanks)
    reached_by: dict[str, list[str]] = {blank: [] for blank in blanks}  # "token predicate" of each link
    named: list[str] = []
    for node in nodes:
        links = blank_links.get(node)
        if node in in_record:
            if links:
                return ""  # a blank node linking to a blank node
            continue
        token = renamed.get(node, node)
        rests = by_subject[node]
        if links:
            linked = set()
            for predicate, obj in links:
                if obj not in in_record:
                    return ""  # a blank-node record (written with its minted IRI), or one with no statements
                linked.add(f"{predicate} {obj} .")
                reached_by[obj].append(f"{token} {predicate}")
            rests = [rest for rest in rests if rest not in linked]
        named.append(token + "\x1f" + "\n".join(sorted(set(rests))))
    described = sorted("\x1f".join(sorted(set(reached_by[blank]))) + "\x1e" + "\n".join(sorted(set(by_subject[blank])))
                       for blank in blanks)
    text = SHAPE_VERSION + "\x1d" + "\x1c".join(sorted(named)) + "\x1d" + "\x1c".join(described)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _labelled_lines(nodes: list[str], by_subject: dict[str, list[str]],
                    blank_links: dict[str, list[tuple[str, str]]], renamed: dict[str, str],
                    labels: dict[str, str]) -> tuple[list[str], int]:
    """The record's lines with its blank nodes labelled as `labels` says (blank-node record subjects
    as `renamed` says), and how many labels they hold."""
    lines: list[str] = []
    label_tokens = 0
    for node in nodes:
        own_links = blank_links.get(node)
        rests = by_subject[node]
        if own_links:
            linked = {f"{predicate} {obj} ." for predicate, obj in own_links}
            rests = [rest for rest in rests if rest not in linked]
        label = labels.get(node)
        token = label or renamed.get(node, node)
        lines += [f"{token} {rest}" for rest in rests]
        if own_links:
            if label is not None:
                label_tokens += len(rests) + len(own_links)
            for predicate, obj in own_links:
                target = labels.get(obj)
                if target is None:
                    target = renamed[obj]
                else:
                    label_tokens += 1
                lines.append(f"{token} {predicate} {target} .")
        elif label is not None:
            label_tokens += len(rests)
    return lines, label_tokens


def _digest(sorted_lines: list[str]) -> str:
    return _digest_of_text("\n".join(sorted_lines))


def _digest_of_text(text: str) -> str:
    """The record hash of sorted canonical lines joined by newlines (N-Quads: each line ends with one)."""
    return "sha256:" + hashlib.sha256((text + "\n").encode("utf-8")).hexdigest()


def _stable_key(subject: str, by_subject: dict[str, list[str]], children: dict[str, list[str]],
                kinds: dict[str, str], owners: dict[str, str]) -> tuple[str, bool]:
    """identifier, url, sameAs, or name + postal code; else the canonical hash (and a warning)."""
    own = _statements(by_subject[subject])
    for prop in _STABLE_KEY_PROPERTIES:
        # An identifier given as a node (a platform's id: a schema:PropertyValue) is keyed by its value, not by
        # the node's label, which changes at every parse.
        values = sorted(_identifying(obj, by_subject) for predicate, obj in own if predicate == prop)
        values = [value for value in values if value]
        if values:
            return f"{prop}={values[0]}", False
    names = sorted(obj for predicate, obj in own if predicate == _NAME)
    postal = _postal_code(own, by_subject)
    if names and postal:
        return f"name={names[0]}|postalCode={postal}", False
    nodes = _closure(subject, children, kinds, owners)
    lines = [f"{node} {rest}" for node in nodes for rest in by_subject[node]]
    try:
        return canonical_hash(lines), True
    except LimitExceeded:
        # Beyond the work bound (the record will be refused): a key that ignores blank-node labels.
        return _digest(sorted({" ".join("_:b" if token[0] == "_" else token for token in split_line(line)[:3])
                               for line in lines})), True


def _identifying(obj: str, by_subject: dict[str, list[str]]) -> str:
    """A stable key's value: the object itself, or for a blank node its own statements without blank nodes."""
    if obj[0] != "_":
        return obj
    return "|".join(sorted(rest for rest in by_subject.get(obj, ()) if "_:" not in rest))


def _statements(rests: list[str]) -> list[tuple[str, str]]:
    """"P O ." strings as (predicate, object) tokens."""
    return [(parts[0], parts[1]) for parts in (rest[:-2].split(" ", 1) for rest in rests)]


def _postal_code(own: list[tuple[str, str]], by_subject: dict[str, list[str]]) -> str | None:
    for predicate, obj in own:
        if predicate == _POSTAL_CODE:
            return obj
        if predicate == _ADDRESS and obj[0] in "<_":
            for inner_predicate, inner_obj in _statements(by_subject.get(obj, [])):
                if inner_predicate == _POSTAL_CODE:
                    return inner_obj
    return None
