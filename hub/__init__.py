"""Mutualisons hub: a federated linked-open-data hub for maps of alternatives."""

__version__ = "0.1.0"
