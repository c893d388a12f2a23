"""What a column's values say: coverage, uniqueness, and what kind of values they are (numbers, web addresses,
images, e-mails, dates, timestamps, yes/no answers, list separators, coordinate pairs).

A kind is a share of the column's non-empty values, never all or nothing: one unparsable cell in a latitude
column leaves it a latitude column (that row's field fails at the harvest, and the self-check says so).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harvesters.mapping import date_kind
from harvesters.suggest.words import plain

# Answers to a yes/no question (a consent, a checkbox), by their first word.
YES = frozenset({"oui", "yes", "ja", "y", "o", "j", "true", "vrai", "waar", "1", "x", "ok", "akkoord", "daccord",
                 "accord", "accepte", "jaccepte", "agree", "agreed", "consent", "toestemming", "wahr", "si"})
NO = frozenset({"non", "no", "nee", "neen", "nein", "n", "false", "faux", "onwaar", "0", "refuse", "decline",
                "declined", "falsch"})
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|tiff?)(\?.*)?$", re.IGNORECASE)
_EMAIL = re.compile(r"^(mailto:)?[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
SEPARATORS = (";", "|")


@dataclass
class Column:
    name: str
    position: int
    count: int = 0  # rows with a value
    samples: list[str] = field(default_factory=list)
    values: Counter[str] = field(default_factory=Counter)
    texts: Counter[str] = field(default_factory=Counter)  # the values given as text (kinds are judged on those)
    rows: set[int] = field(default_factory=set)  # the rows (by index) with a value
    numbers: list[float] = field(default_factory=list)
    urls: int = 0
    images: int = 0
    emails: int = 0
    dates: int = 0  # a day (or a day and a time)
    times: int = 0  # of which with a time of day: a timestamp
    yes: int = 0
    no: int = 0
    separators: Counter[str] = field(default_factory=Counter)
    pairs: list[tuple[float, float]] = field(default_factory=list)
    longest: int = 0

    def add(self, row: int, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            return
        self.count += 1
        self.rows.add(row)
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value).strip()
        self.values[text] += 1
        if len(self.samples) < 3 and text[:60] not in self.samples:
            self.samples.append(text[:60])
        if isinstance(value, list):
            if len(value) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
                self.pairs.append((float(value[0]), float(value[1])))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.numbers.append(float(value))
        elif isinstance(value, str):
            self.texts[text] += 1

    def finish(self) -> None:
        """The kinds of the text values, judged once per distinct value and counted per row."""
        for text, count in self.texts.items():
            self.longest = max(self.longest, len(text))
            if _NUMBER.match(text):
                self.numbers += [float(text.replace(",", "."))] * count
            if _URL.match(text):
                self.urls += count
                self.images += count if _IMAGE.search(text) else 0
            if _EMAIL.match(text):
                self.emails += count
            if len(text) <= 30 and _DATE_LIKE.match(text):  # the parse is dear: only what starts like a date
                kind = date_kind(text)
                if kind in ("date", "dateTime"):
                    self.dates += count
                    self.times += count if kind == "dateTime" else 0
            answer = first_word(text)
            self.yes += count if answer in YES else 0
            self.no += count if answer in NO else 0
            for separator in SEPARATORS:
                if separator in text:
                    self.separators[separator] += count

    def share(self, count: int) -> float:
        """`count` as a share of the rows with a value."""
        return count / self.count if self.count else 0.0

    @property
    def unique_rows(self) -> int:
        """Rows whose value no other row has."""
        return sum(1 for count in self.values.values() if count == 1)

    @property
    def split(self) -> str | None:
        """The list separator most values use, when at least one in five does."""
        common = self.separators.most_common(1)
        return common[0][0] if common and common[0][1] * 5 >= self.count else None

    def in_range(self, low: float, high: float) -> float:
        """The share of the numbers between `low` and `high`."""
        return sum(1 for n in self.numbers if low <= n <= high) / len(self.numbers) if self.numbers else 0.0


def first_word(text: str) -> str:
    """The first word of an answer, accents and punctuation aside: "Oui, j'accepte" -> "oui"."""
    for word in re.split(r"[\s,;:.!/()-]+", text.strip()):
        if word:
            return plain(word)
    return ""


def read_columns(rows: list[dict[str, Any]]) -> dict[str, Column]:
    """Each field's statistics, in the order fields first appear."""
    columns: dict[str, Column] = {}
    for index, row in enumerate(rows):
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = Column(name, len(columns))
            column.add(index, value)
    for column in columns.values():
        column.finish()
    return columns
