"""The hub's own web pages (map, entity pages, agenda, library, sources, embed), built on its public API only."""
