"""The frame every page shares: head with its JSON twin, header with navigation and language switch."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi import Request

from hub.pages.i18n import LANGUAGE_NAMES, LANGUAGES, moment, t

NAV = (("/", "map"), ("/agenda", "agenda"), ("/library", "library"), ("/sources", "sources"), ("/sparql", "sparql"))
__all__ = ["e", "error_box", "link", "moment", "page", "with_lang"]


def e(value: object) -> str:
    """HTML-escape any value (None becomes empty)."""
    return "" if value is None else escape(str(value), quote=True)


def with_lang(request: Request, lang: str) -> str:
    """The current URL with `lang` set, so switching language keeps the filters."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
    return f"{request.url.path}?{urlencode(params)}"


def link(path: str, lang: str, **params: str) -> str:
    query = urlencode({**{k: v for k, v in params.items() if v}, "lang": lang})
    return f"{path}?{query}"


def page(request: Request, lang: str, title: str, body: str, *, alternate: str, alternate_type: str =
         "application/json", scripts: tuple[str, ...] = (), styles: tuple[str, ...] = (), chrome: bool = True,
         body_class: str = "") -> str:
    """A whole HTML document. `alternate` is the page's JSON twin (an API URL)."""
    head_links = "".join(f'<link rel="stylesheet" href="{e(href)}">' for href in styles)
    script_tags = "".join(f'<script src="{e(src)}" defer></script>' for src in scripts)
    header = _header(request, lang) if chrome else ""
    skip = f'<a class="skip" href="#main">{e(t(lang, "skip"))}</a>' if chrome else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} — {e(t(lang, "site"))}</title>
<link rel="alternate" type="{e(alternate_type)}" href="{e(alternate)}">
{_hreflang_links(request)}
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/site/site.css">
{head_links}
{script_tags}
</head>
<body class="{e(body_class)}">
{skip}
{header}
<main id="main" tabindex="-1">
{body}
</main>
</body>
</html>
"""


def _hreflang_links(request: Request) -> str:
    return "".join(f'<link rel="alternate" hreflang="{code}" href="{e(with_lang(request, code))}">'
                   for code in LANGUAGES)


def _header(request: Request, lang: str) -> str:
    current = request.url.path
    items = []
    for path, key in NAV:
        here = ' aria-current="page"' if current == path else ""
        items.append(f'<li><a href="{e(link(path, lang))}"{here}>{e(t(lang, key))}</a></li>')
    languages = []
    for code in LANGUAGES:
        here = ' aria-current="true"' if code == lang else ""
        languages.append(f'<li><a href="{e(with_lang(request, code))}" hreflang="{code}" lang="{code}"'
                         f'{here}>{code.upper()}<span class="sr-only"> {e(LANGUAGE_NAMES[code])}</span></a></li>')
    return f"""<header class="site">
<a class="brand" href="{e(link('/', lang))}">{e(t(lang, "site"))}</a>
<nav aria-label="{e(t(lang, "nav"))}"><ul class="nav">{''.join(items)}</ul></nav>
<nav aria-label="{e(t(lang, "language"))}" class="langs"><ul>{''.join(languages)}</ul></nav>
</header>"""


def error_box(lang: str, status: int, detail: str = "") -> str:
    """A run or API error rendered from its code in the page's language, the API's detail beneath."""
    key = f"error_{status}" if status in (400, 404, 503) else "error_other"
    extra = f'<p class="detail">{e(detail)}</p>' if detail else ""
    return f'<div class="error" role="alert"><p><strong>{e(t(lang, "error"))} {status}</strong> — ' \
           f'{e(t(lang, key))}</p>{extra}</div>'
