"""docs/provenance.md lists every term the hub writes in its meta, sources and links graphs."""

from __future__ import annotations

import re

from hub.core.config import Settings
from hub.core.namespaces import PREFIXES
from hub.pipeline.harvest import HarvestSummary
from tests.conftest import BASE, ROOT
from tests.test_pipeline import published_store

# owl: is no prefix of the hub's queries, but the links graph speaks owl:sameAs.
KNOWN = {**PREFIXES, "owl": "http://www.w3.org/2002/07/owl#"}


def documented_terms() -> set[str]:
    text = (ROOT / "docs" / "provenance.md").read_text(encoding="utf-8")
    terms = set()
    for curie in re.findall(r"`([a-z]+):([A-Za-z]+)`", text):
        prefix, local = curie
        if prefix in KNOWN and prefix != "xsd":  # datatypes are not terms the hub defines or uses as such
            terms.add(KNOWN[prefix] + local)
    return terms


# Written by `mutualisons load`, which the harvested examples do not use: tests/test_admin_load.py checks them.
ADMIN_TERMS = {PREFIXES["hub"] + name for name in ("AdminGraph", "loadedBy", "fileName", "fileHash")}
# Written by the migration of a data folder from provenance model 1: tests/test_provenance.py checks them.
MIGRATION_TERMS = {PREFIXES["hub"] + name
                   for name in ("Migration", "fromModel", "provenanceModel", "recordGraphs", "rehashed", "fetches")}

# Written on a link a person decided on, which the harvested examples have none of: tests/test_merge.py checks them.
DECISION_TERMS = {PREFIXES["hub"] + name for name in ("decidedBy", "decidedAt", "decisionNote")}


# Written only with the store on a SPARQL server (hub/store/remote.py): HUB_TEST_STORE=oxigraph-server writes them.
STORE_TERMS = {PREFIXES["hub"] + name for name in ("storeVersion", "storePublishedAt")}


def test_every_provenance_term_in_the_store_is_documented(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    used: set[str] = set()
    # The links graph holds the linker's link resources (docs/provenance.md, "Links"): their terms are listed too.
    for graph in (f"{BASE}graph/meta", f"{BASE}graph/sources", f"{BASE}graph/links"):
        for row in store.select(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
            used.add(row["p"].value)
        for row in store.select(f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph}> {{ ?s a ?c }} }}"):
            used.add(row["c"].value)
    missing = sorted(used - documented_terms())
    assert not missing, f"terms written but not listed in docs/provenance.md: {missing}"
    # And the list is not padded with terms the hub does not write (tombstones come with removals).
    unused = documented_terms() - used - {
        PREFIXES["hub"] + name for name in ("Tombstone", "tombstoneReason", "recordKind", "error", "httpStatus",
                                          "etag", "UpstreamGraph")
    } - ADMIN_TERMS - MIGRATION_TERMS - DECISION_TERMS - STORE_TERMS - {
        PREFIXES["prov"] + name for name in ("wasInvalidatedBy", "invalidatedAtTime")} - {
        PREFIXES["dcterms"] + "publisher", PREFIXES["foaf"] + "Agent", PREFIXES["foaf"] + "name"}
    assert not unused - {PREFIXES["dcterms"] + "format"}, f"documented but never written: {sorted(unused)}"
