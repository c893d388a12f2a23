"""`/links`: the review queue, each pending pair's two sides side by side (names, networks, address, web site) with
the evidence of its score, and a form through which an administrator confirms or rejects it (`/links/{key}`,
which calls `POST /api/links/{key}/decision` with the token given in the form)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hub.pages.i18n import t
from hub.pages.layout import e, page


def _side(lang: str, side: dict[str, Any], sources: dict[str, dict[str, Any]]) -> str:
    names = "".join(f'<li lang="{e(lang_tag)}">{e(value)}</li>' for lang_tag, value in side.get("names", []))
    networks = ", ".join(sources.get(s, {}).get("name") or s for s in side.get("sources", []))
    address = side.get("address") or {}
    where = ", ".join(address[key] for key in ("street", "postal", "locality") if address.get(key))
    url = side.get("url") or ""
    link = f'<a href="{e(url)}">{e(url)}</a>' if url else "—"
    return f"""<td><p><a href="/id?iri={e(side['iri'])}">{e(side.get("name") or side["iri"])}</a></p>
<ul class="values">{names}</ul><p>{e(t(lang, "network"))}: {e(networks)}</p><p>{e(where)}</p><p>{link}</p></td>"""


def render_links(request: Request, lang: str, links: list[dict[str, Any]], sources: list[dict[str, Any]],
                 alert: str = "") -> str:
    by_iri = {source["iri"]: source for source in sources}
    rows = []
    for link in links:
        sides = link.get("sides") or [{"iri": link["first"]}, {"iri": link["second"]}]
        evidence = "".join(f"<li>{e(text)}</li>" for text in link.get("evidence", []))
        score = link.get("score")
        rows.append(f"""<tr id="link-{e(link['key'])}">{_side(lang, sides[0], by_iri)}{_side(lang, sides[1], by_iri)}
<td><p><strong>{e(f"{score:.2f}" if score is not None else "—")}</strong></p><ul class="values">{evidence}</ul>
<form method="post" action="/links/{e(link['key'])}?lang={e(lang)}">
<label>{e(t(lang, "admin_token"))} <input type="password" name="token" autocomplete="off" required></label>
<label>{e(t(lang, "note"))} <input type="text" name="note" maxlength="1000"></label>
<button name="decision" value="confirm">{e(t(lang, "confirm_link"))}</button>
<button name="decision" value="reject">{e(t(lang, "reject_link"))}</button></form></td></tr>""")
    table = (f"""<div class="table-wrap"><table><thead><tr><th scope="col">{e(t(lang, "first_side"))}</th>
<th scope="col">{e(t(lang, "second_side"))}</th><th scope="col">{e(t(lang, "evidence"))}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></div>""" if rows else f"<p>{e(t(lang, 'review_empty'))}</p>")
    body = f"""<h1>{e(t(lang, "review"))}</h1><p>{e(t(lang, "review_intro"))}</p>{alert}{table}"""
    return page(request, lang, t(lang, "review"), body, alternate="/api/links?status=pending")
