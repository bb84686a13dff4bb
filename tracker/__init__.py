"""tracker: a durable, revision-aware store of casualty claims and the reports built on it."""

__version__ = "0.1.0"
