"""The theme tree for the filters: the SKOS theme scheme when the hub has one, else the feeds' keywords.

Read through the public SPARQL endpoint, like any map site would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from hub.pages.api_client import ApiError, get_json

# Concepts of any scheme whose IRI names themes, with their labels and parents.
THEMES_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?c ?label ?broader WHERE {
  ?c skos:inScheme ?scheme ; skos:prefLabel ?label .
  FILTER(CONTAINS(LCASE(STR(?scheme)), "theme"))
  OPTIONAL { ?c skos:broader ?broader }
} ORDER BY ?c"""
# Without a scheme: the theme IRIs records use, then the feeds' free keywords.
USED_QUERY = """PREFIX hub: <https://w3id.org/mutualisons/ns#>
SELECT DISTINCT ?c WHERE { ?s hub:theme ?c FILTER(isIRI(?c)) } ORDER BY ?c LIMIT 200"""
KEYWORDS_QUERY = """PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?label WHERE { ?s schema:keywords ?label } ORDER BY ?label LIMIT 200"""


@dataclass
class Theme:
    value: str  # what `theme=` carries: the concept IRI, or the keyword itself
    labels: dict[str, str] = field(default_factory=dict)
    parent: str | None = None
    depth: int = 0


async def load(request: Request) -> list[Theme]:
    """Depth-first theme tree; an empty list when SPARQL is unavailable (the filter then offers "all")."""
    try:
        rows = await _select(request, THEMES_QUERY)
        if rows:
            return _tree(rows)
        used = await _select(request, USED_QUERY)
        if used:
            return [Theme(value=row["c"]["value"], labels={"und": local_name(row["c"]["value"])}) for row in used]
        return [Theme(value=row["label"]["value"], labels={"und": row["label"]["value"]})
                for row in await _select(request, KEYWORDS_QUERY)]
    except ApiError:
        return []


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


async def _select(request: Request, query: str) -> list[dict[str, dict[str, str]]]:
    answer = await get_json(request, "/sparql", {"query": query}, accept="application/sparql-results+json")
    bindings: list[dict[str, dict[str, str]]] = answer["results"]["bindings"]
    return bindings


def _tree(rows: list[dict[str, dict[str, str]]]) -> list[Theme]:
    themes: dict[str, Theme] = {}
    for row in rows:
        iri = row["c"]["value"]
        theme = themes.setdefault(iri, Theme(value=iri))
        theme.labels.setdefault(row["label"].get("xml:lang", "und") or "und", row["label"]["value"])
        if "broader" in row:
            theme.parent = row["broader"]["value"]
    children: dict[str | None, list[Theme]] = {}
    for theme in themes.values():
        parent = theme.parent if theme.parent in themes else None
        children.setdefault(parent, []).append(theme)
    ordered: list[Theme] = []

    def walk(parent: str | None, depth: int) -> None:
        for theme in sorted(children.get(parent, []), key=lambda item: sorted(item.labels.values())[0]):
            if theme in ordered:
                continue  # a cycle in broader links must not loop forever
            theme.depth = depth
            ordered.append(theme)
            walk(theme.value, depth + 1)

    walk(None, 0)
    return ordered
