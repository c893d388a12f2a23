"""The page a browser gets for a path the hub does not serve: in the visitor's language, with the way back.
API clients get a problem document instead (hub/gateway/app.py decides by `Accept`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from hub.pages.i18n import negotiate, t
from hub.pages.layout import e, link, page


def not_found_page(request: Request) -> HTMLResponse:
    lang = negotiate(request)
    body = (f'<h1>{e(t(lang, "not_found"))}</h1>'
            f'<p>{e(t(lang, "page_not_found_help"))}</p><p><code>{e(request.url.path)}</code></p>'
            f'<p><a href="{e(link("/", lang))}">{e(t(lang, "page_not_found_home"))}</a> · '
            f'<a href="/docs">{e(t(lang, "page_not_found_api"))}</a></p>')
    document = page(request, lang, t(lang, "not_found"), body, alternate="/openapi.json")
    return HTMLResponse(document, status_code=404, headers={"Content-Language": lang})
