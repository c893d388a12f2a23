"""The HTTP API (FastAPI), one module per resource, with the indexes built per generation (collection,
spatial, text) and the iCalendar export. May import `hub.pipeline` and everything below it.
"""
