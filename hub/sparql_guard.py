"""Refuse queries that would make the hub fetch on a stranger's behalf.

pyoxigraph executes `SERVICE` calls itself, to any address, and has no switch to stop it, so the
endpoint looks at the query before pyoxigraph does. This is a SPARQL tokenizer, not a regex over the
text: comments, string literals and IRIs are consumed as whole tokens, so the word SERVICE inside
them is never mistaken for the keyword, and a SERVICE hidden behind odd spacing or case is still seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class QueryRefused(Exception):
    """A query the hub will not run; the message says why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "iri", "string", "var", "word", "punct"
    text: str
    offset: int


_LONG_QUOTES = ('"""', "'''")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(query: str) -> str:
    """SPARQL processes \\uXXXX and \\UXXXXXXXX escapes before parsing: so must the guard."""
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)


def tokenize(query: str) -> Iterator[Token]:
    query = unescape_codepoints(query)
    i = 0
    n = len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c == "#":
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
        elif c == "<" and _looks_like_iri(query, i):
            end = query.find(">", i + 1)
            yield Token("iri", query[i + 1:end], i)
            i = end + 1
        elif query.startswith(_LONG_QUOTES, i):
            quote = query[i:i + 3]
            j = i + 3
            while j < n and not query.startswith(quote, j):
                j += 2 if query[j] == "\\" else 1
            yield Token("string", query[i:j + 3], i)
            i = j + 3
        elif c in "\"'":
            j = i + 1
            while j < n and query[j] != c and query[j] != "\n":
                j += 2 if query[j] == "\\" else 1
            yield Token("string", query[i:j + 1], i)
            i = j + 1
        elif c in "?$":
            j = i + 1
            while j < n and (query[j].isalnum() or query[j] in "_\u00b7"):
                j += 1
            yield Token("var", query[i:j], i)
            i = j
        elif c.isalnum() or c in "_:":
            j = i
            while j < n and (query[j].isalnum() or query[j] in "_-.:%\\"):
                j += 1
            # A prefixed name may not end with a dot: that dot ends the triple.
            while j > i + 1 and query[j - 1] == ".":
                j -= 1
            yield Token("word", query[i:j], i)
            i = j
        else:
            yield Token("punct", c, i)
            i += 1


def _looks_like_iri(query: str, i: int) -> bool:
    """`<` opens an IRI unless it is the less-than operator (IRIs hold no spaces or quotes)."""
    end = query.find(">", i + 1)
    if end < 0:
        return False
    body = query[i + 1:end]
    return not any(ch.isspace() or ch in "\"{}|^`\\<" for ch in body)


@dataclass(frozen=True)
class ServiceCall:
    target: str  # the IRI, the prefixed name, or the variable
    kind: str  # "iri", "prefixed", "var"
    offset: int


def service_calls(query: str) -> list[ServiceCall]:
    tokens = list(tokenize(query))
    prefixes = _prefixes(tokens)
    calls = []
    for index, token in enumerate(tokens):
        if token.kind != "word" or token.text.upper() != "SERVICE":
            continue
        following = tokens[index + 1:index + 3]
        if following and following[0].kind == "word" and following[0].text.upper() == "SILENT":
            following = following[1:]
        target = following[0] if following else None
        if target is None:
            calls.append(ServiceCall("", "missing", token.offset))
        elif target.kind == "iri":
            calls.append(ServiceCall(target.text, "iri", token.offset))
        elif target.kind == "var":
            calls.append(ServiceCall(target.text, "var", token.offset))
        elif target.kind == "word" and ":" in target.text:
            prefix, local = target.text.split(":", 1)
            expanded = prefixes.get(prefix)
            calls.append(ServiceCall(expanded + local if expanded is not None else target.text, "iri"
                                     if expanded is not None else "prefixed", token.offset))
        else:
            calls.append(ServiceCall(target.text, "unknown", token.offset))
    return calls


def _prefixes(tokens: list[Token]) -> dict[str, str]:
    prefixes: dict[str, str] = {}
    for index, token in enumerate(tokens[:-2]):
        if token.kind == "word" and token.text.upper() == "PREFIX":
            name, iri = tokens[index + 1], tokens[index + 2]
            if name.kind == "word" and name.text.endswith(":") and iri.kind == "iri":
                prefixes[name.text[:-1]] = iri.text
    return prefixes


def check_query(query: str, service_allow: Iterable[str] = ()) -> None:
    """Raises QueryRefused for a SERVICE whose target is not a constant IRI on the allow-list, and LOAD."""
    allowed = set(service_allow)
    for call in service_calls(query):
        if call.kind == "var":
            raise QueryRefused(f"SERVICE with a variable target ({call.target}) is not allowed")
        if call.kind != "iri" or call.target not in allowed:
            shown = f"<{call.target}>" if call.kind == "iri" else call.target or "(none)"
            raise QueryRefused(f"SERVICE {shown} is not allowed: this hub does not fetch on a query's behalf")
    for token in tokenize(query):
        if token.kind == "word" and token.text.upper() == "LOAD":
            raise QueryRefused("LOAD is not allowed: the hub's data changes only through harvests")
