"""The audit trail: runs of a source, one run, the history of a record graph, raw payloads (the source's token or
admin), and harvests started on demand (the source's token or admin). Paths are built from the same segments as the
minted IRIs, never from a whole IRI."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pyoxigraph import NamedNode, Quad

from hub.archive import history, payloads
from hub.archive import warnings as kept_warnings
from hub.core.config import ConfigError, load_sources
from hub.core.iris import is_run_timestamp
from hub.core.namespaces import HUB
from hub.core.ntriples import split_line, to_lines
from hub.core.vocabulary import default_vocabulary
from hub.gateway.deps import caller, problem, reader, source_refusal, unknown_segment
from hub.gateway.language import api_language, area_words, said_lines, said_warnings
from hub.gateway.sources import published_runs, source_table
from hub.pipeline import redaction
from hub.pipeline.scheduler import start_harvest
from hub.sparql import queries
from hub.store.reader import PublishedReader

router = APIRouter(tags=["Audit"])
_COUNTS = ("accepted", "rejected", "added", "updated", "unchanged", "removed", "warned")
MAX_LISTED_GRAPHS = 1000


def _runs(hub: PublishedReader, source_id: str) -> list[dict[str, Any]]:
    store = hub.published().store
    source_iri = hub.minter.source(source_id).value
    runs = []
    for row in store.select(queries.render("source-runs", meta=hub.minter.meta_graph())):
        if row["source"].value != source_iri:
            continue
        runs.append({
            "run": row["run"].value, "status": row["status"].value,
            "started": row["started"].value, "ended": row["ended"].value,
            "counts": {name: int(row[name].value) for name in _COUNTS if name in row},
            "path": "/api/runs/" + row["run"].value.split("/run/", 1)[-1],
        })
    return runs


def _known(hub: PublishedReader, source_id: str) -> bool:
    return any(entry["id"] == source_id for entry in source_table(hub))


@router.get("/api/sources/{source_id}/runs", summary="Every harvest run of a source, newest first")
async def source_runs(source_id: str, hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    if not await run_in_threadpool(_known, hub, source_id):
        return problem(404, "Unknown source", f"no source {source_id!r}")
    return JSONResponse({"source": source_id, "runs": await run_in_threadpool(_runs, hub, source_id)})


@router.get("/api/runs/{source_id}/{timestamp}",
            summary="One run: status, counts, errors, warnings (their texts to the source's token), payloads, graphs")
async def run_detail(request: Request, source_id: str, timestamp: str,
                     hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id, timestamp)) is not None:
        return unknown
    run = hub.minter.run(source_id, timestamp)
    private = caller(request).may_read(source_id)

    def load() -> dict[str, Any] | None:
        store = hub.published().store
        meta = hub.minter.meta_graph()
        summary = next((r for r in _runs(hub, source_id) if r["run"] == run.value), None)
        if summary is None:
            return None
        errors = [row["e"].value for row in store.select(
            f"SELECT ?e WHERE {{ GRAPH {meta} {{ {run} <https://w3id.org/mutualisons/ns#error> ?e }} }}")]
        fetched = [{key: row[key].value for key in ("payload", "document", "fetched", "bytes", "media", "status",
                                                     "etag") if key in row}
                   for row in store.select(queries.render("run-detail", run=run, meta=meta))]
        graphs = store.select(queries.render("run-graphs", run=run, meta=meta))
        kept = kept_warnings.read(hub.data, source_id, timestamp)
        # The network (and the admin) read every warning whole; anyone else what quotes no value.
        warned = None if kept is None else kept if private else [kept_warnings.public_view(w) for w in kept]
        return {**summary, "errors": errors, "warnings": warned, "payloads": fetched,
                # A person's tombstone names no subject (their consent ended): null.
                "graphs": [{"graph": g["graph"].value, "subject": g["subject"].value if "subject" in g else None,
                            "change": g["change"].value, **({"reason": g["reason"].value} if "reason" in g else {})}
                           for g in graphs[:MAX_LISTED_GRAPHS]],
                "graphs_total": len(graphs)}

    found = await run_in_threadpool(load)
    if found is None:
        return problem(404, "Unknown run", f"no run {timestamp!r} of source {source_id!r}")
    # The stored lines as they are (`errors`), and said in the reader's language with their codes (`said`).
    lang = api_language(request.scope)
    found["lang"] = lang
    words = area_words(hub.settings.sources_path)
    found["said"] = {"errors": said_lines(found["errors"], lang, words),
                     **({"warnings": said_warnings(found["warnings"], lang, words)}
                        if isinstance(found.get("warnings"), list) else {})}
    return JSONResponse(found)


@router.get("/api/runs/{source_id}/{timestamp}/payload",
            summary="The exact bytes a run fetched (the source's token, or admin)")
async def run_payload(request: Request, source_id: str, timestamp: str,
                      sha256: str | None = Query(None, description="which payload, when the run fetched several"),
                      hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id, timestamp)) is not None:
        return unknown
    refusal = source_refusal(request, source_id)
    if refusal is not None:
        return refusal
    run = hub.minter.run(source_id, timestamp)
    rows = await run_in_threadpool(
        hub.published().store.select, queries.render("run-detail", run=run, meta=hub.minter.meta_graph()))
    hashes = [row["payload"].value.rsplit("/", 1)[-1] for row in rows]
    if not hashes:
        return problem(404, "No payload", f"run {timestamp!r} of {source_id!r} used no payload (or is unknown)")
    if sha256 is None and len(hashes) > 1:
        return problem(400, "Which payload?", "this run fetched several documents: add sha256=", payloads=hashes)
    wanted = sha256 or hashes[0]
    if wanted not in hashes:
        return problem(404, "No such payload", f"run {timestamp!r} did not use payload {wanted}")
    body = payloads.read(hub.data, wanted)
    if body is None:
        return problem(410, "Payload pruned", "only the payloads of each source's recent runs are kept")
    return Response(body, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{wanted}"'})


@router.get("/api/graphs/{source_id}/{key}/history", summary="Every version of a record graph and what changed")
async def graph_history(source_id: str, key: str, hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    graph = hub.minter.graph(source_id, key)
    versions = await run_in_threadpool(history.versions, hub.data, source_id, graph.value)
    # Versions are written before the generation is published: a harvest killed in between leaves a
    # version of a run that never became public, which the history must not show.
    published = await run_in_threadpool(published_runs, hub, source_id)
    versions = [v for v in versions if is_run_timestamp(v.run_timestamp)
                and hub.minter.run(source_id, v.run_timestamp).value in published]
    current = hub.published().store.has_graph(NamedNode(graph.value))
    versions = await run_in_threadpool(_consented, hub, source_id, graph.value, versions)
    # A person whose consent ended is not even said to have been listed: nothing of theirs is left to show.
    if not versions or (not current and any(v.redacted for v in versions) and not any(v.triples for v in versions)):
        return problem(404, "Unknown graph", f"no version of {graph.value} was ever written")
    shown = []
    previous: list[str] | None = []
    for version in versions:
        entry: dict[str, object] = {"run": hub.minter.run(source_id, version.run_timestamp).value,
                                    "removed_graph": version.triples == [] and not version.redacted,
                                    "pruned": version.triples is None, "redacted": version.redacted}
        if version.triples is None or previous is None:
            # Retention keeps only the mark of an old superseded version: what it held, and so what
            # changed next, is no longer known.
            entry |= {"triples": None if version.triples is None else len(version.triples),
                      "added": None, "removed": None, "diff": None}
        else:
            entry |= {
                "triples": len(version.triples),
                "added": sorted(set(version.triples) - set(previous)),
                "removed": sorted(set(previous) - set(version.triples)),
                "diff": "".join(difflib.unified_diff([t + "\n" for t in sorted(previous)],
                                                     [t + "\n" for t in sorted(version.triples)], n=0))[:20000],
            }
        shown.append(entry)
        previous = version.triples
    return JSONResponse({"graph": graph.value, "published": current, "versions": shown})


def _consented(hub: PublishedReader, source_id: str, graph: str,
               versions: list[history.Version]) -> list[history.Version]:
    """The versions without any person the graph's published version does not hold with a consent, nor any
    person record of the source that was withdrawn since (its tombstone says a person's), even where the
    file on disk still has them (hub/pipeline/redaction.py): a consent that ended ends their history too."""
    hierarchy = default_vocabulary().hierarchy
    store = hub.published().store
    current = to_lines(Quad(q.subject, q.predicate, q.object) for q in store.graph_quads(NamedNode(graph)))
    kept = redaction.kept_persons(current, hierarchy)
    earlier = {iri for version in versions for line in version.triples or () for iri in _named(line)}
    withdrawn = _withdrawn_persons(hub, source_id, earlier - {iri for line in current for iri in _named(line)})
    shown = []
    for version in versions:
        lines = None if version.triples is None else \
            redaction.without_withdrawn(version.triples, kept, hierarchy, withdrawn)
        shown.append(version if lines is None else history.Version(version.run_timestamp, lines, redacted=True))
    return shown


def _named(line: str) -> list[str]:
    """The IRIs a statement names as subject or object."""
    subject, _, obj, _ = split_line(line)
    return [token[1:-1] for token in (subject, obj) if token[0] == "<"]


def _withdrawn_persons(hub: PublishedReader, source_id: str, iris: set[str]) -> frozenset[str]:
    """Of these IRIs, those of the source's person records that are tombstones now."""
    if not iris:
        return frozenset()
    graph_of = {hub.minter.graph(source_id, hub.minter.graph_key_for_subject(iri)).value: iri for iri in iris}
    values = " ".join(f"<{graph}>" for graph in graph_of)
    rows = hub.published().store.select(
        f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} GRAPH {hub.minter.meta_graph()} {{ "
        f'?g a <{HUB}Tombstone> ; <{HUB}recordKind> "person" }} }}')
    return frozenset(graph_of[row["g"].value] for row in rows)


@router.post("/api/sources/{source_id}/harvest", summary="Start a harvest of one source (the source's token, or admin)",
             status_code=202)
async def trigger_harvest(request: Request, source_id: str, hub: PublishedReader = Depends(reader)) -> Response:
    if (unknown := unknown_segment(source_id)) is not None:
        return unknown
    refusal = source_refusal(request, source_id)
    if refusal is not None:
        return refusal
    # The harvest reads sources.toml: a source just added there can be harvested before anything was
    # published, and one removed from it cannot be harvested any more.
    try:
        configured = await run_in_threadpool(load_sources, hub.settings.sources_path)
    except ConfigError as error:
        return problem(503, "Invalid sources file", f"no harvest can start: {error}")
    if not any(source.id == source_id for source in configured):
        return problem(404, "Unknown source", f"no source {source_id!r} in {hub.settings.sources_path.name}")
    running = hub.harvest_running()
    if running is not None:
        return problem(409, "Harvest running", f"harvest already running (pid {running})")
    pid = start_harvest(hub.settings, [source_id])
    return JSONResponse({"source": source_id, "started": True, "pid": pid}, status_code=202)
