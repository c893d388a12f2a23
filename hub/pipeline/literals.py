"""Literals in the form the store serves them: the hub's own normaliser (DESIGN.md, "Known traps").

Oxigraph keeps typed literals by value: `"4.3460"^^xsd:decimal` is stored, and served, as `"4.346"`,
`"01"^^xsd:int` as `"1"^^xsd:integer`, `"1"^^xsd:boolean` as `"true"`. A record's hash is that of its
statements as they are served (an auditor recomputes it from the dump), so the split writes every literal
in that form before it hashes anything: what is hashed is what is stored is what is served, whichever store
serves it. `normal_rest` and `normal_literal` give that form for one N-Triples statement or literal token.

The rules are XSD 1.1's canonical mappings as Oxigraph applies them (its `oxsdatatypes`):

- `xsd:integer` and its 13 derived types (`int`, `long`, `byte`, `nonNegativeInteger`…) that hold a 64-bit
  integer become `xsd:integer` in decimal without sign or leading zeros (`"+01"` -> `"1"`), even out of the
  derived type's range (`"300"^^xsd:byte` -> `"300"^^xsd:integer`);
- `xsd:decimal` within 18 fractional digits and an i128 of 10^-18ths: no `+`, no leading or trailing zeros,
  no `.` for whole numbers (`"+.50"` -> `"0.5"`, `"1."` -> `"1"`, `"-0.0"` -> `"0"`);
- `xsd:double` and `xsd:float` (as IEEE binary64 and binary32): the shortest digits that read back to the
  same value, written without exponent (`"1.0E0"` -> `"1"`, `"1e3"` -> `"1000"`), `INF`, `-INF`, `NaN`;
  `-0` keeps its sign;
- `xsd:boolean`: `"1"` -> `"true"`, `"0"` -> `"false"`;
- `xsd:dateTime` (and `dateTimeStamp`, which becomes `dateTime`), `date`, `time`, `gYearMonth`, `gYear`,
  `gMonthDay`, `gDay`, `gMonth`: fractional seconds without trailing zeros, `+00:00`/`-00:00` as `Z`,
  `24:00:00` as `00:00:00` of the next day;
- `xsd:duration`, `yearMonthDuration`, `dayTimeDuration`: months carried into years, seconds into minutes,
  hours and days (`"PT36H"` -> `"P1DT12H"`), zero as `PT0S` (`P0M` for a yearMonthDuration);
- `xsd:string` becomes a simple literal; language tags are lower-cased.

A lexical form that does not parse as its datatype (`"abc"^^xsd:integer`, `" 1 "`, `"02020"^^xsd:gYear`)
is kept exactly as it is, datatype included, as Oxigraph keeps it. tests/test_literals.py holds the rules to
what a real pyoxigraph `Store` serves, over generated lists of spellings.
"""

from __future__ import annotations

import re
from decimal import Decimal as _PyDecimal
from fractions import Fraction

from hub.core.ntriples import split_line

XSD = "http://www.w3.org/2001/XMLSchema#"
MARK = f'"^^<{XSD}'  # what every XSD-typed literal in a line holds
_I64 = (-(1 << 63), (1 << 63) - 1)
_I128 = (-(1 << 127), (1 << 127) - 1)
_SCALE = 10**18  # Oxigraph's decimals are i128 counts of 10^-18ths

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
# Rust's f64/f32 `from_str`: digits with an optional fraction and exponent, or inf, infinity, nan in any case.
_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")
_DURATION = re.compile(r"(-?)P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?"
                       r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]*(?:\.[0-9]*)?)S)?)?")

_INTEGER_TYPES = frozenset(XSD + name for name in (
    "integer", "byte", "short", "int", "long", "unsignedByte", "unsignedShort", "unsignedInt", "unsignedLong",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "nonNegativeInteger"))


# -- numbers ----------------------------------------------------------------------------------------------


def _too_many_digits(text: str, most: int) -> bool:
    """More significant digits than `most`: beyond the bound without building the number (Python refuses
    to read an int of thousands of digits, and a feed may write one)."""
    return len(text.lstrip("+-").lstrip("0")) > most


def _int(text: str) -> int:
    """An int of digits (and a sign) whose significant digits `_too_many_digits` bounded."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    return -int(digits) if text.startswith("-") else int(digits)


_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,17}")  # canonical, and surely within an i64
_CANONICAL_DECIMAL = re.compile(r"0|-?(?:0|[1-9][0-9]{0,19})\.[0-9]{0,17}[1-9]|-?[1-9][0-9]{0,19}")


def integer(text: str) -> str | None:
    """An i64 as Oxigraph writes it, or None."""
    if _CANONICAL_INTEGER.fullmatch(text):
        return text
    if not _INTEGER.fullmatch(text) or _too_many_digits(text, 19):
        return None
    value = _int(text)
    return str(value) if _I64[0] <= value <= _I64[1] else None


def _decimal_value(text: str) -> int | None:
    """The decimal as an i128 count of 10^-18ths, or None (Oxigraph's lexical rules and bounds)."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    if not whole and not fraction:  # "", "+", ".", "-."
        return None
    fraction = (fraction or "").rstrip("0")
    if len(fraction) > 18 or _too_many_digits(whole + fraction, 39):  # beyond an i128 either way
        return None
    value = _int((whole or "0") + fraction) * 10 ** (18 - len(fraction))
    value = -value if sign == "-" else value
    return value if _I128[0] <= value <= _I128[1] else None


def _decimal_text(value: int) -> str:
    whole, fraction = divmod(abs(value), _SCALE)
    text = str(whole)
    if fraction:
        text += "." + f"{fraction:018d}".rstrip("0")
    return "-" + text if value < 0 else text


def decimal(text: str) -> str | None:
    if _CANONICAL_DECIMAL.fullmatch(text):  # the usual case, without building the number
        return text
    value = _decimal_value(text)
    return None if value is None else _decimal_text(value)


def _positional(digits_and_exponent: str) -> str:
    """A number written with an exponent (Python's repr) written without one, as Rust writes floats."""
    text = format(_PyDecimal(digits_and_exponent), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def double(text: str) -> str | None:
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "INF" if value > 0 else "-INF"
    shortest = repr(value)  # the shortest digits that read back to the same binary64, the nearer of two
    if value and _PyDecimal(shortest) != _PyDecimal(value):
        shortest = _away_from_zero_on_tie(shortest, value)
    return _positional(shortest)


def _away_from_zero_on_tie(shortest: str, value: float) -> str:
    """Python writes the even one of two shortest forms equally near the value; Rust the one farther from
    zero. Only a value exactly halfway between them has two."""
    digits = _PyDecimal(shortest)
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number's
    step = _PyDecimal((0, (1,), exponent))
    other = digits + step if digits > 0 else digits - step  # exact: as many digits as `shortest`, at most
    exact = Fraction(value)
    if abs(Fraction(other) - exact) == abs(exact - Fraction(digits)) and float(other) == value:
        return str(other)
    return shortest


def float32(text: str) -> str | None:
    if not _FLOAT.fullmatch(text):
        return None
    lowered = text.lower().lstrip("+-")
    negative = text.startswith("-")
    if lowered.startswith("nan"):
        return "NaN"
    if lowered.startswith("inf"):
        return "-INF" if negative else "INF"
    approximately = abs(float(text))
    if approximately == float("inf"):  # beyond binary64, so beyond binary32: no exact arithmetic on 10^huge
        return "-INF" if negative else "INF"
    if approximately == 0:  # below binary64's smallest, so below binary32's
        return "-0" if negative else "0"
    exact = Fraction(_PyDecimal(text.lstrip("+-")))
    value = _round_to_binary32(exact)
    if value is None:
        return "-INF" if negative else "INF"
    if value == 0:
        return "-0" if negative else "0"
    shortest = _shortest_binary32(value)
    return "-" + shortest if negative else shortest


# IEEE binary32: 24 bits of significand, exponents -126..127, subnormals down to 2^-149.
_F32_BITS, _F32_MIN_EXP, _F32_MAX_EXP = 24, -126, 127


def _round_to_binary32(value: Fraction) -> Fraction | None:
    """The binary32 nearest to a non-negative exact value (ties to even), or None past the largest."""
    if value == 0:
        return Fraction(0)
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if Fraction(2) ** exponent > value:
        exponent -= 1
    exponent = max(exponent, _F32_MIN_EXP)
    ulp = Fraction(2) ** (exponent - _F32_BITS + 1)
    steps = value / ulp
    whole = steps.numerator // steps.denominator
    rest = steps - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    rounded = whole * ulp
    largest = (2 - Fraction(2) ** (1 - _F32_BITS)) * Fraction(2) ** _F32_MAX_EXP
    return None if rounded > largest else rounded


def _shortest_binary32(value: Fraction) -> str:
    """The fewest significant digits that read back (rounded to binary32) as `value`; of two such, the
    nearer to it: what Rust's `Display` for f32 writes, without exponent."""
    for digits in range(1, 10):
        exponent = _decimal_exponent(value) - digits + 1
        unit = Fraction(10) ** exponent
        low = (value / unit).__floor__()
        found = []
        for count in (low, low + 1):
            candidate = count * unit
            if candidate > 0 and _round_to_binary32(candidate) == value:
                found.append((abs(candidate - value), count))
        if found:
            # The nearer of two; equally near, the one farther from zero (as Rust writes them).
            _, count = min(found, key=lambda pair: (pair[0], -pair[1]))
            return _positional(f"{count}e{exponent}")
    return _positional(repr(float(value)))  # not reached: nine digits always read back


def _decimal_exponent(value: Fraction) -> int:
    """The power of ten of the first significant digit of a positive value."""
    exponent = len(str(value.numerator)) - len(str(value.denominator))
    while Fraction(10) ** exponent > value:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= value:
        exponent += 1
    return exponent


def boolean(text: str) -> str | None:
    return {"true": "true", "1": "true", "false": "false", "0": "false"}.get(text)


# -- dates and times --------------------------------------------------------------------------------------


def _days_in_month(year: int | None, month: int) -> int:
    if month == 2:
        if year is None:
            return 28
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


class _Cursor:
    """Reads a date or time lexical form left to right, as Oxigraph's parser does; `fail` ends the read."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def fail(self) -> None:
        raise ValueError(self.text)

    def char(self, wanted: str) -> None:
        if not self.text.startswith(wanted, self.at):
            self.fail()
        self.at += len(wanted)

    def digits(self) -> str:
        start = self.at
        while self.at < len(self.text) and "0" <= self.text[self.at] <= "9":
            self.at += 1
        return self.text[start:self.at]

    def two(self, low: int, high: int) -> int:
        found = self.digits()
        if len(found) != 2 or not low <= int(found) <= high:
            self.fail()
        return int(found)

    def year(self) -> int:
        negative = self.text.startswith("-", self.at)
        if negative:
            self.at += 1
        found = self.digits()
        if len(found) < 4 or (len(found) > 4 and found[0] == "0") or _too_many_digits(found, 19) \
                or _int(found) > _I64[1]:
            self.fail()
        return -_int(found) if negative else _int(found)

    def seconds(self) -> int:
        """Seconds as 10^-18ths."""
        start = self.at
        self.digits()
        if self.text.startswith(".", self.at):
            self.at += 1
            self.digits()
        found = self.text[start:self.at]
        if len(found.split(".")[0]) != 2 or found.endswith("."):
            self.fail()
        value = _decimal_value(found)
        if value is None or value >= 60 * _SCALE:
            self.fail()
        return value  # type: ignore[return-value]

    def time(self) -> tuple[int, int, int]:
        hour = self.two(0, 24)
        self.char(":")
        minute = self.two(0, 59)
        self.char(":")
        second = self.seconds()
        if hour == 24 and (minute or second):
            self.fail()
        return hour, minute, second

    def timezone(self) -> int | None:
        """The offset in minutes, or None when the form ends here."""
        if self.at == len(self.text):
            return None
        if self.text.startswith("Z", self.at):
            self.at += 1
            return 0
        sign = 1
        if self.text[self.at] in "+-":
            sign = -1 if self.text[self.at] == "-" else 1
            self.at += 1
        hours = self.digits()
        if len(hours) != 2:
            self.fail()
        self.char(":")
        minutes = self.two(0, 59)
        if int(hours) > 13 and not (int(hours) == 14 and minutes == 0):
            self.fail()
        return sign * (int(hours) * 60 + minutes)

    def end(self) -> None:
        if self.at != len(self.text):
            self.fail()


def _timezone_text(offset: int | None) -> str:
    if offset is None:
        return ""
    if offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    return f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _year_text(year: int) -> str:
    return ("-" if year < 0 else "") + f"{abs(year):04d}"


def _seconds_text(value: int) -> str:
    text = _decimal_text(value)
    return "0" + text if value < 10 * _SCALE else text


def _on_timeline(year: int | None, month: int | None, day: int | None, hour: int, minute: int,
                 offset: int | None) -> bool:
    """Whether Oxigraph can place the value on its timeline (seconds in an i128 of 10^-18ths), as its
    `timeOnTimeline` does: beyond, its parser refuses the value and the literal is kept as written."""
    yr = 1971 if year is None else year - 1
    mo = 12 if month is None else month
    da = _days_in_month(yr + 1, mo) - 1 if day is None else day - 1
    seconds = (31_536_000 * yr + 86400 * (yr // 400 - yr // 100 + yr // 4)
               + 86400 * sum(_days_in_month(yr + 1, m) for m in range(1, mo)) + 86400 * da + 3600 * hour
               + 60 * (minute - (offset or 0)))
    return _I128[0] <= seconds * _SCALE <= _I128[1]


def _next_day(year: int, month: int, day: int) -> tuple[int, int, int]:
    if day < _days_in_month(year, month):
        return year, month, day + 1
    if month < 12:
        return year, month + 1, 1
    return year + 1, 1, 1


def date_time(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        year = cursor.year()
        cursor.char("-")
        month = cursor.two(1, 12)
        cursor.char("-")
        day = cursor.two(1, 31)
        cursor.char("T")
        hour, minute, second = cursor.time()
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    if day > _days_in_month(year, month) or not _on_timeline(year, month, day, hour, minute, offset):
        return None
    if hour == 24:
        year, month, day = _next_day(year, month, day)
        hour = 0
    return (f"{_year_text(year)}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{_seconds_text(second)}"
            f"{_timezone_text(offset)}")


def time(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        hour, minute, second = cursor.time()
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    return f"{hour % 24:02d}:{minute:02d}:{_seconds_text(second)}{_timezone_text(offset)}"


def date(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        year = cursor.year()
        cursor.char("-")
        month = cursor.two(1, 12)
        cursor.char("-")
        day = cursor.two(1, 31)
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    if day > _days_in_month(year, month) or not _on_timeline(year, month, day, 0, 0, offset):
        return None
    return f"{_year_text(year)}-{month:02d}-{day:02d}{_timezone_text(offset)}"


def g_year_month(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        year = cursor.year()
        cursor.char("-")
        month = cursor.two(1, 12)
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    if not _on_timeline(year, month, None, 0, 0, offset):
        return None
    return f"{_year_text(year)}-{month:02d}{_timezone_text(offset)}"


def g_year(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        year = cursor.year()
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    if not _on_timeline(year, None, None, 0, 0, offset):
        return None
    return f"{_year_text(year)}{_timezone_text(offset)}"


def g_month_day(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        cursor.char("--")
        month = cursor.two(1, 12)
        cursor.char("-")
        day = cursor.two(1, 31)
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    if day > _days_in_month(None, month):
        return None
    return f"--{month:02d}-{day:02d}{_timezone_text(offset)}"


def g_day(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        cursor.char("---")
        day = cursor.two(1, 31)
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    return f"---{day:02d}{_timezone_text(offset)}"


def g_month(text: str) -> str | None:
    try:
        cursor = _Cursor(text)
        cursor.char("--")
        month = cursor.two(1, 12)
        offset = cursor.timezone()
        cursor.end()
    except ValueError:
        return None
    return f"--{month:02d}{_timezone_text(offset)}"


# -- durations --------------------------------------------------------------------------------------------


def _duration_parts(text: str) -> tuple[int, int, bool, bool] | None:
    """(months, seconds in 10^-18ths, has a year or month part, has a day or time part), or None."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    sign, years, months, days, hours, minutes, seconds = match.groups()
    # A T with nothing after it is read as nothing (as Oxigraph reads it), but "PT" alone is no duration.
    if all(part is None for part in (years, months, days, hours, minutes, seconds)):
        return None  # "P" alone
    if any(part is not None and (_too_many_digits(part, 19) or _int(part) > _I64[1])
           for part in (years, months, days, hours, minutes)):
        return None
    total_months = 12 * _int(years or "0") + _int(months or "0")
    if seconds is not None:
        second_value = _decimal_value(seconds)
        if second_value is None:
            return None
    else:
        second_value = 0
    total_seconds = (86400 * _int(days or "0") + 3600 * _int(hours or "0") + 60 * _int(minutes or "0")) * _SCALE \
        + second_value
    if not (_I64[0] <= total_months <= _I64[1]) or not (_I128[0] <= total_seconds <= _I128[1]):
        return None
    if sign == "-":
        total_months, total_seconds = -total_months, -total_seconds
    return total_months, total_seconds, years is not None or months is not None, \
        any(part is not None for part in (days, hours, minutes, seconds))


def _duration_text(months: int, seconds: int) -> str:
    negative = months < 0 or seconds < 0
    months, seconds = abs(months), abs(seconds)
    text = "-P" if negative else "P"
    if months == 0 and seconds == 0:
        return "PT0S"
    years, rest = divmod(months, 12)
    if years:
        text += f"{years}Y" + (f"{rest}M" if rest else "")
    elif rest or seconds == 0:
        text += f"{rest}M"
    whole = seconds // _SCALE
    days, hours, minutes = whole // 86400, whole % 86400 // 3600, whole % 3600 // 60
    second = seconds - (days * 86400 + hours * 3600 + minutes * 60) * _SCALE
    if days:
        text += f"{days}D"
    if hours or minutes or second:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") \
            + (f"{_decimal_text(second)}S" if second else "")
    return text


def duration(text: str) -> str | None:
    parts = _duration_parts(text)
    return None if parts is None else _duration_text(parts[0], parts[1])


def year_month_duration(text: str) -> str | None:
    parts = _duration_parts(text)
    if parts is None or parts[3] or not parts[2]:
        return None
    return "P0M" if parts[0] == 0 else _duration_text(parts[0], 0)


def day_time_duration(text: str) -> str | None:
    parts = _duration_parts(text)
    if parts is None or parts[2] or not parts[3]:
        return None
    return _duration_text(0, parts[1])


# -- literals ---------------------------------------------------------------------------------------------


# Datatype -> (its canonical mapping, the datatype the canonical value is served with).
_CANONICAL = {
    **{datatype: (integer, XSD + "integer") for datatype in _INTEGER_TYPES},
    XSD + "decimal": (decimal, XSD + "decimal"),
    XSD + "double": (double, XSD + "double"),
    XSD + "float": (float32, XSD + "float"),
    XSD + "boolean": (boolean, XSD + "boolean"),
    XSD + "dateTime": (date_time, XSD + "dateTime"),
    XSD + "dateTimeStamp": (date_time, XSD + "dateTime"),
    XSD + "time": (time, XSD + "time"),
    XSD + "date": (date, XSD + "date"),
    XSD + "gYearMonth": (g_year_month, XSD + "gYearMonth"),
    XSD + "gYear": (g_year, XSD + "gYear"),
    XSD + "gMonthDay": (g_month_day, XSD + "gMonthDay"),
    XSD + "gDay": (g_day, XSD + "gDay"),
    XSD + "gMonth": (g_month, XSD + "gMonth"),
    XSD + "duration": (duration, XSD + "duration"),
    XSD + "yearMonthDuration": (year_month_duration, XSD + "yearMonthDuration"),
    XSD + "dayTimeDuration": (day_time_duration, XSD + "dayTimeDuration"),
}


def normal_value(value: str, datatype: str) -> tuple[str, str] | None:
    """(canonical lexical form, served datatype) of a typed value, or None when it stays as written."""
    if datatype == XSD + "string":
        return value, datatype
    entry = _CANONICAL.get(datatype)
    if entry is None:
        return None
    found = entry[0](value)
    return None if found is None else (found, entry[1])


def normal_literal(token: str) -> str:
    """An N-Triples literal token (`"v"`, `"v"@tag`, `"v"^^<dt>`) as the store serves it."""
    close = token.rindex('"')
    suffix = token[close + 1:]
    if suffix.startswith("@"):
        return token if suffix.islower() or not any("A" <= c <= "Z" for c in suffix) else \
            token[:close + 1] + suffix.lower()
    if not suffix.startswith(f"^^<{XSD}"):
        return token
    value = token[1:close]
    if "\\" in value:  # an escape: no lexical form of these datatypes holds one
        return token if suffix != f"^^<{XSD}string>" else token[:close + 1]
    found = normal_value(value, suffix[3:-1])
    if found is None:
        return token
    text, datatype = found
    return f'"{text}"' if datatype == XSD + "string" else f'"{text}"^^<{datatype}>'


def normal_rest(rest: str) -> str:
    """`P O .` (a statement without its subject, as the split keeps it) with its literal object as the
    store serves it. The split calls it on every statement with an XSD-typed literal (a 100k-record feed
    has hundreds of thousands): the usual, already canonical value costs a dictionary lookup and a match."""
    close = rest.rindex('"')
    if rest[close + 1:close + 4] != "^^<":
        return normal_literal_in(rest, close)
    datatype = rest[close + 4:-3]
    entry = _CANONICAL.get(datatype)
    if entry is None:
        return rest if datatype != XSD + "string" else normal_literal_in(rest, close)
    start = rest.index(" ") + 2
    value = rest[start:close]
    if "\\" in value:
        return rest
    found = entry[0](value)
    if found is None or (found == value and entry[1] == datatype):
        return rest
    return f'{rest[:start]}{found}"^^<{entry[1]}> .'


def normal_literal_in(rest: str, close: int) -> str:
    cut = rest.index(" ")
    token = rest[cut + 1:-2]
    normal = normal_literal(token)
    return rest if normal == token else f"{rest[:cut]} {normal} ."


def normal_line(line: str) -> str:
    """An N-Quads line (`S P O [G] .`) with its literal object as the store serves it."""
    if '"' not in line:
        return line
    subject, predicate, obj, graph = split_line(line)
    normal = normal_literal(obj)
    if normal == obj:
        return line
    return f"{subject} {predicate} {normal} {graph} ." if graph else f"{subject} {predicate} {normal} ."
