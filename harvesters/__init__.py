"""Harvesters: fetch a feed and lift it to RDF quads. They know nothing of the API or the store."""
