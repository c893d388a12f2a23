"""Namespaces, minted IRIs, configuration (sources and settings), durations, the writer's lock, N-Triples
helpers, the class hierarchy, process limits and the network sandbox: the small things every room
uses. Imports nothing of `hub` outside `hub.core` (harvesters' TOML reader is allowed).
"""
