"""Harvesters: one module per feed format, each lifting a document's bytes to RDF quads, registered in the
table of formats (harvesters/formats.py, filled from the entry points `mutualisons.formats`). They do no I/O
(the hub fetches, through its guarded fetcher) and import nothing of `hub`. `wording.py` turns a library's
error into a reason a person can read, for the harvesters and the hub alike."""
