"""`/vocab`, `/shapes`: the hub vocabulary, the SKOS schemes and the charter.

Served from the files in `vocab/` and `shapes/` (the same ones loaded into the store's vocabulary,
schemes and shapes graphs), so they answer even before a first harvest. `/vocab` and `/shapes` are
HTML pages generated from the Turtle, content-negotiated to Turtle and JSON-LD (or `?format=`).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from hub.core.namespaces import HUB, PREFIXES, RDF, RDFS, SH, SKOS
from hub.core.vocabulary import SHAPES_DIR, VOCAB_DIR
from hub.gateway.deps import problem

router = APIRouter(tags=["Vocabulary and charter"])

VOCAB_FILES = (VOCAB_DIR / "hub.ttl", VOCAB_DIR / "schemes.ttl")
_FORMATS = {"ttl": "text/turtle", "turtle": "text/turtle", "jsonld": "application/ld+json",
            "json": "application/ld+json", "html": "text/html"}
_SHACL_PREFIXES = {**PREFIXES, "hubsh": "https://w3id.org/mutualisons/shapes#"}


@cache
def _triples(paths: tuple[Path, ...]) -> list[Triple]:
    triples: list[Triple] = []
    for path in paths:
        triples += [q.triple for q in parse(path=str(path), format=RdfFormat.TURTLE)]
    return triples


def _shape_files() -> tuple[Path, ...]:
    return tuple(sorted(SHAPES_DIR.glob("*.ttl")))


def _negotiate(request: Request) -> str | None:
    """text/html, text/turtle or application/ld+json; None when nothing acceptable is asked."""
    asked = request.query_params.get("format")
    if asked is not None:
        return _FORMATS.get(asked)
    accept = request.headers.get("accept", "text/html").lower()
    for media in (part.split(";")[0].strip() for part in accept.split(",")):
        if media in ("text/turtle", "application/x-turtle"):
            return "text/turtle"
        if media in ("application/ld+json", "application/json"):
            return "application/ld+json"
        if media in ("text/html", "application/xhtml+xml", "*/*", "text/*"):
            return "text/html"
    return None


def _rdf_response(triples: list[Triple], media: str, prefixes: dict[str, str]) -> Response:
    if media == "text/turtle":
        body = serialize(triples, format=RdfFormat.TURTLE, prefixes=prefixes) or b""
    else:
        body = serialize(triples, format=RdfFormat.JSON_LD) or b""
    return Response(body, media_type=media, headers={"Vary": "Accept"})


def _not_acceptable() -> Response:
    return problem(406, "Not acceptable", "this resource is served as text/html, text/turtle or application/ld+json "
                   "(or ?format=html|ttl|jsonld)")


@router.get("/vocab", summary="The hub vocabulary and its SKOS schemes (HTML, Turtle, JSON-LD)",
            response_class=HTMLResponse)
def vocab(request: Request) -> Response:
    media = _negotiate(request)
    if media is None:
        return _not_acceptable()
    triples = _triples(VOCAB_FILES)
    if media != "text/html":
        return _rdf_response(triples, media, PREFIXES)
    return HTMLResponse(vocab_page(triples), headers={"Vary": "Accept"})


@router.get("/shapes", summary="The charter as SHACL shapes (HTML, Turtle, JSON-LD)", response_class=HTMLResponse)
def shapes(request: Request) -> Response:
    media = _negotiate(request)
    if media is None:
        return _not_acceptable()
    triples = _triples(_shape_files())
    if media != "text/html":
        return _rdf_response(triples, media, _SHACL_PREFIXES)
    return HTMLResponse(shapes_page(triples), headers={"Vary": "Accept"})


# ---------------------------------------------------------------- HTML, generated from the triples

def _index(triples: list[Triple]) -> dict[str, dict[str, list[object]]]:
    index: dict[str, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        key = t.subject.value if isinstance(t.subject, NamedNode) else "_:" + getattr(t.subject, "value", "")
        index[key][t.predicate.value].append(t.object)
    return index


def _texts(values: list[object]) -> dict[str, str]:
    return {v.language: v.value for v in values if isinstance(v, Literal) and v.language}


def _local(iri: str) -> str:
    for prefix, namespace in _SHACL_PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def _trilingual(values: list[object]) -> str:
    texts = _texts(values)
    return "".join(f'<span lang="{lang}"><b>{lang}</b> {escape(texts[lang])}</span><br>'
                   for lang in ("fr", "nl", "en") if lang in texts)


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            '<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}'
            'td,th{vertical-align:top;padding:.3rem;border-bottom:1px solid #ddd}code{font-size:.9em}</style>'
            f'</head><body><h1>{escape(title)}</h1>{body}</body></html>')


def vocab_page(triples: list[Triple]) -> str:
    index = _index(triples)
    classes = sorted(s for s, p in index.items() if any(getattr(o, "value", "") == RDFS + "Class"
                                                            for o in p.get(RDF + "type", [])))
    properties = sorted(s for s, p in index.items() if any(getattr(o, "value", "") == RDF + "Property"
                                                               for o in p.get(RDF + "type", [])))
    parts = ['<p>Namespace <code>' + escape(HUB) + '</code>. Also as <a href="/vocab?format=ttl">Turtle</a> and '
             '<a href="/vocab?format=jsonld">JSON-LD</a>; the JSON-LD context is '
             '<a href="/context.jsonld">/context.jsonld</a>; the charter is <a href="/shapes">/shapes</a>.</p>']
    for title, members in (("Classes", classes), ("Properties", properties)):
        parts.append(f"<h2>{title}</h2><table>")
        for iri in members:
            props = index[iri]
            parents = ", ".join(_local(getattr(o, "value", "")) for o in props.get(RDFS + "subClassOf", []))
            parts.append(f'<tr id="{escape(iri.rsplit("#", 1)[-1])}"><th><code>{escape(_local(iri))}</code>'
                         f'{"<br>⊂ " + escape(parents) if parents else ""}</th>'
                         f'<td>{_trilingual(props.get(RDFS + "label", []))}</td>'
                         f'<td>{_trilingual(props.get(RDFS + "comment", []))}</td></tr>')
        parts.append("</table>")
    schemes = sorted(s for s, p in index.items() if any(getattr(o, "value", "") == SKOS + "ConceptScheme"
                                                           for o in p.get(RDF + "type", [])))
    parts.append("<h2>SKOS concept schemes</h2>")
    for scheme in schemes:
        parts.append(f'<h3 id="{escape(scheme.rsplit("#", 1)[-1])}"><code>{escape(_local(scheme))}</code></h3>'
                     f'{_trilingual(index[scheme].get(SKOS + "prefLabel", []))}<ul>')
        for top in sorted(getattr(o, "value", "") for o in index[scheme].get(SKOS + "hasTopConcept", [])):
            parts.append(_concept(index, top))
        parts.append("</ul>")
    return _page("Mutualisons — vocabulaire / vocabularium / vocabulary", "".join(parts))


def _concept(index: dict[str, dict[str, list[object]]], iri: str) -> str:
    labels = _texts(index[iri].get(SKOS + "prefLabel", []))
    narrower = sorted(getattr(o, "value", "") for o in index[iri].get(SKOS + "narrower", []))
    inner = "<ul>" + "".join(_concept(index, n) for n in narrower) + "</ul>" if narrower else ""
    shown = " / ".join(escape(labels[lang]) for lang in ("fr", "nl", "en") if lang in labels)
    return f"<li><code>{escape(_local(iri))}</code> — {shown}{inner}</li>"


def shapes_page(triples: list[Triple]) -> str:
    index = _index(triples)
    node_shapes = sorted(s for s, p in index.items() if any(getattr(o, "value", "") == SH + "NodeShape"
                                                               for o in p.get(RDF + "type", [])))
    parts = ['<p>The charter, as enforced. Also as <a href="/shapes?format=ttl">Turtle</a> and '
             '<a href="/shapes?format=jsonld">JSON-LD</a>. Check a document before publishing it at '
             '<a href="/validate">/validate</a>.</p>']
    for shape in node_shapes:
        props = index[shape]
        targets = ", ".join(_local(getattr(o, "value", "")) for o in props.get(SH + "targetClass", []))
        parts.append(f'<h2 id="{escape(shape.rsplit("#", 1)[-1])}"><code>{escape(_local(shape))}</code></h2>'
                     f'{_trilingual(props.get(RDFS + "label", []))}'
                     + (f"<p>Targets: <code>{escape(targets)}</code></p>" if targets else "") + "<table>")
        rows = [getattr(o, "value", "") for o in props.get(SH + "property", [])]
        if SH + "sparql" in props:
            rows.append(shape)
        for row in rows:
            rp = index.get(row, {})
            severity = _local(getattr(rp.get(SH + "severity", [NamedNode(SH + "Violation")])[0], "value", ""))
            messages = list(rp.get(SH + "message", []))
            for constraint in rp.get(SH + "sparql", []):
                messages += index.get("_:" + getattr(constraint, "value", ""), {}).get(SH + "message", [])
            parts.append(f'<tr><th><code>{escape(_local(row))}</code><br>{escape(severity)}</th>'
                         f'<td>{_trilingual(messages) or "(see the SPARQL constraint)"}</td></tr>')
        parts.append("</table>")
    return _page("Mutualisons — charte / charter", "".join(parts))
