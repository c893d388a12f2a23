"""The store interface and its embedded Oxigraph backend with generations, the published reader,
entity views, the change feed and the dump. The only package that builds a `pyoxigraph.Store`.
May import `hub.archive` and `hub.core`.
"""
