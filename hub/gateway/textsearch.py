"""Text as the gateway's `q=` compares and finds it: accents and case ignored, any part of a word.

"Écluse", "ecluse" and "ÉCLUSE" match, and a word is found inside longer ones, as Dutch compounds need
("kruidenier" finds "Boerenkruidenier", "tuin" finds "Gemeenschapstuin"). `TextIndex` is a trigram index of one
generation's items (SQLite FTS5 with its trigram tokenizer, in Python's sqlite3 since SQLite 3.34), kept in a
private temporary database file that SQLite deletes when it is closed: its pages live on disk, only a bounded
page cache in memory, whatever the size of the generation.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)
# Combining marks (diacritics) of the Latin, Greek and Cyrillic blocks and their supplements.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
TRIGRAM = 3  # words shorter than this have no trigram: they are checked on the candidates' text instead
CACHE_KIB = 8 * 1024  # SQLite's page cache per index (a generation's index is on disk, this is what stays in memory)
# bm25 weights of the two columns: a word in the name counts ten times one in the description or address.
NAME_WEIGHT, OTHER_WEIGHT = 10.0, 1.0
# Beyond this many matches, bm25 (about 10 µs a row) gives way to a cheaper rank: in the name first, then the rest
# (a word found in most of 100k items took 1.3 s with bm25, 0.5 s so).
BM25_MATCHES = 20_000


def fold(text: str) -> str:
    """Lower case without diacritics: NFKD splits "é" into "e" + a combining accent, which is dropped."""
    if text.isascii():
        return text.lower()  # the common case, and 100k items are folded per generation
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def matches(query_words: list[str], folded_text: str) -> bool:
    """Every word of the query occurs in the text, anywhere ("tuin" finds "gemeenschapstuin")."""
    return all(word in folded_text for word in query_words)


class TextIndex:
    """Every item's folded name and other text (descriptions, keywords, address), found by substring and ranked.

    Positions are the caller's (the collection index's item positions). Built once per generation; reads are
    serialised by a lock (one connection, used from the server's threads).
    """

    def __init__(self, documents: Iterable[tuple[int, str, str]]) -> None:
        # "" is SQLite's private temporary database: a file that is deleted when the connection closes.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("CREATE VIRTUAL TABLE text USING fts5(name, other, tokenize = 'trigram', detail = 'full')")
        with self._db:
            self._db.executemany("INSERT INTO text(rowid, name, other) VALUES (?, ?, ?)",
                                 ((p, fold(name), fold(other)) for p, name, other in documents))

    def search(self, query_words: list[str], texts: list[str]) -> dict[int, float]:
        """Positions whose text holds every word, with a relevance (higher first). `texts` are the items' folded
        texts by position, for words too short for a trigram."""
        long_words = [w for w in query_words if len(w) >= TRIGRAM]
        short_words = [w for w in query_words if len(w) < TRIGRAM]
        found: dict[int, float] = {}
        if long_words:
            # Each word a phrase of its trigrams: a substring of the column's text (words are \w+: no quote inside).
            expression = " AND ".join(f'"{word}"' for word in long_words)
            with self._lock:
                matched = [row[0] for row in self._db.execute("SELECT rowid FROM text WHERE text MATCH ?",
                                                              (expression,))]
                if len(matched) <= BM25_MATCHES:
                    rows = self._db.execute(
                        f"SELECT rowid, bm25(text, {NAME_WEIGHT}, {OTHER_WEIGHT}) FROM text WHERE text MATCH ?",
                        (expression,)).fetchall()
                    # FTS5's bm25 is negative, more negative the better.
                    found = {position: -score for position, score in rows}
                else:
                    in_name = {row[0] for row in self._db.execute("SELECT rowid FROM text WHERE text MATCH ?",
                                                                  (f"{{name}}: ({expression})",))}
                    found = {position: 2.0 if position in in_name else 1.0 for position in matched}
            if short_words:
                found = {p: s for p, s in found.items() if matches(short_words, texts[p])}
        else:
            found = {p: 1.0 for p, text in enumerate(texts) if matches(short_words, text)}
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()
