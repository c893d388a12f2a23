"""Big line-based documents (N-Triples, N-Quads: another hub's dump) parsed in two halves at once.

A format says it is line-based in the table of formats (harvesters/formats.py): any line end is then a valid
cut, and each part lifts alone through the format's lift function. pyoxigraph's parser and serialiser hold the
GIL, so a thread would not help: the second half goes to a child process (`python -m hub.pipeline.halves IN
OUT FORMAT`), which lifts it, serialises it as N-Quads,
checks what the pipeline checks on the bytes (alignment, persons) and sorts the lines (the split wants
a subject's statements together), while this process does the same with the first half. A line-based
syntax can be cut at any line end, and blank-node labels keep their meaning across the cut (both
parsers keep them as written). Anything unexpected (a syntax error, a relative IRI, a child that
fails) gives None: the caller then parses the whole document the usual way, which reports errors with
their real line and column.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harvesters.formats import DocumentContext, Format, table
from hub.core.ntriples import lines_of

MIN_BYTES = 32 << 20  # below this a second process costs more than it saves


@dataclass
class Half:
    lines: list[str]  # N-Quads lines: each half sorted, so that a subject's statements sit together
    needs_alignment: bool
    persons: bool


def worth_halves(body: bytes, format_name: str | None, min_bytes: int | None = None) -> bool:
    """Whether a document (in `format_name`: a line-based format, or None) is read in two halves."""
    return _line_based(format_name) is not None and len(body) >= (MIN_BYTES if min_bytes is None else min_bytes)


def _line_based(format_name: str | None) -> Format | None:
    fmt = table().get(format_name) if format_name else None
    return fmt if fmt is not None and fmt.line_based else None


def lift_in_halves(body: bytes, format_name: str | None, min_bytes: int | None = None,
                   scratch: Path | None = None) -> Half | None:
    """Both halves of a line-based document, lifted and sorted; None when it must be read whole.
    `scratch`: where the two processes exchange the halves (else the system's temporary folder)."""
    fmt = _line_based(format_name)
    if fmt is None or not worth_halves(body, format_name, min_bytes):
        return None
    cut = body.find(b"\n", len(body) // 2) + 1
    if cut <= 0 or cut >= len(body):
        return None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="halves-", dir=scratch) as folder:
        second, answer = Path(folder) / "in", Path(folder) / "out"
        second.write_bytes(body[cut:])
        child = subprocess.Popen([sys.executable, "-m", "hub.pipeline.halves", str(second), str(answer),
                                  str(format_name)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first = None
        try:
            first = _lift(body[:cut], fmt)
        finally:
            if first is None:
                child.kill()  # the document will be read whole: the second half is not wanted
            returncode = child.wait()
        if first is None or returncode != 0:
            return None
        flags, _, text = answer.read_bytes().partition(b"\n")
        other = lines_of(text)
    # Two sorted runs, one after the other: merging them buys the split nothing (measured).
    return Half(first.lines + other, first.needs_alignment or flags[0:1] == b"1",
                first.persons or flags[1:2] == b"1")


def _lift(body: bytes, fmt: Format) -> Half | None:
    # Imported here: the child process should start quickly, and these pull in the vocabulary.
    from hub.charter.consent import mentions_persons
    from hub.pipeline.alignment import needs_alignment

    try:
        # No base IRI: a relative IRI fails the half, and the whole document is read with its base.
        lifted = fmt.lift(body, DocumentContext.standalone("a half of a line-based document", fmt.name))
    except Exception:  # noqa: BLE001 - anything unexpected: the whole document is read, and says what is wrong
        return None
    if lifted.warnings or lifted.row_errors:
        return None  # said once, with the places in the whole document
    nquads = lifted.nquads
    lines = lines_of(nquads)
    lines.sort()
    return Half(lines, needs_alignment(nquads), mentions_persons(nquads))


def main(argv: list[str]) -> int:
    source, target, format_name = argv
    fmt = _line_based(format_name)
    lifted = _lift(Path(source).read_bytes(), fmt) if fmt is not None else None
    if lifted is None:
        return 3
    with open(target, "wb") as handle:
        handle.write(b"%d%d\n" % (lifted.needs_alignment, lifted.persons))
        handle.write("\n".join(lifted.lines).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
