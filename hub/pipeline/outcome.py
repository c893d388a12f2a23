"""What a run's documents gave, in words and in numbers: one place for the harvest and `mutualisons validate`.

A harvest (hub/pipeline/harvest.py) and a check (hub/pipeline/check.py) read documents with the same functions
(hub/pipeline/lifting.py: lift_lines, then split_lifted) and judge the records with the same charter; this module
is what they then say, so that `validate FILE` and a harvest of FILE give the same verdict and the same counts:

- a document read without error that gave no record (nor any node a record of the source reached) is said in
  words, with why: it holds no statement, every row failed, its nodes have no type, or the types they have are no
  record class (`no_record`, coded `document.*` in hub/charter/messages.py);
- the warnings of a run are the documents' (lifting, alignment, the split, consent) and the accepted records'
  (a SHACL Warning, each as `subject: message`: `verdict_warnings`);
- the status: `failed` when no document could be read or none gave a record (nothing to publish: nothing of the
  source changes), `partial` when some document failed or gave no record, or a row or a record was refused,
  else `succeeded` (`status`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hub.charter.messages import Notice, kinds_in_words
from hub.core.namespaces import DFC, PREFIXES
from hub.core.records import Verdict
from hub.core.vocabulary import RECORD_KINDS

MAX_TYPES_SHOWN = 6  # a document typed with forty classes says the most used ones
_PREFIXES = (*PREFIXES.items(), ("dfc-b", DFC))


@dataclass
class DocumentProfile:
    """What one lifted document held, enough to say why it gave no record."""

    document: str
    statements: int = 0
    row_errors: int = 0  # rows, features or events that failed alone
    nodes: int = 0  # subjects with statements of their own
    types: Counter[str] = field(default_factory=Counter)  # type IRI -> nodes typed so


def no_record(profile: DocumentProfile) -> Notice:
    """Why a document read without error gave no record, as a coded message."""
    document = profile.document
    if not profile.statements:
        if profile.row_errors:
            return Notice("document.rows-failed", {"document": document, "count": profile.row_errors})
        return Notice("document.empty", {"document": document})
    kinds = kinds_in_words(list(RECORD_KINDS))
    if not profile.types:
        return Notice("document.untyped", {"document": document, "nodes": profile.nodes, "kinds": kinds})
    # The most used first, ties by name: the same words on every run (a set's order varies between processes).
    ranked = sorted(profile.types.items(), key=lambda item: (-item[1], _curie(item[0])))
    shown = [_curie(iri) for iri, _ in ranked[:MAX_TYPES_SHOWN]]
    more = len(profile.types) - len(shown)
    types = ", ".join(shown) + (f" (+{more})" if more > 0 else "")
    return Notice("document.no-record-class", {"document": document, "nodes": profile.nodes, "types": types,
                                               "kinds": kinds})


def verdict_warnings(verdicts: Iterable[Verdict]) -> list[str]:
    """The warnings of accepted records, as a run counts and lists them."""
    return [f"{verdict.record.subject.value}: {result.message['en']}"
            for verdict in verdicts if verdict.accepted for result in verdict.warnings]


def status(documents: int, failed: int, gave_records: bool, imperfect: bool) -> str:
    """A run's (or a check's) status: `documents` read or attempted, `failed` of them unreadable, whether any
    gave a record, and whether anything else fell short (a document with no record, a failed row, a rejected
    record, a document gone)."""
    if not documents or failed >= documents or not gave_records:
        return "failed"
    return "partial" if failed or imperfect else "succeeded"


def counts(verdicts: Sequence[Verdict], warnings: Sequence[str]) -> dict[str, int]:
    """What a check counts, as a first harvest of the same document would."""
    accepted = sum(1 for verdict in verdicts if verdict.accepted)
    return {"accepted": accepted, "rejected": len(verdicts) - accepted, "warned": len(warnings)}


def _curie(iri: str) -> str:
    for prefix, namespace in _PREFIXES:
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"
