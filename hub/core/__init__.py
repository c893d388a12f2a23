"""Namespaces, minted IRIs, configuration (sources and settings), the record and verdict types, durations and
times, the writer's lock, N-Triples helpers, the class hierarchy (and which classes are persons), the one
transitive-closure walk, process limits and the network sandbox: the small things every room uses.
Imports nothing of `hub` outside `hub.core` (harvesters' TOML reader is allowed).
"""
