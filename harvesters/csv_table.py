"""Lift CSV tables through a mapping: sniffed delimiter and encoding, one error per bad row.

Spreadsheets come as `;`-separated Windows-1252 exports from Excel as often as UTF-8 with `,`.
Duplicate headers keep every column (`name`, `name#2`…), so a mapping can choose; header typos are
handled by the mapping's `also` spellings. A row with the wrong number of cells, or a value a transform
refuses, is reported with its line number and the other rows are kept.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

from harvesters.mapping import LiftContext, Lifted, Mapping, RowError, RowReport
from harvesters.rdf import LiftError

DELIMITERS = (";", ",", "\t")


def decode(body: bytes, document: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1252 (never fails: every byte maps)."""
    try:
        return body.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise LiftError(document, "csv", f"neither UTF-8 nor Windows-1252 (byte {error.start})") from error


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of cells."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        lines = [line for line in sample.splitlines() if line.strip()] or [""]
        return max(DELIMITERS, key=lambda d: (len({line.count(d) for line in lines}) == 1, lines[0].count(d)))


def read_rows(body: bytes, document: str, columns: list[str] | None = None
              ) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """(header, [(line number, cells)], warnings)."""
    text, encoding = decode(body, document)
    warnings = [] if encoding == "utf-8" else [f"{document}: not UTF-8, read as Windows-1252"]
    if not text.strip():
        raise LiftError(document, "csv", "the document is empty")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise LiftError(document, "csv", str(error), reader.line_num) from error
    if columns:
        header = list(columns)
    else:
        if not rows:
            raise LiftError(document, "csv", "no header line")
        header = [cell.strip().lstrip("\ufeff") for cell in rows.pop(0)[1]]
    seen: Counter[str] = Counter()
    unique = []
    for name in header:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    for name, count in seen.items():
        if count > 1:
            warnings.append(f"{document}: header {name!r} appears {count} times: the columns are "
                            f"{name!r}, " + ", ".join(f"{name}#{n}" for n in range(2, count + 1)))
    return unique, [(n, cells) for n, cells in rows if any(c.strip() for c in cells)], warnings


def lift_csv(body: bytes, mapping: Mapping, context: LiftContext) -> Lifted:
    document = context.document
    table = mapping.table_for(document)
    if table is None:
        names = ", ".join(f"{t.name} ({' '.join(t.files)})" for t in mapping.tables.values())
        return Lifted(warnings=[f"{document}: no table of the mapping matches this file name ({names}); "
                                "not lifted"])
    header, rows, warnings = read_rows(body, document, table.columns)
    lifted = Lifted(warnings=warnings)
    report = RowReport(document, known_fields=sorted(table.rules))
    for line, cells in rows:
        where = f"{document}: line {line}"
        if len(cells) != len(header):
            lifted.row_errors.append(f"{where}: {len(cells)} cell(s) where the header has {len(header)}; "
                                     f"row skipped")
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            lifted.quads += table.lift_row(row, context, report)
        except (RowError, ValueError) as error:  # ValueError: a term pyoxigraph refuses
            lifted.row_errors.append(f"{where}: {error}")
    lifted.warnings += report.warnings()
    return lifted
