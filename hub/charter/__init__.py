"""Validation against the charter: SHACL compiled to SPARQL, pyshacl as the reference, SHACL-SPARQL
constraints, verification of practitioners, consent, and the charter document.
May import `hub.sparql`, `hub.store.embedded`, `hub.archive` and `hub.core`.
"""
