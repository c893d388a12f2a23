"""`/sources`: the dashboard of every network, to read at a glance, then source by source what to fix.

Up top, a summary table of every source (status, last run, accepted, rejected, warned, age), each row a link
to its card; on a phone the table's rows become cards. Each source's card then has its last run, a small chart of
its last runs (accepted, rejected and warned, as inline SVG: no script, no CDN), the last run's errors and
warnings in the page's language (the runs API's `said`: coded messages said from the catalogs, the rest as
stored), its earlier runs, and its rejected records as cards with why first. Never the rejected values.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hub.pages.i18n import ago, maybe, moment, pick, plural, t
from hub.pages.layout import e, page

COUNTS = ("accepted", "rejected", "added", "updated", "unchanged", "removed", "warned")
SUMMARY = ("accepted", "rejected", "warned")
CHART_RUNS = 12  # the runs a source's chart draws, oldest on the left
EARLIER_RUNS = 4  # the runs before the last one listed under it
# The chart's colours: those of the page's status words (site.css), each bar also told by its title and the
# table beside it (never colour alone).
COLOURS = {"accepted": "#1b6e2e", "rejected": "#a4161a", "warned": "#9a6200"}


def render_sources(request: Request, lang: str, sources: list[dict[str, Any]],
                   quarantines: dict[str, dict[str, Any]], alert: str = "") -> str:
    cards = [_card(lang, source, quarantines.get(source["id"], {})) for source in sources]
    body = f"""<h1>{e(t(lang, "sources"))}</h1>
<p>{e(t(lang, "sources_intro"))}</p>{alert}
{_summary(lang, sources) if sources else ""}
{''.join(cards)}"""
    return page(request, lang, t(lang, "sources"), body, alternate="/api/sources")


def _summary(lang: str, sources: list[dict[str, Any]]) -> str:
    """Every source on one line: how its last run ended, when, and what it accepted, rejected and warned."""
    head = "".join(f'<th scope="col">{e(t(lang, key))}</th>' for key in
                   ("source", "status", "last_run", "col_accepted", "col_rejected", "col_warned", "age"))
    rows = []
    for source in sources:
        run = source.get("last_run") or {}
        status = str(run.get("status", ""))
        counts = run.get("counts", {})
        said = maybe(lang, f"status_short_{status}", status) if run else t(lang, "never_run")
        cells = [
            (t(lang, "source"), f'<a href="#source-{e(source["id"])}">{e(source.get("name"))}</a>'),
            (t(lang, "status"), f'<span class="status-{e(status)}">{e(said)}</span>'),
            (t(lang, "last_run"), f'<time datetime="{e(run.get("started"))}">{e(moment(run.get("started"), lang))}'
                                  "</time>" if run else ""),
            *((t(lang, f"col_{name}"), f'<span class="n-{name}">{int(counts.get(name, 0))}</span>' if run else "")
              for name in SUMMARY),
            (t(lang, "age"), e(ago(run.get("ended") or run.get("started"), lang)) if run else ""),
        ]
        tds = "".join(f'<td data-label="{e(label)}">{value}</td>' for label, value in cells)
        rows.append(f"<tr>{tds}</tr>")
    return (f'<section aria-labelledby="summary-title"><h2 id="summary-title">{e(t(lang, "summary"))}</h2>'
            f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            "</section>")


def _card(lang: str, source: dict[str, Any], quarantine: dict[str, Any]) -> str:
    run = source.get("last_run")
    anchor = f"source-{e(source['id'])}"
    contact = source.get("contact") or ""
    contact_html = f'<a href="{e(contact)}">{e(contact.removeprefix("mailto:"))}</a>' if contact else ""
    runs = source.get("runs", [])
    if run is None:
        run_html = f"<p>{e(t(lang, 'never_run'))}</p>"
    else:
        status = run.get("status", "")
        counts = "".join(f"<li><strong>{int(value)}</strong> {e(t(lang, f'count_{name}'))}</li>"
                         for name, value in run.get("counts", {}).items() if name in COUNTS)
        run_html = f"""<p>{e(t(lang, "last_run"))}: <span class="status-{e(status)}">{e(maybe(lang, f"status_{status}",
                                                                                            status))}</span>
— {e(t(lang, "started"))} <time datetime="{e(run.get('started'))}">{e(moment(run.get('started'), lang))}</time></p>
<ul class="counts">{counts}</ul>{_chart(lang, anchor, runs)}{_errors(lang, run)}{_warnings(lang, run)}"""
    return f"""<section class="source-card" id="{anchor}" aria-labelledby="{anchor}-title">
<h2 id="{anchor}-title">{e(source.get("name"))}</h2>
<p class="muted"><code>{e(source["id"])}</code> · {e(t(lang, "contact"))}: {contact_html}
· <a href="/api/sources/{e(source['id'])}/quarantine">JSON</a></p>
{run_html}
{_earlier(lang, runs[1:1 + EARLIER_RUNS])}
{_rejected(lang, anchor, quarantine.get("records", []))}
</section>"""


def _chart(lang: str, anchor: str, runs: list[dict[str, Any]]) -> str:
    """The source's last runs as stacked bars (accepted, rejected, warned), oldest on the left: an inline SVG
    with a title per bar, and the same numbers said in its label for a screen reader."""
    shown = list(reversed(runs[:CHART_RUNS]))
    if len(shown) < 2:
        return ""  # one run is its counts, above
    highest = max(max(sum(int(run.get("counts", {}).get(name, 0)) for name in SUMMARY) for run in shown), 1)
    width, height, bar, gap = 12 * len(shown) + 4, 60, 8, 4
    bars = []
    for index, run in enumerate(shown):
        counts = run.get("counts", {})
        x, y = 2 + index * (bar + gap), float(height)
        said = ", ".join(plural(lang, f"n_{name}", int(counts.get(name, 0))) for name in
                         ("accepted", "rejected", "warnings"))
        parts = []
        for name in SUMMARY:
            size = round(int(counts.get(name, 0)) / highest * (height - 4), 1)
            if size <= 0:
                continue
            y -= size
            parts.append(f'<rect x="{x}" y="{round(y, 1)}" width="{bar}" height="{size}" fill="{COLOURS[name]}"/>')
        bars.append(f"<g><title>{e(moment(run.get('started'), lang))}: {e(said)}</title>{''.join(parts)}</g>")
    last = shown[-1].get("counts", {})
    label = t(lang, "chart_label", n=len(shown)) + " " + ", ".join(
        plural(lang, f"n_{name}", int(last.get(name, 0))) for name in ("accepted", "rejected", "warnings"))
    legend = "".join(f'<li><span class="swatch" style="background:{COLOURS[name]}"></span>'
                     f'{e(t(lang, f"col_{name}"))}</li>' for name in SUMMARY)
    return (f'<figure class="runs-chart"><svg role="img" aria-labelledby="{anchor}-chart" viewBox="0 0 {width} '
            f'{height}" width="{width * 2}" height="{height * 2}"><title id="{anchor}-chart">{e(label)}</title>'
            f'{"".join(bars)}</svg><figcaption><ul class="legend">{legend}</ul></figcaption></figure>')


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


def _said(run: dict[str, Any], key: str, stored: list[Any]) -> list[Any]:
    """A run's errors or warnings as the page's language says them (`said`, from the runs API), else as stored."""
    said = (run.get("said") or {}).get(key)
    if isinstance(said, list) and len(said) == len(stored):
        return [str(line.get("text", "")) if isinstance(line, dict) else line for line in said]
    return stored


def _errors(lang: str, run: dict[str, Any]) -> str:
    """A run's errors: `error` or `errors`, each a message or a {code, message} object.

    A coded line is said in the page's language; a known code of an object is said through `runerror_{code}`
    in i18n, the hub's own message beneath.
    """
    raw = run.get("errors") or ([run["error"]] if run.get("error") else [])
    raw = _said(run, "errors", raw if isinstance(raw, list) else [raw])
    items = []
    for error in raw:
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


def _warnings(lang: str, run: dict[str, Any]) -> str:
    """A run's warnings with their text, when the runs API lists them (said in the page's language)."""
    stored = run.get("warnings")
    if not isinstance(stored, list) or not stored:
        return ""
    lines = _said(run, "warnings", stored)
    items = "".join(f"<li>{e(line if not isinstance(line, dict) else line.get('text', ''))}</li>" for line in lines)
    return (f'<details class="warnings"><summary>{e(plural(lang, "n_warnings", len(lines)))}</summary>'
            f'<ul class="items">{items}</ul></details>')


def _rejected(lang: str, anchor: str, records: list[dict[str, Any]]) -> str:
    """The rejected records, each a card with why first (the charter's message in the page's language), then
    which record and which property."""
    if not records:
        return f"<p>{e(t(lang, 'no_rejected'))}</p>"
    cards = []
    for record in records:
        whys = []
        for result in record.get("results", []):
            severity = str(result.get("severity", ""))
            where = _short(result.get("path"))
            whys.append(f'<li><span class="severity-{e(severity)}">{e(maybe(lang, f"severity_{severity}", severity))}'
                        f"</span>: {e(pick(result.get('message') or {}, lang))}"
                        + (f' <span class="muted">({e(t(lang, "property"))}: <code>{e(where)}</code>)</span>'
                           if where else "") + "</li>")
        subject = str(record.get("subject", ""))
        which = "" if subject.startswith("_:") else \
            f'<p class="iri"><span class="muted">{e(t(lang, "record"))}:</span> <code>{e(subject)}</code></p>'
        cards.append(f'<li class="card rejected"><p class="why"><strong>{e(t(lang, "check_why"))}</strong></p>'
                     f'<ul>{"".join(whys)}</ul>{which}</li>')
    return f"""<h3 id="{anchor}-rejected">{e(t(lang, "rejected_records"))} ({len(records)})</h3>
<ul class="cards" aria-labelledby="{anchor}-rejected">{''.join(cards)}</ul>"""


def _short(iri: object) -> str:
    text = "" if iri is None else str(iri)
    return "" if text.startswith("_:") else text.replace("https://schema.org/", "schema:")
