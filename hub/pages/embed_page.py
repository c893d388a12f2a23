"""`/embed/configure`: a network chooses its source, theme, area and language, sees the embedded map live and
copies the `<iframe>` snippet.

A plain GET form, rendered by the server (the preview and the snippet work without JavaScript);
embed-config.js redraws both as the choices change, and fills the area from the preview's view.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from hub.pages.i18n import LANGUAGE_NAMES, LANGUAGES, t
from hub.pages.layout import e, page
from hub.pages.map_page import area_from
from hub.pages.themes import Theme

# The form's fields -> the embed's parameters (`lang` itself stays the page's own language).
CHOICES = {"source": "source", "theme": "theme", "bbox": "bbox", "map_lang": "lang"}
HEIGHT = 480  # pixels: the snippet's frame height (the embed fills whatever it is given)


def choices_from(request: Request, lang: str) -> tuple[dict[str, str], bool]:
    """The choices the page was asked with (the map's language defaults to the page's), and whether the
    area given was unusable (then left out of the snippet)."""
    chosen = {parameter: request.query_params.get(field, "").strip() for field, parameter in CHOICES.items()}
    if chosen["lang"] not in LANGUAGES:
        chosen["lang"] = lang
    bad_area = bool(chosen["bbox"]) and area_from(chosen["bbox"]) is None
    if bad_area:
        chosen["bbox"] = ""
    return chosen, bad_area


def embed_url(base: str, chosen: dict[str, str]) -> str:
    """The embed's address for these choices (empty ones left out)."""
    return f"{base}embed?" + urlencode({k: v for k, v in chosen.items() if v})


def snippet(src: str, lang: str) -> str:
    return (f'<iframe src="{e(src)}" title="{e(t(lang, "embed_title"))}" width="100%" height="{HEIGHT}" '
            'style="border:0" loading="lazy"></iframe>')


def _select(name: str, label: str, options: list[tuple[str, str]], selected: str, everything: str | None) -> str:
    rows = [f'<option value="">{e(everything)}</option>'] if everything is not None else []
    rows += [f'<option value="{e(value)}"{" selected" if value == selected else ""}>{text}</option>'
             for value, text in options]
    return f'<label for="c-{name}">{e(label)}</label><select id="c-{name}" name="{name}">{"".join(rows)}</select>'


def render_configurator(request: Request, lang: str, themes: list[Theme], sources: list[dict[str, Any]],
                        alert: str = "") -> str:
    chosen, bad_area = choices_from(request, lang)
    base = str(request.base_url)
    src = embed_url(base, chosen)
    code = snippet(src, chosen["lang"])
    theme_options = [(theme.value, "&#160;&#160;" * theme.depth + e(theme.labels.get(lang) or theme.labels.get("fr")
                                                                   or next(iter(theme.labels.values()), theme.value)))
                     for theme in themes]
    source_options = [(source["id"], e(source["name"])) for source in sources]
    language_options = [(code_, e(LANGUAGE_NAMES[code_])) for code_ in LANGUAGES]
    area_alert = (f'<div class="error" role="alert"><p>{e(t(lang, "embed_bad_area"))}</p></div>' if bad_area else "")
    body = f"""<h1>{e(t(lang, "embed_configure"))}</h1>{alert}{area_alert}
<p>{e(t(lang, "embed_intro"))}</p>
<div class="configurator">
<form id="embed-form" method="get" action="/embed/configure">
<input type="hidden" name="lang" value="{lang}">
{_select("source", t(lang, "network"), source_options, chosen["source"], t(lang, "all_networks"))}
{_select("theme", t(lang, "theme"), theme_options, chosen["theme"], t(lang, "all_themes"))}
<label for="c-bbox">{e(t(lang, "embed_area"))}</label>
<input id="c-bbox" name="bbox" type="text" inputmode="decimal" value="{e(chosen["bbox"])}"
 placeholder="4.25,50.77,4.48,50.91" aria-describedby="c-bbox-help">
<p id="c-bbox-help" class="muted">{e(t(lang, "embed_area_help"))}</p>
<button type="button" id="use-view" class="secondary" hidden>{e(t(lang, "embed_use_view"))}</button>
{_select("map_lang", t(lang, "embed_language"), language_options, chosen["lang"], None)}
<button type="submit">{e(t(lang, "apply"))}</button>
</form>
<section class="preview" aria-labelledby="preview-title">
<h2 id="preview-title">{e(t(lang, "embed_preview"))}</h2>
<iframe id="preview" src="{e(src)}" title="{e(t(lang, "embed_preview"))}" width="100%" height="{HEIGHT}"></iframe>
<h2><label for="snippet">{e(t(lang, "embed_snippet"))}</label></h2>
<textarea id="snippet" readonly rows="4">{e(code)}</textarea>
<button type="button" id="copy" hidden>{e(t(lang, "embed_copy"))}</button>
<p id="copied" role="status" aria-live="polite"></p>
</section>
</div>
<script id="embed-config" type="application/json">{_script_config(lang, base)}</script>"""
    return page(request, lang, t(lang, "embed_configure"), body, alternate="/api/sources",
                scripts=("/static/site/embed-config.js",), body_class="configure-page")


def _script_config(lang: str, base: str) -> str:
    config = {"base": base, "height": HEIGHT, "strings": {key: t(lang, key) for key in ("embed_copied",)},
              "titles": {code: t(code, "embed_title") for code in LANGUAGES}}
    return json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
