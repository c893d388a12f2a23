"""The HTML routes. Every page reads the hub through its public API (hub.pages.api_client)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pyoxigraph import NamedNode

from hub.pages import agenda_page, embed_page, library_page, links_page, map_page, sources_page, themes
from hub.pages.api_client import ApiError, get_json, post_json
from hub.pages.entity_page import HUB, render_entity_page
from hub.pages.i18n import negotiate, pick, t
from hub.pages.layout import e, error_box, page
from hub.pages.options import PageOptions

router = APIRouter(tags=["Pages"], include_in_schema=False)
PRODUCTS = 20  # products an enterprise's page lists; its whole catalogue is one link away
NESTED_ORDER = ("streetAddress", "postalCode", "addressLocality", "addressCountry", "latitude", "longitude")


def _options(request: Request) -> PageOptions:
    options = getattr(request.app.state, "page_options", None)
    return options if isinstance(options, PageOptions) else PageOptions.from_environment()


async def _sources(request: Request) -> list[dict[str, Any]]:
    answer = await get_json(request, "/api/sources")
    sources: list[dict[str, Any]] = answer.get("sources", [])
    return sources


@router.get("/", response_class=HTMLResponse)
async def map_view(request: Request) -> HTMLResponse:
    lang = negotiate(request)
    try:
        sources = await _sources(request)
    except ApiError as error:
        return HTMLResponse(map_page.render_map(request, lang, _options(request), [], [], (error.status, error.detail)),
                            status_code=200)
    return HTMLResponse(map_page.render_map(request, lang, _options(request), await themes.load(request), sources))


@router.get("/embed", response_class=HTMLResponse)
async def embed_view(request: Request) -> HTMLResponse:
    # Other sites frame this page: no frame-ancestors restriction on purpose.
    return HTMLResponse(map_page.render_embed(request, negotiate(request), _options(request),
                                              await themes.load(request)))


@router.get("/embed/configure", response_class=HTMLResponse)
async def embed_configurator(request: Request) -> HTMLResponse:
    """Source, theme, area and language of an embedded map: a live preview and the snippet to copy."""
    lang = negotiate(request)
    try:
        sources = await _sources(request)
    except ApiError as error:
        return HTMLResponse(embed_page.render_configurator(request, lang, [], [],
                                                           error_box(lang, error.status, error.detail)))
    return HTMLResponse(embed_page.render_configurator(request, lang, await themes.load(request), sources))


@router.get("/sources", response_class=HTMLResponse)
async def sources_view(request: Request) -> HTMLResponse:
    lang = negotiate(request)
    try:
        sources = await _sources(request)
        quarantines = {s["id"]: await get_json(request, f"/api/sources/{s['id']}/quarantine") for s in sources}
        for source in sources:
            # The last runs, and the last one's errors (document, place, reason), from the audit trail.
            runs = (await get_json(request, f"/api/sources/{source['id']}/runs")).get("runs", [])
            source["runs"] = runs[:sources_page.CHART_RUNS]
            if runs and source.get("last_run"):
                detail = await get_json(request, runs[0]["path"])  # said in the page's language (Accept-Language)
                source["last_run"]["errors"] = detail.get("errors", [])
                source["last_run"]["said"] = detail.get("said", {})
                if isinstance(detail.get("warnings"), list):  # where the run lists its warnings' text
                    source["last_run"]["warnings"] = detail["warnings"]
    except ApiError as error:
        return HTMLResponse(sources_page.render_sources(request, lang, [], {}, error_box(lang, error.status,
                                                                                            error.detail)))
    return HTMLResponse(sources_page.render_sources(request, lang, sources, quarantines))


FORM_BYTES = 4096


@router.get("/links", response_class=HTMLResponse)
async def links_view(request: Request, alert: str = "") -> HTMLResponse:
    """The review queue (pending pairs), with a form per pair for an administrator."""
    lang = negotiate(request)
    try:
        sources = await _sources(request)
        answer = await get_json(request, "/api/links", {"status": "pending", "limit": "200"})
    except ApiError as error:
        return HTMLResponse(links_page.render_links(request, lang, [], [], error_box(lang, error.status, error.detail)))
    return HTMLResponse(links_page.render_links(request, lang, answer.get("links", []), sources, alert))


@router.post("/links/{key}", response_class=HTMLResponse)
async def links_decide(request: Request, key: str) -> HTMLResponse:
    """The review form: the decision goes to `POST /api/links/{key}/decision` with the token the form carries."""
    lang = negotiate(request)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > FORM_BYTES:
            return HTMLResponse(error_box(lang, 400, "the form is too large"), status_code=413)
    form = {name: values[0] for name, values in parse_qs(raw.decode("utf-8", "replace")).items()}
    try:
        await post_json(request, f"/api/links/{quote(key, safe='')}/decision",
                        {"decision": form.get("decision", ""), "note": form.get("note", "")}, form.get("token", ""))
    except ApiError as error:
        return await links_view(request, error_box(lang, error.status, error.detail))
    return await links_view(request, f'<p class="notice" role="status">{e(t(lang, "decision_recorded"))}</p>')


@router.get("/agenda", response_class=HTMLResponse)
async def agenda_view(request: Request) -> HTMLResponse:
    lang = negotiate(request)
    today = dt.date.today()
    filters = agenda_page.filters_from(request)
    try:
        sources = await _sources(request)
        answer = await get_json(request, "/api/events", agenda_page.api_params(filters, today),
                                accept="application/ld+json")
    except ApiError as error:
        return HTMLResponse(agenda_page.render_agenda(request, lang, [], [], today,
                                                      error_box(lang, error.status, error.detail)))
    items = answer.get("member", answer.get("@graph", []))  # Hydra collections list items as `member`
    return HTMLResponse(agenda_page.render_agenda(request, lang, items, sources, today,
                                                  themes=await _theme_choices(request, lang)))


@router.get("/library", response_class=HTMLResponse)
async def library_view(request: Request) -> HTMLResponse:
    lang = negotiate(request)
    tree = await _theme_choices(request, lang)
    try:
        sections, served = await library_page.collect(request, library_page.filters_from(request))
    except ApiError as error:
        return HTMLResponse(library_page.render_library(request, lang, {}, tree,
                                                        error_box(lang, error.status, error.detail)))
    return HTMLResponse(library_page.render_library(request, lang, sections, tree, served=served))


async def _theme_choices(request: Request, lang: str) -> list[tuple[str, str]]:
    """(value, escaped label) pairs of the theme tree, children indented under their parent."""
    return [(theme.value, "&#160;&#160;" * theme.depth + e(pick(theme.labels, lang)))
            for theme in await themes.load(request)]


async def entity_html(request: Request, iri: str) -> Response:
    """The entity page of `/id/…` and `/id?iri=` when HTML is wanted: every field in the page's language,
    each value with its source badge. hub/gateway/entities.py negotiates and calls it."""
    lang = negotiate(request)
    try:
        cluster = await get_json(request, "/api/clusters", {"iri": iri})
    except ApiError:
        cluster = None  # not an item of the collections (a run, a vocabulary term…): the IRI alone
    if cluster is not None and cluster["iri"] != iri:
        # A member of a cluster: its page is the cluster's (every member dereferences to the canonical IRI).
        return RedirectResponse(f"/id?{urlencode({'iri': cluster['iri'], 'lang': lang})}", status_code=303)
    merged = cluster is not None and len(cluster["members"]) > 1
    asked = {"subject": iri, **({"cluster": "true"} if merged else {})}
    twin = f"/api/provenance?{urlencode(asked)}"
    try:
        answer = await get_json(request, "/api/provenance", asked)
        sources = await _sources(request)
    except ApiError as error:
        body = error_box(lang, error.status, error.detail)
        return HTMLResponse(page(request, lang, t(lang, "error"), body, alternate=twin), status_code=error.status)
    statements: list[dict[str, Any]] = answer.get("statements", [])
    entity: dict[str, Any] = {"@id": iri}
    for statement in statements:
        if statement["predicate"] == f"{HUB}verificationStatus":
            entity["verificationStatus"] = statement["object"]["value"]
    body = render_entity_page(entity, statements, lang, sources=sources, nested=await _nested(request, iri),
                              labels=await _labels(request, iri), products=await _products(request, iri),
                              cluster=cluster if merged else None, reports_open=await _reports_open(request, iri),
                              report_outcome=request.query_params.get("report"))
    title = body.split("<h1>", 1)[1].split("</h1>", 1)[0] if "<h1>" in body else iri
    document = page(request, lang, html.unescape(title), body, alternate=twin)
    return HTMLResponse(document, status_code=200 if statements else 404)


async def _reports_open(request: Request, iri: str) -> int:
    """How many reports on the entity are open (`/api/reports/open`: a count, never their text)."""
    try:
        answer = await get_json(request, "/api/reports/open", {"entity": iri})
    except ApiError:
        return 0
    return int(answer.get("open", 0))


async def _products(request: Request, iri: str) -> dict[str, Any] | None:
    """The first products an enterprise supplies (`/api/products?enterprise=`), for the page's products section."""
    if not iri.startswith(("http://", "https://")):
        return None
    try:
        answer: dict[str, Any] = await get_json(request, "/api/products", {"enterprise": iri, "limit": str(PRODUCTS)},
                                                accept="application/ld+json")
    except ApiError:
        return None
    return answer


async def _labels(request: Request, iri: str) -> dict[str, dict[str, str]]:
    """SKOS labels of the concepts the entity points to (themes, audiences), and the vocabulary's rdfs:labels of
    its properties and classes (hub.ttl: @fr, @nl, @en), when the hub has them."""
    try:
        subject = NamedNode(iri)
    except ValueError:
        return {}
    query = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?o ?label WHERE { "
             "{ GRAPH ?g { " + str(subject) + " ?p ?o FILTER(isIRI(?o)) } ?o skos:prefLabel ?label } UNION "
             "{ GRAPH ?g { " + str(subject) + " ?o ?any } ?o rdfs:label ?label } UNION "
             "{ GRAPH ?g { " + str(subject) + " a ?o } ?o rdfs:label ?label } }")
    try:
        answer = await get_json(request, "/sparql", {"query": query}, accept="application/sparql-results+json")
    except ApiError:
        return {}
    labels: dict[str, dict[str, str]] = {}
    for row in answer["results"]["bindings"]:
        labels.setdefault(row["o"]["value"], {})[row["label"].get("xml:lang") or "und"] = row["label"]["value"]
    return labels


async def _nested(request: Request, iri: str) -> dict[str, list[tuple[str, str]]]:
    """The values inside blank nodes (address, coordinates), which /api/provenance names but does not open."""
    # NamedNode checks the IRI, so nothing but an IRI reaches the query text.
    try:
        subject = NamedNode(iri)
    except ValueError:
        return {}
    query = "SELECT ?b ?p ?o WHERE { GRAPH ?g { " + str(subject) + " ?x ?b . FILTER(isBlank(?b)) ?b ?p ?o } }"
    try:
        answer = await get_json(request, "/sparql", {"query": query}, accept="application/sparql-results+json")
    except ApiError:
        return {}
    nested: dict[str, list[tuple[str, str]]] = {}
    for row in answer["results"]["bindings"]:
        nested.setdefault(row["b"]["value"], []).append((row["p"]["value"], row["o"]["value"]))

    def rank(pair: tuple[str, str]) -> int:
        local = pair[0].rsplit("/", 1)[-1]
        return NESTED_ORDER.index(local) if local in NESTED_ORDER else len(NESTED_ORDER)

    return {b: sorted(values, key=rank) for b, values in nested.items()}
