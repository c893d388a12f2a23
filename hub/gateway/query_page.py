"""The query page: a YASGUI editor served from the hub itself, with the named queries as examples.

The editor is vendored (hub/gateway/static/yasgui/, MIT, see its LICENSE): no CDN at run time.
"""

from __future__ import annotations

import json
from pathlib import Path

from hub.sparql import queries

STATIC = Path(__file__).resolve().parent / "static"
EXAMPLE_QUERIES = ("organisations-by-theme-near", "events-this-week", "statement-provenance", "records-per-source",
                   "rejected-per-source", "possible-duplicates")


def examples() -> list[dict[str, str]]:
    """The example queries first, then every other named query."""
    names = [name for name in EXAMPLE_QUERIES if name in queries.names()]
    names += [name for name in queries.names() if name not in names]
    return [{"name": name, "description": queries.description(name), "query": queries.load(name)} for name in names]


def render(deadline: float, max_rows: int) -> str:
    template = (STATIC / "query-page.html").read_text(encoding="utf-8")
    # `</` inside a <script> element would end it: JSON allows `<\/` for `</`.
    data = json.dumps(examples(), ensure_ascii=False).replace("</", "<\\/")
    return (template.replace("__EXAMPLES__", data).replace("__DEADLINE__", f"{deadline:g}")
            .replace("__MAX_ROWS__", str(max_rows)))
