"""One harvest, stage by stage: fetching (the guarded fetcher, and the walks of formats that fetch more),
lifting, alignment, split and canonical hashing, persons without consent taken out, commit (record writer,
provenance), the hub's own graphs, upkeep after publication (redaction of the history), scheduling, the
admin's load, the check of a document without commit, and what a run's documents gave (outcome: status,
counts, documents with no record), which the harvest and the check share.
May import `hub.charter` and everything below it, and `harvesters`.
"""
