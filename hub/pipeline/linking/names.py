"""Names as the linker compares them: folded, legal forms and small words dropped, French and Dutch words and
place names mapped to one concept, so `L'Épicerie Vrac asbl` and `De Bulkkruidenier vzw` meet.

The words are data, never code (DESIGN.md, "A profile, not a city"): tab-separated name lists
(vocab/linking/README.md) named by the hub's profile. A name tagged with a language is read with that
language's spellings first, then any language's: a feed tags its names with its own language whatever they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

KINDS = ("word", "place", "legal", "stop")
ANY = "*"
# Concept tokens carry a mark no folded word has, so a concept never equals a plain word by accident.
WORD_MARK, PLACE_MARK = "~", "@"
_TOKEN = re.compile(r"[^\W_]+")
_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}")  # a.s.b.l. -> asbl, v.z.w. -> vzw
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")  # combining marks
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


class NameListError(ValueError):
    """A name list that cannot be read: its file, line and why."""


def fold(text: str) -> str:
    """Case and accents away: `Épicerie Œcuménique` -> `epicerie oecumenique`."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES)))


def words(text: str) -> list[str]:
    """The folded words of a text; dots inside an acronym do not cut it."""
    folded = _ACRONYM.sub(lambda match: match.group(0).replace(".", ""), fold(text))
    return _TOKEN.findall(folded)


@dataclass(frozen=True, slots=True)
class NameKey:
    """One name, ready to compare: its tokens (concepts and plain words), sorted and joined."""

    tokens: frozenset[str]
    text: str  # the tokens, sorted, joined by spaces: word order never counts
    places: frozenset[str]  # place concepts it names (`@ixelles`)
    numbers: frozenset[str]  # the numbers in it (`Initiative 12`)


class NameRules:
    """The name lists a profile names, read once."""

    def __init__(self, lists: Sequence[Path] = ()) -> None:
        self.sources = tuple(lists)
        self._stop: set[str] = set()
        # language -> phrase (tuple of folded words) -> concept token; ANY holds every language's
        self._phrases: dict[str, dict[tuple[str, ...], str]] = {ANY: {}}
        self._legal: set[tuple[str, ...]] = set()
        self._longest = 1
        self._starts: set[str] = set()  # the first words of phrases of two words or more
        for path in lists:
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise NameListError(f"{path}: the name list cannot be read ({type(error).__name__}); it must be a "
                                f"UTF-8 text file (vocab/linking/README.md)") from error
        header: list[str] | None = None
        entries: list[tuple[int, list[str]]] = []
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = [cell.strip() for cell in cells]
                if header[:2] != ["kind", "concept"] or len(header) < 3:
                    raise NameListError(f"{path}:{number}: the header must be `kind<TAB>concept<TAB>` and one "
                                        f"column per language (fr, nl…), not {line!r}")
                continue
            entries.append((number, cells))
        if header is None:
            raise NameListError(f"{path}: the name list is empty: it needs a header line (vocab/linking/README.md)")
        languages = header[2:]
        # Stop words first, whatever their line: the spellings of words are read without them.
        for _, cells in entries:
            if cells[0].strip() == "stop":
                for cell in cells[2:]:
                    self._stop |= {w for spelling in cell.split("|") for w in words(spelling)}
        for number, cells in entries:
            kind, concept = cells[0].strip(), cells[1].strip() if len(cells) > 1 else ""
            if kind not in KINDS:
                raise NameListError(f"{path}:{number}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
            if kind == "stop":
                continue
            if not concept:
                raise NameListError(f"{path}:{number}: a {kind} line needs a concept in its second column")
            for language, cell in zip(languages, cells[2:], strict=False):
                for spelling in cell.split("|"):
                    phrase = tuple(w for w in words(spelling) if kind == "legal" or w not in self._stop)
                    if not phrase:
                        continue
                    if kind == "legal":
                        self._legal.add(phrase)
                        continue
                    token = (PLACE_MARK if kind == "place" else WORD_MARK) + concept
                    self._phrases.setdefault(language, {}).setdefault(phrase, token)
                    self._phrases[ANY].setdefault(phrase, token)
                    self._longest = max(self._longest, len(phrase))
                    if len(phrase) > 1:
                        self._starts.add(phrase[0])

    def key(self, name: str, language: str | None = None) -> NameKey:
        """A name's key: legal forms dropped at either end, small words dropped, phrases of the lists (longest
        first) replaced by their concept, other words lightly stemmed (a final s or x)."""
        found = words(name)
        found = self._without_legal_forms(found)
        found = [w for w in found if w not in self._stop]
        tables = [self._phrases[ANY]]
        primary = (language or "").split("-")[0].lower()
        if primary in self._phrases:
            tables.insert(0, self._phrases[primary])
        tokens: list[str] = []
        position = 0
        while position < len(found):
            longest = min(self._longest, len(found) - position) if found[position] in self._starts else 1
            for length in range(longest, 0, -1):
                token = self._lookup(tuple(found[position:position + length]), tables)
                if token is not None:
                    tokens.append(token)
                    position += length
                    break
            else:
                tokens.append(_stem(found[position]))
                position += 1
        unique = frozenset(tokens)
        return NameKey(unique, " ".join(sorted(unique)), frozenset(t for t in unique if t[0] == PLACE_MARK),
                       frozenset(t.lstrip("0") or "0" for t in unique if t.isdigit()))

    def _lookup(self, phrase: tuple[str, ...], tables: list[dict[tuple[str, ...], str]]) -> str | None:
        for variant in _variants(phrase):
            for table in tables:
                token = table.get(variant)
                if token is not None:
                    return token
        return None

    def _without_legal_forms(self, found: list[str]) -> list[str]:
        changed = True
        while changed and found:
            changed = False
            for length in range(min(3, len(found)), 0, -1):
                if len(found) > length and tuple(found[-length:]) in self._legal:
                    found, changed = found[:-length], True
                    break
                if len(found) > length and tuple(found[:length]) in self._legal:
                    found, changed = found[length:], True
                    break
        return found

    def keys(self, names: Iterable[tuple[str, str | None]]) -> list[NameKey]:
        """The distinct keys of (name, language) pairs, without empty ones."""
        found: dict[str, NameKey] = {}
        for name, language in names:
            key = self.key(name, language)
            if key.tokens:
                found.setdefault(key.text, key)
        return list(found.values())


def _variants(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase, then its last word without a plural or inflection ending (jardins, gedeelde, tuinen)."""
    last = phrase[-1]
    found = [phrase]
    if len(last) > 3 and last[-1] in "sxe":
        found.append((*phrase[:-1], last[:-1]))
    if len(last) > 4 and last.endswith("en"):
        found.append((*phrase[:-1], last[:-2]))
    return found


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" and not word.isdigit() else word


@dataclass(frozen=True, slots=True)
class NameMatch:
    similarity: float  # 0..1
    first: NameKey
    second: NameKey
    places_differ: bool  # both name a place, and not the same one: a chain's branches
    numbers_differ: bool  # both hold numbers, and not the same ones


def best_match(first: Sequence[NameKey], second: Sequence[NameKey]) -> NameMatch | None:
    """The most similar pair of names (any language of one against any of the other)."""
    best: NameMatch | None = None
    for a in first:
        for b in second:
            match = _compare(a, b)
            if best is None or match.similarity > best.similarity:
                best = match
    return best


# A word of the name lists (a kind, a place) says what an alternative is or where, which many share; the other words
# (its own name: "Kalo", "Färm") say which one it is: they weigh more.
CONCEPT_WEIGHT = 0.4
FUZZY = 80.0  # two words of at least 4 letters this alike (rapidfuzz ratio) are one word misspelt


def _weight(token: str) -> float:
    return CONCEPT_WEIGHT if token[0] in (WORD_MARK, PLACE_MARK) else 1.0


def _compare(a: NameKey, b: NameKey) -> NameMatch:
    if a.text == b.text:
        return NameMatch(1.0, a, b, False, False)
    common = a.tokens & b.tokens
    matched = sum(_weight(token) for token in common)
    # The words left on each side may be one word misspelt: matched by likeness, best first, each once.
    rest_a = sorted(t for t in a.tokens - common if t[0] not in (WORD_MARK, PLACE_MARK) and len(t) >= 4)
    rest_b = sorted(t for t in b.tokens - common if t[0] not in (WORD_MARK, PLACE_MARK) and len(t) >= 4)
    if rest_a and rest_b:
        likeness = sorted(((fuzz.ratio(x, y), x, y) for x in rest_a for y in rest_b), reverse=True)
        used: set[str] = set()
        for ratio, x, y in likeness:
            if ratio < FUZZY:
                break
            if x not in used and y not in used:
                used |= {x, y}
                matched += ratio / 100
    weight_a = sum(_weight(token) for token in a.tokens)
    weight_b = sum(_weight(token) for token in b.tokens)
    dice = 2 * matched / (weight_a + weight_b)
    contained = matched / min(weight_a, weight_b)
    similarity = (dice + contained) / 2
    places_differ = bool(a.places and b.places and not a.places & b.places)
    numbers_differ = bool(a.numbers and b.numbers and a.numbers != b.numbers)
    if places_differ:
        similarity = min(similarity, 0.5)
    if numbers_differ:
        similarity = min(similarity, 0.3)
    return NameMatch(round(similarity, 3), a, b, places_differ, numbers_differ)
