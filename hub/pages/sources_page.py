"""`/sources`: every network, its last run and counts, and its rejected records with their messages."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hub.pages.i18n import maybe, t
from hub.pages.layout import e, moment, page

COUNTS = ("accepted", "rejected", "added", "updated", "unchanged", "removed", "warned")


def render_sources(request: Request, lang: str, sources: list[dict[str, Any]],
                   quarantines: dict[str, dict[str, Any]], alert: str = "") -> str:
    cards = [_card(lang, source, quarantines.get(source["id"], {})) for source in sources]
    body = f"""<h1>{e(t(lang, "sources"))}</h1>
<p>{e(t(lang, "sources_intro"))}</p>{alert}
{''.join(cards)}"""
    return page(request, lang, t(lang, "sources"), body, alternate="/api/sources")


def _card(lang: str, source: dict[str, Any], quarantine: dict[str, Any]) -> str:
    run = source.get("last_run")
    anchor = f"source-{e(source['id'])}"
    contact = source.get("contact") or ""
    contact_html = f'<a href="{e(contact)}">{e(contact.removeprefix("mailto:"))}</a>' if contact else ""
    if run is None:
        run_html = f"<p>{e(t(lang, 'never_run'))}</p>"
    else:
        status = run.get("status", "")
        counts = "".join(f"<li><strong>{int(value)}</strong> {e(t(lang, f'count_{name}'))}</li>"
                         for name, value in run.get("counts", {}).items() if name in COUNTS)
        error_html = _errors(lang, run)
        run_html = f"""<p>{e(t(lang, "last_run"))}: <span class="status-{e(status)}">{e(maybe(lang, f"status_{status}",
                                                                                            status))}</span>
— {e(t(lang, "started"))} <time datetime="{e(run.get('started'))}">{e(moment(run.get('started'), lang))}</time></p>
<ul class="counts">{counts}</ul>{error_html}"""
    return f"""<section class="source-card" id="{anchor}" aria-labelledby="{anchor}-title">
<h2 id="{anchor}-title">{e(source.get("name"))}</h2>
<p class="muted"><code>{e(source["id"])}</code> · {e(t(lang, "contact"))}: {contact_html}
· <a href="/api/sources/{e(source['id'])}/quarantine">JSON</a></p>
{run_html}
{_earlier(lang, source.get("runs", [])[1:])}
{_rejected(lang, anchor, quarantine.get("records", []))}
</section>"""


def _earlier(lang: str, runs: list[dict[str, Any]]) -> str:
    """The runs before the last one: when, how it ended, what it accepted and rejected."""
    rows = []
    for run in runs:
        status = str(run.get("status", ""))
        counts = run.get("counts", {})
        rows.append(
            f'<li><time datetime="{e(run.get("started"))}">{e(moment(run.get("started"), lang))}</time> — '
            f'<span class="status-{e(status)}">{e(maybe(lang, f"status_{status}", status))}</span> — '
            f'{int(counts.get("accepted", 0))} {e(t(lang, "count_accepted"))}, '
            f'{int(counts.get("rejected", 0))} {e(t(lang, "count_rejected"))} '
            f'(<a href="{e(run.get("path"))}">JSON</a>)</li>')
    if not rows:
        return ""
    return f'<details><summary>{e(t(lang, "earlier_runs"))}</summary><ul class="runs">{"".join(rows)}</ul></details>'


def _errors(lang: str, run: dict[str, Any]) -> str:
    """A run's errors: `error` or `errors`, each a message or a {code, message} object.

    A known code is said in the page's language (`runerror_{code}` in i18n), the hub's own message beneath.
    """
    raw = run.get("errors") or ([run["error"]] if run.get("error") else [])
    said = (run.get("said") or {}).get("errors")
    if isinstance(said, list) and len(said) == len(raw):
        raw = [str(line.get("text", "")) if isinstance(line, dict) else line for line in said]  # the page's language
    items = []
    for error in raw if isinstance(raw, list) else [raw]:
        if isinstance(error, dict):
            code = str(error.get("code", ""))
            said = maybe(lang, f"runerror_{code}", code) if code else ""
            message = str(error.get("message", ""))
        else:
            said, message = "", str(error)
        joiner = " — " if said and message else ""
        items.append(f'<li>{e(said)}{joiner}<span class="detail">{e(message)}</span></li>')
    if not items:
        return ""
    return (f'<div class="error" role="alert"><p><strong>{e(t(lang, "error"))}</strong></p>'
            f'<ul>{"".join(items)}</ul></div>')


def _rejected(lang: str, anchor: str, records: list[dict[str, Any]]) -> str:
    if not records:
        return f"<p>{e(t(lang, 'no_rejected'))}</p>"
    rows = []
    for record in records:
        for result in record.get("results", []):
            message = result.get("message") or {}
            text = message.get(lang) or message.get("en") or next(iter(message.values()), "")
            severity = str(result.get("severity", ""))
            rows.append(f"<tr><td><code>{e(record.get('subject'))}</code></td>"
                        f"<td><code>{e(_short(result.get('path')))}</code></td>"
                        f"<td>{e(maybe(lang, f'severity_{severity}', severity))}</td><td>{e(text)}</td></tr>")
    return f"""<h3 id="{anchor}-rejected">{e(t(lang, "rejected_records"))} ({len(records)})</h3>
<div class="table-wrap"><table aria-labelledby="{anchor}-rejected"><thead><tr>
<th scope="col">{e(t(lang, "record"))}</th><th scope="col">{e(t(lang, "property"))}</th>
<th scope="col">{e(t(lang, "severity"))}</th><th scope="col">{e(t(lang, "message"))}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></div>"""


def _short(iri: object) -> str:
    text = "" if iri is None else str(iri)
    return text.replace("https://schema.org/", "schema:")
