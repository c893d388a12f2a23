"""`/library`: toolbox, knowledge, publications and funding, searchable and filterable.

Each section reads its gateway collection (`/api/resources`, `/api/knowledge`, `/api/publications`,
`/api/funding`) with the page's filters. Where a collection is not served, the toolbox falls back to
the resource records found through SPARQL, so the page still shows what the hub holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from hub.pages.api_client import ApiError, get_json
from hub.pages.i18n import pick, t
from hub.pages.layout import e, page

SECTIONS = (("toolbox", "/api/resources"), ("knowledge", "/api/knowledge"), ("publications", "/api/publications"),
            ("funding", "/api/funding"))
FILTERS = ("q", "category", "theme", "audience")
RESOURCES_QUERY = """PREFIX schema: <https://schema.org/>
PREFIX hub: <https://w3id.org/mutualisons/ns#>
SELECT ?s ?name ?description ?url ?keyword WHERE {
  GRAPH ?meta { ?g a hub:RecordGraph ; hub:recordSubject ?s }
  FILTER EXISTS { GRAPH ?g { ?s a ?type } GRAPH ?kinds { ?type hub:recordKind "resource" } }
  GRAPH ?g { ?s schema:name ?name .
    OPTIONAL { ?s schema:description ?description } OPTIONAL { ?s schema:url ?url }
    OPTIONAL { ?s schema:keywords ?keyword } }
}"""


@dataclass
class Item:
    iri: str
    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    keywords: set[str] = field(default_factory=set)


def filters_from(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTERS}


def twin(served: bool) -> str:
    """The JSON twin: the gateway's toolbox collection, or the SPARQL query the fallback ran."""
    return "/api/resources" if served else "/sparql?" + urlencode({"query": RESOURCES_QUERY})


async def collect(request: Request, filters: dict[str, str]) -> tuple[dict[str, list[Item]], bool]:
    """Items per section, and whether the gateway served the collections (False: the SPARQL fallback ran)."""
    found: dict[str, list[Item]] = {}
    served = True
    params = {k: v for k, v in filters.items() if v}
    for key, path in SECTIONS:
        try:
            document = await get_json(request, path, params, accept="application/ld+json")
            # Hydra collections list their items as `member` (older answers: `@graph`).
            found[key] = [_item(node) for node in document.get("member", document.get("@graph", []))]
        except ApiError as error:
            if error.status != 404:
                raise
            served = False
            found[key] = await _fallback(request) if key == "toolbox" else []
    return {key: _filter(items, filters) for key, items in found.items()}, served


def _texts(raw: Any) -> dict[str, str]:
    texts: dict[str, str] = {}
    if isinstance(raw, dict) and "@value" not in raw:  # a language map: {"fr": …, "nl": …}
        return {language: str(text[0] if isinstance(text, list) else text) for language, text in raw.items()}
    for value in raw if isinstance(raw, list) else ([raw] if raw else []):
        if isinstance(value, dict):
            texts.setdefault(value.get("@language", "und"), str(value.get("@value", "")))
        else:
            texts.setdefault("und", str(value))
    return texts


def _item(node: dict[str, Any]) -> Item:
    keywords = node.get("keywords", [])
    return Item(iri=str(node.get("@id", "")), names=_texts(node.get("name")),
                descriptions=_texts(node.get("description")), url=node.get("url"),
                keywords={str(k) for k in (keywords if isinstance(keywords, list) else [keywords])})


async def _fallback(request: Request) -> list[Item]:
    try:
        answer = await get_json(request, "/sparql", {"query": RESOURCES_QUERY},
                                accept="application/sparql-results+json")
    except ApiError:
        return []
    items: dict[str, Item] = {}
    for row in answer["results"]["bindings"]:
        item = items.setdefault(row["s"]["value"], Item(iri=row["s"]["value"]))
        item.names.setdefault(row["name"].get("xml:lang", "und"), row["name"]["value"])
        if "description" in row:
            item.descriptions.setdefault(row["description"].get("xml:lang", "und"), row["description"]["value"])
        if "url" in row:
            item.url = row["url"]["value"]
        if "keyword" in row:
            item.keywords.add(row["keyword"]["value"])
    return sorted(items.values(), key=lambda item: pick(item.names, "fr"))


def _filter(items: list[Item], filters: dict[str, str]) -> list[Item]:
    """Text and theme checks the API does as well; they keep the page right over a fallback."""
    words = filters["q"].lower().split()
    kept = []
    for item in items:
        text = " ".join([*item.names.values(), *item.descriptions.values(), *item.keywords]).lower()
        if words and not all(word in text for word in words):
            continue
        if filters["theme"] and filters["theme"].startswith("http") is False and filters["theme"] not in item.keywords:
            continue
        kept.append(item)
    return kept


def render_library(request: Request, lang: str, sections: dict[str, list[Item]], themes: list[tuple[str, str]],
                   alert: str = "", served: bool = True) -> str:
    filters = filters_from(request)
    theme_options = "".join(f'<option value="{e(v)}"{" selected" if v == filters["theme"] else ""}>{label}</option>'
                            for v, label in themes)
    blocks = []
    for key, _ in SECTIONS:
        items = sections.get(key, [])
        rows = []
        for item in items:
            href = f"/id?{urlencode({'iri': item.iri, 'lang': lang})}"
            description = pick(item.descriptions, lang)
            download = f' · <a href="{e(item.url)}">{e(item.url.rsplit("/", 1)[-1])}</a>' if item.url else ""
            tags = ", ".join(sorted(item.keywords))
            rows.append(f'<li><a href="{e(href)}"><strong>{e(pick(item.names, lang))}</strong></a>{download}'
                        f'<br><span>{e(description)}</span>'
                        + (f'<br><span class="muted">{e(tags)}</span>' if tags else "") + "</li>")
        content = f'<ul class="items">{"".join(rows)}</ul>' if rows else f'<p>{e(t(lang, "nothing_found"))}</p>'
        blocks.append(f'<section aria-labelledby="lib-{key}"><h2 id="lib-{key}">{e(t(lang, key))} ({len(items)})</h2>'
                      f"{content}</section>")
    body = f"""<h1>{e(t(lang, "library"))}</h1>
<p>{e(t(lang, "library_intro"))}</p>{alert}
<form class="filterbar" method="get" action="/library" role="search">
<input type="hidden" name="lang" value="{lang}">
<div><label for="l-q">{e(t(lang, "search"))}</label>
<input id="l-q" type="search" name="q" value="{e(filters["q"])}"></div>
<div><label for="l-theme">{e(t(lang, "theme"))}</label><select id="l-theme" name="theme">
<option value="">{e(t(lang, "all_themes"))}</option>{theme_options}</select></div>
<div><label for="l-category">{e(t(lang, "category"))}</label>
<input id="l-category" type="search" name="category" value="{e(filters["category"])}"></div>
<div><label for="l-audience">{e(t(lang, "audience"))}</label>
<input id="l-audience" type="search" name="audience" value="{e(filters["audience"])}"></div>
<div><button type="submit">{e(t(lang, "apply"))}</button></div>
</form>
{''.join(blocks)}"""
    return page(request, lang, t(lang, "library"), body, alternate=twin(served),
                alternate_type="application/ld+json" if served else "application/sparql-results+json")
