"""The data folder (`data/`): payloads, earlier versions (history), quarantine, per-source harvest state, the
journal of files a run has not yet published; and what networks own there (docs/publishers.md): publisher tokens'
hashes, pushed documents, runs' warnings, reports, the networks-only contact book. Private data lives here,
never in the public store.
May import `hub.core`. (Redacting the history when a consent ends is an upkeep step of the pipeline:
hub/pipeline/redaction.py.)
"""
