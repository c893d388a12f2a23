"""Two hubs on loopback: hub A harvests the example networks and serves its event stream; hub B (another data folder,
another port) harvests A's `/ldes` (format `ldes`, harvesters/ldes.py).

B gets A's records with the whole chain (B's run, A's run, A's source, the original document and its licence), the
organisation two of A's networks describe is one entity on B too, an edit in one of A's feeds reaches B at its next
run, and that run asks A only for the stream, its view and the pages that may have changed: the immutable pages it
read before come from its own state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.core.config import Settings
from hub.pipeline.harvest import harvest
from tests.conftest import free_port, quiet
from tests.hub_server import Served, serve_hub

HUB = "https://w3id.org/mutualisons/ns#"
GARDEN = "https://potager-des-marolles.example/id/org"  # described by two of A's networks
EPICERIE = "L'Épicerie Vrac du Coin"
PANIERS = "https://assiette-commune.example/id/paniers-pleins"
PAGE_SIZE = 20


@dataclass
class Federation:
    a: Settings
    b: Settings
    served_a: Served
    feeds: Path


def b_sources(folder: Path, a_url: str) -> Path:
    host = a_url.removeprefix("http://").rstrip("/")
    toml = folder / "sources.toml"
    toml.write_text(
        '[[source]]\nid = "hub-a"\nname = "Hub A"\n'
        f'url = "{a_url}ldes"\nformat = "ldes"\n'
        'license = "https://creativecommons.org/publicdomain/zero/1.0/"\n'
        'publisher = "Hub A"\ncontact = "mailto:hub-a@hub-a.example"\n'
        f'trusted_hosts = ["{host}"]\n', encoding="utf-8")
    return toml


@pytest.fixture()
def federation(examples_copy: Path, tmp_path: Path) -> Iterator[Federation]:
    port_a = free_port()
    a = Settings(examples_copy / "sources.toml", tmp_path / "a-data", f"http://127.0.0.1:{port_a}/")
    harvest(a, progress=quiet)
    with serve_hub(a, port_a, ldes_page_size=PAGE_SIZE) as served_a:
        port_b = free_port()
        (tmp_path / "b").mkdir()
        b = Settings(b_sources(tmp_path / "b", served_a.url), tmp_path / "b-data", f"http://127.0.0.1:{port_b}/")
        yield Federation(a, b, served_a, examples_copy / "feeds")


def sparql(url: str, query: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}sparql", params={"query": query}, timeout=30, trust_env=False,
                       headers={"accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"]["bindings"])


def subjects(url: str) -> set[str]:
    rows = sparql(url, f"SELECT ?s WHERE {{ GRAPH ?m {{ ?g a <{HUB}RecordGraph> ; <{HUB}recordSubject> ?s }} }}")
    return {row["s"]["value"] for row in rows}


def test_hub_b_follows_hub_a(federation: Federation) -> None:
    a_url = federation.served_a.url
    first = harvest(federation.b, progress=quiet)
    [run] = first.runs
    assert run.status == "succeeded", (run.status, run.counts, run.errors, run.warnings[:5])
    port_b = int(federation.b.base_iri.rsplit(":", 1)[1].rstrip("/"))
    with serve_hub(federation.b, port_b) as served_b:
        b_url = served_b.url
        assert subjects(b_url) == subjects(a_url)  # every record of A, and the garden once
        garden = httpx.get(f"{b_url}api/provenance", params={"subject": GARDEN}, trust_env=False).json()
        geo = [s for s in garden["statements"] if s["predicate"] == "https://schema.org/geo"]
        assert len(geo) == 2 and len({s["graph"] for s in geo}) == 1  # one record on B, one value per network
        upstream = {u["iri"] for s in geo for u in s["upstream"]}
        assert len(upstream) == 2 and all(iri.startswith(f"{a_url}graph/") for iri in upstream)
        # B's run, A's run, A's source, the original document and its licence.
        statement = next(s for s in garden["statements"] if s["predicate"] == "https://schema.org/name")
        assert statement["run"].startswith(f"{b_url}run/hub-a/")
        [chain] = [u for u in statement["upstream"] if u["source"] == f"{a_url}source/assiette-commune"]
        assert chain["run"].startswith(f"{a_url}run/assiette-commune/")
        assert chain["document"] == "file:feeds/assiette-commune.ttl"
        assert chain["license"] == "https://creativecommons.org/licenses/by/4.0/"

    federation.served_a.log.clear()
    feed = federation.feeds / "assiette-commune.ttl"
    text = feed.read_text(encoding="utf-8").replace(f'"{EPICERIE}"@fr', f'"{EPICERIE}, rue Neuve"@fr')
    start = text.index("ac:paniers-pleins a ")
    feed.write_text(text[:start] + text[text.index("\n\n", start) + 2:], encoding="utf-8")  # one record leaves
    harvest(federation.a, progress=quiet)
    second = harvest(federation.b, progress=quiet)
    [run] = second.runs
    assert run.status == "succeeded", (run.counts, run.errors)
    assert (run.counts.get("updated"), run.counts.get("removed"), run.counts.get("added")) == (1, 1, 0), run.counts
    asked = [path for path in federation.served_a.log.paths() if path.startswith("/ldes/")]
    pages = -(-len(httpx.get(f"{a_url}api/changes", trust_env=False).json()["changes"]) // PAGE_SIZE)
    # The view, the page that was the newest and any new one: the immutable pages B read before are not asked.
    assert set(asked) <= {"/ldes/root", f"/ldes/{pages - 1}", f"/ldes/{pages}"} and "/ldes/1" not in asked
    with serve_hub(federation.b, port_b) as served_b:
        names = sparql(served_b.url, 'SELECT ?n WHERE { ?s <https://schema.org/name> ?n '
                                     f'FILTER(STRSTARTS(?n, "{EPICERIE}")) }}')
        assert {row["n"]["value"] for row in names} == {f"{EPICERIE}, rue Neuve"}
        assert PANIERS not in subjects(served_b.url) and subjects(served_b.url) == subjects(a_url)
        tombstone = sparql(served_b.url, f"SELECT ?g WHERE {{ GRAPH ?m {{ ?g a <{HUB}Tombstone> ; "
                                         f"<{HUB}recordSubject> <{PANIERS}> }} }}")
        assert len(tombstone) == 1  # a deletion member of A became a tombstone on B
