"""RDFC-1.0 canonicalisation with a work bound (DESIGN.md, "Known traps").

The hub hashes each record's canonical N-Quads (`canonical_hash`). The usual records (every blank node with
a first-degree hash of its own) are hashed directly, in linear time. The others need RDFC-1.0's
n-degree hashing, whose work grows with the number of blank nodes that look alike, how deep they nest
and how many orderings of look-alike neighbours it must try: a 17 KB chain of nested blank nodes took
99 s, 170 KB exhausted the memory. So before pyoxigraph's canonicalisation runs, `digest` measures the
record (cheap, linear) and decides:

- beyond a hard cap (blank nodes, nesting depth): `LimitExceeded`, without trying;
- within the small cap of estimated work (`Limits.in_process_work`): canonicalised here, as always;
- beyond it: canonicalised in a child process (`python -m hub.pipeline.canonical`) with an address-space limit,
  a CPU limit and a deadline, killed past either; when it fails, `LimitExceeded` says which limit.

`LimitExceeded` names the limit and the numbers; the split (hub/pipeline/split.py) then rejects that record
alone, and the harvest goes on.

The work estimate counts n-degree hash steps: for each connected group of blank nodes with look-alikes,
(look-alikes) x (size)^2 x (orderings of look-alike neighbours). It is exact enough for chains (some
2.10^7 steps a second: a chain of 99 nested look-alike nodes is 10^6 steps, 50 ms) and pessimistic
for trees of identical siblings, which RDFC-1.0's pruning often makes cheap: so it only decides where
the work runs, and the child's deadline is what bounds it. The hashes are pyoxigraph's wherever it runs,
so they do not depend on the path taken.
"""

from __future__ import annotations

import hashlib
import math
import resource
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass

from hub.core.ntriples import split_line, to_lines, to_quads
from hub.core.process_limits import lower_limit
from hub.core.sandbox import SandboxUnavailable, deny_network

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Per record. The defaults are documented in docs/architecture.md ("Bounds")."""

    max_blank_nodes: int = 10_000  # blank nodes in one record
    max_depth: int = 100  # levels of nested nodes below the record's subject
    in_process_work: int = 100_000  # estimated RDFC-1.0 n-degree hash steps canonicalised in this process (~10 ms)
    child_seconds: float = 10.0  # the child's deadline
    child_memory: int = 1024 * MIB  # the child's address space


LIMITS = Limits()
WORK_CAP = 10**18

# What each limit is called in a message, in the hub's three languages.
_WHAT = {
    "blank_nodes": {"en": "blank nodes", "fr": "nœuds anonymes", "nl": "blanco knopen"},
    "depth": {"en": "levels of nested nodes", "fr": "niveaux de nœuds imbriqués", "nl": "niveaus geneste knopen"},
    "seconds": {"en": "seconds of canonicalisation", "fr": "secondes de canonicalisation",
                "nl": "seconden canonicalisatie"},
    "memory": {"en": "MiB of memory for its canonicalisation", "fr": "Mio de mémoire pour sa canonicalisation",
               "nl": "MiB geheugen voor de canonicalisatie"},
}
_TEMPLATE = {
    "en": "the record is beyond the hub's limits: {found} {what}, at most {allowed}; split it into smaller "
          "records or give its nodes IRIs",
    "fr": "l'enregistrement dépasse les limites du hub : {found} {what}, au plus {allowed} ; scindez-le en "
          "enregistrements plus petits ou donnez des IRI à ses nœuds",
    "nl": "het record overschrijdt de grenzen van de hub: {found} {what}, hoogstens {allowed}; splits het in "
          "kleinere records of geef de knopen IRI's",
}


class LimitExceeded(Exception):
    """A record the hub will not canonicalise: `limit` names the limit, `found` and `allowed` its numbers
    (`found` is "more than allowed" when the work was stopped rather than counted)."""

    def __init__(self, limit: str, found: str, allowed: str) -> None:
        self.limit, self.found, self.allowed = limit, found, allowed
        super().__init__(self.messages()["en"])

    def messages(self) -> dict[str, str]:
        return {lang: text.format(found=self.found, what=_WHAT[self.limit][lang], allowed=self.allowed)
                for lang, text in _TEMPLATE.items()}


@dataclass
class Measure:
    blank_nodes: int
    depth: int
    work: int  # estimated n-degree hash steps, saturating at WORK_CAP


def check_shape(blank_nodes: int, depth: int, limits: Limits = LIMITS) -> None:
    """The limits any record obeys, whatever path its hash takes (hub/pipeline/split.py checks them first)."""
    if blank_nodes > limits.max_blank_nodes:
        raise LimitExceeded("blank_nodes", str(blank_nodes), str(limits.max_blank_nodes))
    if depth > limits.max_depth:
        raise LimitExceeded("depth", str(depth), str(limits.max_depth))


def measure(statements: set[tuple[str, str, str]], first_degree: dict[str, str]) -> Measure:
    """Blank nodes, nesting depth of blank nodes, and the estimated n-degree work of a set of
    (subject, predicate, object) tokens whose blank nodes have the given first-degree hashes."""
    related: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # blank -> (position, predicate, other)
    below: dict[str, list[str]] = defaultdict(list)
    has_parent: set[str] = set()
    for subject, predicate, obj in statements:
        if subject[0] == "_" and obj[0] == "_" and subject != obj:
            related[subject].append(("o", predicate, obj))
            related[obj].append(("s", predicate, subject))
            below[subject].append(obj)
            has_parent.add(obj)
    blanks = list(first_degree)
    depth = _depth(blanks, below, has_parent)
    counts: dict[str, int] = defaultdict(int)
    for digest in first_degree.values():
        counts[digest] += 1
    cap = WORK_CAP
    work = 0
    seen: set[str] = set()
    for start in blanks:
        if start in seen:
            continue
        component = _component(start, related, seen)
        alike = sum(1 for node in component if counts[first_degree[node]] > 1)
        if not alike:
            continue
        orderings = 1
        for node in component:
            groups: dict[tuple[str, str, str], int] = defaultdict(int)
            for position, predicate, other in related.get(node, ()):
                groups[(position, predicate, first_degree[other])] += 1
            for size in groups.values():
                if size > 1:
                    orderings = min(cap, orderings * math.factorial(min(size, 20)))
        work = min(cap, work + min(cap, alike * len(component) ** 2 * orderings))
    return Measure(len(blanks), depth, work)


def _depth(blanks: list[str], below: dict[str, list[str]], has_parent: set[str]) -> int:
    """Levels of blank nodes nested in one another (breadth first from the outermost ones; a cycle
    counts from wherever it is first entered)."""
    level: dict[str, int] = {}
    deepest = 0
    for root in [b for b in blanks if b not in has_parent] + blanks:
        if root in level:
            continue
        level[root] = 1
        frontier = [root]
        while frontier:
            following = []
            for node in frontier:
                for child in below.get(node, ()):
                    if child not in level:
                        level[child] = level[node] + 1
                        deepest = max(deepest, level[child])
                        following.append(child)
            frontier = following
        deepest = max(deepest, 1)
    return deepest


def _component(start: str, related: dict[str, list[tuple[str, str, str]]], seen: set[str]) -> list[str]:
    seen.add(start)
    component = [start]
    index = 0
    while index < len(component):
        for _, _, other in related.get(component[index], ()):
            if other not in seen:
                seen.add(other)
                component.append(other)
        index += 1
    return component


def digest(lines: list[str], statements: set[tuple[str, str, str]], first_degree: dict[str, str],
           limits: Limits = LIMITS) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of `lines` (sorted, unique "S P O ." lines
    in the default graph), by pyoxigraph, within `limits`. Raises LimitExceeded."""
    found = measure(statements, first_degree)
    check_shape(found.blank_nodes, found.depth, limits)
    if found.work <= limits.in_process_work:
        return canonical_digest(lines)
    return _digest_in_child(lines, limits)


# -- the record hash ------------------------------------------------------------------------------------


def canonical_hash(triples: list[str], limits: Limits = LIMITS) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of a set of triple lines."""
    return canonical_hash_of_tokens([split_line(line)[:3] for line in triples], limits)


def canonical_hash_of_tokens(statements: list[tuple[str, str, str]], limits: Limits = LIMITS) -> str:
    """`sha256:` + SHA-256 of the RDFC-1.0 canonical N-Quads of (subject, predicate, object) tokens.

    Blank-node labels and order never count. When every blank node has a distinct first-degree
    hash (the usual tree of addresses and coordinates), RDFC-1.0 labels them in the order of those
    hashes, which is computed here directly; otherwise pyoxigraph's full RDFC-1.0 does it, within the
    work bound (`digest`, which raises LimitExceeded beyond it).
    """
    unique = set(statements)
    mentions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for statement in unique:
        subject, _, obj = statement
        if subject[0] == "_":
            mentions[subject].append(statement)
        if obj[0] == "_" and obj != subject:
            mentions[obj].append(statement)
    if not mentions:
        return _digest_of_sorted(sorted(f"{s} {p} {o} ." for s, p, o in unique))
    first_degree: dict[str, str] = {}
    for blank, mentioned in mentions.items():
        rendered = sorted(
            f"{_mark(s, blank)} {p} {_mark(o, blank)} .\n" for s, p, o in mentioned
        )
        first_degree[blank] = hashlib.sha256("".join(rendered).encode("utf-8")).hexdigest()
    if len(set(first_degree.values())) != len(first_degree):
        return digest(sorted(f"{s} {p} {o} ." for s, p, o in unique), unique, first_degree, limits)
    labels = {blank: f"_:c14n{index}" for index, blank in enumerate(sorted(mentions, key=first_degree.__getitem__))}
    return _digest_of_sorted(sorted(f"{labels.get(s, s)} {p} {labels.get(o, o)} ." for s, p, o in unique))


def _mark(token: str, blank: str) -> str:
    """RDFC-1.0 first-degree form: the blank node in question is _:a, every other one _:z."""
    if token[0] != "_":
        return token
    return "_:a" if token == blank else "_:z"


def _digest_of_sorted(sorted_lines: list[str]) -> str:
    return "sha256:" + hashlib.sha256("".join(line + "\n" for line in sorted_lines).encode("utf-8")).hexdigest()


def canonical_digest(lines: list[str]) -> str:
    """pyoxigraph's RDFC-1.0, unbounded: call it only on records `digest` has measured."""
    from pyoxigraph import CanonicalizationAlgorithm, Dataset, DefaultGraph, Quad

    dataset = Dataset(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in to_quads(lines))
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    canonical = sorted(to_lines(dataset))
    return "sha256:" + hashlib.sha256("".join(line + "\n" for line in canonical).encode("utf-8")).hexdigest()


def _digest_in_child(lines: list[str], limits: Limits) -> str:
    """The same digest computed by `python -m hub.pipeline.canonical` under an address-space limit and a
    deadline; the child is killed past the deadline."""
    child = subprocess.Popen(
        [sys.executable, "-m", "hub.pipeline.canonical", str(limits.child_memory),
         str(math.ceil(limits.child_seconds))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = child.communicate("\n".join(lines).encode("utf-8"), timeout=limits.child_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise LimitExceeded("seconds", f"more than {limits.child_seconds:g}", f"{limits.child_seconds:g}") from None
    finally:
        if child.poll() is None:  # interrupted: never leave it running
            child.kill()
            child.wait()
    answer = out.decode("ascii", errors="replace").strip()
    if child.returncode == 0 and answer.startswith("sha256:"):
        return answer
    if child.returncode in (-9, -24):  # SIGKILL, SIGXCPU: its CPU limit (a backstop for the deadline)
        raise LimitExceeded("seconds", f"more than {limits.child_seconds:g}", f"{limits.child_seconds:g}")
    # Out of address space: Rust aborts (SIGABRT), Python raises MemoryError (exit 3).
    mib = limits.child_memory // MIB
    raise LimitExceeded("memory", f"more than {mib}", str(mib))


def main(argv: list[str]) -> int:
    """The child: limits itself first (memory, CPU, no network), then reads the lines on stdin and prints
    their digest."""
    memory, seconds = int(argv[0]), int(argv[1])
    lower_limit(resource.RLIMIT_AS, memory, memory)
    lower_limit(resource.RLIMIT_CPU, seconds + 1, seconds + 2)
    try:
        deny_network()
    except SandboxUnavailable as error:
        print(f"no sandbox: {error}", file=sys.stderr)
        return 4
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        print(canonical_digest(text.split("\n") if text else []))
    except MemoryError:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
