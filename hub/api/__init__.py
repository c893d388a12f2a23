"""The FastAPI gateway, one module per resource."""
