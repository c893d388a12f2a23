"""A run's warnings as entries kept with their records (hub/archive/warnings.py keeps them; docs/publishers.md).

A run says its warnings as lines (the terminal, `data/harvest.log`, the counts); this step attributes each to what
it is about: a charter warning (a SHACL `sh:Warning` of an accepted record) to its record, with the rule's code,
its private parameters and the shape's message in three languages; a warning of the consent step to its record;
any other (lifting, alignment, the split, kept records) to the run's documents. A charter warning is public
(the shape's words quote no value), the others are not: they may quote a value of the feed.

A record that did not change is not validated again, so its charter warnings are carried over from the last
committed run, until a new version of it (fixed, or not) is judged; a run whose bytes did not change at all
carries every warning over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hub.core.records import Record, Verdict

_CODE = re.compile(r" \[([a-z]+(?:\.[a-z0-9-]+)+)\]$")


def _coded(text: str) -> str | None:
    found = _CODE.search(text)
    return found.group(1) if found else None


def entries(lines: list[str], records: Iterable[Record], accepted: Iterable[Verdict],
            graph_of: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per line of the run's warnings, in their order, each attributed to its record when known."""
    of_record: dict[str, tuple[str, str, bool]] = {}
    for record in records:
        for text in record.warnings:
            of_record.setdefault(text, (record.subject.value, graph_of.get(record.subject.value, ""),
                                        record.kind == "person"))
    charter: dict[str, dict[str, Any]] = {}
    for verdict in accepted:
        subject = verdict.record.subject.value
        for result in verdict.warnings:
            charter.setdefault(f"{subject}: {result.message['en']}", {
                "kind": "charter", "record": subject, "graph": graph_of.get(subject), "code": result.code,
                "person": verdict.record.kind == "person",
                "params": dict(result.params) if result.code else None, "shape": result.shape, "path": result.path,
                "message": dict(result.message), "text": f"{subject}: {result.message['en']}", "public": True})
    found = []
    for text in lines:
        if text in charter:
            found.append(charter[text])
        elif text in of_record:
            subject, graph, person = of_record[text]
            found.append({"kind": "record", "record": subject, "graph": graph or None, "person": person,
                          "code": _coded(text),
                          "params": None, "message": {"en": text}, "text": text, "public": False})
        else:
            found.append({"kind": "document", "record": None, "graph": None, "code": _coded(text), "params": None,
                          "message": {"en": text}, "text": text, "public": False})
    return found


def carried(previous: list[dict[str, Any]], unchanged_graphs: set[str], since: str | None) -> list[dict[str, Any]]:
    """The charter warnings of the records that were not judged again (unchanged), from the run before (`since`:
    each entry says the run that first gave it)."""
    return [{**entry, "carried": entry.get("carried") or since} for entry in previous
            if entry.get("kind") == "charter" and entry.get("graph") in unchanged_graphs]


def all_carried(previous: list[dict[str, Any]], since: str | None) -> list[dict[str, Any]]:
    """A run that read nothing new: every warning of the run before still holds."""
    return [{**entry, "carried": entry.get("carried") or since} for entry in previous]
