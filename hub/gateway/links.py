"""`/api/links`: the links the hub computed between IRIs of one alternative (accepted, pending review, confirmed or
rejected by a person), each with its rule, score and evidence; `POST /api/links/{key}/decision` (admin): confirm or
reject a pair, or withdraw the decision; `/api/clusters?iri=`: the cluster an IRI is in and its canonical IRI.

The links are read from the published generation's links graph (`{base}graph/links`, hub/pipeline/linking/), once
per generation. A decision is kept privately (hub/archive/links.py) and takes effect at the next publication: the
next harvest, `mutualisons harvest --due`, or at once with `?publish=true`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pyoxigraph import Literal, NamedNode

from hub.archive import links as decisions
from hub.core.iris import is_link_key
from hub.core.namespaces import HUB, PROV, RDF
from hub.gateway.collection_index import CollectionIndex, IndexCache
from hub.gateway.deps import admin_refusal, problem, reader
from hub.gateway.http_cache import answer
from hub.gateway.request_body import BodyTooLarge, BodyTooSlow, read_capped
from hub.pipeline.scheduler import start_harvest
from hub.store import entity_view
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Links"])
STATUSES = ("accepted", "confirmed", "pending", "rejected")
DECISIONS = {"confirm": "confirmed", "reject": "rejected", "withdraw": None}
MAX_LIMIT = 1000
BODY_BYTES = 4096
_FIELDS = {HUB + "linkStatus": "status", HUB + "linkRule": "rule", HUB + "linkScore": "score",
           PROV + "generatedAtTime": "generatedAtTime", HUB + "decidedBy": "by", HUB + "decidedAt": "at",
           HUB + "decisionNote": "note", RDF + "subject": "first", RDF + "object": "second"}


@dataclass
class LinkTable:
    generation: int
    links: dict[str, dict[str, Any]]  # key -> the link as the API shows it


_tables: dict[int, LinkTable] = {}
_lock = threading.Lock()


def link_table(hub: PublishedReader) -> LinkTable:
    """Every link of the published generation (read once per generation: the links graph whole)."""
    published = hub.published()
    number = published.generation.number
    with _lock:
        table = _tables.get(number)
    if table is not None:
        return table
    quads = published.store.graph_quads(hub.minter.links_graph())
    found: dict[str, dict[str, Any]] = {}
    prefix = f"{hub.minter.base}link/"
    for quad in quads:
        if not isinstance(quad.subject, NamedNode) or not isinstance(quad.object, NamedNode | Literal):
            continue
        subject = quad.subject.value
        if not subject.startswith(prefix):
            continue
        link = found.setdefault(subject, {"key": subject[len(prefix):], "iri": subject, "evidence": []})
        predicate = quad.predicate.value
        value = quad.object.value
        if predicate == HUB + "evidence":
            link["evidence"].append(value)
        elif predicate in _FIELDS:
            link[_FIELDS[predicate]] = float(value) if predicate == HUB + "linkScore" else value
    links = {}
    for link in found.values():
        decision = {name: link.pop(name) for name in ("by", "at", "note") if name in link}
        link["decision"] = ({"verdict": link["status"], **decision} if decision else None)
        link["evidence"].sort()
        link.setdefault("score", None)
        links[link["key"]] = link
    table = LinkTable(number, links)
    with _lock:
        _tables[number] = table
        for old in sorted(_tables)[:-3]:
            del _tables[old]
    return table


def _side(index: CollectionIndex, iri: str) -> dict[str, Any]:
    """What the collections say of one side of a pair: the item it is served as, its names, sources, address…"""
    position = index.position_of.get(iri)
    if position is None:
        return {"iri": iri, "item": None}
    item = index.items[position]
    part = next((p for p in item.parts if p.iri == iri), item)
    point = part.point
    return {"iri": iri, "item": item.iri, "name": part.name(()), "names": sorted(part.names),
            "sources": sorted({r.source for r in part.records}), "address": part.address or None, "url": part.url,
            "point": list(point) if point else None}


def _shown(link: dict[str, Any], index: CollectionIndex | None) -> dict[str, Any]:
    shown = dict(link)
    if index is not None:
        shown["sides"] = [_side(index, link["first"]), _side(index, link["second"])]
    return shown


@router.get("/api/links", summary="The links between IRIs of one alternative (the review queue: status=pending)")
async def list_links(
    request: Request,
    status: str | None = Query(None, description="accepted, confirmed, pending (the review queue) or rejected"),
    iri: str | None = Query(None, description="only the links of this IRI"),
    source: str | None = Query(None, description="only links with a side from this source (id or IRI)"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT, description=f"links per page, 1 to {MAX_LIMIT}"),
    offset: int = Query(0, ge=0, description="links to skip"),
    hub: PublishedReader = Depends(reader),
) -> Response:
    if status is not None and status not in STATUSES:
        return problem(400, "Bad parameter", f"status expects one of {', '.join(STATUSES)}", parameter="status")
    table = await run_in_threadpool(link_table, hub)
    cache: IndexCache = request.app.state.index_cache
    index = await run_in_threadpool(cache.get, hub.published())
    chosen = [link for _, link in sorted(table.links.items(), key=lambda pair: (-(pair[1]["score"] or 0), pair[0]))
              if (status is None or link.get("status") == status)
              and (iri is None or iri in (link.get("first"), link.get("second")))]
    if source is not None:
        wanted = source if source.startswith(("http://", "https://")) else hub.minter.source(source).value
        chosen = [link for link in chosen if any(wanted in side.get("sources", [])
                                                 for side in _shown(link, index)["sides"])]
    page = [_shown(link, index) for link in chosen[offset:offset + limit]]
    body = {"generation": table.generation, "total": len(chosen), "offset": offset, "links": page}
    return JSONResponse(body, headers={"X-Total-Count": str(len(chosen))})


@router.get("/api/links/{key}", summary="One link: its sides, status, rule, score, evidence and decision")
async def one_link(request: Request, key: str, hub: PublishedReader = Depends(reader)) -> Response:
    if not is_link_key(key):
        return problem(404, "Unknown link", f"no link {key!r}: a link key is 20 hexadecimal digits (see /api/links)")
    table = await run_in_threadpool(link_table, hub)
    link = table.links.get(key)
    if link is None:
        return problem(404, "Unknown link", f"the published data has no link {key!r} (see /api/links)")
    cache: IndexCache = request.app.state.index_cache
    index = await run_in_threadpool(cache.get, hub.published())
    return JSONResponse({"generation": table.generation, **_shown(link, index)})


@router.post("/api/links/{key}/decision", status_code=202,
             summary="Confirm or reject a pair of the review queue, or withdraw a decision (admin)")
async def decide(request: Request, key: str,
                 publish: bool = Query(False, description="start a publication at once (harvest --due)"),
                 hub: PublishedReader = Depends(reader)) -> Response:
    """Body: `{"decision": "confirm" | "reject" | "withdraw", "note": "…"}`. The decision is kept in the data folder
    and wins over the score from the next publication on, harvest after harvest, until it is withdrawn."""
    refusal = admin_refusal(request)
    if refusal is not None:
        return refusal
    if not is_link_key(key):
        return problem(404, "Unknown link", f"no link {key!r}: a link key is 20 hexadecimal digits (see /api/links)")
    try:
        raw = await read_capped(request, BODY_BYTES, seconds=10.0)
    except BodyTooLarge:
        return problem(413, "Body too large", f"a decision's body is at most {BODY_BYTES} bytes")
    except BodyTooSlow:
        return problem(408, "Body too slow", "the decision's body took too long to arrive")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return problem(400, "Bad body", "the body must be JSON: {\"decision\": \"confirm\"}", parameter="decision")
    wanted = body.get("decision") if isinstance(body, dict) else None
    if wanted not in DECISIONS:
        return problem(400, "Bad body", f"the body must be a JSON object with \"decision\": one of "
                       f"{', '.join(DECISIONS)}", parameter="decision")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 1000:
        return problem(400, "Bad body", "\"note\" must be a text of at most 1000 characters", parameter="note")
    table = await run_in_threadpool(link_table, hub)
    link = table.links.get(key)
    if link is None:
        return problem(404, "Unknown link", f"the published data has no link {key!r}: only a pair the hub "
                       f"published (see /api/links) can be decided on")
    decision = await run_in_threadpool(decisions.decide, hub.data, key, link["first"], link["second"],
                                       DECISIONS[wanted], "administrator (API)", note.strip())
    pid = start_harvest(hub.settings, due_only=True) if publish else None
    return JSONResponse({"key": key, "first": link["first"], "second": link["second"],
                         "decision": decision.verdict if decision else None,
                         "by": decision.by if decision else None, "at": decision.at if decision else None,
                         "applies": "at the next publication", "publishing": pid is not None, "pid": pid},
                        status_code=202)


@router.get("/api/clusters", summary="The cluster an IRI is in: its canonical IRI, members and their sources")
async def cluster(request: Request, iri: str = Query(..., description="any IRI of an entity"),
                  hub: PublishedReader = Depends(reader)) -> Response:
    try:
        NamedNode(iri)
    except ValueError:
        return problem(400, "Bad parameter", "iri expects an absolute IRI", parameter="iri")
    published = hub.published()
    canonical, members = await run_in_threadpool(entity_view.cluster_of, published.store, iri,
                                                 hub.minter.meta_graph(), hub.minter.links_graph())
    cache: IndexCache = request.app.state.index_cache
    index = await run_in_threadpool(cache.get, published)
    table = await run_in_threadpool(link_table, hub)
    sides = [_side(index, member) for member in members]
    if all(side["item"] is None for side in sides):
        return problem(404, "Not found", f"the published collections hold no item <{iri}>")
    in_force = [link for link in table.links.values() if link.get("first") in members
                and link.get("status") in ("accepted", "confirmed")]
    sources = sorted({source for side in sides for source in side.get("sources", [])})
    body = {"iri": canonical, "requested": iri, "members": sides,
            "sources": [{"iri": s, **index.sources.get(s, {})} for s in sources],
            "links": sorted(in_force, key=lambda link: link["key"]), "generation": published.generation.number}
    return answer(request, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json",
                  published.generation.number)
