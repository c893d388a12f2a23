"""Coded verdict messages: a code (`area.outside`) with parameters, rendered in French, Dutch and English.

Publishers and their tools key on the code and its parameters rather than on a sentence; the hub renders
the sentence from this one table. Only the profile's words (the area's name, its countries) go into the
sentence: what a record said (its country, its postal code) stays in the parameters, which only the
publisher sees (ValidationResult.private), so a public verdict shows what is wrong, never the values.
The sentences are gettext catalogs (hub/locale, docs/translating.md), the code being the msgid.

Consent warnings (`consent.*`) name places (the record, the property, a node label) and the rule that
applied, never a person's name or any other value: the person did not consent to be named. A run's
warnings are text, so `warning` writes the English sentence followed by its code in brackets; `read_line` finds the
code and its parameters again in such a line (the English sentence is its template filled in), so a stored run
is said in any language (`localize`).

A document that could not be fetched (`fetch.*`: an HTTP status, a timeout, a refused address, too many bytes…)
is a run error written the same way, after the document's address (`fetch_line`); its parameters are the
hub's limits and what the server answered, never a value of the data.

What a run's documents gave (`document.*`: a document that gave no record, and why) and records that collided
(`split.*`) are coded the same way. A `document.*` message becomes a run error, which the run's public
description shows: its parameters are the document's address, counts and the types the document used, never a
value of the data. A `split.*` warning may name the value the records shared (their url, their identifier): a
run's warnings are counted in public, their text is for the publisher and the admin only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from harvesters.formats import DocumentFetchError, LiftError
from hub import locale
from hub.locale import LANGUAGES

# The sentences are the `charter` gettext catalog (hub/locale/{fr,nl,en}/LC_MESSAGES/charter.po): a code is a msgid.
# Its `kind.*` and `where.*` entries are words of the sentences, not messages.
MESSAGES: dict[str, dict[str, str]] = {
    code: {lang: locale.text(lang, code, "charter") for lang in LANGUAGES}
    for code in locale.keys("charter") if not code.startswith(("kind.", "where."))}
# The kinds of record (hub/core/vocabulary.py, RECORD_KINDS) in words (`kind.<name>` in the catalog), for the
# messages that list them; a kind not named there (a later kind of record) is shown as its name.
KIND_WORDS: dict[str, dict[str, str]] = {
    code.removeprefix("kind."): {lang: locale.text(lang, code, "charter") for lang in LANGUAGES}
    for code in locale.keys("charter") if code.startswith("kind.")}


def kinds_in_words(kinds: list[str]) -> dict[str, str]:
    """The kinds of record as a list in each language, for a `{kinds}` parameter."""
    return {lang: ", ".join(KIND_WORDS.get(kind, {}).get(lang, kind) for kind in kinds) for lang in LANGUAGES}


def render(code: str, params: Mapping[str, object]) -> dict[str, str]:
    """The code's sentence in each language; a parameter may be one text or a text per language."""
    texts = MESSAGES[code]
    rendered = {}
    for lang in LANGUAGES:
        values = {key: value[lang] if isinstance(value, Mapping) else value for key, value in params.items()}
        rendered[lang] = texts[lang].format(**values)
    return rendered


def warning(code: str, **params: object) -> str:
    """A run warning: the English sentence and its code."""
    return f"{render(code, params)['en']} [{code}]"


@dataclass(frozen=True)
class Notice:
    """A coded message kept with its parameters, so that each reader gets it in their language: a run records
    `line()`, `mutualisons validate --lang nl` prints `text("nl")`."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.code, self.params)[lang if lang in LANGUAGES else "en"]

    def line(self) -> str:
        """What a run's errors and warnings hold: the English sentence and its code."""
        return f"{self.text('en')} [{self.code}]"
def lift_error(error: LiftError) -> str:
    """A document that could not be lifted, as a run's error says it: from this table when its format gave a
    code (the English sentence and the code in brackets), else as the format said it."""
    if error.code is None or error.code not in MESSAGES:
        return str(error)
    where = f" line {error.line}" + (f" column {error.column}" if error.column else "") if error.line else ""
    return f"{error.document}: {error.format_name}{where}: {warning(error.code, **error.params)}"


def fetch_line(url: str, reason: str, code: str | None = None, params: Mapping[str, object] | None = None) -> str:
    """A document that could not be fetched, as a run's error says it: its URL and, when the fetch gave a code of
    this table (`fetch.*`, hub/pipeline/fetch.py), the English sentence and the code in brackets; else the reason
    as the fetch said it."""
    if code is None or code not in MESSAGES:
        return f"{url}: {reason}"
    return f"{url}: {warning(code, **(params or {}))}"


def fetch_error(error: DocumentFetchError) -> str:
    """A fetch error (hub/pipeline/fetch.py's FetchError is one) as a run's error says it (`fetch_line`)."""
    return fetch_line(error.url, error.reason, error.code, error.params)


# ------------------------------------------------------------ reading a stored line again

_CODED_LINE = re.compile(r"^(?P<body>.*) \[(?P<code>[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+)\]$", re.S)
_FIELD = re.compile(r"\{(\w+)\}")
# Where in its document a line's message happened, in the English the formats write it ("feed.csv: csv line 3
# column 7: …", "feed.geojson: feature #2 (id=x): …"): each said again with the catalog's `where.*` words.
_PLACES = ((re.compile(r"\bline (?P<line>\d+) column (?P<column>\d+)\b"), "where.line-column"),
           (re.compile(r"\bline (?P<line>\d+)\b"), "where.line"),
           (re.compile(r"\bfeature #(?P<number>\d+)\b"), "where.feature"),
           (re.compile(r"\bVEVENT #(?P<number>\d+)\b"), "where.event"),
           (re.compile(r"\brecord #(?P<number>\d+)\b"), "where.record"),
           (re.compile(r"\brow (?P<number>\d+)\b"), "where.row"))


@functools.cache
def _template(code: str) -> re.Pattern[str]:
    """The English sentence of `code` as a pattern whose groups are its parameters, after any prefix (a lift
    error's document and format)."""
    parts, seen, last = ["^(?P<_prefix>.*?)"], set(), 0
    sentence = MESSAGES[code]["en"]
    for found in _FIELD.finditer(sentence):
        parts.append(re.escape(sentence[last:found.start()]))
        name = found.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = found.end()
    parts.append(re.escape(sentence[last:]) + "$")
    return re.compile("".join(parts), re.S)


def _kinds_back(said: str) -> object:
    """A `{kinds}` parameter read back from its English words: the words in every language again, when each part
    is a kind's English words; else the text as it was."""
    by_words = {words["en"]: kind for kind, words in KIND_WORDS.items()}
    alternatives = "|".join(re.escape(words) for words in sorted(by_words, key=len, reverse=True))
    if not re.fullmatch(f"(?:{alternatives})(?:, (?:{alternatives}))*", said):
        return said
    return kinds_in_words([by_words[words] for words in re.findall(alternatives, said)])


# The formats' row reasons that carry no code in a run's line (the formats write them in English, and runs
# stored them so): recognised by their English words at the end of the line (`row.*` in the catalog).
RECOGNISED = tuple(code for code in MESSAGES if code.startswith("row."))


def read_line(line: str) -> tuple[str, Notice] | None:
    """The prefix and the coded message of a stored run line ("… [document.empty]", or a row reason the catalog
    recognises by its English words), or None when the line has no code the hub knows, or its sentence is not the
    code's English one (then it stays as it is)."""
    coded = _CODED_LINE.match(line)
    if coded is None or coded.group("code") not in MESSAGES:
        return _recognised(line)
    code = coded.group("code")
    matched = _template(code).match(coded.group("body"))
    if matched is None:
        return None
    params: dict[str, object] = {name: value for name, value in matched.groupdict().items() if name != "_prefix"}
    if isinstance(params.get("kinds"), str):
        params["kinds"] = _kinds_back(str(params["kinds"]))
    return matched.group("_prefix"), Notice(code, params)


def _recognised(line: str) -> tuple[str, Notice] | None:
    """A row reason written without a code (`RECOGNISED`), after its place ("…: line 5: field 'x': … is not a
    number"); None for any other line."""
    for code in RECOGNISED:
        matched = _template(code).match(line)
        if matched is not None and (not matched.group("_prefix") or matched.group("_prefix").endswith(": ")):
            return matched.group("_prefix"), Notice(code, {name: value for name, value in matched.groupdict().items()
                                                          if name != "_prefix"})
    return None


def _place(lang: str, key: str, found: re.Match[str]) -> str:
    return locale.text(lang, key, "charter", **found.groupdict())


def localize(line: str, lang: str, words: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, object]:
    """A stored run line (error or warning) for a reader of `lang`: its text in that language, its code and
    parameters when it has them (`code` None: the line is said as it was stored). `words`: the hub's own words a
    parameter may hold in English (its area's name: "Belgium"), each with its words in every language."""
    read = read_line(line)
    if read is None:
        return {"text": line, "code": None, "params": None}
    prefix, notice = read
    if words:
        notice = Notice(notice.code, {key: words.get(value, value) if isinstance(value, str) else value
                                      for key, value in notice.params.items()})
    for pattern, key in _PLACES:
        prefix = pattern.sub(functools.partial(_place, lang, key), prefix)
    params = {key: value[lang] if isinstance(value, Mapping) else value for key, value in notice.params.items()}
    return {"text": f"{prefix}{notice.text(lang)}", "code": notice.code, "params": params}
