"""`mutualisons mapping suggest FILE`: a first mapping from field names and values, checked before it is printed.

- what a header means: a synonym table in French, Dutch, English and German and near spellings (`words.py`);
- what the values are: numbers, web addresses, dates, yes/no answers… as shares, never all or nothing
  (`columns.py`);
- whose the data is: a person's columns never go onto the organisation; with a dated consent column they become a
  contact person with that consent, else they are ignored, saying why (`persons.py`);
- the decisions: one column per property and language, `also` for spellings of one header, dates classified,
  a key at 95% uniqueness, coordinates in pairs, headerless tables (`plan.py`), written as TOML with each reason
  as a comment (`render.py`);
- then the suggestion lifts its own document and says, in the output and to the caller, how many records it
  gives and which rows fail and why (`selfcheck.py`).

docs/mappings.md, "Start from a suggestion", says what it does and does not propose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvesters.formats import LiftError, table
from harvesters.suggest.columns import read_columns
from harvesters.suggest.plan import plan_mapping
from harvesters.suggest.render import render
from harvesters.suggest.selfcheck import SelfCheck, self_check


@dataclass
class Suggestion:
    text: str  # the mapping file, the self-check included as comments
    check: list[str]  # the self-check's lines, for the caller to show (the CLI writes them to stderr)


def suggest(path: Path, format_name: str | None = None) -> Suggestion:
    """A mapping for the document at `path`, checked by lifting the document with it; raises LiftError or
    OSError. The formats that know how to suggest one (`Format.suggest`) are the candidates: named, else
    detected among them."""
    body = path.read_bytes()
    document = path.resolve().as_uri()
    candidates = table().where(lambda fmt: fmt.suggest is not None)
    fmt = candidates.detect(format_name, None, document, body)
    assert fmt.suggest is not None
    text = fmt.suggest(body, document, path.name)
    if fmt.mapping == "none":
        return Suggestion(text, [])
    check = self_check(fmt, body, document, text).lines(path.name)
    return Suggestion(_with_comments(text, check), check)


def suggest_mapping(path: Path, format_name: str | None = None) -> str:
    """The text of a mapping file for the document at `path` (see `suggest`)."""
    return suggest(path, format_name).text


def suggest_from_rows(name: str, format_name: str, unit: str, rows: list[dict[str, Any]], has_geometry: bool,
                      headerless: str | None = None, records: str | None = None) -> str:
    """A mapping for a document's rows (or features: `unit`), each a dict of field -> value. `headerless`: why
    the table is taken to have no header line (its fields are then `column_1`…). `records`: for a JSON document,
    the path of its records ("" for the document itself), written in the mapping."""
    plan = plan_mapping(name, format_name, unit, read_columns(rows), len(rows), has_geometry,
                        headerless=headerless is not None)
    plan.records = records
    if headerless is not None:
        plan.header_notes.append(f"No header line: {headerless}. The columns are named in `columns`, in order "
                                 "(column_1, column_2…): rename them there and in the [fields] sections if you like.")
    return render(plan)


def _with_comments(text: str, check: list[str]) -> str:
    """The check's lines as comments, after the suggestion's opening comments."""
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "\n".join(lines[:at] + [f"# {line}" for line in check] + lines[at:])


__all__ = ["LiftError", "SelfCheck", "Suggestion", "suggest", "suggest_from_rows", "suggest_mapping"]
