"""A library's error as a reason a person can read, or nothing when it is Python talking about itself.

Formats read documents with libraries (pyoxigraph, icalendar, dateutil, shapely, extruct, the csv module) whose
exceptions often say what is wrong with the document ("Invalid IRI code point ' '", "Expected weekday
abbreviation"), and sometimes only what went wrong inside the library ("'<' not supported between instances of
'datetime.datetime' and 'datetime.time'", "'NoneType' object has no attribute 'x'"). A message the hub writes for a
publisher takes the first kind as its reason and replaces the second with its own sentence: `reason` tells them
apart. The exception itself goes to the hub's log where the hub logs it, never to the person.
"""

from __future__ import annotations

import re

# Words of Python's own messages (and of tracebacks): a message holding one says nothing about the document.
PYTHON_WORDS = ("traceback", "error(", "nonetype", "not supported between instances", "object has no attribute",
                "errno", "<class", "object is not", "unexpected keyword", "positional argument",
                "values to unpack", "unhashable", "not subscriptable", "not iterable", "index out of range",
                "object of type", "takes no arguments", "must be str, not", "must be int, not", " at 0x")
# Exceptions that are the reading code's own failure whatever they say (a KeyError's text is the missing key).
_INTERNAL = (TypeError, AttributeError, LookupError, AssertionError, NameError, ZeroDivisionError, RecursionError,
             MemoryError, NotImplementedError)
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
MAX_CHARS = 200


def reason(error: BaseException) -> str | None:
    """The exception's message when it describes the document (one line, at most MAX_CHARS characters), else None."""
    if isinstance(error, _INTERNAL):
        return None
    return readable(str(error))


def readable(text: str) -> str | None:
    """A library's message up to where it starts talking about Python ("Content line could not be parsed into
    parts: 'X;;Y': '' is not a valid parameter string: not enough values to unpack" keeps its first three parts),
    on one line and at most MAX_CHARS characters; None when nothing of it is about the document."""
    parts = []
    for part in " ".join(_ERRNO.sub("", text).split()).split(": "):
        if any(word in part.lower() for word in PYTHON_WORDS):
            break
        parts.append(part)
    kept = ": ".join(parts).strip()
    if not kept:
        return None
    return kept if len(kept) <= MAX_CHARS else kept[:MAX_CHARS] + "…"


def because(error: BaseException, otherwise: str) -> str:
    """The library's reason, or `otherwise` (the hub's own sentence) when it has none a person can read."""
    return reason(error) or otherwise
