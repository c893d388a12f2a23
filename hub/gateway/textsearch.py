"""Text as the gateway's `q=` compares it: accents and case ignored, so "Écluse", "ecluse" and "ÉCLUSE"
match, in French and Dutch alike ("Brussel", "café", "coöperatie")."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
# Combining marks (diacritics) of the Latin, Greek and Cyrillic blocks and their supplements.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case without diacritics: NFKD splits "é" into "e" + a combining accent, which is dropped."""
    if text.isascii():
        return text.lower()  # the common case, and 100k items are folded per generation
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def matches(query_words: list[str], folded_text: str) -> bool:
    """Every word of the query occurs in the text (as a word or the start of one: "jardin" finds "jardins")."""
    return all(re.search(rf"(?<!\w){re.escape(word)}", folded_text) for word in query_words)
