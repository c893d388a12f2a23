"""Entity pages: every field in the page's language, each value with a badge linking to its provenance.

`render_entity_page(entity_jsonld, provenance, lang)` is the renderer the gateway's `/id/…` content
negotiation calls for HTML; `provenance` is the `statements` list of `/api/provenance?subject=`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from hub.pages.i18n import LANGUAGES, maybe, pick, plural, t
from hub.pages.layout import e, moment

SCHEMA = "https://schema.org/"
HUB = "https://w3id.org/mutualisons/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
# Properties whose IRIs are pages elsewhere; any other IRI value is a record with a page on this hub.
EXTERNAL = {f"{SCHEMA}{name}" for name in ("url", "sameAs", "license", "image", "logo", "email", "contentUrl")}
# The order fields come in; any other property follows, sorted.
ORDER = ("name", "description", "address", "geo", "url", "email", "telephone", "theme", "keywords", "about",
         "audience",
         "openingHours", "startDate", "endDate", "location", "organizer", "license", "sameAs")


def _local(iri: str) -> str:
    for prefix in (SCHEMA, HUB):
        if iri.startswith(prefix):
            return iri[len(prefix):]
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


def _name(entity: dict[str, Any], statements: list[dict[str, Any]], lang: str) -> str:
    names: dict[str, str] = {}
    for statement in statements:
        if statement["predicate"] == f"{SCHEMA}name":
            names.setdefault(statement["object"].get("xml:lang") or "und", statement["object"]["value"])
    raw = entity.get("name")
    for value in raw if isinstance(raw, list) else ([raw] if raw else []):
        if isinstance(value, dict):
            names.setdefault(value.get("@language", "und"), value.get("@value", ""))
        else:
            names.setdefault("und", str(value))
    for candidate in (lang, *LANGUAGES, "und"):
        if names.get(candidate):
            return names[candidate]
    return next(iter(names.values()), str(entity.get("@id", "")))


def _verification(entity: dict[str, Any], lang: str) -> str:
    """The trust label with what it means; absent status reads as not verified (nothing was checked)."""
    status = entity.get("verificationStatus") or entity.get("hub:verificationStatus") or ""
    if isinstance(status, dict):
        status = status.get("@id", "")
    verified = str(status).lower().endswith("verified") and not str(status).lower().endswith("unverified")
    key = "verified" if verified else "unverified"
    return (f'<section aria-labelledby="verif-title"><h2 id="verif-title">{e(t(lang, "verification"))}</h2>'
            f'<p><span class="label {key}">{e(t(lang, key))}</span> {e(t(lang, key + "_help"))}</p></section>')


def _badge(statement: dict[str, Any], sources: dict[str, dict[str, Any]], lang: str) -> str:
    source_iri = statement.get("source") or ""
    source = sources.get(source_iri, {})
    label = source.get("id") or _local(source_iri) or "hub"
    fetched = statement.get("fetched") or statement.get("changed") or ""
    license_iri = statement.get("license") or ""
    title = f"{label} — {t(lang, 'fetched')} {moment(fetched, lang)} — {t(lang, 'license')} {license_iri}"
    href = f"#prov-{quote(statement.get('graph') or '', safe='')}"
    return f'<a class="badge" href="{e(href)}" title="{e(title)}">{e(t(lang, "source"))}: {e(label)}</a>'


def _field_label(predicate: str, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """A property's name in the page's language: the vocabulary's rdfs:label (hub.ttl), else the pages' catalog
    (schema.org's common properties), else its local name."""
    said = pick(labels.get(predicate, {}), lang)
    if said:
        return said[:1].upper() + said[1:]
    return maybe(lang, f"prop_{_local(predicate)}", _local(predicate))


def _value(statement: dict[str, Any], nested: dict[str, list[tuple[str, str]]], lang: str,
           labels: dict[str, dict[str, str]]) -> str:
    term = statement["object"]
    value = str(term.get("value", ""))
    if term.get("type") == "uri":
        if value.startswith(SCHEMA) and statement["predicate"] == RDF_TYPE:
            return e(maybe(lang, f"type_{_local(value)}", _local(value)))
        if value in labels or statement["predicate"] == f"{HUB}theme":
            # A concept (theme, audience…): its label in the page's language, else its local name.
            return f'<a href="{e(value)}">{e(pick(labels.get(value, {}), lang) or _local(value))}</a>'
        if statement["predicate"] not in EXTERNAL and value.startswith(("http://", "https://")):
            # Another record (a place, an organiser): its page on this hub, with its own provenance.
            return f'<a href="/id?{e(urlencode({"iri": value, "lang": lang}))}">{e(value)}</a>'
        if value.startswith(("http://", "https://", "mailto:")):
            return f'<a href="{e(value)}">{e(value.removeprefix("mailto:"))}</a>'
        return e(value)
    if term.get("type") == "bnode":
        parts = [v for p, v in nested.get(value, []) if p != RDF_TYPE]
        return e(", ".join(parts)) if parts else "…"
    if term.get("datatype") == XSD_DATETIME and len(value) >= 16:
        # 2027-01-21T18:30:00+01:00 → 2027-01-21 18:30 (+01:00): the offset the network gave, kept visible.
        offset = value[19:].lstrip(".0123456789")
        shown = f"{value[:10]} {value[11:16]}" + (f" ({offset})" if offset else "")
        return f'<time datetime="{e(value)}">{e(shown)}</time>'
    tag = term.get("xml:lang")
    return f'<span lang="{e(tag)}">{e(value)}</span>' if tag else e(value)


def _language_rank(tag: str | None, lang: str) -> int:
    order = [lang, *(code for code in LANGUAGES if code != lang)]
    return order.index(tag) if tag in order else (-1 if tag is None else len(order))


def render_entity_page(entity_jsonld: dict[str, Any], provenance: list[dict[str, Any]], lang: str, *,
                       sources: list[dict[str, Any]] | None = None,
                       nested: dict[str, list[tuple[str, str]]] | None = None,
                       labels: dict[str, dict[str, str]] | None = None,
                       products: dict[str, Any] | None = None,
                       cluster: dict[str, Any] | None = None, reports_open: int = 0,
                       report_outcome: str | None = None) -> str:
    """The body of an entity page (the caller wraps it in the site's frame). `products` is the first page of
    `/api/products?enterprise=` (JSON-LD) for an enterprise that has a catalogue. `cluster`: `/api/clusters` of a
    merged item, whose statements (every member's) `provenance` holds. `reports_open`: how many reports on the entity
    are open (`/api/reports/open`); `report_outcome`: "sent" once the page's report form was sent."""
    iri = str(entity_jsonld.get("@id", ""))
    by_iri = {source["iri"]: source for source in sources or []}
    nested = nested or {}
    labels = labels or {}
    if not provenance:
        return f'<h1>{e(t(lang, "not_found"))}</h1><p>{e(t(lang, "not_found_help"))}</p><p><code>{e(iri)}</code></p>'
    by_field: dict[str, list[dict[str, Any]]] = {}
    for statement in provenance:
        by_field.setdefault(statement["predicate"], []).append(statement)
    preferred = [f"{HUB if name == 'theme' else SCHEMA}{name}" for name in ORDER]
    fields = [p for p in preferred if p in by_field] + sorted(p for p in by_field if p not in preferred
                                                               and p != RDF_TYPE) + [RDF_TYPE]
    rows = []
    for predicate in fields:
        statements = by_field.get(predicate, [])
        if not statements:
            continue
        # Show the page's language first among language-tagged values; all are kept.
        statements = sorted(statements, key=lambda s: _language_rank(s["object"].get("xml:lang"), lang))
        label = t(lang, "prop_type") if predicate == RDF_TYPE else _field_label(predicate, lang, labels)
        values = "".join(f"<li>{_value(s, nested, lang, labels)} {_badge(s, by_iri, lang)}</li>" for s in statements)
        rows.append(f'<dt>{e(label)}</dt><dd><ul class="values">{values}</ul></dd>')
    return f"""<h1>{e(_name(entity_jsonld, provenance, lang))}</h1>
<p class="muted"><code>{e(iri)}</code></p>
{_also_on(cluster, by_iri, lang)}
{_verification(entity_jsonld, lang)}
<dl class="fields">{''.join(rows)}</dl>
{_products(iri, products, lang)}
{_provenance_table(provenance, by_iri, lang)}
{_report(provenance, lang, iri, reports_open, report_outcome)}"""


def _products(iri: str, page: dict[str, Any] | None, lang: str) -> str:
    """The enterprise's products, each linking its page, and its whole catalogue in the formats a purchasing group
    tool reads (`/api/products?enterprise=`: JSON-LD, CSV, GeoJSON)."""
    members = (page or {}).get("member") or []
    if not members:
        return ""
    items = []
    for member in members:
        product = str(member.get("@id", ""))
        names = member.get("name") or []
        name = pick(_names_of(names if isinstance(names, list) else [names]), lang) or _local(product)
        prices = [f"{offer['price']:g} {offer.get('priceCurrency', '')}".strip() for offer in member.get("offers", [])
                  if isinstance(offer.get("price"), int | float)]
        shown = f" — {e(', '.join(prices))}" if prices else ""
        items.append(f'<li><a href="/id?{e(urlencode({"iri": product, "lang": lang}))}">{e(name)}</a>{shown}</li>')
    total = page.get("totalItems", len(members)) if page else len(members)
    more = f"<p>{e(plural(lang, 'products_more', total - len(members)))}</p>" if total > len(members) else ""
    catalogue = {fmt: "/api/products?" + urlencode({"enterprise": iri, **({"format": fmt} if fmt else {})})
                 for fmt in ("", "csv", "geojson")}
    links = " · ".join(f'<a href="{e(href)}">{label}</a>' for href, label in (
        (catalogue[""], "JSON-LD"), (catalogue["csv"], "CSV"), (catalogue["geojson"], "GeoJSON")))
    return f"""<section aria-labelledby="products-title"><h2 id="products-title">{e(t(lang, "products"))}</h2>
<p>{e(t(lang, "products_help"))}</p><ul class="values">{''.join(items)}</ul>{more}
<p>{e(t(lang, "products_all"))} — {links}</p></section>"""


def _names_of(names: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names:
        if isinstance(name, dict):
            found.setdefault(str(name.get("@language", "und")), str(name.get("@value", "")))
        else:
            found.setdefault("und", str(name))
    return found


def _also_on(cluster: dict[str, Any] | None, sources: dict[str, dict[str, Any]], lang: str) -> str:
    """"Also on: network A, network B", the cluster's member IRIs, and the links that join them (rule, score)."""
    if not cluster:
        return ""
    networks = ", ".join(sorted(sources.get(s["iri"], {}).get("name") or s.get("title") or s["iri"]
                                for s in cluster.get("sources", [])))
    members = "".join(f'<li><code>{e(m["iri"])}</code></li>' for m in cluster.get("members", []))
    links = "".join(f'<li><a href="/api/links/{e(link["key"])}">{e(t(lang, "linked_by"))}</a>: '
                    f'{e(link.get("rule", ""))} {e(link.get("score") if link.get("score") is not None else "")} '
                    f'{e((link.get("decision") or {}).get("by", ""))}</li>' for link in cluster.get("links", []))
    return f"""<section class="also-on" aria-labelledby="also-title"><p id="also-title"><strong>{e(t(lang, "also_on"))}:
</strong> {e(networks)}</p><p>{e(t(lang, "same_as_members"))}</p><ul>{members}</ul><ul>{links}</ul></section>"""


def _provenance_table(provenance: list[dict[str, Any]], sources: dict[str, dict[str, Any]], lang: str) -> str:
    graphs: dict[str, dict[str, Any]] = {}
    for statement in provenance:
        graphs.setdefault(statement.get("graph") or "", statement)
    rows = []
    for graph, statement in sorted(graphs.items()):
        source = sources.get(statement.get("source") or "", {})
        name = source.get("name") or statement.get("source") or ""
        license_iri = statement.get("license") or ""
        rows.append(f'<tr id="prov-{e(quote(graph, safe=""))}"><td>{e(name)}</td>'
                    f'<td><time datetime="{e(statement.get("fetched"))}">'
                    f'{e(moment(statement.get("fetched"), lang))}</time></td>'
                    f'<td><a href="{e(license_iri)}">{e(license_iri)}</a></td>'
                    f'<td><a href="/api/provenance?{e(urlencode({"subject": graph}))}">{e(graph)}</a></td></tr>')
    return f"""<section aria-labelledby="prov-title"><h2 id="prov-title">{e(t(lang, "provenance"))}</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">{e(t(lang, "network"))}</th>
<th scope="col">{e(t(lang, "col_fetched"))}</th><th scope="col">{e(t(lang, "col_license"))}</th>
<th scope="col">{e(t(lang, "col_graph"))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"""


def _report(provenance: list[dict[str, Any]], lang: str, iri: str, reports_open: int,
            outcome: str | None) -> str:
    """The report form (POST /api/reports: kept by the hub for the networks that publish the entity), and whether a
    report is open; never a report's text or contact. `website` is the honeypot people never see or fill."""
    if not provenance:
        return ""
    status = f'<p class="notice" role="status">{e(t(lang, "report_open", n=reports_open))}</p>' if reports_open else ""
    thanks = f'<p class="notice" role="status">{e(t(lang, "report_thanks"))}</p>' if outcome == "sent" else ""
    return f"""<section aria-labelledby="report-title"><h2 id="report-title">{e(t(lang, "report"))}</h2>
{status}{thanks}<p>{e(t(lang, "report_help"))}</p>
<form method="post" action="/api/reports" class="report-form">
<input type="hidden" name="entity" value="{e(iri)}"><input type="hidden" name="lang" value="{e(lang)}">
<p><label for="report-what">{e(t(lang, "report_what"))}</label><br>
<textarea id="report-what" name="what" required maxlength="2000" rows="4"></textarea></p>
<p><label for="report-contact">{e(t(lang, "report_contact"))}</label><br>
<input id="report-contact" name="contact" maxlength="200" autocomplete="email"></p>
<p hidden aria-hidden="true"><label>Website <input name="website" tabindex="-1" autocomplete="off"></label></p>
<p><button type="submit">{e(t(lang, "report_send"))}</button></p></form></section>"""
