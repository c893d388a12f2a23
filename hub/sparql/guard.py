"""Refuse queries that would make the hub fetch on a stranger's behalf: SERVICE, LOAD, and Virtuoso's DEFINE pragmas.

pyoxigraph executes `SERVICE` calls itself, to any address, has no switch to stop it and exposes no
query parser, so the endpoint decides before pyoxigraph sees the query. Two parsers that disagree are
a hole (`?o 1.SERVICE <…>` once passed a word-splitting guard while Oxigraph read `1 . SERVICE`), so
this module reads a query with the terminals of the SPARQL 1.1 grammar (section 19.8: IRIREF,
PNAME_NS, PNAME_LN with its escapes, BLANK_NODE_LABEL, VAR1/VAR2, LANGTAG, the numbers, the four
string forms, NIL, ANON, whitespace and comments; keywords case-insensitive) and then decides
conservatively where Oxigraph's parser reads more ways than the grammar does:

- Two readings. Oxigraph 0.5 decodes `\\u`/`\\U` escapes only inside strings and IRIs; the grammar
  decodes them in the whole query first. The guard reads the query both ways and refuses what
  either reading refuses (`"a\\u0022" . SERVICE <…> # "` hides SERVICE from one of them).
- Keywords without word boundaries. Oxigraph matches a keyword on its letters alone, so
  `trueSERVICE`, `SERVICESILENT<…>` and `SERVICEc:x` hold a SERVICE for it. A word that contains
  SERVICE is refused; so is a prefixed name whose prefix contains it, or whose local part holds it
  where Oxigraph could start reading a keyword: after `.` or `:` (its local names stop at a second
  dot group, and a prefixed name whose IRI does not parse falls back to the bare `prefix:`), after a
  number or another keyword, or at the start unless the prefix is declared with an absolute IRI
  that the local name extends into a valid one.
- IRIs that Oxigraph may refuse. Where `<…>` holds `'` or `#`, Oxigraph may read `<` as less-than
  (an IRI that does not parse) and the rest as a string or a comment that ends elsewhere; the guard
  reads that way too, from the `<` until both readings meet again.
- What the guard cannot read (an unterminated string, a character no terminal accepts) is refused,
  with the line and column: what it cannot read, it cannot clear.

The query workers have no network at all either (hub/core/sandbox.py): this is the first of two walls.
`tokenize` gives the tokens of Oxigraph's reading to the modules that substitute variables
(hub/sparql/queries.py, hub/charter/shacl_compiler.py), with offsets into the text they were given.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import NamedNode


class QueryRefused(Exception):
    """A query the hub will not run; the message says why, and where."""


class QueryUnreadable(QueryRefused):
    """The guard cannot read the query with SPARQL's terminals."""


@dataclass(frozen=True)
class Token:
    # "iri", "string", "var", "word" (a keyword), "pname", "bnode", "langtag", "number", "nil", "anon", "punct"
    kind: str
    text: str
    offset: int


# -- the terminals (SPARQL 1.1 Query, section 19.8) -------------------------------------------------------

_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
         "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARCHARS = _U + "0-9\u00b7\u0300-\u036f\u203f-\u2040"
_HEX = "0-9A-Fa-f"
_LOCAL_ESCAPE = "_~.\\-!$&'()*+,;=/?#@%"
_PLX = f"%[{_HEX}][{_HEX}]|\\\\[{_LOCAL_ESCAPE}]"

_WS = re.compile(r"[ \t\r\n]+")
_LINE_END = re.compile(r"[\r\n]")
# PN_PREFIX, matched with its dots and trimmed after: a regex ending in "a char that is not a dot" would
# backtrack over every dot of a long run, at every start.
_PREFIX_RUN = re.compile(f"[{_BASE}][{_CHARS}.]*")
_WORD = re.compile(f"[{_U}0-9]+")
_LOCAL_RUN = re.compile(f"(?:[{_CHARS}:.]+|{_PLX})*")
_LOCAL_FIRST = re.compile(f"[{_U}:0-9]|{_PLX}")
_BNODE = re.compile(f"_:[{_U}0-9][{_CHARS}.]*")
_VAR = re.compile(f"[?$][{_VARCHARS}]+")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?")  # `--ltr`: SPARQL 1.2's direction
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)")
_NIL_ANON = re.compile(r"\([ \t\r\n]*\)|\[[ \t\r\n]*\]")
# No `<<` (SPARQL-star): read as one token, it would hide that its second `<` opens an IRI.
_PUNCT = re.compile(r"\^\^|&&|\|\||!=|<=|>=|\{\||\|\}|[{}()\[\];,.=!<>+\-*/^|?~]")
_IRI_CHAR = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')
_UCHAR = re.compile(f"\\\\u[{_HEX}]{{4}}|\\\\U[{_HEX}]{{8}}")
_ESCAPES = {"t", "b", "n", "r", "f", '"', "'", "\\"}
_SHORT_RUN = {q: re.compile(f"[^{q}\\\\\r\n]*") for q in "'\""}
_LONG_RUN = {q: re.compile(f"[^{q}\\\\]*") for q in "'\""}

KEYWORDS = frozenset("""
    BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED GROUP BY HAVING ORDER
    ASC DESC LIMIT OFFSET VALUES LOAD SILENT INTO CLEAR DROP CREATE ADD MOVE COPY TO INSERT DATA DELETE
    WITH USING DEFAULT ALL GRAPH OPTIONAL SERVICE BIND UNDEF MINUS UNION FILTER A IN NOT STR LANG
    LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE
    ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS
    TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI
    ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE EXISTS COUNT SUM MIN MAX AVG SAMPLE
    GROUP_CONCAT SEPARATOR TRUE FALSE LATERAL ADJUST TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR
    HASLANG HASLANGDIR STRLANGDIR VERSION
""".split())
_LONGEST_KEYWORD = max(map(len, KEYWORDS))


class _Unreadable(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset, self.reason = offset, reason


# -- one token ---------------------------------------------------------------------------------------------

class _Source:
    """A text to read, and what the readings of it share."""

    def __init__(self, text: str, uchar: bool) -> None:
        self.text = text
        self.uchar = uchar  # `\\u` escapes are read inside strings and IRIs (Oxigraph), not decoded before
        self._line_ends: list[int] | None = None

    def line_end(self, i: int) -> int:
        """Where the line holding `i` ends: a comment's end, found without reading the comment (forks open
        comments in IRIs, and a query may be one long line of them)."""
        if self._line_ends is None:
            self._line_ends = [m.start() for m in _LINE_END.finditer(self.text)]
        index = bisect_left(self._line_ends, i)
        return self._line_ends[index] if index < len(self._line_ends) else len(self.text)


def _token_at(source: _Source, i: int, no_colon_before: list[int]) -> tuple[str, int]:
    """The kind and the end of the token (or whitespace, "ws", or comment) starting at `i`.

    `no_colon_before` remembers where a run of name characters was found to be no prefix, so that a
    long run of `a.a.a.…` is not scanned again from each of its letters.
    """
    text, uchar = source.text, source.uchar
    c = text[i]
    if c in " \t\r\n":
        return "ws", _WS.match(text, i).end()  # type: ignore[union-attr]
    if c == "#":
        return "comment", source.line_end(i)
    if c in "\"'":
        return "string", _string_end(text, i, uchar)
    if c == "<":
        end = _iri_end(text, i, uchar)
        if end is not None:
            return "iri", end
    if c in "?$":
        match = _VAR.match(text, i)
        if match:
            return "var", match.end()
    if c == "_" and text.startswith("_:", i):
        match = _BNODE.match(text, i)
        if match is None:
            raise _Unreadable(i, "a blank node label `_:` without a name")
        return "bnode", _trim_dots(text, i, match.end())
    if c == ":" or (c.isalpha() or ord(c) > 0x7F) and i >= no_colon_before[0]:
        end = _pname_end(text, i, no_colon_before)
        if end is not None:
            return "pname", end
    if c == "@":
        match = _LANGTAG.match(text, i)
        if match is None:
            raise _Unreadable(i, "`@` that does not start a language tag")
        return "langtag", match.end()
    match = _NUMBER.match(text, i)
    if match:
        return "number", match.end()
    match = _WORD.match(text, i)
    if match and c not in "0123456789":
        return "word", match.end()
    match = _NIL_ANON.match(text, i) or _PUNCT.match(text, i)
    if match:
        return ("nil" if c == "(" else "anon") if match.end() - i > 1 and c in "([" else "punct", match.end()
    raise _Unreadable(i, f"{_describe(c)}, which no SPARQL token starts with")


def _describe(c: str) -> str:
    return f"`{c}`" if c.isprintable() and not c.isspace() else f"the character U+{ord(c):04X}"


def _trim_dots(text: str, start: int, end: int) -> int:
    """Names may hold dots but not end with one: that dot ends the triple."""
    while end > start and text[end - 1] == ".":
        end -= 1
    return end


def _pname_end(text: str, i: int, no_colon_before: list[int]) -> int | None:
    """The end of PNAME_NS or PNAME_LN at `i`, or None when the name characters there are no prefix."""
    colon = i
    if text[i] != ":":
        match = _PREFIX_RUN.match(text, i)
        if match is None:
            return None
        colon = _trim_dots(text, i, match.end())
        if colon >= len(text) or text[colon] != ":":
            no_colon_before[0] = colon
            return None
    return _local_end(text, colon + 1)


def _local_end(text: str, start: int) -> int:
    """PN_LOCAL from `start`: name characters, `:`, `%xx` and `\\`-escapes, not ending with a bare dot."""
    if not _LOCAL_FIRST.match(text, start):
        return start
    end = _LOCAL_RUN.match(text, start).end()  # type: ignore[union-attr]
    while text[end - 1] == "." and text[end - 2] != "\\":  # `\\.` is an escaped dot, part of the name
        end -= 1
    return end


def _string_end(text: str, i: int, uchar: bool) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = _long_string_end(text, i, quote, uchar)
        if end is not None:
            return end
        # An unclosed long string is the empty string `''` (or `""`) followed by another quote.
        return i + 2
    plain = _SHORT_RUN[quote]
    j = i + 1
    n = len(text)
    while j < n:
        j = plain.match(text, j).end()  # type: ignore[union-attr]
        if j >= n or text[j] in "\r\n":
            break
        if text[j] == quote:
            return j + 1
        j = _escape_end(text, j, uchar)
    raise _Unreadable(i, f"a string opened with {quote} here is not closed on its line")


def _long_string_end(text: str, i: int, quote: str, uchar: bool) -> int | None:
    """The end of a long string, or None where it does not close (or holds a `\\` that is no escape)."""
    closing = quote * 3
    plain = _LONG_RUN[quote]
    j = i + 3
    n = len(text)
    while True:
        j = plain.match(text, j).end()  # type: ignore[union-attr]
        if j >= n:
            return None
        if text.startswith(closing, j):
            return j + 3
        if text[j] == quote:
            j += 1  # one or two quotes inside, followed by something else
            continue
        try:
            j = _escape_end(text, j, uchar)
        except _Unreadable:
            return None


def _escape_end(text: str, j: int, uchar: bool) -> int:
    following = text[j + 1:j + 2]
    if following in _ESCAPES:
        return j + 2
    if uchar and following in ("u", "U"):
        match = _UCHAR.match(text, j)
        if match:
            return match.end()
    raise _Unreadable(j, f"`\\{following}` in a string is not an escape "
                         "(SPARQL knows \\t \\b \\n \\r \\f \\\" \\' \\\\ and \\u)")


def _iri_end(text: str, i: int, uchar: bool) -> int | None:
    """IRIREF: `<`, no space, quote, brace, `|^`\\`<`, then `>`; else this `<` is the less-than operator."""
    j = i + 1
    n = len(text)
    while j < n:
        match = _IRI_CHAR.match(text, j)
        if match:
            j = match.end()
            continue
        if text[j] == ">":
            return j + 1
        escape = _UCHAR.match(text, j) if uchar else None
        if escape is None:
            return None
        j = escape.end()
    return None


# -- readings ----------------------------------------------------------------------------------------------

@dataclass
class _Reading:
    tokens: list[Token]
    error: _Unreadable | None
    work: int  # characters read, for the forks' budget (a comment counts for one: its end is looked up)


def _scan(source: _Source, start: int, visited: set[int], fork: bool, budget: int = -1) -> _Reading:
    """Tokens from `start`. A fork reads on past what it cannot read (it must see every SERVICE a reading
    could), and stops where it meets a position where another reading started a token: the tokens only
    depend on the position, so from there on both readings are the same."""
    text = source.text
    tokens: list[Token] = []
    no_colon_before = [0]
    work = 0
    i = start
    n = len(text)
    while i < n and (budget < 0 or work < budget):
        if fork and i in visited:
            break
        visited.add(i)
        try:
            kind, end = _token_at(source, i, no_colon_before)
        except _Unreadable as error:
            if not fork:
                return _Reading(tokens, error, work)
            work += source.line_end(i) - i if text[i] in "\"'" else 1  # a string read to its line's end
            i += 1
            continue
        work += 1 if kind == "comment" else end - i
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, text[i:end], i))
        i = end
    return _Reading(tokens, None, work)


def _may_be_refused(iri: Token) -> bool:
    """Whether reading this IRIREF's `<` as less-than instead may change what follows: where it holds `'`
    or `#`, which would open a string or a comment. Oxigraph reads `<` as less-than after an operand
    whatever follows it, and wherever an IRI does not parse (a relative one without a base)."""
    return "'" in iri.text or "#" in iri.text


def _readings(text: str, uchar: bool) -> tuple[_Reading, list[Token]]:
    """The main reading, and the tokens of the forks at IRIs that Oxigraph may read as `<` instead."""
    source = _Source(text, uchar)
    visited: set[int] = set()
    main = _scan(source, 0, visited, fork=False)
    forked: list[Token] = []
    budget = 4 * len(text) + 10_000  # each fork is short, unless a query is made of them
    pending = [t for t in main.tokens if t.kind == "iri" and _may_be_refused(t)]
    while pending:
        iri = pending.pop()
        fork = _scan(source, iri.offset + 1, visited, fork=True, budget=budget)
        budget -= fork.work
        if budget <= 0:
            raise _Unreadable(iri.offset, "the query holds too many IRIs that its engine may read as the "
                                          "less-than operator instead; write them as absolute IRIs")
        # What lies inside the IRI can never be a working SERVICE (no space, no brace): only what a
        # string or a comment opened inside it leaves behind counts.
        after = [t for t in fork.tokens if t.offset >= iri.offset + len(iri.text)]
        forked.extend(after)
        pending.extend(t for t in after if t.kind == "iri" and _may_be_refused(t))
    return main, forked


@dataclass(frozen=True)
class _Decoded:
    """A text with its `\\u` escapes decoded, and where each escape was in the text given."""

    text: str
    escapes: list[int]  # the decoded offset of each escape's character, in order
    shifts: list[int]  # how much longer the given text is than the decoded one, up to and with each escape

    def original(self, offset: int) -> int:
        """The offset in the given text of the decoded text's character at `offset`."""
        before = bisect_left(self.escapes, offset)
        return offset + (self.shifts[before - 1] if before else 0)


def _decode_codepoints(text: str) -> _Decoded:
    """SPARQL decodes `\\uXXXX` and `\\UXXXXXXXX` in the whole query before reading it."""
    pieces: list[str] = []
    escapes: list[int] = []
    shifts: list[int] = []
    position = decoded = shift = 0
    for match in _UCHAR.finditer(text):
        pieces.append(text[position:match.start()])
        decoded += match.start() - position
        code = int(match.group()[2:], 16)
        pieces.append(chr(code) if code <= 0x10FFFF else "\ufffe")  # beyond Unicode: no terminal takes it
        escapes.append(decoded)
        shift += len(match.group()) - 1
        shifts.append(shift)
        decoded += 1
        position = match.end()
    pieces.append(text[position:])
    return _Decoded("".join(pieces), escapes, shifts)


def tokenize(query: str) -> Iterator[Token]:
    """The tokens of the query as Oxigraph reads it (no whitespace, no comments), offsets into `query`.
    Raises QueryUnreadable where no SPARQL token fits."""
    reading = _scan(_Source(query, True), 0, set(), fork=False)
    yield from reading.tokens
    if reading.error is not None:
        raise QueryUnreadable(_where(query, reading.error.offset) + reading.error.reason)


def _where(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}: "


# -- the decision ------------------------------------------------------------------------------------------

def check_query(query: str) -> None:
    """Raises QueryRefused for any SERVICE and LOAD, or for a query the guard cannot read."""
    readings: list[tuple[str, _Decoded | None, bool]] = [(query, None, True)]
    if "\\u" in query or "\\U" in query:
        decoded = _decode_codepoints(query)
        readings.append((decoded.text, decoded, False))
    unreadable: QueryUnreadable | None = None
    for text, where, uchar in readings:
        try:
            main, forked = _readings(text, uchar)
        except _Unreadable as error:
            raise QueryRefused(_where(query, _original(where, error.offset)) + error.reason) from None
        tokens = [*main.tokens, *forked]
        prefixes = _declared_prefixes(tokens)
        for token in tokens:
            reason = _refusal(token, prefixes)
            if reason is not None:
                raise QueryRefused(_where(query, _original(where, token.offset)) + reason)
        if main.error is not None and unreadable is None:
            decoded_note = "" if uchar else "with its \\u escapes decoded first, as SPARQL reads them, "
            unreadable = QueryUnreadable(
                f"{_where(query, _original(where, main.error.offset))}{decoded_note}{main.error.reason}; "
                "the query cannot be read, so it is refused")
    if unreadable is not None:
        raise unreadable


def _original(where: _Decoded | None, offset: int) -> int:
    return offset if where is None else where.original(offset)


_SERVICE_REFUSED = ("SERVICE is refused: this hub never fetches anything on a query's behalf (its query "
                    "workers have no network)")


def _refusal(token: Token, prefixes: dict[str, list[str]]) -> str | None:
    """Why this token makes the query refused, or None."""
    upper = token.text.upper()
    if token.kind == "word":
        if "SERVICE" in upper:
            return f"{_SERVICE_REFUSED}; query the other endpoint yourself"
        if "LOAD" in upper:
            return "LOAD is refused: the hub's data changes only through harvests"
        if "DEFINE" in upper:
            # Virtuoso's pragmas (`DEFINE input:grab-all "yes"`, `DEFINE get:soft`) make it fetch the web
            # itself; no SPARQL engine reads the word otherwise (docs/stores.md).
            return ("DEFINE is refused: engine pragmas (Virtuoso's `DEFINE input:…`, `get:…`) may make the store "
                    "fetch the web, and this hub never fetches anything on a query's behalf")
    elif token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if "SERVICE" in prefix.upper() or "SERVICE" in local.upper() and _keyword_reachable(
                local, "SERVICE", from_start=not _expands_to_valid_iri(local, prefixes.get(prefix, []))):
            return (f"the prefixed name {token.text} holds SERVICE where the query engine may read the keyword. "
                    f"{_SERVICE_REFUSED}: write that IRI in full, as <…>")
    elif token.kind in ("bnode", "langtag") and "SERVICE" in upper:
        name = token.text[2:] if token.kind == "bnode" else token.text[1:]
        if _keyword_reachable(name, "SERVICE", from_start=True):
            what = "blank node label" if token.kind == "bnode" else "language tag"
            return f"the {what} {token.text} holds SERVICE, which the query engine may read as the keyword. " \
                   f"{_SERVICE_REFUSED}"
    return None


def _keyword_reachable(name: str, keyword: str, from_start: bool) -> bool:
    """Whether Oxigraph could start reading `keyword` inside a name: at its start (if `from_start`), after
    any character but a letter or `_` (a dot, a colon, an escape, the last digit of a number), or after
    other keywords read back to back (`trueSERVICE`)."""
    upper = name.upper()
    if keyword not in upper:
        return False
    starts = [0] if from_start else []
    starts += [k + 1 for k, ch in enumerate(upper) if not ("A" <= ch <= "Z" or ch == "_")]
    seen: set[int] = set()
    while starts:
        position = starts.pop()
        if position in seen:
            continue
        seen.add(position)
        if upper.startswith(keyword, position):
            return True
        for length in range(1, min(_LONGEST_KEYWORD, len(upper) - position) + 1):
            if upper[position:position + length] in KEYWORDS:
                starts.append(position + length)
    return False


def _declared_prefixes(tokens: list[Token]) -> dict[str, list[str]]:
    """Every IRI each prefix is declared with (`PREFIX p: <iri>`), escapes decoded; "" when not an IRI."""
    declared: dict[str, list[str]] = {}
    for index, token in enumerate(tokens[:-2]):
        if token.kind == "word" and token.text.upper() == "PREFIX" and tokens[index + 1].kind == "pname":
            iri = tokens[index + 2]
            namespace = _decode_codepoints(iri.text[1:-1]).text if iri.kind == "iri" else ""
            declared.setdefault(tokens[index + 1].text[:-1], []).append(namespace)
    return declared


_PLAIN_LOCAL = re.compile("[A-Za-z0-9_\\-\u00b7\u00c0-\ufffd]+")


def _expands_to_valid_iri(local: str, namespaces: list[str]) -> bool:
    """Whether Oxigraph surely reads `prefix:local` whole: a plain local name (no dot, colon or escape,
    which its parser may cut at) and every declaration of the prefix an absolute IRI that the name
    extends into a valid one. Otherwise Oxigraph may fall back to the bare `prefix:`, and read the
    local name as more query."""
    if not namespaces or not _PLAIN_LOCAL.fullmatch(local):
        return False
    try:
        for namespace in namespaces:
            NamedNode(namespace)
            NamedNode(namespace + local)
    except ValueError:
        return False
    return True


def names_own_dataset(query: str) -> bool:
    """Whether the query has a dataset clause (FROM or FROM NAMED), read as the engine reads it."""
    try:
        return any(t.kind == "word" and t.text.upper().startswith("FROM") for t in tokenize(query))
    except QueryUnreadable:
        return False
