"""The data folder (`data/`): payloads, earlier versions (history) and their redaction, quarantine,
per-source harvest state. Private data lives here, never in the public store.
May import `hub.core`.
"""
