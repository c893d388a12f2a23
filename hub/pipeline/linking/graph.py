"""The links graph `{base}graph/links`, as N-Quads lines: each link a resource that reifies its `owl:sameAs`
statement and says its status, rule, score, evidence and, where a person decided, who and when
(docs/provenance.md, "Links"). The `owl:sameAs` statement itself is asserted only for links in force.
"""

from __future__ import annotations

import hashlib

from pyoxigraph import Literal, NamedNode

from hub.core.iris import Minter
from hub.core.namespaces import HUB, PROV, RDF, XSD, term
from hub.pipeline.linking.decide import Link
from hub.pipeline.literals import normal_line

OWL_SAME_AS = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
LINKS_TITLE = "Links between IRIs that name the same alternative, computed by the hub (owl:sameAs)"


def digest(link: Link) -> str:
    """What a link says, but its time: when it is unchanged, its lines (and time) stay as they were."""
    decision = link.decision
    said = repr((link.first, link.second, link.status, link.rule, link.score, link.evidence,
                 (decision.verdict, decision.by, decision.at, decision.note) if decision else None))
    return hashlib.sha256(said.encode("utf-8")).hexdigest()


def lines(link: Link, minter: Minter, at: str) -> list[str]:
    graph = minter.links_graph()
    node = minter.link(link.first, link.second)
    first, second = NamedNode(link.first), NamedNode(link.second)
    said: list[tuple[NamedNode, NamedNode, NamedNode | Literal]] = [
        (node, term(RDF, "type"), term(HUB, "Link")),
        (node, term(RDF, "type"), term(RDF, "Statement")),
        (node, term(RDF, "subject"), first),
        (node, term(RDF, "predicate"), OWL_SAME_AS),
        (node, term(RDF, "object"), second),
        (node, term(HUB, "linkStatus"), Literal(link.status)),
        (node, term(HUB, "linkRule"), Literal(link.rule)),
        (node, term(PROV, "generatedAtTime"), Literal(at, datatype=term(XSD, "dateTime"))),
    ]
    if link.score is not None:
        said.append((node, term(HUB, "linkScore"), Literal(f"{link.score:.3f}", datatype=term(XSD, "decimal"))))
    said += [(node, term(HUB, "evidence"), Literal(text)) for text in link.evidence]
    if link.decision is not None:
        said += [(node, term(HUB, "decidedBy"), Literal(link.decision.by)),
                 (node, term(HUB, "decidedAt"), Literal(link.decision.at, datatype=term(XSD, "dateTime")))]
        if link.decision.note:
            said.append((node, term(HUB, "decisionNote"), Literal(link.decision.note)))
    if link.same_as:
        said.append((first, OWL_SAME_AS, second))
    # Written as the store serves them (a decimal or a time by value), so that a later DELETE DATA of these very
    # lines removes them.
    return [normal_line(f"{s} {p} {o} {graph} .") for s, p, o in said]
