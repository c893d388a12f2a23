"""The store on an existing engine: a SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, QLever) reached only
through the SPARQL 1.1 Protocol, SPARQL 1.1 Update and the Graph Store Protocol (docs/stores.md).

Readers never see half a source. The writer sends nothing as it goes: each write becomes an Update operation held
in memory, and a **push** sends every operation held as one Update request (operations joined with `;`, which the
server applies as one transaction: Oxigraph does; docs/stores.md says which engines do), ending with the version
counter `hub:storeVersion` in the meta graph raised by one. The harvest's checkpoint before a source's first write
pushes what came before, so a source's writes travel in one request of their own, and rolling a failed source back
drops its operations, never sent (`checkpoint` / `roll_back_to`, as the embedded store's savepoint). `publish` pushes
the rest. A harvest killed at any moment has sent whole requests only: each source is its old or its new version.

The writer reads what it wrote: a read outside a source's run first pushes what is held (the linker reads every
source's new records); inside a source's run (from its checkpoint to `release_checkpoint` or `roll_back_to`) it
reads the server as the run found it, which is what the run's own reads ask for (the source's published records).
Readers (`RemoteReader`) ask the server; the gateway follows `version()`, and rebuilds its indexes when it changes.

Every request has a client timeout (`[store] timeout`; the SPARQL endpoint's deadline for its queries); the hub's
SERVICE guard has refused what it must before any query is forwarded (hub/gateway/sparql.py).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import httpx
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from hub.core.namespaces import DCTERMS, HUB, XSD
from hub.core.store_config import StoreConfig
from hub.store.interface import QueryResult

if TYPE_CHECKING:
    from hub.store.interface import Store

log = logging.getLogger(__name__)

VERSION = NamedNode(HUB + "storeVersion")
PUBLISHED_AT = NamedNode(HUB + "storePublishedAt")
VERSION_TIMEOUT = 5.0
# Virtuoso keeps graphs of its own in every store (its schemas, its DAV folder): they are not the hub's.
_ENGINE_GRAPHS = {"virtuoso": ("http://www.openlinksw.com/", "http://localhost:8890/", "http://www.w3.org/ns/ldp",
                               "http://localuriqaserver/",
                               "urn:activitystreams-owl:map", "http://www.w3.org/2002/07/owl")}
_RDF_TYPES = {"application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
              "text/turtle": RdfFormat.TURTLE, "application/n-quads": RdfFormat.N_QUADS,
              "application/rdf+xml": RdfFormat.RDF_XML}
_RESULT_TYPES = {"application/sparql-results+json": QueryResultsFormat.JSON,
                 "application/sparql-results+xml": QueryResultsFormat.XML,
                 "text/tab-separated-values": QueryResultsFormat.TSV}


# How servers say they stopped a query at their own deadline (Oxigraph's --timeout-s; Virtuoso's
# MaxQueryExecutionTime, and its estimate of the cost before it runs a query).
_SERVER_DEADLINE = re.compile(r"time ?out|timed out|S1T00|estimated execution time", re.IGNORECASE)


class StoreUnavailable(Exception):
    """The server did not answer, or refused a request of the hub's own."""


class QueryTimedOut(StoreUnavailable):
    """The server took longer than the request's timeout."""


class AnswerTooLarge(Exception):
    """The server's answer to a query passed the bytes the hub reads of one (the endpoint's memory bound)."""


class QueryRejected(Exception):
    """The server refused a query as malformed or unanswerable (HTTP 400): the query's fault, not the server's."""


def term(value: Any) -> str:
    """A term as SPARQL text (N-Triples syntax, which SPARQL reads)."""
    return str(value)


class ServerClient:
    """The three endpoints of one server, with its authentication and timeouts."""

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        auth: httpx.Auth | None = None
        if config.user is not None:
            password = config.password or ""
            auth = httpx.DigestAuth(config.user, password) if config.auth == "digest" \
                else httpx.BasicAuth(config.user, password)
        # Never through a proxy from the environment: the store is the operator's own server.
        self._http = httpx.Client(auth=auth, timeout=config.timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def _post(self, url: str, *, timeout: float | None, max_bytes: int | None = None,
              **kwargs: Any) -> httpx.Response:
        """POST; with `max_bytes`, an answer longer than that is dropped as it comes (AnswerTooLarge)."""
        where = urllib.parse.urlsplit(url)._replace(query="").geturl()
        try:
            if max_bytes is None:
                return self._http.post(url, timeout=timeout or self.config.timeout, **kwargs)
            with self._http.stream("POST", url, timeout=timeout or self.config.timeout, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise AnswerTooLarge(f"the SPARQL server's answer passed {max_bytes >> 20} MiB")
                return httpx.Response(response.status_code, headers=response.headers, content=bytes(body),
                                      request=response.request)
        except httpx.TimeoutException as error:
            raise QueryTimedOut(f"the SPARQL server at {where} did not answer within "
                                f"{timeout or self.config.timeout:g} s") from error
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"the SPARQL server at {where} could not be reached ({type(error).__name__}): "
                                   f"check that it runs and that [store] names it (docs/stores.md)") from error

    def query(self, sparql: str, params: list[tuple[str, str]], timeout: float | None = None,
              max_bytes: int | None = None) -> httpx.Response:
        """A query through the SPARQL 1.1 Protocol (POST, form-encoded); a 400 is the query's fault."""
        json = self.config.engine != "virtuoso"  # Virtuoso's JSON results type literals the 2008 way
        accept = ("application/sparql-results+json, " if json else "application/sparql-results+xml, ") + \
            "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.7"
        url = self.config.query
        if self.config.engine == "oxigraph" and ("union-default-graph", "") in params:
            params = [p for p in params if p != ("union-default-graph", "")]
            url += ("&" if "?" in url else "?") + "union-default-graph"
        body = urllib.parse.urlencode([("query", sparql), *params]).encode("ascii")
        response = self._post(url, timeout=timeout, max_bytes=max_bytes, content=body, headers={
            "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        if response.status_code == 400:
            raise QueryRejected(_said(response))
        if response.status_code >= 500 and _SERVER_DEADLINE.search(response.text[:2000]):
            raise QueryTimedOut(f"the SPARQL server stopped the query at its own deadline: {_said(response)}")
        if response.status_code != 200:
            raise StoreUnavailable(f"the SPARQL server refused a query with HTTP {response.status_code}: "
                                   f"{_said(response)}")
        return response

    def update(self, text: str) -> None:
        """One SPARQL 1.1 Update request."""
        response = self._post(self.config.update, timeout=None, data={"update": text})
        if response.status_code not in (200, 204):
            raise StoreUnavailable(f"the SPARQL server refused an update with HTTP {response.status_code}: "
                                   f"{_said(response)}")

    def graph(self, graph: NamedNode) -> bytes | None:
        """Graph Store GET (N-Triples); None when the server has no such graph."""
        assert self.config.graph_store is not None
        try:
            response = self._http.get(self.config.graph_store, params={"graph": graph.value},
                                      headers={"Accept": "application/n-triples"})
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"the SPARQL server's graph store at {self.config.graph_store} could not be "
                                   f"reached ({type(error).__name__})") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise StoreUnavailable(f"the graph store refused a read with HTTP {response.status_code}: "
                                   f"{_said(response)}")
        return response.content


def _said(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:500] or "(no explanation)"


def results(response: httpx.Response) -> QueryResult | list[Any]:
    """The server's answer as pyoxigraph solutions, a boolean, or a list of triples."""
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in _RESULT_TYPES:
        # Virtuoso names blank nodes `nodeID://b1` in its XML results, `_:b1` in its graphs: the label is `b1`.
        content = response.content.replace(b"<bnode>nodeID://", b"<bnode>")
        return parse_query_results(content, format=_RESULT_TYPES[media_type])
    if media_type in _RDF_TYPES:
        return list(parse(response.content, format=_RDF_TYPES[media_type]))
    raise StoreUnavailable(f"the SPARQL server answered in {media_type or 'no media type'}, which the hub does not "
                           f"read: it asks for SPARQL results (JSON, XML) or N-Triples")


class RemoteReader:
    """The server's current version, read through the SPARQL 1.1 Protocol and the Graph Store Protocol."""

    def __init__(self, client: ServerClient, meta: NamedNode | None = None) -> None:
        self.client = client
        self.meta = meta  # whose version counter is the store's bookkeeping, left out of counts and dumps
        self._blank_statements: dict[str, list[Quad]] = {}

    def query(self, sparql: str, *, default_graphs: Sequence[NamedNode] | None = None,
              named_graphs: Sequence[NamedNode] | None = None, base_iri: str | None = None,
              own_dataset: bool = False, timeout: float | None = None, max_bytes: int | None = None) -> QueryResult:
        """As the embedded store's: with no dataset given, the default graph is the union of the named graphs (the
        server must be set so: docs/stores.md); a given dataset is exactly that dataset; `own_dataset` lets the
        query's FROM apply. `base_iri` is said in the query's prologue (the protocol has no parameter for it)."""
        self._before_read()
        params: list[tuple[str, str]] = []
        if default_graphs is None and named_graphs is None:
            if not own_dataset:
                params.append(("union-default-graph", ""))
        else:
            params += [("default-graph-uri", g.value) for g in default_graphs or []]
            params += [("named-graph-uri", g.value) for g in named_graphs or []]
        if base_iri is not None:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        answered = results(self.client.query(sparql, params, timeout, max_bytes))
        if isinstance(answered, list):
            return cast(QueryResult, answered)  # triples, iterated as QueryTriples are
        return answered

    def _before_read(self) -> None:
        """The writer pushes what it holds first (see the module's docstring); a reader has nothing held."""

    def select(self, sparql: str) -> list[dict[str, Any]]:
        result = self.query(sparql)
        if not isinstance(result, QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row = {name: solution[name] for name in names if solution[name] is not None}
            rows.append(row)
        return rows

    def ask(self, sparql: str) -> bool:
        result = self.query(sparql)
        return bool(result) if isinstance(result, QueryBoolean) else bool(list(result))

    def graph_quads(self, graph: NamedNode) -> list[Quad]:
        if self.client.config.graph_store is not None:
            self._before_read()
            data = self.client.graph(graph)
            triples: list[Any] = [] if data is None else list(parse(data, format=RdfFormat.N_TRIPLES))
        else:
            found = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {term(graph)} {{ ?s ?p ?o }} }}")
            triples = list(found)  # type: ignore[arg-type]
        return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]

    def graphs_quads(self, graphs: Sequence[NamedNode], chunk: int = 1000) -> dict[str, list[Quad]]:
        """A thousand graphs a request, not one (the gateway's index reads every record graph)."""
        found: dict[str, list[Quad]] = {graph.value: [] for graph in graphs}
        for start in range(0, len(graphs), chunk):
            values = " ".join(term(graph) for graph in graphs[start:start + chunk])
            for row in self.select(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"):
                found[row["g"].value].append(Quad(row["s"], row["p"], row["o"], row["g"]))
        return found

    def subject_quads(self, subject: NamedNode | BlankNode, graph: NamedNode | None = None) -> list[Quad]:
        if isinstance(subject, BlankNode):
            # SPARQL cannot name a stored blank node: the graph's statements about blank nodes are read once per
            # reader, and the node's found among them by its label (the server's own, stable within a version).
            return [q for q in self._blank_subjects(graph) if q.subject == subject]
        if graph is not None:
            rows = self.select(f"SELECT ?p ?o WHERE {{ GRAPH {term(graph)} {{ {term(subject)} ?p ?o }} }}")
            return [Quad(subject, row["p"], row["o"], graph) for row in rows]
        rows = self.select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {term(subject)} ?p ?o }} }}")
        return [Quad(subject, row["p"], row["o"], row["g"]) for row in rows if self._hubs(row["g"])]

    def _blank_subjects(self, graph: NamedNode | None) -> list[Quad]:
        key = "" if graph is None else graph.value
        if key not in self._blank_statements:
            where = f"GRAPH {term(graph)}" if graph is not None else "GRAPH ?g"
            rows = self.select(f"SELECT ?s ?p ?o ?g WHERE {{ {where} {{ ?s ?p ?o FILTER(isBlank(?s)) }} }}")
            self._blank_statements[key] = [Quad(row["s"], row["p"], row["o"], graph or row["g"]) for row in rows]
        return self._blank_statements[key]

    def object_quads(self, obj: NamedNode, predicate: NamedNode | None = None) -> list[Quad]:
        p = term(predicate) if predicate is not None else "?p"
        rows = self.select(f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s {p} {term(obj)} }} }}")
        return [Quad(row["s"], predicate or row["p"], obj, row["g"]) for row in rows if self._hubs(row["g"])]

    def has_graph(self, graph: NamedNode) -> bool:
        return self.ask(f"ASK {{ GRAPH {term(graph)} {{ ?s ?p ?o }} }}")

    def named_graphs(self) -> Iterator[NamedNode]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        for row in rows:
            if isinstance(row.get("g"), NamedNode) and self._hubs(row["g"]):
                yield row["g"]

    def _hubs(self, graph: Any) -> bool:
        """Not one of the engine's own graphs."""
        prefixes = _ENGINE_GRAPHS.get(self.client.config.engine, ())
        return not (isinstance(graph, NamedNode) and graph.value.startswith(prefixes))

    def _graph_filter(self) -> str:
        """The hub's statements: not the engine's graphs, not the version counter."""
        prefixes = _ENGINE_GRAPHS.get(self.client.config.engine, ())
        tests = [f'!STRSTARTS(STR(?g), "{prefix}")' for prefix in prefixes]
        if self.meta is not None:
            tests.append(f"?p NOT IN ({term(VERSION)}, {term(PUBLISHED_AT)})")
        return f"FILTER({' && '.join(tests)})" if tests else ""

    def count_quads(self) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter()} }}")
        return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0

    def dump_nquads(self) -> bytes:
        rows = self.select(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter()} }}")
        output = io.BytesIO()
        serialize((Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows), output, RdfFormat.N_QUADS)
        return output.getvalue()

    def version(self, meta: NamedNode, timeout: float = VERSION_TIMEOUT) -> tuple[int, float] | None:
        """The server's current version and when it was published (epoch seconds), or None before the first.
        Asked on every request of the gateway: a short timeout, so that a server down fails requests fast."""
        node = term(_store_node(meta))
        result = self.query(f"SELECT ?v ?at WHERE {{ GRAPH {term(meta)} {{ {node} {term(VERSION)} ?v "
                            f"OPTIONAL {{ {node} {term(PUBLISHED_AT)} ?at }} }} }}", timeout=timeout)
        rows = [{"v": s["v"], "at": s["at"]} for s in result] if isinstance(result, QuerySolutions) else []
        if not rows or rows[0]["v"] is None:
            return None
        number = max(int(row["v"].value) for row in rows)
        at = rows[0].get("at")
        try:
            published = dt.datetime.fromisoformat(at.value).timestamp() if at is not None else 0.0
        except ValueError:
            published = 0.0
        return number, published


def _store_node(meta: NamedNode) -> NamedNode:
    """What the version counter is said of: the hub itself (`{base}`, the agent of its graphs), in the meta graph."""
    return NamedNode(meta.value.removesuffix("graph/meta"))


def _insert(quads: Iterable[Quad], operation: int) -> str | None:
    """INSERT DATA of quads, grouped by graph (None when there are none). A request may not share a blank node
    label between two operations: each operation's labels carry its number."""
    def text(node: Any) -> str:
        return f"_:o{operation}x{node.value}" if isinstance(node, BlankNode) else term(node)

    by_graph: dict[str, list[str]] = {}
    blank = False
    for quad in quads:
        if not isinstance(quad.graph_name, NamedNode):
            raise ValueError("the public store holds named graphs only: its default graph stays empty")
        blank = blank or isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode)
        by_graph.setdefault(term(quad.graph_name), []).append(
            f"{text(quad.subject)} {term(quad.predicate)} {text(quad.object)} .")
    if not by_graph:
        return None
    graphs = " ".join(f"GRAPH {graph} {{ {' '.join(lines)} }}" for graph, lines in by_graph.items())
    # Virtuoso takes no blank node in INSERT DATA: a template with no WHERE to match makes them fresh everywhere.
    return f"INSERT {{ {graphs} }} WHERE {{}}" if blank else f"INSERT DATA {{ {graphs} }}"


class RemoteWriter(RemoteReader):
    """The single writer: Update operations held until a push sends them as one request (the module's docstring)."""

    def __init__(self, client: ServerClient, meta: NamedNode) -> None:
        super().__init__(client, meta)
        self.meta: NamedNode = meta
        self._held: list[str] = []
        self._mark: int | None = None  # operations held before the running source's checkpoint
        self._version: int | None = None
        self._operations = 0
        self.bulk_written = 0  # the embedded store's compaction counter: a server compacts on its own

    # -- what the harvest asks of a working store

    def open(self) -> None:
        """Nothing to open: requests go to the server."""

    def checkpoint(self, target: Any = None) -> None:
        """Before a source's first write: what came before goes now, in one request, and the source's own
        operations start here (`roll_back_to` drops them)."""
        self._mark = None
        self.push()
        self._mark = len(self._held)

    def roll_back_to(self, checkpoint: Any = None) -> None:
        """The failed source's operations are dropped, never sent."""
        if self._mark is not None:
            del self._held[self._mark:]
        self._mark = None

    def release_checkpoint(self, checkpoint: Any = None) -> None:
        """The source's run stands: its operations go with the next push (the next read, checkpoint or publish)."""
        self._mark = None

    def needs_compaction(self, threshold: int | None = None) -> bool:
        return False

    def compact(self) -> None:
        """A server compacts its own storage."""

    def flush(self) -> None:
        """Held operations are sent by a push, never half."""

    def close(self) -> None:
        self._held.clear()

    # -- writes

    def _next(self) -> int:
        self._operations += 1
        return self._operations

    def update(self, sparql: str) -> None:
        self._held.append(sparql)

    def load_nquads(self, data: bytes) -> None:
        # Parsed here: each parse gives its blank nodes labels of their own, so two loads never share one.
        operation = _insert(parse(data, format=RdfFormat.N_QUADS), self._next()) if data.strip() else None
        if operation is not None:
            self._held.append(operation)

    def bulk_load_nquads(self, data: bytes) -> None:
        self.load_nquads(data)

    def delete_nquads(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        blocks = []
        for line in lines:
            statement, graph = line.strip()[:-1].strip().rsplit(" ", 1)
            blocks.append(f"GRAPH {graph} {{ {statement} }}")
        self._held.append("DELETE DATA { " + " ".join(blocks) + " }")

    def add_quads(self, quads: Iterable[Quad]) -> None:
        operation = _insert(quads, self._next())
        if operation is not None:
            self._held.append(operation)

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        """Graph Store PUT, as Update: the graph dropped, then its new statements."""
        self.drop_graph(graph)
        self.add_quads(Quad(q.subject, q.predicate, q.object, graph) for q in quads)

    def drop_graph(self, graph: NamedNode) -> None:
        if self.client.config.engine == "virtuoso":
            # Virtuoso's DROP and CLEAR do not see what earlier operations of the same request wrote: a
            # DELETE WHERE does (an empty graph is no graph there).
            self._held.append(f"DELETE WHERE {{ GRAPH {term(graph)} {{ ?s ?p ?o }} }}")
        else:
            self._held.append(f"DROP SILENT GRAPH {term(graph)}")

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        for graph in graphs:
            self.drop_graph(graph)

    def remove_descriptions(self, subjects: Sequence[NamedNode], graph: NamedNode, chunk: int = 5000) -> None:
        for start in range(0, len(subjects), chunk):
            values = " ".join(term(subject) for subject in subjects[start:start + chunk])
            self._held.append(f"DELETE {{ GRAPH {term(graph)} {{ ?s ?p ?o }} }} "
                              f"WHERE {{ VALUES ?s {{ {values} }} GRAPH {term(graph)} {{ ?s ?p ?o }} }}")

    def remove_matching(self, subject: NamedNode | None, predicate: NamedNode | None, graph: NamedNode) -> int:
        """DELETE WHERE; the statements are counted by the server when the push applies it, so 0 here."""
        s = term(subject) if subject is not None else "?s"
        p = term(predicate) if predicate is not None else "?p"
        self._held.append(f"DELETE WHERE {{ GRAPH {term(graph)} {{ {s} {p} ?o }} }}")
        return 0

    def drop_source(self, source: NamedNode, meta: NamedNode) -> list[NamedNode]:
        rows = self.select(f"SELECT ?g WHERE {{ GRAPH {term(meta)} {{ ?g a <{HUB}RecordGraph> ; "
                           f"<{DCTERMS}source> {term(source)} }} }}")
        graphs = sorted({row["g"] for row in rows if isinstance(row["g"], NamedNode)}, key=lambda g: g.value)
        self.drop_graphs(graphs)
        self.remove_descriptions(graphs, meta)
        return graphs

    # -- sending

    def _before_read(self) -> None:
        if self._mark is None:
            self.push()

    def current_version(self) -> int:
        if self._version is None:
            found = RemoteReader(self.client).version(self.meta)
            self._version = found[0] if found is not None else 0
        return self._version

    def push(self, even_empty: bool = False) -> int | None:
        """Sends every operation held as one Update request, the version counter raised with them; returns the
        new version, or None when nothing was held (unless `even_empty`)."""
        if not self._held and not even_empty:
            return None
        number = self.current_version() + 1
        node, meta = term(_store_node(self.meta)), term(self.meta)
        at = Literal(dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                     datatype=NamedNode(XSD + "dateTime"))
        version = (f"DELETE WHERE {{ GRAPH {meta} {{ {node} {term(VERSION)} ?v . "
                   f"{node} {term(PUBLISHED_AT)} ?t }} }} ;\n"
                   f"INSERT DATA {{ GRAPH {meta} {{ {node} {term(VERSION)} {number} ; "
                   f"{term(PUBLISHED_AT)} {term(at)} }} }}")
        self.client.update(" ;\n".join([*self._held, version]))
        self._held.clear()
        self._version = number
        return number

    @property
    def held(self) -> int:
        """How many operations wait for the next push."""
        return len(self._held)


class RemoteStore:
    """The server backend behind the store interface (hub/store/interface.py)."""

    def __init__(self, config: StoreConfig, meta: NamedNode) -> None:
        self.config = config
        self.meta = meta
        self.client = ServerClient(config)
        self._writer = RemoteWriter(self.client, meta)

    @property
    def writer(self) -> RemoteWriter:
        return self._writer

    def publish(self) -> int:
        self._writer._mark = None
        pushed = self._writer.push()
        if pushed is not None:
            return pushed
        if self._writer.current_version() == 0:  # a first publication of nothing still publishes
            return self._writer.push(even_empty=True) or 0
        return self._writer.current_version()

    def version(self) -> tuple[int, float] | None:
        return RemoteReader(self.client).version(self.meta)

    def published(self) -> RemoteReader | None:
        return RemoteReader(self.client, self.meta) if self.version() is not None else None

    def close(self) -> None:
        self._writer.close()
        self.client.close()


if TYPE_CHECKING:
    def _implements_the_interface(remote: RemoteStore) -> Store:
        return remote  # mypy checks that the server backend is a Store
