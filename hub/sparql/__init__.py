"""The SPARQL endpoint's engine side: the guard, the sandboxed worker pool, result formats and writers,
named queries (`sparql/*.rq`), the service description.
May import `hub.store.embedded`, `hub.archive` and `hub.core`.
"""
