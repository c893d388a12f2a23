"""Lift CSV tables through a mapping: sniffed delimiter and encoding, one error per bad row.

Spreadsheets come as `;`-separated Windows-1252 exports from Excel as often as UTF-8 with `,`.
Duplicate headers keep every column (`name`, `name#2`…), so a mapping can choose; header typos are
handled by the mapping's `also` spellings. A row with the wrong number of cells, or a value a transform
refuses, is reported with its line number and the other rows are kept.

A malformed row never takes its neighbours with it: the table is cut into records first, line by line,
the way the csv module reads them, and a record whose quoted field is never closed (it would run to the
end of the file) or spans more than MAX_QUOTED_LINES lines, or a record over several lines with the
wrong number of cells, is reported on its first line and reading starts again at the next line.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from harvesters.formats import DocumentContext, Format, LiftError, LiftResult, looks_like_json
from harvesters.mapping import LiftContext, Lifted, Mapping, RowError, RowReport, RowSet, term_refused
from harvesters.suggest import suggest_from_rows
from harvesters.wording import because

DELIMITERS = (";", ",", "\t")
SNIFFED_LINES = 50
# A quoted field over more lines than this is taken for a quote never closed: a multi-line note in a
# spreadsheet cell runs to a few lines, not a hundred.
MAX_QUOTED_LINES = 100
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells), blank rows left out
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, why the row was skipped)


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


def sniff_delimiter(text: str, width: int | None = None) -> str:
    """The delimiter that splits the most of the first lines into as many cells as the header has (or
    `width`, for a file without a header). Judged line by line, so that one short or long row, or a
    comma inside a `;`-separated value, cannot make the whole table be read with another delimiter."""
    lines = [line for line in text.splitlines()[:SNIFFED_LINES] if line.strip()] or [""]

    def score(delimiter: str) -> tuple[int, int]:
        widths = [len(_cells(line, delimiter)) for line in lines]
        expected = width or widths[0]
        if expected < 2:
            return (-1, 0)  # one column: this is not the delimiter, or any would do
        return (sum(1 for w in widths[0 if width else 1:] if w == expected), expected)

    return max(DELIMITERS, key=score)  # on a tie, the first of DELIMITERS


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def read_table(body: bytes, document: str, columns: list[str] | None = None) -> Table:
    """The header and the rows of a CSV document, each malformed row reported with its line."""
    text, encoding = decode(body, document)
    warnings = [] if encoding == "utf-8" else [f"{document}: not UTF-8, read as Windows-1252"]
    if not text.strip():
        raise LiftError(document, "csv", "the document is empty")
    delimiter = sniff_delimiter(text, len(columns) if columns else None)
    table = Table([], [], warnings)
    records = _records(text, delimiter, len(columns) if columns else None, table.errors)
    if columns:
        header = list(columns)
    else:
        first = next(records, None)
        if first is None:
            raise LiftError(document, "csv", "no header line")
        header = [cell.strip().lstrip("\ufeff") for cell in first[1]]
    table.rows = [(line, cells) for line, cells in records if any(cell.strip() for cell in cells)]
    seen: Counter[str] = Counter()
    for name in header:
        seen[name] += 1
        table.header.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    for name, count in seen.items():
        if count > 1:
            table.warnings.append(f"{document}: header {name!r} appears {count} times: the columns are "
                                  f"{name!r}, " + ", ".join(f"{name}#{n}" for n in range(2, count + 1)))
    return table


def _records(text: str, delimiter: str, width: int | None, errors: list[tuple[int, str]]
             ) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each record, blank lines before the header left out; a malformed
    record goes to `errors` and reading starts again at the line after its first."""
    lines = _LINE.findall(text)
    i = 0
    while i < len(lines):
        j = i
        quote_open = _ends_in_quotes(lines[i], delimiter, False)
        while quote_open and j + 1 < len(lines) and j - i + 1 < MAX_QUOTED_LINES:
            j += 1
            quote_open = _ends_in_quotes(lines[j], delimiter, True)
        if quote_open:
            errors.append((i + 1, "a quoted field opened on this line is never closed; row skipped"
                           if j + 1 >= len(lines) else
                           f"a quoted field opened on this line is still open {MAX_QUOTED_LINES} lines later: "
                           f"a quote is probably not closed; row skipped"))
            i += 1
            continue
        try:
            cells = next(csv.reader(io.StringIO("".join(lines[i:j + 1]), newline=""), delimiter=delimiter), [])
        except csv.Error as error:
            errors.append((i + 1, f"unreadable row ({because(error, 'its quotes do not close its cells')}); "
                                  "row skipped"))
            i += 1
            continue
        if width is None:
            if not any(cell.strip() for cell in cells):
                i = j + 1
                continue
            width = len(cells)  # the header's
        elif j > i and len(cells) != width:
            # Read over several lines with the wrong number of cells: a stray quote made it swallow
            # the lines after it. Reported alone; those lines are read again as rows of their own.
            errors.append((i + 1, f"a quoted field opened on this line runs over {j - i + 1} lines and the row "
                                  f"then has {len(cells)} cell(s) where the header has {width}: a quote is "
                                  f"probably not closed; row skipped"))
            i += 1
            continue
        yield i + 1, cells
        i = j + 1


# The rest of a quoted field, up to its closing quote: `""` is an escaped quote, never a close.
_QUOTED_REST = re.compile(r'(?:[^"]++|"")*+"')


def _ends_in_quotes(line: str, delimiter: str, quote_open: bool) -> bool:
    """Whether a line ends inside a quoted field, read as the csv module reads it (a quote opens a
    field only at its start; after the closing quote, and inside an unquoted field, quotes are text)."""
    if not quote_open and '"' not in line:
        return False
    position = 0
    if quote_open:
        closing = _QUOTED_REST.match(line)
        if closing is None:
            return True
        position = line.find(delimiter, closing.end())
        if position < 0:
            return False
        position += 1
    while position < len(line):  # at the start of a field
        if line[position] == '"':
            closing = _QUOTED_REST.match(line, position + 1)
            if closing is None:
                return True
            position = closing.end()
        position = line.find(delimiter, position)
        if position < 0:
            return False
        position += 1
    return False


def read_rows(body: bytes, document: str, columns: list[str] | None = None
              ) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """(header, [(line number, cells)], warnings): the well-formed rows of `read_table`."""
    table = read_table(body, document, columns)
    return table.header, table.rows, table.warnings


def lift_csv(body: bytes, mapping: Mapping, context: LiftContext) -> Lifted:
    document = context.document
    table = mapping.table_for(document)
    if table is None:
        names = ", ".join(f"{t.name} ({' '.join(t.files)})" for t in mapping.tables.values())
        return Lifted(warnings=[f"{document}: no table of the mapping matches this file name ({names}); "
                                "not lifted"])
    read = read_table(body, document, table.columns)
    header = read.header
    lifted = Lifted(warnings=read.warnings)
    errors = list(read.errors)
    report = RowReport(document, known_fields=sorted(table.rules))
    rows = RowSet(table, document, "line")
    for line, cells in read.rows:
        if len(cells) != len(header):
            errors.append((line, f"{len(cells)} cell(s) where the header has {len(header)}; row skipped"))
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            rows.add(str(line), row, table.lift_row(row, context, report))
        except RowError as error:
            errors.append((line, str(error)))
        except ValueError as error:  # a term pyoxigraph refuses (an IRI with a space…)
            errors.append((line, term_refused(error)))
    lifted.quads = rows.quads()
    lifted.row_errors = [f"{document}: line {line}: {reason}" for line, reason in sorted(errors)]
    lifted.warnings += rows.warnings + report.warnings()
    return lifted


def _sniff(head: bytes) -> int:
    return 0 if looks_like_json(head) else 5  # any text may be a table; every other format is surer


def _lift(body: bytes, context: DocumentContext) -> LiftResult:
    rows = LiftContext(context.document, context.source_id, context.mint, context.kind_of, context.language,
                       context.area)
    lifted = lift_csv(body, context.required_mapping("csv"), rows)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def _suggest(body: bytes, document: str, name: str) -> str:
    header, cells, _ = read_rows(body, document)
    headerless = _header_is_data(header, [c for _, c in cells])
    if headerless is not None:
        # Read again with positional names, so that the first line is a row like the others.
        header, cells, _ = read_rows(body, document, [f"column_{n}" for n in range(1, len(header) + 1)])
    rows = [dict(zip(header, c, strict=False)) for _, c in cells]
    return suggest_from_rows(name, "csv", "rows", rows, has_geometry=False, headerless=headerless)


_KINDS = (("a web address", re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)),
          ("an e-mail address", re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)),
          ("a number", re.compile(r"^-?\d+([.,]\d+)?$")),
          ("a date", re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")))


def _header_is_data(header: list[str], rows: list[list[str]]) -> str | None:
    """Why the first line looks like a row rather than a header (a cell that is a web address, an e-mail, a
    number or a date, as the values below it are), or None: header cells are words."""
    for index, cell in enumerate(header):
        kind = next((label for label, pattern in _KINDS if pattern.match(cell.strip())), None)
        if kind is None:
            continue
        below = [row[index].strip() for row in rows if index < len(row) and row[index].strip()]
        pattern = dict(_KINDS)[kind]
        if below and sum(1 for value in below if pattern.match(value)) * 2 >= len(below):
            return f"its cell {cell.strip()[:40]!r} is {kind}, like the values below it"
    return None


CSV = Format("csv", _lift, media_types=("text/csv",), extensions=(".csv", ".tsv"), mapping="required", sniff=_sniff,
             suggest=_suggest)
