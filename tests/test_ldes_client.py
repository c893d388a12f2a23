"""The event stream replicated by a real LDES client that no one here wrote: `ldes-client` 0.3.0 from npm (pinned in
tools/ldes/package.json, installed by `make test` where npm exists), run by Node against the hub on loopback.

From scratch it must get exactly the hub's records (compared with the store through SPARQL, statement for statement
by their content hash); after one edit of one feed and a harvest, a second run with the client's saved state must
fetch only the mutable page(s) (the server's access log says which) and get the new version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import NamedNode, RdfFormat, parse

from hub.core.config import Settings
from hub.pipeline.canonical import canonical_hash
from hub.pipeline.harvest import harvest
from tests.conftest import ROOT, free_port, quiet
from tests.hub_server import serve_hub

TOOLS = ROOT / "tools" / "ldes"
HUB = "https://w3id.org/mutualisons/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
PAGE_SIZE = 20  # the examples' 80 changes make 4 pages


def missing_client() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (the Debian package nodejs); the LDES client tests need it"
    if not (TOOLS / "node_modules" / "ldes-client" / "package.json").is_file():
        return "ldes-client is not installed in tools/ldes (`make test` runs `npm ci` there where npm exists)"
    return None


@pytest.fixture(autouse=True)
def require_client() -> None:
    reason = missing_client()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the LDES client tests cannot run under CI: {reason}")
        pytest.skip(reason)


def replicate(url: str, state: Path) -> list[dict[str, Any]]:
    """The members the client emits (tools/ldes/replicate.mjs prints one JSON line each)."""
    result = subprocess.run(["node", str(TOOLS / "replicate.mjs"), url, str(state)], cwd=TOOLS,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ldes-client error" not in result.stderr, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def store_hashes(base: str) -> dict[str, str]:
    query = f"""SELECT ?g ?hash WHERE {{ GRAPH <{base}graph/meta> {{
        ?g a <{HUB}RecordGraph> ; <{HUB}contentHash> ?hash }} }}"""
    answer = httpx.get(f"{base}sparql", params={"query": query}, timeout=30, trust_env=False,
                       headers={"accept": "application/sparql-results+json"})
    return {row["g"]["value"]: row["hash"]["value"] for row in answer.json()["results"]["bindings"]}


def member_hash(member: dict[str, Any]) -> str:
    """The hash of the record statements a member carries (those in the named graph of its IRI)."""
    quads = parse(member["quads"].encode("utf-8"), format=RdfFormat.N_QUADS)
    return canonical_hash([f"{q.subject} {q.predicate} {q.object} ." for q in quads
                           if q.graph_name == NamedNode(member["id"])])


def kind(member: dict[str, Any]) -> str:
    """as:Create, as:Update or as:Delete, from the member's types (the client names only one of them)."""
    types = {q.object.value for q in parse(member["quads"].encode("utf-8"), format=RdfFormat.N_QUADS)
             if q.subject == NamedNode(member["id"]) and q.predicate.value.endswith("#type")}
    [found] = [t.removeprefix(AS) for t in types if t.startswith(AS)]
    return found


Replica = dict[str, dict[str, Any]]


def latest(members: list[dict[str, Any]], replica: Replica | None = None) -> Replica:
    """Record graph -> its latest version, the way a replica applies members in order (a Delete removes it)."""
    replica = dict(replica or {})
    for member in sorted(members, key=lambda m: (m["timestamp"], m["id"])):
        if kind(member) == "Delete":
            replica.pop(member["isVersionOf"], None)
        else:
            replica[member["isVersionOf"]] = member
    return replica


def test_ldes_client_replicates_the_hub_then_fetches_only_the_mutable_pages(examples_copy: Path,
                                                                            tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = Settings(sources_path=examples_copy / "sources.toml", data_dir=tmp_path / "data", base_iri=base)
    harvest(settings, progress=quiet)
    state = tmp_path / "client-state"
    with serve_hub(settings, port, ldes_page_size=PAGE_SIZE) as hub:
        first = replicate(f"{base}ldes", state)
        changes = httpx.get(f"{base}api/changes", trust_env=False).json()["changes"]
        assert sorted(m["id"] for m in first) == sorted(c["version"] for c in changes)
        replica = latest(first)
        stored = store_hashes(base)
        assert set(replica) == set(stored)  # exactly the hub's records
        assert {graph: member_hash(member) for graph, member in replica.items()} == stored
        pages = -(-len(changes) // PAGE_SIZE)
        assert pages >= 3
        assert {path for path in hub.log.paths() if path.startswith("/ldes/") and path != "/ldes/root"} == {
            f"/ldes/{n}" for n in range(1, pages + 1)}

        feed = examples_copy / "feeds" / "assiette-commune.ttl"
        feed.write_text(feed.read_text(encoding="utf-8").replace(
            "\"L'Épicerie Vrac du Coin\"@fr", "\"L'Épicerie Vrac du Coin, rue Neuve\"@fr"), encoding="utf-8")
        harvest(settings, progress=quiet)
        hub.log.clear()
        second = replicate(f"{base}ldes", state)
        fetched = [path for path in hub.log.paths() if path.startswith("/ldes/") and path != "/ldes/root"]
        now = httpx.get(f"{base}api/changes", trust_env=False).json()["changes"]
        newest = -(-len(now) // PAGE_SIZE)
        # The page that was the newest (mutable) and any page added since: the immutable ones are not asked again.
        assert set(fetched) == {f"/ldes/{n}" for n in range(pages, newest + 1)}
        assert len(fetched) == len(set(fetched)) and newest - pages <= 1
        assert len(second) == 1 and kind(second[0]) == "Update"
        assert "L'Épicerie Vrac du Coin, rue Neuve" in second[0]["quads"]
        replica = latest(second, replica)
        stored = store_hashes(base)
        assert {graph: member_hash(member) for graph, member in replica.items()} == stored
