"""`/validate`: a network checks a document before it publishes it, in one language, on a phone.

The form takes a file (or pasted text), its format (any of the format table's, or detected), the language of its
names and an optional mapping. The verdict is the answer of `POST /api/validate` (the route in
hub/gateway/validate.py runs the check and hands the answer here): what a harvest would end as, with counts in
their plural forms; the failed rows and documents with no record, then each rejected record as a card with why
first, named by its name (never a blank-node id); the warnings; and, for a format that needs a mapping when none
was sent, the suggested mapping to keep. Every sentence is in the page's language (the report's `said` messages
and each result's `message[lang]`); the page links the API as its JSON twin, and the exact answer as a download.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from fastapi import Request

from hub.pages.i18n import maybe, pick, plural, t
from hub.pages.layout import e, page

SUBMITTED = "urn:mutualisons:submitted-document"  # the document's name in a check's answer
MAX_TWIN_BYTES = 256 * 1024  # the answer offered as a download beside the verdict, up to this size
NAMES_LANGUAGES = ("fr", "nl", "en", "de")


def render_check_page(request: Request, lang: str, formats: list[str], *, report: dict[str, Any] | None = None,
                      alert: str = "", text: str = "", format_name: str = "", names: str = "") -> str:
    verdict = _verdict(lang, report) if report is not None else ""
    problem = f'<div class="error" role="alert"><p>{e(alert)}</p></div>' if alert else ""
    # On a phone the verdict comes first, right under the title; the form follows for the next try.
    body = f"""<h1>{e(t(lang, "check_title"))}</h1>
<section aria-live="polite" id="verdict">{problem}{verdict}</section>
<p>{e(t(lang, "check_intro"))} <a href="/shapes">{e(t(lang, "check_rules"))}</a></p>
{_form(lang, formats, text, format_name, names)}"""
    return page(request, lang, t(lang, "check_title"), body, alternate="/api/validate")


def _form(lang: str, formats: list[str], text: str, format_name: str, names: str) -> str:
    format_options = "".join(f'<option value="{e(name)}"{" selected" if name == format_name else ""}>{e(name)}'
                             "</option>" for name in formats)
    name_options = "".join(f'<option value="{code}"{" selected" if code == names else ""}>{code}</option>'
                           for code in NAMES_LANGUAGES)
    return f"""<form class="check-form" method="post" action="/validate?lang={lang}" enctype="multipart/form-data">
<input type="hidden" name="lang" value="{lang}">
<label for="document">{e(t(lang, "check_file"))}</label>
<input type="file" id="document" name="document">
<label for="text">{e(t(lang, "check_paste"))}</label>
<textarea id="text" name="text" rows="8">{e(text)}</textarea>
<div class="filterbar">
<div><label for="format">{e(t(lang, "check_format"))}</label>
<select id="format" name="format"><option value="">{e(t(lang, "check_detect"))}</option>{format_options}</select></div>
<div><label for="language">{e(t(lang, "check_names_language"))}</label>
<select id="language" name="language"><option value="">{e(t(lang, "check_names_tagged"))}</option>{name_options}
</select></div>
<div><label for="mapping">{e(t(lang, "check_mapping"))}</label>
<input type="file" id="mapping" name="mapping" accept=".toml"></div>
</div>
<p class="muted">{e(t(lang, "check_mapping_help"))}</p>
<button type="submit">{e(t(lang, "check_submit"))}</button>
</form>"""


def _verdict(lang: str, report: dict[str, Any]) -> str:
    name = str(report.get("filename") or "document")
    counts = report.get("counts", {})
    status = str(report.get("status", ""))
    heading = t(lang, "check_conforms") if report.get("conforms") else t(lang, "check_not_conform")
    state = "accepted" if report.get("conforms") else "rejected"
    summary = t(lang, "check_would_end", status=maybe(lang, f"status_{status}", status)) + " " + ", ".join((
        plural(lang, "n_accepted", int(counts.get("accepted", 0))),
        plural(lang, "n_rejected", int(counts.get("rejected", 0))),
        plural(lang, "n_warnings", int(counts.get("warned", 0)))))
    said = report.get("said") or {}
    records = report.get("records", [])
    rejected = [record for record in records if not record.get("accepted")]
    accepted = [record for record in records if record.get("accepted")]
    parts = [f'<h2 class="{state}">{e(heading)}</h2>', f"<p>{e(summary)}</p>"]
    errors = [_named(str(line.get("text", "")), name) for line in said.get("errors", [])]
    if errors:
        parts.append(f'<h3>{e(t(lang, "check_errors"))}</h3><ul class="cards">'
                     + "".join(f'<li class="card rejected"><p>{e(text)}</p></li>' for text in errors) + "</ul>")
    if rejected:
        parts.append(f'<h3>{e(plural(lang, "n_rejected", len(rejected)))}</h3><ul class="cards">'
                     + "".join(_card(lang, record, index) for index, record in enumerate(rejected, 1)) + "</ul>")
    if accepted:
        items = "".join(f"<li>{e(_record_name(lang, record, index))}{_warned(lang, record)}</li>"
                        for index, record in enumerate(accepted, 1))
        parts.append(f'<details><summary>{e(plural(lang, "n_accepted", len(accepted)))}</summary>'
                     f'<ul class="items">{items}</ul></details>')
    warnings = _document_warnings(said.get("warnings", []), records, name)
    if warnings:
        parts.append(f'<h3>{e(plural(lang, "n_warnings", len(warnings)))}</h3><ul class="items">'
                     + "".join(f"<li>{e(text)}</li>" for text in warnings) + "</ul>")
    for practitioner, verification in (report.get("verification") or {}).items():
        label = pick(verification.get("label") or {}, lang)
        parts.append(f'<p>{e(t(lang, "verification"))}: {e(label)} <span class="muted">'
                     f'({e(practitioner)})</span></p>')
    parts.append(_mapping(lang, report.get("mapping")))
    parts.append(_twin(lang, report))
    return "".join(parts)


def _card(lang: str, record: dict[str, Any], index: int) -> str:
    """A rejected record: why first (each violation in the page's language, the property at fault), then which."""
    whys = []
    for result in record.get("results", []):
        if result.get("severity") != "Violation":
            continue
        message = pick(result.get("message") or {}, lang)
        where = _short(result.get("path"))
        whys.append(f"<li>{e(message)}" + (f' <span class="muted">({e(where)})</span>' if where else "") + "</li>")
    subject = str(record.get("subject", ""))
    iri = "" if subject.startswith("_:") else f'<p class="muted iri">{e(subject)}</p>'
    return (f'<li class="card rejected"><p class="why"><strong>{e(t(lang, "check_why"))}</strong></p>'
            f'<ul>{"".join(whys)}</ul><p><strong>{e(_record_name(lang, record, index))}</strong> '
            f'<span class="muted">{e(maybe(lang, "kind_" + str(record.get("kind", "")), str(record.get("kind", ""))))}'
            f"</span></p>{iri}</li>")


def _record_name(lang: str, record: dict[str, Any], index: int) -> str:
    """The record's name in the page's language; a record without one is named by its place in the answer."""
    return pick(record.get("names") or {}, lang) or t(lang, "check_record_n", n=index)


def _warned(lang: str, record: dict[str, Any]) -> str:
    said = [pick(result.get("message") or {}, lang) for result in record.get("results", [])
            if result.get("severity") != "Violation"]
    return "" if not said else f'<ul class="muted">{"".join(f"<li>{e(text)}</li>" for text in said)}</ul>'


def _document_warnings(warnings: list[dict[str, Any]], records: list[dict[str, Any]], name: str) -> list[str]:
    """The document's warnings in the page's language; the records' own (`subject: message`, in English) are on
    their record, in the page's language, so they are not repeated."""
    subjects = tuple(f"{record.get('subject')}: " for record in records)
    return [_named(str(line.get("text", "")), name) for line in warnings
            if not str(line.get("text", "")).startswith(subjects)]


def _named(text: str, name: str) -> str:
    """A message about the submitted document, naming it as its file."""
    return text.replace(f"{SUBMITTED}/{quote(name)}", name).replace(SUBMITTED, name)


def _mapping(lang: str, mapping: dict[str, Any] | None) -> str:
    """The mapping the check suggested, to keep (its comments are the suggestion's, in English: marked so)."""
    if not mapping or not mapping.get("suggested"):
        return ""
    text = str(mapping.get("text", ""))
    href = "data:application/toml;charset=utf-8," + quote(text)
    return (f'<section class="suggested"><h3>{e(t(lang, "check_suggested"))}</h3>'
            f'<p>{e(t(lang, "check_suggested_help"))}</p>'
            f'<p><a class="button" download="mapping.toml" href="{e(href)}">{e(t(lang, "check_keep"))}</a></p>'
            f'<details><summary>{e(t(lang, "check_show_mapping"))}</summary><pre lang="en">{e(text)}</pre>'
            "</details></section>")


def _twin(lang: str, report: dict[str, Any]) -> str:
    """The exact answer of POST /api/validate, as a download (the page's JSON twin for this document)."""
    data = json.dumps(report, ensure_ascii=False).encode("utf-8")
    if len(data) > MAX_TWIN_BYTES:
        return f'<p class="muted">{e(t(lang, "check_twin_api"))} <code>POST /api/validate</code></p>'
    href = "data:application/json;base64," + base64.b64encode(data).decode("ascii")
    return (f'<p><a download="verdict.json" type="application/json" href="{href}">{e(t(lang, "json_twin"))}</a> '
            f'<span class="muted">{e(t(lang, "check_twin_api"))} <code>POST /api/validate</code></span></p>')


def _short(iri: object) -> str:
    text = "" if iri is None else str(iri)
    return "" if text.startswith("_:") else text.replace("https://schema.org/", "schema:")
