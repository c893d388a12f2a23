"""The map (`/`) and its embeddable twin (`/embed`): a server-rendered shell, markers loaded per viewport by map.js."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from hub.pages.i18n import bundle, pick, plural_bundle, t
from hub.pages.layout import e, error_box, link, page
from hub.pages.options import PageOptions
from hub.pages.themes import Theme

# The kinds offered in the filter: schema.org classes the charter's shapes target (sub-classes follow them).
KINDS = ("Organization", "NGO", "LocalBusiness", "GroceryStore", "Store", "MedicalClinic", "Place", "CivicStructure")
FILTERS = ("q", "theme", "type", "source", "verified")
SCRIPT_PLURALS = ["places_in_view"]
SCRIPT_STRINGS = ["loading", "load_failed", "details", "locating_failed", "where_am_i",
                  "no_tiles", "map_label", "verified", "unverified", "zoom_in", "zoom_out", "show", "show_on_map",
                  "no_theme", "cluster_places", "more_places",
                  *[f"type_{kind}" for kind in KINDS], "type_Organization", "type_Place"]
# The clusters are counted by the server (/api/map/clusters): Leaflet alone draws them.
LEAFLET_STYLES = ("/static/leaflet/leaflet.css",)
LEAFLET_SCRIPTS = ("/static/leaflet/leaflet.js", "/static/site/map.js")
LEGEND_COLOURS = 8  # .t0 … .t7 in site.css; further top themes share "no theme"'s grey


def filters_from(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTERS}


def area_from(text: str) -> list[float] | None:
    """`bbox=minLon,minLat,maxLon,maxLat`: the area the map opens on (the API checks the views it is asked)."""
    parts = text.split(",")
    try:
        area = [float(part) for part in parts]
    except ValueError:
        return None
    if len(area) != 4 or not (-180 <= area[0] <= area[2] <= 180 and -90 <= area[1] <= area[3] <= 90):
        return None
    return area


def legend(themes: list[Theme], lang: str) -> list[dict[str, str]]:
    """The top themes of the scheme, each with its colour's place (the map's pins and clusters use it)."""
    tops = [theme for theme in themes if theme.depth == 0 and theme.value.startswith(("http://", "https://"))]
    return [{"theme": theme.value, "label": pick(theme.labels, lang)} for theme in tops[:LEGEND_COLOURS]]


def _config(lang: str, options: PageOptions, filters: dict[str, str], embed: bool,
            themes: list[Theme], area: list[float] | None) -> str:
    config = {"lang": lang, "tiles": "none" if options.no_tiles else options.tiles,
              "attribution": options.attribution, "filters": filters, "embed": embed, "area": area,
              "legend": legend(themes, lang), "strings": bundle(lang, SCRIPT_STRINGS),
              "plurals": plural_bundle(lang, SCRIPT_PLURALS)}
    # `</` inside a <script> element would end it: JSON allows `<\/` for `</`.
    return json.dumps(config, ensure_ascii=False).replace("</", "<\\/")


def _options(items: list[tuple[str, str]], selected: str, all_label: str) -> str:
    rows = [f'<option value="">{e(all_label)}</option>']
    for value, label in items:
        chosen = " selected" if value == selected else ""
        rows.append(f'<option value="{e(value)}"{chosen}>{label}</option>')
    return "".join(rows)


def _theme_options(themes: list[Theme], lang: str) -> list[tuple[str, str]]:
    """The theme tree flattened for a <select>: children indented under their parent."""
    return [(theme.value, "&#160;&#160;" * theme.depth + e(pick(theme.labels, lang))) for theme in themes]


def render_map(request: Request, lang: str, options: PageOptions, themes: list[Theme],
               sources: list[dict[str, Any]], problem: tuple[int, str] | None = None) -> str:
    filters = filters_from(request)
    kinds = [(kind, e(t(lang, f"type_{kind}"))) for kind in KINDS]
    networks = [(source["id"], e(source["name"])) for source in sources]
    checked = " checked" if filters["verified"] in ("true", "1", "on") else ""
    alert = error_box(lang, *problem) if problem else ""
    body = f"""{alert}
<div class="map-layout">
<details class="filters" id="filters-box">
<summary>{e(t(lang, "filters"))}</summary>
<form id="filters" action="/" method="get" role="search">
<input type="hidden" name="lang" value="{lang}">
<label for="f-q">{e(t(lang, "search"))}</label>
<input id="f-q" name="q" type="search" value="{e(filters["q"])}" placeholder="{e(t(lang, "search_placeholder"))}">
<label for="f-theme">{e(t(lang, "theme"))}</label>
<select id="f-theme" name="theme">
{_options(_theme_options(themes, lang), filters["theme"], t(lang, "all_themes"))}</select>
<label for="f-type">{e(t(lang, "kind"))}</label>
<select id="f-type" name="type">{_options(kinds, filters["type"], t(lang, "all_kinds"))}</select>
<label for="f-source">{e(t(lang, "network"))}</label>
<select id="f-source" name="source">{_options(networks, filters["source"], t(lang, "all_networks"))}</select>
<div class="check"><input id="f-verified" name="verified" type="checkbox" value="true"{checked}>
<label for="f-verified">{e(t(lang, "verified_only"))}</label></div>
<button type="submit">{e(t(lang, "apply"))}</button>
</form>
</details>
<section class="map-pane" aria-label="{e(t(lang, "map_label"))}">
<div class="map-tools"><button type="button" id="locate">{e(t(lang, "where_am_i"))}</button>
<p id="status" role="status" aria-live="polite"></p></div>
<div id="map"></div>
<ul id="legend" class="legend" aria-label="{e(t(lang, "legend"))}"></ul>
<p class="embed-link"><a href="{e(link("/embed/configure", lang, source=filters["source"], theme=filters["theme"]))}">{
    e(t(lang, "embed_this_map"))}</a></p>
</section>
<section class="list-pane" aria-labelledby="list-title">
<h2 id="list-title">{e(t(lang, "list"))}</h2>
<div class="places-scroll"><ol id="places" class="places"></ol>
<button type="button" id="more" hidden></button></div>
</section>
</div>
<script id="map-config" type="application/json">{_config(lang, options, filters, False, themes,
                                                         area_from(request.query_params.get("bbox", "")))}</script>"""
    return page(request, lang, t(lang, "map"), body, alternate=_twin(filters), alternate_type="application/geo+json",
                scripts=LEAFLET_SCRIPTS, styles=LEAFLET_STYLES, body_class="map-page")


def render_embed(request: Request, lang: str, options: PageOptions, themes: list[Theme]) -> str:
    filters = filters_from(request)
    full = e(link("/", lang, **filters))
    body = f"""<h1 class="sr-only">{e(t(lang, "embed_title"))}</h1>
<div class="embed-bar"><p id="status" role="status" aria-live="polite"></p>
<a href="{full}" target="_blank" rel="noopener">{e(t(lang, "open_full_map"))}</a></div>
<div id="map" class="embed-map" role="region" aria-label="{e(t(lang, "map_label"))}"></div>
<details class="embed-legend"><summary>{e(t(lang, "legend"))}</summary>
<ul id="legend" class="legend"></ul></details>
<script id="map-config" type="application/json">{_config(lang, options, filters, True, themes,
                                                         area_from(request.query_params.get("bbox", "")))}</script>"""
    return page(request, lang, t(lang, "embed_title"), body, alternate=_twin(filters),
                alternate_type="application/geo+json", scripts=LEAFLET_SCRIPTS, styles=LEAFLET_STYLES,
                chrome=False, body_class="embed-page")


def _twin(filters: dict[str, str]) -> str:
    return "/api/organizations?" + urlencode({"format": "geojson", **{k: v for k, v in filters.items() if v}})
