"""The record and the verdict: what the split makes, the charter judges, the commit writes and the
quarantine keeps (DESIGN.md, "Split" and "Validate").

Plain data, shared by every room that handles records, so none of them needs the room that makes
them: the split (hub/pipeline/split.py) builds records, the charter (hub/charter/validation.py) gives
verdicts, the quarantine (hub/archive/quarantine.py) keeps the rejected ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad

from hub.core.ntriples import to_quads

# How record graphs are described in the meta graph (docs/provenance.md; the VoID description says it):
# 1 said every fact of its run, document and source on each record graph; 2 says what varies per record on
# the record graph and the rest once, on its run and on a fetch node per (run, document).
PROVENANCE_MODEL = 2


@dataclass(slots=True)  # 100k of them per harvest: slots make them cheaper to build and to keep
class Record:
    subject: NamedNode
    kind: str
    types: list[str]
    triples: list[str]  # N-Triples lines "S P O ." in no graph; the pipeline places them in the record's graph
    document: str
    graph_key: str
    content_hash: str = ""
    upstream_graphs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was aligned: said in its description
    shape: str = ""  # its shape digest (hub/pipeline/split.py), "" when it has none
    # Known unchanged from its shape digest: its hash is the published one and its lines were never
    # built (`triples` is empty). Such a record must not be validated or written.
    reused: bool = False
    # Beyond a limit of hub/pipeline/canonical.py: why, by language ("" hash; the charter rejects it alone).
    refused: dict[str, str] = field(default_factory=dict)
    # What its platform said of it beyond its data (harvesters/platform.py): its own licence and its upstream
    # sources, said on its record graph's description, not in its statements.
    license: str | None = None
    derived_from: list[str] = field(default_factory=list)
    # For an entity several upstream graphs describe: "<s> <p>" -> how many of them gave `s` values of `p` (a
    # cardinality of the charter holds per upstream graph: hub/charter/validation.py).
    per_upstream: dict[str, int] = field(default_factory=dict)

    @property
    def provenance(self) -> str:
        """A digest of its own licence and upstream sources ("" for none): a record whose data is unchanged but
        whose provenance changed is written again (its description says them)."""
        if self.license is None and not self.derived_from:
            return ""
        text = "\n".join([self.license or "", *sorted(self.derived_from)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def quads(self) -> list[Quad]:
        """The record as pyoxigraph quads in the default graph (parsed on demand: the slow path)."""
        return to_quads(self.triples)

    def refuse(self, messages: dict[str, str]) -> None:
        """Beyond a work bound: no hash, no shape digest, and why (by language) for the charter to say."""
        self.content_hash, self.shape, self.refused = "", "", dict(messages)


@dataclass
class ValidationResult:
    shape: str
    path: str | None
    severity: str  # "Violation", "Warning" or "Info"
    message: dict[str, str]
    focus: str
    value: str | None = None  # the offending value: private, the publisher's own data
    component: str | None = None  # the SHACL constraint component, e.g. "MinCountConstraintComponent"
    code: str | None = None  # a coded rule's message code (hub/charter/messages.py), e.g. "area.outside"
    params: dict[str, object] = field(default_factory=dict)  # its parameters: private, they may hold values

    def public(self) -> dict[str, object]:
        """What anyone may see: what is wrong, never the value (the public quarantine view's contract)."""
        found: dict[str, object] = {"shape": self.shape, "path": self.path, "severity": self.severity,
                                    "message": self.message}
        if self.code is not None:
            found["code"] = self.code
        return found

    def private(self) -> dict[str, object]:
        """What the publisher sees of their own data: the constraint component and the value too."""
        found = {**self.public(), "component": self.component, "focus": self.focus, "value": self.value}
        if self.code is not None:
            found["params"] = self.params
        return found


@dataclass
class Verdict:
    record: Record
    results: list[ValidationResult] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]
