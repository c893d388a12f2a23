"""The store interface and its backends, the embedded Oxigraph store with generations and a SPARQL 1.1 server
(docs/stores.md); the published reader, entity views, the change feed and the dump. The only package that builds a
`pyoxigraph.Store`. May import `hub.archive` and `hub.core`.
"""
