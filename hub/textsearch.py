"""Text as the gateway's `q=` compares it: accents and case ignored, so "Écluse", "ecluse" and "ÉCLUSE"
match, in French and Dutch alike ("Brussel", "café", "coöperatie")."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without diacritics: NFKD splits "é" into "e" + a combining accent, which is dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def matches(query_words: list[str], folded_text: str) -> bool:
    """Every word of the query occurs in the text (as a word or the start of one: "jardin" finds "jardins")."""
    return all(re.search(rf"(?<!\w){re.escape(word)}", folded_text) for word in query_words)
