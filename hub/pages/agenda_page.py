"""`/agenda`: upcoming events week by week, with filters and a `webcal:` subscription with the same filters."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request

from hub.pages.i18n import day, pick, t
from hub.pages.layout import e, page

BRUSSELS = ZoneInfo("Europe/Brussels")
FILTERS = ("from", "to", "q", "theme", "source")


def filters_from(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTERS}


def api_params(filters: dict[str, str], today: dt.date) -> dict[str, str]:
    """What the page asks /api/events: upcoming (from today) unless a start is given."""
    return {**{k: v for k, v in filters.items() if v}, "from": filters["from"] or today.isoformat()}


def render_agenda(request: Request, lang: str, events: list[dict[str, Any]], sources: list[dict[str, Any]],
                  today: dt.date, alert: str = "", themes: list[tuple[str, str]] | None = None) -> str:
    filters = filters_from(request)
    chosen = {k: v for k, v in filters.items() if v}
    feed = f"{request.url.netloc}/api/events.ics" + (f"?{urlencode(chosen)}" if chosen else "")
    weeks = _by_week(events, filters, lang, today)
    sections = []
    for monday, items in weeks:
        heading = t(lang, "week_of", d=_date(monday, lang))
        rows = "".join(items)
        sections.append(f'<section aria-label="{e(heading)}"><h2>{e(heading)}</h2><ul class="events">{rows}</ul>'
                        "</section>")
    network_options = "".join(
        f'<option value="{e(s["id"])}"{" selected" if s["id"] == filters["source"] else ""}>{e(s["name"])}</option>'
        for s in sources)
    theme_options = "".join(f'<option value="{e(v)}"{" selected" if v == filters["theme"] else ""}>{label}</option>'
                            for v, label in themes or [])
    body = f"""<h1>{e(t(lang, "upcoming"))}</h1>{alert}
<form class="filterbar" method="get" action="/agenda">
<input type="hidden" name="lang" value="{lang}">
<div><label for="a-from">{e(t(lang, "from"))}</label>
<input id="a-from" type="date" name="from" value="{e(filters["from"] or today.isoformat())}"></div>
<div><label for="a-to">{e(t(lang, "to"))}</label>
<input id="a-to" type="date" name="to" value="{e(filters["to"])}"></div>
<div><label for="a-q">{e(t(lang, "search"))}</label>
<input id="a-q" type="search" name="q" value="{e(filters["q"])}"></div>
<div><label for="a-theme">{e(t(lang, "theme"))}</label><select id="a-theme" name="theme">
<option value="">{e(t(lang, "all_themes"))}</option>{theme_options}</select></div>
<div><label for="a-source">{e(t(lang, "network"))}</label><select id="a-source" name="source">
<option value="">{e(t(lang, "all_networks"))}</option>{network_options}</select></div>
<div><button type="submit">{e(t(lang, "apply"))}</button></div>
</form>
<p class="actions"><a class="button" id="subscribe" href="webcal://{e(feed)}">{e(t(lang, "subscribe"))}</a>
<a class="button secondary" href="/api/events.ics{e("?" + urlencode(chosen) if chosen else "")}">
{e(t(lang, "download_ics"))}</a></p>
{''.join(sections) or f'<p>{e(t(lang, "no_events"))}</p>'}"""
    return page(request, lang, t(lang, "agenda"), body, alternate="/api/events" + (f"?{urlencode(chosen)}" if chosen
                                                                                   else ""),
                alternate_type="application/ld+json")


def _date(value: dt.date, lang: str) -> str:
    return day(value, lang)


def _names(event: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    raw = event.get("name", [])
    for value in raw if isinstance(raw, list) else [raw]:
        if isinstance(value, dict):
            names.setdefault(value.get("@language", "und"), value.get("@value", ""))
        else:
            names.setdefault("und", str(value))
    return names


def _by_week(events: list[dict[str, Any]], filters: dict[str, str], lang: str,
             today: dt.date) -> list[tuple[dt.date, list[str]]]:
    start = dt.date.fromisoformat(filters["from"]) if _is_date(filters["from"]) else today
    end = dt.date.fromisoformat(filters["to"]) if _is_date(filters["to"]) else None
    words = filters["q"].lower().split()
    entries: list[tuple[dt.datetime, str]] = []
    for event in events:
        names = _names(event)
        if words and not all(any(w in n.lower() for n in names.values()) for w in words):
            continue  # the API filters by q= too; this keeps the page right if it does not
        if filters["source"] and not any(s.endswith(f"/source/{filters['source']}") for s in event.get("sources", [])):
            continue
        starts = [sub["startDate"] for sub in event.get("subEvent", [])] or [event.get("startDate")]
        for moment_text in starts:
            if not moment_text:
                continue
            moment = dt.datetime.fromisoformat(str(moment_text))
            if moment.tzinfo is None:  # floating times and all-day events are Brussels time
                moment = moment.replace(tzinfo=BRUSSELS)
            if moment.date() < start or (end is not None and moment.date() >= end):
                continue
            cancelled = (f' <span class="label unverified">{e(t(lang, "cancelled"))}</span>'
                         if event.get("eventStatus", "").endswith("EventCancelled") else "")
            href = f"/id?{urlencode({'iri': event['@id'], 'lang': lang})}"
            item = (f'<li><time datetime="{e(moment.isoformat())}">{e(_date(moment.date(), lang))} '
                    f'{moment:%H:%M}</time> — <a href="{e(href)}">{e(pick(names, lang))}</a>{cancelled}</li>')
            entries.append((moment, item))
    weeks: dict[dt.date, list[str]] = {}
    for moment, item in sorted(entries, key=lambda pair: pair[0]):
        monday = moment.date() - dt.timedelta(days=moment.weekday())
        weeks.setdefault(monday, []).append(item)
    return sorted(weeks.items())


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
