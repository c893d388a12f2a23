"""The template (`.pot`) of a domain, for `pybabel extract`: the English catalog's keys, each with its English words.

The msgids are keys the code names (`t(lang, "prop_name")`, a message code, a problem's English title), often
built at run time (`f"prop_{name}"`), so no scan of the code can find them all: the English catalog is the list,
and this extractor hands it to Babel. Each entry carries its English words as a comment, which `pybabel update`
copies into the French and Dutch catalogs for translators (docs/translating.md):

    pybabel extract -F hub/locale/babel.cfg -o hub/locale/pages.pot hub/locale/en/LC_MESSAGES/pages.po
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from babel.messages.pofile import read_po


def english(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
            options: Any) -> Iterator[tuple[int, str, str | tuple[str, str], list[str]]]:
    """Babel's extraction method: each entry of an English catalog as (line, function, msgid(s), comments)."""
    catalog = read_po(fileobj, locale="en")
    for message in catalog:
        if not message.id:
            continue  # the header
        line = message.lineno or 0
        if isinstance(message.id, tuple | list):
            forms = list(message.string) if isinstance(message.string, tuple | list) else [str(message.string)]
            yield line, "ngettext", (str(message.id[0]), str(message.id[1])), [f"English: {' | '.join(forms)}"]
        else:
            yield line, "gettext", str(message.id), [f"English: {message.string}"]
